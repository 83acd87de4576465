import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { toUtf8Bytes } from "ethers";
import { AddressBook } from "../../clients/core/addressBook";
import { LoanStatus, Role, Subject } from "../../clients/core/types";
import { LeadBankNode, PartnerBankNode, cny, deployLending } from "../../clients/lending";
import { DocumentStore } from "../../clients/store";
import {
  ArbitratorNode,
  deployArbitration,
  discloseToArbitrator,
  installCaseReviewers,
  openCase,
  respondToCase,
} from "../../clients/arbitration";
import { deployLedgerFixture } from "../helpers/consortium";
import { BANK_FLOAT, LendingFixture, admit, openLoan, standardTerms } from "../lending/fixtures";
import { encryptionPrivateKey } from "./fixture";

const DAY = 86_400n;
const SECRET = "0x" + "42".repeat(32);

/**
 * The real lending modules and the court deployed together during genesis, as the lead's deploy
 * script does; one standard loan funded by the lead and partners 0 and 1, then defaulted (first
 * installment missed, reminder unanswered for 24 hours).
 */
async function defaultedLoanFixture() {
  const base = await deployLedgerFixture({ banks: 5, outsiders: 8 });
  const lending = await deployLending(base.deployer, base.ledger);
  const arbitration = await deployArbitration(base.deployer, base.ledger, lending.addresses.loanBook);
  await (await base.ledger.sealGenesis()).wait();
  const book: AddressBook = {
    version: 1,
    chainId: base.chainId.toString(),
    deployBlock: 0,
    ledger: await base.ledger.getAddress(),
    ...lending.addresses,
    court: arbitration.address,
    members: base.founders.map((f) => ({ name: f.name, role: Number(f.role) as Role, address: String(f.account) })),
  };
  const lead = new LeadBankNode("W Bank", base.leadBank, book);
  const partnerNodes = base.partners.map((p, i) => new PartnerBankNode(`Partner ${i + 1}`, p, book));
  for (const node of [lead, ...partnerNodes]) {
    await node.deposit(BANK_FLOAT);
    installCaseReviewers(node);
  }
  const [, payee, ...borrowers] = base.outsiders;
  const fx: LendingFixture = {
    ...base,
    params: lending.params,
    book,
    token: lending.token,
    registry: lending.registry,
    loanBook: lending.loanBook,
    loanUse: lending.loanUse,
    lead,
    partnerNodes,
    borrowers: borrowers.slice(0, 4),
    payee,
  };
  const pseudonym = await admit(fx, 0);
  const { loanId, disbursedAt } = await openLoan(fx, standardTerms(pseudonym));
  await time.setNextBlockTimestamp(disbursedAt + 31n * DAY);
  const { remindedAt } = await lead.remind(loanId, "SMS: installment 1 is overdue");
  await time.increaseTo(remindedAt + DAY);
  await lead.declareDefault(loanId, partnerNodes);
  return {
    ...fx,
    arbitrationCourt: arbitration.court,
    boundToLoanBook: arbitration.boundToLoanBook,
    pseudonym,
    loanId,
  };
}

describe("ArbitrationCourt with the real LoanBook", function () {
  it("is bound by the deploy step and takes a defaulted loan from case to award", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    expect(fx.boundToLoanBook).to.equal(true);
    expect(await fx.loanBook.court()).to.equal(await fx.arbitrationCourt.getAddress());
    expect(await fx.loanBook.loanStatus(fx.loanId)).to.equal(LoanStatus.Defaulted);
    expect(await fx.loanBook.isLender(fx.loanId, fx.partners[0].address)).to.equal(true);

    const store = DocumentStore.open(":memory:", SECRET);
    const loanHead = await fx.ledger.headOf(Subject.loan(fx.loanId));
    const filed = await openCase({
      bank: fx.partnerNodes[0],
      peers: [fx.lead, ...fx.partnerNodes.slice(1)],
      loanId: fx.loanId,
      arbitrator: fx.arbitrator.address,
      claim: toUtf8Bytes("partner 1 claims its share of the unpaid installments"),
      store,
    });
    expect(filed.frozenHead).to.equal(loanHead);
    expect(await fx.loanBook.loanStatus(fx.loanId)).to.equal(LoanStatus.InArbitration);

    const [borrower] = fx.borrowers;
    await respondToCase({
      borrower,
      court: fx.book.court!,
      caseId: filed.caseId,
      document: toUtf8Bytes("I was abroad"),
    });
    await discloseToArbitrator({
      bank: fx.partnerNodes[0],
      store,
      caseId: filed.caseId,
      contentHashes: [filed.claim.contentHash],
    }).then(async ({ package: pkg }) => {
      const arbitrator = new ArbitratorNode(
        "Arbitration Commission 1",
        fx.arbitrator,
        fx.book,
        DocumentStore.open(":memory:", SECRET),
        encryptionPrivateKey(fx.arbitrator.address),
      );
      const review = await arbitrator.receiveDisclosure(pkg);
      expect(review.verified).to.equal(true);
      const award = await arbitrator.issueAward(filed.caseId, toUtf8Bytes("award: 12,500 CNY"), cny(12_500));
      expect((await fx.arbitrationCourt.caseInfo(filed.caseId)).awardHash).to.equal(award.awardHash);
      console.log(`      gas with the real LoanBook: openCase ${filed.claim.gasUsed}, issueAward ${award.gasUsed}`);
    });

    expect(await fx.loanBook.loanStatus(fx.loanId)).to.equal(LoanStatus.Awarded);
    expect(await fx.registry.isDelinquent(fx.pseudonym)).to.equal(true);
    const loanChain = await fx.ledger.queryFilter(fx.ledger.filters.RecordCommitted(Subject.loan(fx.loanId)));
    const awardIndex = loanChain.findIndex((e) => e.args.proposer === fx.arbitrator.address);
    expect(awardIndex).to.be.greaterThan(loanChain.findIndex((e) => e.args.head === loanHead));
  });

  it("refuses a case on the loan while it still performs, and a case by a bank that did not fund it", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    await expect(
      fx.arbitrationCourt.connect(fx.partners[3]).openCase(
        fx.loanId,
        fx.arbitrator.address,
        {
          subject: Subject.arbitrationCase(1n),
          kind: "0x" + "11".repeat(32),
          contentHash: "0x" + "22".repeat(32),
          attrs: "0x" + "00".repeat(32),
          prev: "0x" + "00".repeat(32),
        },
        0n,
        "0x",
      ),
    )
      .to.be.revertedWithCustomError(fx.arbitrationCourt, "NotLender")
      .withArgs(fx.loanId, fx.partners[3].address);
    const pseudonym = await admit(fx, 1);
    const { loanId } = await openLoan(fx, standardTerms(pseudonym));
    let refused: Error | undefined;
    try {
      await openCase({
        bank: fx.lead,
        peers: fx.partnerNodes,
        loanId,
        arbitrator: fx.arbitrator.address,
        claim: toUtf8Bytes("claim on a performing loan"),
      });
    } catch (e) {
      refused = e as Error;
    }
    expect(refused?.message).to.match(new RegExp(`quorum not reached.*loan ${loanId} is not in default`));
    expect(await fx.loanBook.loanStatus(loanId)).to.equal(LoanStatus.Active);
  });
});
