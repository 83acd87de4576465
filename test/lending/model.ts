/** Helpers that drive the chain and the TypeScript loan model side by side. */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { LoanModel } from "../../clients/lending";
import { ActiveLoanFixture, LendingFixture, blockTime } from "./fixtures";

/** The TS model of a loan as the chain has it right after disbursement. */
export async function modelOf(fx: LendingFixture, loanId: bigint): Promise<LoanModel> {
  const loan = await fx.loanBook.loanInfo(loanId);
  const params = await fx.loanBook.params();
  const model = new LoanModel(
    {
      principal: loan.principal,
      annualRateBps: loan.annualRateBps,
      periods: Number(loan.periods),
      periodDays: loan.periodDays,
      leadInterestBps: loan.leadInterestBps,
    },
    params.surchargeBps,
  );
  const funders = await fx.loanBook.fundersOf(loanId);
  model.disburse(
    loan.disbursedAt,
    funders.map((f) => ({ account: f.account, funded: f.funded })),
  );
  return model;
}

/** Repays `amount` at `at` (or now) from the borrower, applies the same to `model`, and checks both agree. */
export async function repayBoth(
  fx: ActiveLoanFixture,
  model: LoanModel,
  amount: bigint,
  at?: bigint,
  loanId = fx.loanId,
): Promise<ReturnType<LoanModel["repay"]>> {
  if (at !== undefined) await time.setNextBlockTimestamp(at);
  const before = await Promise.all(model.funders.map((f) => fx.loanBook.lenderPosition(f.account)));
  const tx = await fx.loanBook.connect(fx.borrower).repay(loanId, amount);
  const receipt = await tx.wait();
  const expected = model.repay(amount, await blockTime(receipt));
  const [event] = receipt!.logs
    .map((l) => fx.loanBook.interface.parseLog(l))
    .filter((e) => e?.name === "RepaymentApplied");
  const a = event!.args.allocation;
  expect([a.surcharge, a.overdueInterest, a.interest, a.principal, a.prepaid], "allocation").to.deep.equal([
    expected.allocation.surcharge,
    expected.allocation.overdueInterest,
    expected.allocation.interest,
    expected.allocation.principal,
    expected.allocation.prepaid,
  ]);
  for (const [i, f] of model.funders.entries()) {
    const after = await fx.loanBook.lenderPosition(f.account);
    expect(after.claimable - before[i].claimable, `funder ${i} credit`).to.equal(
      expected.principalParts[i] + expected.incomeParts[i],
    );
  }
  const loan = await fx.loanBook.loanInfo(loanId);
  expect([loan.outstanding, loan.cursor, loan.cursorPaid, loan.rows], "state").to.deep.equal([
    model.outstanding,
    BigInt(model.cursor),
    model.cursorPaid,
    BigInt(model.rows),
  ]);
  return expected;
}
