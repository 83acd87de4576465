import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { SigningKey, keccak256, toUtf8Bytes } from "ethers";
import type { Signer } from "ethers";
import {
  ArbitrationCourt,
  EvidenceLedger,
  EvidenceLedger__factory,
  MockLoanBook__factory,
} from "../../typechain-types";
import { AddressBook } from "../../clients/core/addressBook";
import { LedgerNode, proposeAndCommit } from "../../clients/core/node";
import { Endorsement, newSalt, packSignatures, signEndorsement } from "../../clients/core/records";
import { Kind, LoanStatus, RecordInput, Role, Subject } from "../../clients/core/types";
import { deployArbitration } from "../../clients/arbitration";

/** Private key of a founder's encryption key: known, so tests can open what is disclosed to it. */
export function encryptionPrivateKey(name: string): string {
  return keccak256(toUtf8Bytes(`colend.test.enc.${name}`));
}

export function encryptionPublicKey(name: string): string {
  return new SigningKey(encryptionPrivateKey(name)).compressedPublicKey;
}

/** The defaulted loan of the fixture, its performing sibling, and one nobody lent to. */
export const LOAN = 1n;
export const PERFORMING_LOAN = 2n;
export const BORROWER_PSEUDONYM = keccak256(toUtf8Bytes("borrower pseudonym 1"));

/**
 * A consortium of seven banks (lead + six partners), two arbitration commissions and a regulator;
 * a mock loan book; the court enabled as a ledger module and bound to the loan book; genesis sealed.
 * Loan 1 is defaulted, funded by the lead and partners 0–2, with two records on its chain.
 */
export async function courtFixture() {
  const signers = await ethers.getSigners();
  const [deployer, leadBank, p0, p1, p2, p3, p4, p5, arbitrator, otherArbitrator, regulator, borrower, outsider] =
    signers;
  const partners = [p0, p1, p2, p3, p4, p5];
  const founders: { name: string; role: Role; signer: HardhatEthersSigner }[] = [
    { name: "W Bank", role: Role.LeadBank, signer: leadBank },
    ...partners.map((signer, i) => ({ name: `Partner ${i}`, role: Role.PartnerBank, signer })),
    { name: "Guangzhou Arbitration Commission", role: Role.Arbitrator, signer: arbitrator },
    { name: "Shenzhen Court of International Arbitration", role: Role.Arbitrator, signer: otherArbitrator },
    { name: "Regulator", role: Role.Regulator, signer: regulator },
  ];
  const ledger = await new EvidenceLedger__factory(deployer).deploy(
    await Promise.all(
      founders.map(async (f) => ({
        account: await f.signer.getAddress(),
        role: f.role,
        name: f.name,
        encryptionKey: encryptionPublicKey(f.name),
      })),
    ),
  );
  await ledger.waitForDeployment();
  const deployBlock = (await ledger.deploymentTransaction()!.wait())!.blockNumber;
  const loanBook = await new MockLoanBook__factory(deployer).deploy();
  await loanBook.waitForDeployment();
  const { court, boundToLoanBook } = await deployArbitration(deployer, ledger, await loanBook.getAddress());
  await (await ledger.sealGenesis()).wait();

  const book: AddressBook = {
    version: 1,
    chainId: (await ethers.provider.getNetwork()).chainId.toString(),
    deployBlock,
    ledger: await ledger.getAddress(),
    loanBook: await loanBook.getAddress(),
    court: await court.getAddress(),
    members: await Promise.all(founders.map(async (f) => ({ name: f.name, role: f.role, address: f.signer.address }))),
  };
  const lead = new LedgerNode("W Bank", leadBank, book);
  const partnerNodes = partners.map((s, i) => new LedgerNode(`Partner ${i}`, s, book));
  const banks = [lead, ...partnerNodes];

  for (const account of [leadBank, p0, p1, p2]) await loanBook.setLender(LOAN, account.address, true);
  await loanBook.setBorrower(LOAN, borrower.address, BORROWER_PSEUDONYM);
  await loanBook.setStatus(LOAN, LoanStatus.Defaulted);
  await loanBook.setLender(PERFORMING_LOAN, leadBank.address, true);
  await loanBook.setBorrower(PERFORMING_LOAN, borrower.address, BORROWER_PSEUDONYM);
  await loanBook.setStatus(PERFORMING_LOAN, LoanStatus.Active);

  const loanRecords = [];
  for (const [kind, text] of [
    [Kind.LoanContract, "loan contract: 10,000 CNY, 10 periods"],
    [Kind.DefaultNotice, "installment 3 unpaid; reminder unanswered 24h"],
  ] as const) {
    const document = toUtf8Bytes(text);
    loanRecords.push({
      ...(await proposeAndCommit(lead, partnerNodes, { subject: Subject.loan(LOAN), kind, document })),
      document,
    });
  }

  return {
    deployer,
    leadBank,
    partners,
    arbitrator,
    otherArbitrator,
    regulator,
    borrower,
    outsider,
    ledger,
    loanBook,
    court,
    boundToLoanBook,
    book,
    lead,
    partnerNodes,
    banks,
    loanRecords,
  };
}

export type CourtFixture = Awaited<ReturnType<typeof courtFixture>>;

/** Signs `record` for `proposer` with `signers` and packs the signatures in the ledger's order. */
export async function endorse(
  ledger: EvidenceLedger,
  record: RecordInput,
  proposer: string,
  signers: Signer[],
  deadline: bigint,
): Promise<string> {
  const domain = {
    name: "colend",
    version: "1",
    chainId: (await ethers.provider.getNetwork()).chainId,
    verifyingContract: await ledger.getAddress(),
  };
  const endorsements: Endorsement[] = [];
  for (const s of signers) endorsements.push(await signEndorsement(s, domain, { ...record, proposer, deadline }));
  return packSignatures(endorsements);
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
  const sigs = await endorse(fx.ledger, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
  const caseId = await fx.court.nextCaseId();
  const frozenHead = await fx.ledger.headOf(Subject.loan(LOAN));
  const tx = await fx.court.connect(fx.leadBank).openCase(LOAN, arbitrator, claim, dl, sigs);
  return { caseId, claim, frozenHead, deadline: dl, tx, receipt: (await tx.wait())! };
}

export type { ArbitrationCourt };
