/**
 * Reasoned awards (issue 10): every award states its outcome (upheld, partly upheld, dismissed);
 * a dismissal owes nothing and lists nobody; no award exceeds what the loan book says is owed.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes } from "ethers";
import { Outcome } from "../../clients/arbitration";
import { LoanStatus } from "../../clients/core/types";
import { BORROWER_PSEUDONYM, LOAN, LOAN_PAYOFF, courtFixture, openDefaultCase } from "./fixture";

const hashOf = (s: string) => keccak256(toUtf8Bytes(s));

describe("ArbitrationCourt: reasoned awards", function () {
  it("records the outcome with the award, in the case and as an AwardReasoned event", async function () {
    const fx = await loadFixture(courtFixture);
    const { caseId } = await openDefaultCase(fx);
    const tx = fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("partly"), Outcome.PartlyUpheld, 7_000n);
    await expect(tx).to.emit(fx.court, "AwardReasoned").withArgs(caseId, Outcome.PartlyUpheld);
    const c = await fx.court.caseInfo(caseId);
    expect([c.outcome, c.amountOwed]).to.deep.equal([BigInt(Outcome.PartlyUpheld), 7_000n]);
    expect(await fx.loanBook.delinquent(BORROWER_PSEUDONYM)).to.equal(true);
  });

  it("dismisses with nothing owed and lists nobody", async function () {
    const fx = await loadFixture(courtFixture);
    const { caseId } = await openDefaultCase(fx);
    await expect(fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("dismissed"), Outcome.Dismissed, 0n))
      .to.emit(fx.loanBook, "AwardReported")
      .withArgs(LOAN, caseId, 0n);
    expect((await fx.court.caseInfo(caseId)).outcome).to.equal(BigInt(Outcome.Dismissed));
    expect(await fx.loanBook.delinquent(BORROWER_PSEUDONYM)).to.equal(false);
    expect(await fx.loanBook.loanStatus(LOAN)).to.equal(LoanStatus.Awarded);
  });

  it("rejects an outcome that does not fit the amount, and changes nothing", async function () {
    const fx = await loadFixture(courtFixture);
    const { caseId } = await openDefaultCase(fx);
    const bad: [Outcome, bigint][] = [
      [Outcome.None, 1n],
      [Outcome.None, 0n],
      [Outcome.Dismissed, 1n],
      [Outcome.PartlyUpheld, 0n],
    ];
    for (const [outcome, amount] of bad) {
      await expect(fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("bad"), outcome, amount))
        .to.be.revertedWithCustomError(fx.court, "InvalidOutcome")
        .withArgs(outcome, amount);
    }
    await expect(
      fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("bad"), 4, 1n),
    ).to.be.revertedWithoutReason();
    expect((await fx.court.caseInfo(caseId)).outcome).to.equal(BigInt(Outcome.None));
  });

  it("rejects an award above what the loan book says the borrower owes", async function () {
    const fx = await loadFixture(courtFixture);
    const { caseId } = await openDefaultCase(fx);
    for (const outcome of [Outcome.Upheld, Outcome.PartlyUpheld]) {
      await expect(fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("x"), outcome, LOAN_PAYOFF + 1n))
        .to.be.revertedWithCustomError(fx.court, "AwardExceedsDebt")
        .withArgs(LOAN_PAYOFF + 1n, LOAN_PAYOFF);
    }
    await fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("all"), Outcome.Upheld, LOAN_PAYOFF);
    expect((await fx.court.caseInfo(caseId)).amountOwed).to.equal(LOAN_PAYOFF);
  });
});
