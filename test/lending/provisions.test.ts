/**
 * Loan-loss provisions (issue 10; the central bank's 2002 guideline): each lender's outstanding
 * principal by class follows every reclassification and repayment; its provisions are those
 * balances at the consortium's rates (defaults 0 / 2 / 25 / 50 / 100%) and its coverage ratio is
 * provisions over its non-performing balance.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { LoanClass } from "../../clients/core/types";
import { DAY } from "../../clients/lending";
import {
  activeLoanFixture,
  cny,
  loadCustomFixture,
  openLoan,
  admit,
  standardTerms,
  ActiveLoanFixture,
} from "./fixtures";

const RATES = [0n, 200n, 2_500n, 5_000n, 10_000n];

/** Provisions recomputed from the lender's balances by class, as the view states them. */
async function expectConsistent(fx: ActiveLoanFixture, account: string, rates = RATES) {
  const p = await fx.loanBook.provisionsOf(account);
  const pos = await fx.loanBook.lenderPosition(account);
  const balances = [...p.balance];
  expect(
    balances.reduce((a, b) => a + b, 0n),
    "balances add up to outstanding",
  ).to.equal(pos.outstanding);
  expect(balances[2] + balances[3] + balances[4], "non-performing").to.equal(pos.nonPerforming);
  const provisions = balances.map((b, c) => (b * rates[c]) / 10_000n);
  expect([...p.provision]).to.deep.equal(provisions);
  expect(p.total).to.equal(provisions.reduce((a, b) => a + b, 0n));
  expect(p.coverageBps).to.equal(pos.nonPerforming === 0n ? 0n : (p.total * 10_000n) / pos.nonPerforming);
  return p;
}

describe("LoanBook: loan-loss provisions", function () {
  it("moves every funder's share between its class balances as the loan is reclassified", async function () {
    const fx = await loadFixture(activeLoanFixture);
    const accounts = (await fx.loanBook.fundersOf(fx.loanId)).map((f) => f.account);
    for (const a of accounts) {
      const p = await expectConsistent(fx, a);
      expect(p.balance[LoanClass.Normal]).to.be.greaterThan(0n);
      expect(p.total).to.equal(0n);
    }
    const due0 = (await fx.loanBook.schedule(fx.loanId))[0].dueDate;
    const steps: [bigint, LoanClass][] = [
      [1n, LoanClass.SpecialMention],
      [60n, LoanClass.Substandard],
      [90n, LoanClass.Doubtful],
      [180n, LoanClass.Loss],
    ];
    for (const [days, cls] of steps) {
      await time.increaseTo(due0 + days * DAY);
      await fx.loanBook.classify(fx.loanId);
      for (const a of accounts) {
        const p = await expectConsistent(fx, a);
        const pos = await fx.loanBook.lenderPosition(a);
        expect(p.balance[cls], `class ${cls}`).to.equal(pos.outstanding);
      }
    }
    // At loss, provisions cover the whole non-performing balance: coverage 100%.
    const lead = await fx.loanBook.provisionsOf(accounts[0]);
    expect(lead.coverageBps).to.equal(10_000n);
  });

  it("takes repaid principal out of the loan's class and back to normal when the loan performs", async function () {
    const fx = await loadFixture(activeLoanFixture);
    const due0 = (await fx.loanBook.schedule(fx.loanId))[0].dueDate;
    await time.increaseTo(due0 + 61n * DAY);
    await fx.loanBook.classify(fx.loanId);
    const lead = (await fx.loanBook.fundersOf(fx.loanId))[0].account;
    const before = await expectConsistent(fx, lead);
    expect(before.balance[LoanClass.Substandard]).to.be.greaterThan(0n);
    expect(before.coverageBps).to.equal(2_500n);
    const d = await fx.loanBook.dues(fx.loanId);
    await fx.token.connect(fx.borrowers[0]).approve(await fx.loanBook.getAddress(), d.payoff);
    await fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, d.amountDue);
    const after = await expectConsistent(fx, lead);
    expect(after.balance[LoanClass.Substandard]).to.equal(0n);
    expect(after.total).to.equal(0n);
    expect(after.coverageBps).to.equal(0n);
  });

  it("applies rates configured at deployment, and refuses a rate above 100%", async function () {
    const rates = [100n, 500n, 3_000n, 6_000n, 10_000n];
    const fx = (await loadCustomFixture({
      params: {
        provisionNormalBps: 100,
        provisionSpecialMentionBps: 500,
        provisionSubstandardBps: 3_000,
        provisionDoubtfulBps: 6_000,
      },
    })) as ActiveLoanFixture;
    const p = await admit(fx, 0);
    const { loanId } = await openLoan(fx, standardTerms(p, { principal: cny(10_000) }));
    const lead = (await fx.loanBook.fundersOf(loanId))[0].account;
    const normal = await expectConsistent({ ...fx, loanId } as ActiveLoanFixture, lead, rates);
    expect(normal.total).to.equal((normal.balance[0] * 100n) / 10_000n);
    await expect(loadCustomFixture({ params: { provisionLossBps: 10_001 } })).to.be.revertedWithCustomError(
      fx.loanBook,
      "InvalidParam",
    );
  });
});
