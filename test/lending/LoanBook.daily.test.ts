/**
 * Interest by the day (DOMAIN.md "After the loan"; docs/MONEY.md "Interest to the day"): a payoff or
 * an early repayment charges the current period's interest only for the whole days elapsed, at the
 * daily rate annual / 360, with no prepayment fee; the chain and the TypeScript model agree to the unit.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { LoanStatus } from "../../clients/core/types";
import { DAY, cny, periodInterest, schedule } from "../../clients/lending";
import { activeLoanFixture } from "./fixtures";
import { modelOf, repayBoth } from "./model";

describe("LoanBook: interest by the day", function () {
  it("charges nothing for a 12,000 CNY loan at 12% paid off on the day of disbursement", async function () {
    const fx = await loadFixture(activeLoanFixture);
    const model = await modelOf(fx, fx.loanId);
    await time.increaseTo(fx.disbursedAt + 3_600n);
    const d = await fx.loanBook.dues(fx.loanId);
    expect(d.payoff).to.equal(cny(12_000));
    // the scheduled first installment's interest is still shown as the period's interest
    expect(d.currentInterest).to.equal(cny(120));
    const r = await repayBoth(fx, model, d.payoff, fx.disbursedAt + 3_601n);
    expect(r.allocation).to.deep.equal({
      surcharge: 0n,
      overdueInterest: 0n,
      interest: 0n,
      principal: schedule(cny(12_000), 1_200, 10, 30)[0].principal,
      prepaid: cny(12_000) - schedule(cny(12_000), 1_200, 10, 30)[0].principal,
    });
    expect(r.settled).to.equal(true);
    expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Repaid);
  });

  it("pays off in the second period with its interest for the 15 days elapsed on its opening balance", async function () {
    const fx = await loadFixture(activeLoanFixture);
    const model = await modelOf(fx, fx.loanId);
    const rows = schedule(cny(12_000), 1_200, 10, 30);
    await repayBoth(fx, model, rows[0].payment, fx.disbursedAt + 30n * DAY);
    const at = fx.disbursedAt + 45n * DAY + 7_200n; // day 45 and two hours: 15 whole days into period 2
    await time.increaseTo(at);
    const opening = rows[0].balanceAfter;
    const toDay = periodInterest(opening, 1_200, 15);
    expect(toDay).to.equal((opening * 1_200n * 15n) / (10_000n * 360n));
    const d = await fx.loanBook.dues(fx.loanId);
    expect(d.payoff).to.equal(opening + toDay);
    expect(d.payoff).to.equal(model.dues(at).payoff);
    const r = await repayBoth(fx, model, d.payoff, at + 1n);
    expect(r.allocation.interest).to.equal(toDay);
    expect(r.allocation.interest).to.be.lessThan(rows[1].interest);
    expect(r.settled).to.equal(true);
  });

  it("charges each balance only for its own days when two early repayments fall in one period", async function () {
    const fx = await loadFixture(activeLoanFixture);
    const model = await modelOf(fx, fx.loanId);
    const rows = schedule(cny(12_000), 1_200, 10, 30);
    const first = await repayBoth(fx, model, rows[0].payment + cny(2_000), fx.disbursedAt + 5n * DAY);
    expect(first.allocation.interest).to.equal(periodInterest(cny(12_000), 1_200, 5));
    const after = (await fx.loanBook.loanInfo(fx.loanId)).outstanding;
    expect(after).to.equal(cny(12_000) - (rows[0].payment + cny(2_000) - first.allocation.interest));
    // the re-amortized first row charges the 25 days left; paying off on day 12 charges 7 of them
    expect((await fx.loanBook.schedule(fx.loanId))[0].interest).to.equal(periodInterest(after, 1_200, 25));
    await time.increaseTo(fx.disbursedAt + 12n * DAY);
    const d = await fx.loanBook.dues(fx.loanId);
    expect(d.payoff).to.equal(after + periodInterest(after, 1_200, 7));
    const second = await repayBoth(fx, model, d.payoff, fx.disbursedAt + 12n * DAY + 1n);
    expect(second.allocation.interest).to.equal(periodInterest(after, 1_200, 7));
    expect(second.settled).to.equal(true);
    const funders = await fx.loanBook.fundersOf(fx.loanId);
    expect(funders.reduce((s, f) => s + f.incomeReceived, 0n)).to.equal(
      first.allocation.interest + second.allocation.interest,
    );
  });

  it("still takes an installment paid before its due date as scheduled (no re-amortization)", async function () {
    const fx = await loadFixture(activeLoanFixture);
    const model = await modelOf(fx, fx.loanId);
    const rows = schedule(cny(12_000), 1_200, 10, 30);
    const r = await repayBoth(fx, model, rows[0].payment, fx.disbursedAt + 20n * DAY);
    expect(r.reamortized).to.equal(false);
    expect(r.allocation.interest).to.equal(rows[0].interest);
    expect((await fx.loanBook.loanInfo(fx.loanId)).cursor).to.equal(1n);
    // the current period is paid: a payoff now is the outstanding principal, nothing more
    expect((await fx.loanBook.dues(fx.loanId)).payoff).to.equal(rows[0].balanceAfter);
  });

  it("charges overdue installments in full and only the current period to the day", async function () {
    const fx = await loadFixture(activeLoanFixture);
    const model = await modelOf(fx, fx.loanId);
    const rows = schedule(cny(12_000), 1_200, 10, 30);
    const at = fx.disbursedAt + 40n * DAY; // installment 1 ten days late, period 2 ten days in
    await time.increaseTo(at);
    const d = await fx.loanBook.dues(fx.loanId);
    expect(d.interestDue).to.equal(rows[0].interest);
    expect(d.payoff).to.equal(
      d.surcharge +
        d.overdueInterest +
        rows[0].interest +
        periodInterest(rows[0].balanceAfter, 1_200, 10) +
        cny(12_000),
    );
    const r = await repayBoth(fx, model, d.payoff, at + 1n);
    expect(r.settled).to.equal(true);
  });
});
