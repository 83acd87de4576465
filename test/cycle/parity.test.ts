import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { assembleCycle } from "../../clients/cycle/cycle";
import { CycleBook, CycleOp, Syndicate, cycleSubject, openLoanOps, signAssent } from "../../clients/cycle/model";
import { CYCLE_LOAN_ID_BASE } from "../../clients/evidence/cycle";
import { DEFAULT_SHARES } from "../../clients/lending/params";
import { plannedLoans, scenarioPlan } from "../../clients/sim/plan";
import { admit, lendingFixture } from "../lending/fixtures";
import { DAY, config, fundersOnChain } from "./helpers";

/**
 * The demo's loans on both paths (issue 13: "a loan's money is the same to the unit on both paths
 * for the same seed"): a seed's planned loans, each with its own syndicate of two to four partners
 * at drawn weights, once on the per-loan `LoanBook` (the partners commit the planned amounts in
 * the planned order) and once through cycles with the same syndicate in the `fund` leaf.
 */
describe("the same seed's loans on the per-loan and the batched path: the same money to the unit", function () {
  it("each planned loan, with its own syndicate and the planned repayments, gives every funder the same", async function () {
    const fx = await loadFixture(lendingFixture);
    const partners = await Promise.all(fx.partnerNodes.map((p) => p.address()));
    const cfg = config(await fx.lead.address(), partners, await fx.ledger.getAddress(), fx.chainId);
    const plan = scenarioPlan({ seed: "parity-13", loans: 3, months: 2, partners: partners.length });
    const loans = [...plannedLoans(plan).values()];
    expect(loans.length).to.equal(3);
    expect(new Set(loans.map((a) => a.loan.syndicate.length)).size, "syndicates of different sizes").to.be.greaterThan(
      1,
    );
    let paid = 0;
    for (const [i, { loan: planned }] of loans.entries()) {
      const p = await admit(fx, i);
      // per-loan path: originate with the planned terms, the syndicate commits in order, disburse
      const o = await fx.lead.originate(
        {
          pseudonym: p,
          principal: planned.principal,
          annualRateBps: planned.annualRateBps,
          periods: planned.periods,
          periodDays: 30,
        },
        fx.partnerNodes,
      );
      for (const s of planned.syndicate) await fx.partnerNodes[s.partner].commitFunding(o.loanId, s.amount);
      await fx.lead.disburse(o.loanId);
      const disbursedAt = BigInt(await time.latest());
      // the planned repayments of the first three installments (a late one pays late; a partial one half)
      const payments: { amount: bigint; at: bigint }[] = [];
      for (let k = 0; k < 3; k++) {
        const delay = planned.repayment.delays[k];
        if (delay === null || delay === undefined) continue;
        const amount = planned.repayment.partial[k] ? o.installment / 2n : o.installment;
        payments.push({ amount, at: disbursedAt + BigInt(30 * (k + 1) + delay) * DAY + BigInt(k) });
      }
      payments.sort((x, y) => (x.at < y.at ? -1 : 1)); // a very late installment may come after the next
      for (const x of payments) {
        await time.setNextBlockTimestamp(x.at);
        await (await fx.loanBook.connect(fx.borrowers[i]).repay(o.loanId, x.amount)).wait();
      }
      const onChain = await fundersOnChain(fx.loanBook, o.loanId);

      // batched path: the same loan and syndicate (weights = the planned amounts) through cycles
      const b = Wallet.createRandom();
      const id = CYCLE_LOAN_ID_BASE + o.loanId;
      const terms = {
        loanId: id,
        pseudonym: p,
        principal: planned.principal,
        annualRateBps: BigInt(planned.annualRateBps),
        periods: BigInt(planned.periods),
        periodDays: 30n,
        leadFundingBps: BigInt(DEFAULT_SHARES.leadFundingBps),
        leadInterestBps: BigInt(DEFAULT_SHARES.leadInterestBps),
      };
      const syndicate: Syndicate = planned.syndicate.map((s) => ({ account: partners[s.partner], weight: s.amount }));
      let book = new CycleBook(cfg);
      const open: CycleOp[] = [
        { type: "whitelist", pseudonym: p, account: b.address, limit: planned.limit },
        ...openLoanOps(cfg, terms, signAssent(b.signingKey, cfg, terms), disbursedAt, syndicate),
      ];
      const run = (label: string, at: bigint, ops: CycleOp[]) =>
        assembleCycle(book, { cycleSubject: cycleSubject(cfg.lead, label), start: at, end: at, ops }).replayed.book;
      book = run(`open-${i}`, disbursedAt, open);
      for (const [k, x] of payments.entries()) {
        book = run(`pay-${i}-${k}`, x.at, [{ type: "repay", loanId: id, amount: x.amount, at: x.at }]);
      }
      const batched = book.loans.get(id)!.model;
      expect(onChain.length, "the lead and the syndicate only").to.equal(planned.syndicate.length + 1);
      paid += payments.length;
      expect(batched.funders, `loan ${i}: funders`).to.deep.equal(onChain);
      const dues = await fx.loanBook.dues(o.loanId);
      expect([batched.outstanding, batched.totalRepaid], `loan ${i}: balances`).to.deep.equal([
        dues.outstanding,
        payments.reduce((s, x) => s + x.amount, 0n),
      ]);
    }
    expect(paid, "repayments compared").to.be.greaterThan(2);
  });
});
