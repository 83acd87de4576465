/**
 * Enforcement of an award (issue 10): after the award, the borrower's payments against it go
 * through the loan book and are split to the funders like any repayment (exact cumulative
 * shares); a payment above what is left of the award is refused; the payment that reaches the
 * award closes the loan (principal the award did not cover is written off the funders' books) and
 * the case, exactly then.
 */
import { ethers } from "hardhat";
import { expect } from "chai";
import { impersonateAccount, loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { toUtf8Bytes } from "ethers";
import { LoanStatus, Subject } from "../../clients/core/types";
import { CaseState, Outcome, openCase } from "../../clients/arbitration";
import { chainKinds } from "../lending/fixtures";
import { deployDefaultedLoan } from "./defaultedLoan";

async function awardedFixture() {
  const { fx, arbitration, pseudonym, loanId } = await deployDefaultedLoan();
  const filed = await openCase({
    bank: fx.lead,
    peers: fx.partnerNodes,
    loanId,
    arbitrator: fx.arbitrator.address,
    claim: toUtf8Bytes("claim"),
  });
  const payoff = (await fx.loanBook.dues(loanId)).payoff;
  const award = payoff / 2n + 7n; // partly upheld: half the debt, an odd amount
  await arbitration.court
    .connect(fx.arbitrator)
    .issueAward(filed.caseId, "0x" + "ab".repeat(32), Outcome.PartlyUpheld, award);
  await fx.token.connect(fx.borrowers[0]).approve(await fx.loanBook.getAddress(), payoff * 2n);
  return { ...fx, courtContract: arbitration.court, pseudonym, loanId, caseId: filed.caseId, award };
}

type Fx = Awaited<ReturnType<typeof awardedFixture>>;

async function credited(fx: Fx): Promise<bigint[]> {
  return (await fx.loanBook.fundersOf(fx.loanId)).map((f) => f.principalReturned + f.incomeReceived);
}

describe("Enforcement of an award", function () {
  it("splits partial payments against the award to the funders and keeps the case open", async function () {
    const fx = await loadFixture(awardedFixture);
    const before = await credited(fx);
    const part = fx.award / 3n;
    await fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, part);
    const after = await credited(fx);
    const split = after.map((a, i) => a - before[i]);
    const total = split.reduce((a, b) => a + b, 0n);
    // Cumulative floors of principal and of income: what is not credited yet waits, under two units per funder.
    expect(part - total).to.be.within(0n, 2n * BigInt(split.length) - 1n);
    expect(split.every((x) => x > 0n)).to.equal(true);
    expect((await fx.loanBook.collectionOf(fx.loanId)).awardPaid).to.equal(part);
    expect((await fx.loanBook.dues(fx.loanId)).payoff).to.equal(fx.award - part);
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Awarded);
    expect((await fx.courtContract.caseInfo(fx.caseId)).state).to.equal(CaseState.Awarded);
  });

  it("refuses a payment above what is left of the award, changing nothing", async function () {
    const fx = await loadFixture(awardedFixture);
    await fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, 1_000n);
    const left = fx.award - 1_000n;
    await expect(fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, left + 1n))
      .to.be.revertedWithCustomError(fx.loanBook, "AwardOverpayment")
      .withArgs(fx.loanId, left + 1n, left);
    expect((await fx.loanBook.collectionOf(fx.loanId)).awardPaid).to.equal(1_000n);
  });

  it("closes the loan and the case exactly when the award is satisfied, every unit paid in credited", async function () {
    const fx = await loadFixture(awardedFixture);
    const first = fx.award - 1_000n;
    await fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, first);
    expect((await fx.courtContract.caseInfo(fx.caseId)).state).to.equal(CaseState.Awarded);
    const rest = (await fx.loanBook.loanInfo(fx.loanId)).outstanding;
    const tx = fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, 1_000n);
    await expect(tx)
      .to.emit(fx.loanBook, "AwardSatisfied")
      .withArgs(fx.loanId, fx.caseId, fx.award, (x: bigint) => x > 0n);
    await expect(tx).to.emit(fx.courtContract, "CaseClosed").withArgs(fx.caseId, fx.loanId, fx.award);
    const loan = await fx.loanBook.loanInfo(fx.loanId);
    expect(loan.status).to.equal(LoanStatus.Closed);
    expect(loan.outstanding).to.equal(0n);
    expect((await fx.courtContract.caseInfo(fx.caseId)).state).to.equal(CaseState.Closed);
    const c = await fx.loanBook.collectionOf(fx.loanId);
    expect(c.awardPaid).to.equal(fx.award);
    expect(c.writtenOff).to.be.greaterThan(0n);
    expect(c.writtenOff).to.be.at.most(rest);
    // No unit held back: everything paid into the loan went to the funders.
    const total = (await credited(fx)).reduce((a, b) => a + b, 0n);
    expect(total).to.equal(loan.totalRepaid);
    // The funders' books no longer carry the loan; provisions follow.
    const [outstanding, nonPerforming] = await fx.loanBook.portfolio();
    expect([outstanding, nonPerforming]).to.deep.equal([0n, 0n]);
    for (const f of await fx.loanBook.fundersOf(fx.loanId)) {
      const p = await fx.loanBook.lenderPosition(f.account);
      expect([p.outstanding, p.nonPerforming]).to.deep.equal([0n, 0n]);
      expect((await fx.loanBook.provisionsOf(f.account)).total).to.equal(0n);
    }
    expect((await chainKinds(fx, Subject.loan(fx.loanId))).slice(-1)).to.deep.equal(["AwardSatisfied"]);
    expect((await chainKinds(fx, Subject.arbitrationCase(fx.caseId))).slice(-1)).to.deep.equal(["CaseClosed"]);
    await expect(fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, 1n))
      .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
      .withArgs(fx.loanId, LoanStatus.Closed);
  });

  it("lets only the loan book close a case, and only an awarded one", async function () {
    const fx = await loadFixture(awardedFixture);
    await expect(fx.courtContract.connect(fx.leadBank).onAwardSatisfied(fx.caseId, fx.award, fx.leadBank.address))
      .to.be.revertedWithCustomError(fx.courtContract, "NotLoanBook")
      .withArgs(fx.leadBank.address);
    const book = await fx.loanBook.getAddress();
    await impersonateAccount(book);
    await setBalance(book, 10n ** 18n);
    const asBook = fx.courtContract.connect(await ethers.getSigner(book));
    await expect(asBook.onAwardSatisfied(99n, 1n, fx.leadBank.address))
      .to.be.revertedWithCustomError(fx.courtContract, "CaseNotAwarded")
      .withArgs(99n, CaseState.None);
  });
});
