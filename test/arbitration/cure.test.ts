/**
 * Default and cure on the real loan book and court (issue 10): paying every arrear of a defaulted
 * loan cures it (it performs again, classified by its days past due, and the borrower's listing
 * records the cure); a case can be opened only on a loan in default at filing; a dismissal or an
 * award of nothing lists nobody and returns the loan to its contract.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { toUtf8Bytes } from "ethers";
import { Kind, LoanClass, LoanStatus, Subject } from "../../clients/core/types";
import { BorrowerClient, DAY } from "../../clients/lending";
import { Outcome, openCase } from "../../clients/arbitration";
import { chainKinds, expectRejection } from "../lending/fixtures";
import { deployDefaultedLoan, throughCollection } from "./defaultedLoan";

async function defaultedLoanFixture() {
  const { fx, arbitration, pseudonym, loanId } = await deployDefaultedLoan({ collected: false });
  return { ...fx, courtContract: arbitration.court, pseudonym, loanId };
}

type Fx = Awaited<ReturnType<typeof defaultedLoanFixture>>;

/** Files a case, taking a defaulted loan through the collection stage first if it has not been. */
async function fileCase(fx: Fx) {
  const status = Number((await fx.loanBook.loanInfo(fx.loanId)).status);
  if (status === LoanStatus.Defaulted && (await fx.loanBook.collectionOf(fx.loanId)).startedAt === 0n)
    await throughCollection(fx.lead, fx.partnerNodes, fx.loanId);
  return openCase({
    bank: fx.lead,
    peers: fx.partnerNodes,
    loanId: fx.loanId,
    arbitrator: fx.arbitrator.address,
    claim: toUtf8Bytes("claim: the borrower owes the whole loan"),
  });
}

describe("Default and cure", function () {
  it("cures a defaulted loan when every overdue amount is paid, and records the cure on both chains", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    const borrower = new BorrowerClient(fx.borrowers[0], fx.book);
    const d = await fx.loanBook.dues(fx.loanId);
    expect(d.daysPastDue).to.be.greaterThan(0n);
    const tx = fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, d.amountDue + 10n);
    await expect(tx).to.emit(fx.loanBook, "LoanCured").withArgs(fx.loanId, fx.pseudonym, 1n);
    await expect(tx).to.emit(fx.registry, "BorrowerCured");
    const loan = await fx.loanBook.loanInfo(fx.loanId);
    expect(loan.status).to.equal(LoanStatus.Active);
    expect(loan.class_).to.equal(LoanClass.Normal);
    expect(await fx.loanBook.daysPastDue(fx.loanId)).to.equal(0n);
    expect((await chainKinds(fx, Subject.loan(fx.loanId))).slice(-1)).to.deep.equal(["DefaultCured"]);
    expect((await chainKinds(fx, Subject.borrower(fx.pseudonym))).slice(-2)).to.deep.equal([
      "DelinquencyListed",
      "DelinquencyCured",
    ]);
    // The listing stays in the history: a new drawdown still needs a fresh credit decision.
    expect(await fx.registry.isDelinquent(fx.pseudonym)).to.equal(true);
    expect((await borrower.dues(fx.loanId)).amountDue).to.equal(0n);
  });

  it("does not cure on a payment that leaves arrears", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    const d = await fx.loanBook.dues(fx.loanId);
    await expect(fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, d.amountDue - 1n)).to.not.emit(
      fx.loanBook,
      "LoanCured",
    );
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Defaulted);
  });

  it("records the cure when a defaulted loan is paid off", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    const d = await fx.loanBook.dues(fx.loanId);
    await expect(fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, d.payoff + d.payoff / 1_000_000n)).to.be
      .reverted;
    const at = BigInt(await time.latest()) + 1n;
    await time.setNextBlockTimestamp(at);
    const payoff = (await fx.loanBook.dues(fx.loanId)).payoff;
    await expect(fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, payoff + 0n)).to.emit(fx.loanBook, "LoanCured");
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Repaid);
  });

  it("refuses a case on a cured loan, and needs a new reminder before a new default", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    const d = await fx.loanBook.dues(fx.loanId);
    await fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, d.amountDue);
    // The partners' reviewers refuse to endorse the claim, and the court would refuse it anyway.
    await expectRejection(fileCase(fx), /loan 1 is not in default/);
    const claim = {
      subject: Subject.arbitrationCase(1n),
      kind: Kind.CaseOpened,
      contentHash: "0x" + "22".repeat(32),
      attrs: "0x" + "00".repeat(32),
      prev: "0x" + "00".repeat(32),
    };
    await expect(fx.courtContract.connect(fx.leadBank).openCase(fx.loanId, fx.arbitrator.address, claim, 0n, 0n, "0x"))
      .to.be.revertedWithCustomError(fx.courtContract, "LoanNotDefaulted")
      .withArgs(fx.loanId);
    await expectRejection(fx.lead.declareDefault(fx.loanId, fx.partnerNodes), /the reminded installment was paid/);
    // Missing the next installment starts the collection over: reminder, 24 hours, default, case.
    const next = (await fx.loanBook.dues(fx.loanId)).nextDueDate;
    await time.setNextBlockTimestamp(next + DAY);
    const { remindedAt } = await fx.lead.remind(fx.loanId, "SMS: installment 2 is overdue");
    await time.increaseTo(remindedAt + DAY);
    await fx.lead.declareDefault(fx.loanId, fx.partnerNodes);
    const filed = await fileCase(fx);
    expect((await fx.courtContract.caseInfo(filed.caseId)).loanId).to.equal(fx.loanId);
    expect((await fx.loanBook.collectionOf(fx.loanId)).startedAt).to.be.greaterThan(0n);
  });

  it("lists nobody on a dismissal and returns the loan to its contract", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    const filed = await fileCase(fx);
    const listings = (await fx.registry.creditLine(fx.pseudonym)).listings;
    await expect(
      fx.courtContract.connect(fx.arbitrator).issueAward(filed.caseId, "0x" + "ab".repeat(32), Outcome.Dismissed, 0n),
    ).to.not.emit(fx.registry, "BorrowerListed");
    expect((await fx.registry.creditLine(fx.pseudonym)).listings).to.equal(listings);
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Active);
  });

  it("lists the borrower again on an award of an amount, capped at the payoff", async function () {
    const fx = await loadFixture(defaultedLoanFixture);
    const filed = await fileCase(fx);
    const listings = (await fx.registry.creditLine(fx.pseudonym)).listings;
    const payoff = (await fx.loanBook.dues(fx.loanId)).payoff;
    await expect(
      fx.courtContract
        .connect(fx.arbitrator)
        .issueAward(filed.caseId, "0x" + "ab".repeat(32), Outcome.Upheld, payoff * 2n),
    ).to.be.revertedWithCustomError(fx.courtContract, "AwardExceedsDebt");
    await fx.courtContract
      .connect(fx.arbitrator)
      .issueAward(filed.caseId, "0x" + "ab".repeat(32), Outcome.PartlyUpheld, 1n);
    expect((await fx.registry.creditLine(fx.pseudonym)).listings).to.equal(listings + 1n);
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Awarded);
  });
});
