/**
 * Collection before arbitration (case study 000, issue 10): a defaulted loan goes through the
 * reminder stage, then outsourced collection (an endorsed CollectionStarted record, no earlier than
 * `reminderStageDays` after the reminder), and only `collectionStageDays` later may a case be
 * filed. The court refuses a case on a loan that skipped a stage, even with every bank's signature.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { toUtf8Bytes } from "ethers";
import { attrsHash } from "../../clients/core/records";
import { Kind, LoanStatus, Subject, ZERO_HASH } from "../../clients/core/types";
import { BorrowerClient, DAY, agencyId } from "../../clients/lending";
import { Outcome, openCase } from "../../clients/arbitration";
import { chainKinds, expectRejection } from "../lending/fixtures";
import { deployDefaultedLoan, throughCollection } from "./defaultedLoan";

async function defaultedFixture() {
  const { fx, arbitration, pseudonym, loanId } = await deployDefaultedLoan({
    collected: false,
    params: { reminderStageDays: 30, collectionStageDays: 30 }, // the defaults
  });
  return { ...fx, courtContract: arbitration.court, pseudonym, loanId };
}

type Fx = Awaited<ReturnType<typeof defaultedFixture>>;

const fileCase = (fx: Fx) =>
  openCase({
    bank: fx.lead,
    peers: fx.partnerNodes,
    loanId: fx.loanId,
    arbitrator: fx.arbitrator.address,
    claim: toUtf8Bytes("claim: the borrower owes the whole loan"),
  });

/** A CollectionStarted record for the loan as the contract would take it (no signatures needed to reach the checks). */
async function collectionRecord(fx: Fx, agency = agencyId("A")) {
  const loan = await fx.loanBook.loanInfo(fx.loanId);
  return {
    subject: Subject.loan(fx.loanId),
    kind: Kind.CollectionStarted,
    contentHash: "0x" + "44".repeat(32),
    attrs: attrsHash(["uint256", "bytes32", "uint256"], [fx.loanId, agency, loan.remindedAt]),
    prev: ZERO_HASH,
  };
}

describe("Collection before arbitration", function () {
  it("refuses a case on a defaulted loan that never went to collection, though every bank signed the claim", async function () {
    const fx = await loadFixture(defaultedFixture);
    // The peers' reviewers see a loan in default with arrears and sign; the loan book refuses.
    await expect(fileCase(fx)).to.be.revertedWithCustomError(fx.loanBook, "NotInCollection").withArgs(fx.loanId);
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Defaulted);
  });

  it("refuses collection before the reminder stage is over, and a case before the collection stage is", async function () {
    const fx = await loadFixture(defaultedFixture);
    const params = await fx.lead.loanParams();
    const loan = await fx.loanBook.loanInfo(fx.loanId);
    const earliest = loan.remindedAt + params.reminderStageDays * DAY;
    // The partners' reviewers refuse to sign an early collection record...
    await expectRejection(fx.lead.startCollection(fx.loanId, "A", fx.partnerNodes), /reminder stage is not over/);
    // ...and the loan book refuses it whatever the signatures.
    const record = await collectionRecord(fx);
    await expect(fx.loanBook.connect(fx.leadBank).startCollection(fx.loanId, agencyId("A"), record, 0n, 0n, "0x"))
      .to.be.revertedWithCustomError(fx.loanBook, "ReminderStageNotOver")
      .withArgs(fx.loanId, earliest);
    await time.increaseTo(earliest);
    const started = await fx.lead.startCollection(fx.loanId, "Pearl River Collections", fx.partnerNodes);
    expect(started.arbitrableFrom).to.equal(
      (await fx.loanBook.collectionOf(fx.loanId)).startedAt + params.collectionStageDays * DAY,
    );
    expect((await chainKinds(fx, Subject.loan(fx.loanId))).slice(-1)).to.deep.equal(["CollectionStarted"]);
    expect(started.record.endorsers.length).to.be.greaterThan(0);
    await expect(fileCase(fx))
      .to.be.revertedWithCustomError(fx.loanBook, "CollectionStageNotOver")
      .withArgs(fx.loanId, started.arbitrableFrom);
    await time.increaseTo(started.arbitrableFrom);
    const filed = await fileCase(fx);
    expect((await fx.courtContract.caseInfo(filed.caseId)).loanId).to.equal(fx.loanId);
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.InArbitration);
  });

  it("lets only the loan's lead start collection, once, on a loan in default, with attrs binding the reminder", async function () {
    const fx = await loadFixture(defaultedFixture);
    const loan = await fx.loanBook.loanInfo(fx.loanId);
    await time.increaseTo(loan.remindedAt + (await fx.lead.loanParams()).reminderStageDays * DAY);
    const record = await collectionRecord(fx);
    await expect(
      fx.loanBook.connect(fx.partners[0]).startCollection(fx.loanId, agencyId("A"), record, 0n, 0n, "0x"),
    ).to.be.revertedWithCustomError(fx.loanBook, "NotLoanLead");
    await expect(
      fx.loanBook.connect(fx.leadBank).startCollection(fx.loanId, agencyId("B"), record, 0n, 0n, "0x"),
    ).to.be.revertedWithCustomError(fx.loanBook, "AttrsMismatch");
    await expect(
      fx.loanBook.connect(fx.leadBank).startCollection(99n, agencyId("A"), record, 0n, 0n, "0x"),
    ).to.be.revertedWithCustomError(fx.loanBook, "UnknownLoan");
    await fx.lead.startCollection(fx.loanId, "A", fx.partnerNodes);
    await expect(fx.loanBook.connect(fx.leadBank).startCollection(fx.loanId, agencyId("A"), record, 0n, 0n, "0x"))
      .to.be.revertedWithCustomError(fx.loanBook, "CollectionAlreadyStarted")
      .withArgs(fx.loanId);
    await expectRejection(fx.lead.startCollection(fx.loanId, "A", fx.partnerNodes), /collection already started/);
  });

  it("refuses collection of a performing loan, and starts over after a cure", async function () {
    const fx = await loadFixture(defaultedFixture);
    const d = await fx.loanBook.dues(fx.loanId);
    await throughCollection(fx.lead, fx.partnerNodes, fx.loanId);
    // Cured: every arrear paid.
    const now = await fx.loanBook.dues(fx.loanId);
    expect(now.amountDue).to.be.greaterThanOrEqual(d.amountDue);
    await new BorrowerClient(fx.borrowers[0], fx.book).repay(fx.loanId, now.amountDue);
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Active);
    expect((await fx.loanBook.collectionOf(fx.loanId)).startedAt).to.equal(0n);
    const record = await collectionRecord(fx);
    await expect(fx.loanBook.connect(fx.leadBank).startCollection(fx.loanId, agencyId("A"), record, 0n, 0n, "0x"))
      .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
      .withArgs(fx.loanId, LoanStatus.Active);
  });

  it("clears the collection on a dismissal: a later default needs a new collection stage", async function () {
    const fx = await loadFixture(defaultedFixture);
    await throughCollection(fx.lead, fx.partnerNodes, fx.loanId);
    const filed = await fileCase(fx);
    await fx.courtContract
      .connect(fx.arbitrator)
      .issueAward(filed.caseId, "0x" + "ab".repeat(32), Outcome.Dismissed, 0n);
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Active);
    expect((await fx.loanBook.collectionOf(fx.loanId)).startedAt).to.equal(0n);
  });
});
