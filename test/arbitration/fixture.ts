import { keccak256, toUtf8Bytes } from "ethers";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import { MockLoanBook__factory } from "../../typechain-types";
import { AddressBook } from "../../clients/core/addressBook";
import { LedgerNode, proposeAndCommit } from "../../clients/core/node";
import { newSalt } from "../../clients/core/records";
import { Kind, LoanStatus, RecordInput, Subject } from "../../clients/core/types";
import { deployArbitration } from "../../clients/arbitration";
import {
  LEAD_BANK_NAME,
  deployLedgerFixture,
  encryptionWallet,
  endorseRecord,
  partnerName,
  issuedAtFor,
} from "../helpers/consortium";

/** The defaulted loan of the fixture, its performing sibling, and one nobody lent to. */
export const LOAN = 1n;
export const PERFORMING_LOAN = 2n;
export const BORROWER_PSEUDONYM = keccak256(toUtf8Bytes("borrower pseudonym 1"));

/** Private key of the encryption key registered for `account` (known, so tests can open disclosures). */
export function encryptionPrivateKey(account: string): string {
  return encryptionWallet(account).privateKey;
}

/**
 * The shared consortium (seven banks, two arbitration commissions, a regulator) with a mock loan
 * book and the court deployed by `deployArbitration` during genesis, then sealed. Loan 1 is
 * defaulted, funded by the lead and partners 0–2, with two records on its chain; loan 2 performs.
 */
/** What the mock loan book says the borrower of LOAN owes: the most an award may be. */
export const LOAN_PAYOFF = 20_000_000_000n;

export async function courtFixture() {
  const base = await deployLedgerFixture({ arbitrators: 2 });
  const { ledger, deployer, leadBank, partners, arbitrators, outsiders } = base;
  const otherArbitrator = arbitrators[1];
  const borrower = outsiders[1];
  const loanBook = await new MockLoanBook__factory(deployer).deploy();
  await loanBook.waitForDeployment();
  const { court, boundToLoanBook } = await deployArbitration(deployer, ledger, await loanBook.getAddress());
  // The mock writes the loan's records as the loan book does: the ledger takes them from a module only.
  await (await ledger.setModuleAtGenesis(await loanBook.getAddress(), true)).wait();
  await (await ledger.sealGenesis()).wait();

  const book: AddressBook = {
    version: 1,
    chainId: base.chainId.toString(),
    deployBlock: (await ledger.deploymentTransaction()!.wait())!.blockNumber,
    ledger: await ledger.getAddress(),
    loanBook: await loanBook.getAddress(),
    court: await court.getAddress(),
    members: base.founders.map((f) => ({ name: f.name, role: Number(f.role), address: f.account.toString() })),
  };
  const lead = new LedgerNode(LEAD_BANK_NAME, leadBank, book);
  const partnerNodes = partners.map((s, i) => new LedgerNode(partnerName(i), s, book));

  for (const account of [leadBank, ...partners.slice(0, 3)]) await loanBook.setLender(LOAN, account.address, true);
  await loanBook.setBorrower(LOAN, borrower.address, BORROWER_PSEUDONYM);
  await loanBook.setStatus(LOAN, LoanStatus.Defaulted);
  await loanBook.setPayoff(LOAN, LOAN_PAYOFF);
  await loanBook.setDaysPastDue(LOAN, 31n);
  await loanBook.setLender(PERFORMING_LOAN, leadBank.address, true);
  await loanBook.setBorrower(PERFORMING_LOAN, borrower.address, BORROWER_PSEUDONYM);
  await loanBook.setStatus(PERFORMING_LOAN, LoanStatus.Active);

  const loanRecords = [];
  for (const [kind, text] of [
    [Kind.LoanContract, "loan contract: 10,000 CNY, 10 periods"],
    [Kind.DefaultNotice, "installment 3 unpaid; reminder unanswered 24h"],
  ] as const) {
    const document = toUtf8Bytes(text);
    const committed = await proposeAndCommit(
      lead,
      partnerNodes,
      { subject: Subject.loan(LOAN), kind, document },
      (p, sigs) =>
        loanBook
          .connect(leadBank)
          .commitFor(ledger, p.record, p.issuedAt, p.deadline, sigs)
          .then((tx) => tx.wait()),
    );
    loanRecords.push({ ...committed, document });
  }

  return {
    ...base,
    otherArbitrator,
    borrower,
    loanBook,
    court,
    boundToLoanBook,
    book,
    lead,
    partnerNodes,
    loanRecords,
  };
}

export type CourtFixture = Awaited<ReturnType<typeof courtFixture>>;

/** `signers`' endorsements of `record` for `proposer`, packed in the ledger's order. */
export function endorse(
  fx: CourtFixture,
  record: RecordInput,
  proposer: string,
  signers: Signer[],
  deadline: bigint,
): Promise<string> {
  return endorseRecord(fx.ledger, fx.domain, record, proposer, signers, deadline);
}

/** A claim record for loan `loanId` and `arbitrator`, on the next case's subject, binding the loan head now. */
export async function claimRecord(
  fx: CourtFixture,
  loanId: bigint,
  arbitrator: string,
  overrides: Partial<RecordInput> = {},
): Promise<RecordInput> {
  const caseId = await fx.court.nextCaseId();
  const head = await fx.ledger.headOf(Subject.loan(loanId));
  return {
    subject: Subject.arbitrationCase(caseId),
    kind: Kind.CaseOpened,
    contentHash: keccak256(newSalt()),
    attrs: claimAttrs(loanId, arbitrator, head),
    prev: ethers.ZeroHash,
    ...overrides,
  };
}

export function claimAttrs(loanId: bigint, arbitrator: string, frozenHead: string): string {
  return keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "address", "bytes32"], [loanId, arbitrator, frozenHead]),
  );
}

/** An hour from the latest block. */
export async function deadline(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  return BigInt(block!.timestamp) + 3_600n;
}

/** Opens a case on the fixture's defaulted loan, filed by the lead bank with four partners' signatures. */
export async function openDefaultCase(fx: CourtFixture, arbitrator = fx.arbitrator.address) {
  const claim = await claimRecord(fx, LOAN, arbitrator);
  const dl = await deadline();
  const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
  const caseId = await fx.court.nextCaseId();
  const frozenHead = await fx.ledger.headOf(Subject.loan(LOAN));
  const tx = await fx.court.connect(fx.leadBank).openCase(LOAN, arbitrator, claim, issuedAtFor(dl), dl, sigs);
  return { caseId, claim, frozenHead, deadline: dl, tx, receipt: (await tx.wait())! };
}
