import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Result, ZeroAddress, keccak256, toUtf8Bytes } from "ethers";
import {
  ILoanBook__factory,
  LoanEngineHarness,
  LoanEngineHarness__factory,
  LoanEngine__factory,
} from "../../typechain-types";
import { DAY, LoanModel } from "../../clients/lending/loanModel";
import { installment, periodInterest, splitBps } from "../../clients/lending/math";
import { lendingParams, loanBookParams } from "../../clients/lending/params";
import { assentDomain, signAssent } from "../../clients/lending/assent";
import { duesOf } from "../../clients/lending/borrower";

/** LoanEngine, function by function, through `LoanEngineHarness`; the money is compared with the TypeScript mirror (`LoanModel`). */
describe("LoanEngine (harness)", function () {
  const CNY = 100n;
  const NOON = 43_200n; // times are taken at midday, so a second either way changes no whole day

  async function deployFixture() {
    const [deployer, lead, borrower, other] = await ethers.getSigners();
    const engine = await (await new LoanEngine__factory(deployer).deploy()).getAddress();
    const harness = await new LoanEngineHarness__factory(
      { "contracts/lending/LoanEngine.sol:LoanEngine": engine },
      deployer,
    ).deploy();
    const start = BigInt(await time.latest()) + 10n * DAY;
    // The library's errors and events come from the harness's address (delegatecall), in ILoanBook's ABI.
    const book = ILoanBook__factory.connect(await harness.getAddress(), ethers.provider);
    return { harness, book, lead, borrower, other, start: start - (start % DAY) };
  }

  type Harness = LoanEngineHarness;
  type State = Parameters<Harness["dues"]>[0];
  /** `state` with some fields changed. */
  const edit = (state: unknown, fields: Record<string, bigint> = {}): State => {
    const o = (state as Result).toObject(true) as Record<string, unknown>;
    return {
      ...o,
      principals: [...(o.principals as bigint[])],
      interests: [...(o.interests as bigint[])],
      ...fields,
    } as unknown as State;
  };
  /** The model's funders: the lead 20%, one partner the rest (LoanModel credits them). */
  const funders = (principal: bigint) => {
    const { leadPart, partnersPart } = splitBps(principal, 2_000n);
    return [
      { account: "lead", funded: leadPart },
      { account: "partner", funded: partnersPart },
    ];
  };
  const dues = (d: Awaited<ReturnType<Harness["quote"]>>) => duesOf(d);

  describe("installment and terms", function () {
    it("gives the TypeScript installment, and refuses terms that do not amortize", async function () {
      const { harness } = await loadFixture(deployFixture);
      for (const [p, r, n, d] of [
        [5n, 0n, 5n, 30n],
        [10_000n * CNY, 1_800n, 10n, 30n],
        [40_000n * CNY, 2_400n, 20n, 92n],
        [10n ** 30n, 1n, 20n, 1n],
      ])
        expect(await harness.installment(p, r, n, d)).to.equal(installment(p, r, n, d));
      // Nothing to lend, or one unit over five installments (each would repay less than a unit).
      await expect(harness.installment(0n, 1_800n, 10n, 30n)).to.be.revertedWithCustomError(
        harness,
        "TermsDoNotAmortize",
      );
      await expect(harness.installment(1n, 0n, 5n, 30n))
        .to.be.revertedWithCustomError(harness, "TermsDoNotAmortize")
        .withArgs(1n, 0n, 5n, 30n);
    });

    const params = loanBookParams(lendingParams());
    const terms = (o: Partial<Record<string, bigint>> = {}) => ({
      pseudonym: keccak256(toUtf8Bytes("p")),
      principal: 10_000n * CNY,
      annualRateBps: 1_800n,
      periods: 10n,
      periodDays: 30n,
      leadFundingBps: 2_000n,
      leadInterestBps: 3_000n,
      useCategory: ethers.ZeroHash,
      ...o,
    });

    it("accepts terms at every bound and returns the lead's share", async function () {
      const { harness } = await loadFixture(deployFixture);
      const p = lendingParams();
      for (const t of [
        terms(),
        terms({ principal: BigInt(p.minDrawdown) }),
        terms({ principal: BigInt(p.maxDrawdown), periods: 5n }),
        terms({ periods: 20n, periodDays: BigInt(p.maxPeriodDays), annualRateBps: BigInt(p.maxRateBps) }),
        terms({ annualRateBps: 0n, periodDays: 1n }),
        terms({ leadFundingBps: BigInt(p.minLeadFundingBps), leadInterestBps: BigInt(p.maxLeadInterestBps) }),
        terms({ leadFundingBps: 10_000n - BigInt(p.partnerFundingFloorBps), leadInterestBps: 0n }),
      ])
        expect(await harness.checkTerms(t, params)).to.equal(splitBps(t.principal, t.leadFundingBps).leadPart);
    });

    it("refuses terms past each bound with an error naming it", async function () {
      const { harness, book } = await loadFixture(deployFixture);
      const p = lendingParams();
      const [min, max] = [BigInt(p.minDrawdown), BigInt(p.maxDrawdown)];
      for (const principal of [min - 1n, max + 1n, 0n])
        await expect(harness.checkTerms(terms({ principal }), params))
          .to.be.revertedWithCustomError(book, "PrincipalOutOfBounds")
          .withArgs(principal, min, max);
      for (const o of [
        { periods: 7n },
        { periods: 0n },
        { periodDays: 0n },
        { periodDays: BigInt(p.maxPeriodDays) + 1n },
        { annualRateBps: BigInt(p.maxRateBps) + 1n },
      ]) {
        const t = terms(o);
        await expect(harness.checkTerms(t, params))
          .to.be.revertedWithCustomError(book, "TermsOutOfBounds")
          .withArgs(t.periods, t.periodDays, t.annualRateBps);
      }
      for (const o of [
        { leadFundingBps: BigInt(p.minLeadFundingBps) - 1n },
        { leadFundingBps: 10_000n - BigInt(p.partnerFundingFloorBps) + 1n },
        { leadInterestBps: BigInt(p.maxLeadInterestBps) + 1n },
      ]) {
        const t = terms(o);
        await expect(harness.checkTerms(t, params))
          .to.be.revertedWithCustomError(book, "ShareOutOfBounds")
          .withArgs(t.leadFundingBps, t.leadInterestBps);
      }
      // One unit cannot be split: the lead's floor share would be 0.
      await expect(harness.checkTerms(terms({ principal: 1n }), { ...params, minDrawdown: 1n }))
        .to.be.revertedWithCustomError(book, "ShareOutOfBounds")
        .withArgs(2_000n, 3_000n);
    });
  });

  describe("checkBorrower", function () {
    const pseudonym = keccak256(toUtf8Bytes("borrower"));
    const line = (lead: string, borrower: string, o: Record<string, unknown> = {}) => ({
      account: borrower,
      lead,
      limit: 1_000n,
      state: 1, // Active
      decidedAt: 1n,
      decisionSeq: 2n,
      listedSeq: 1n,
      listings: 1,
      ...o,
    });

    it("returns the borrower's account up to exactly the limit", async function () {
      const { harness, lead, borrower } = await loadFixture(deployFixture);
      await harness.setLine(line(lead.address, borrower.address));
      expect(await harness.checkBorrower(pseudonym, 1_000n, 0n, lead.address)).to.equal(borrower.address);
      expect(await harness.checkBorrower(pseudonym, 1n, 999n, lead.address)).to.equal(borrower.address);
    });

    it("refuses a line that is not active, held by another lead, listed since its decision, or too small", async function () {
      const { harness, book, lead, borrower, other } = await loadFixture(deployFixture);
      for (const state of [0, 2]) {
        await harness.setLine(line(lead.address, borrower.address, { state }));
        await expect(harness.checkBorrower(pseudonym, 1n, 0n, lead.address))
          .to.be.revertedWithCustomError(book, "NotWhitelisted")
          .withArgs(pseudonym);
      }
      await harness.setLine(line(lead.address, borrower.address));
      await expect(harness.checkBorrower(pseudonym, 1n, 0n, other.address))
        .to.be.revertedWithCustomError(book, "NotLoanLead")
        .withArgs(other.address, lead.address);
      for (const listedSeq of [2n, 3n]) {
        await harness.setLine(line(lead.address, borrower.address, { listedSeq }));
        await expect(harness.checkBorrower(pseudonym, 1n, 0n, lead.address))
          .to.be.revertedWithCustomError(book, "BorrowerDelinquent")
          .withArgs(pseudonym);
      }
      await harness.setLine(line(lead.address, borrower.address));
      await expect(harness.checkBorrower(pseudonym, 2n, 999n, lead.address))
        .to.be.revertedWithCustomError(book, "CreditLimitExceeded")
        .withArgs(pseudonym, 2n, 1n);
      // Committed above the limit (a limit lowered by a re-evaluation): nothing is available.
      await expect(harness.checkBorrower(pseudonym, 1n, 1_500n, lead.address))
        .to.be.revertedWithCustomError(book, "CreditLimitExceeded")
        .withArgs(pseudonym, 1n, 0n);
    });
  });

  describe("checkAssent", function () {
    const termsHash = keccak256(toUtf8Bytes("terms"));
    const contractHash = keccak256(toUtf8Bytes("contract"));

    it("takes the borrower's signature over the terms and contract, and emits it as evidence", async function () {
      const { harness, book, borrower } = await loadFixture(deployFixture);
      const domain = assentDomain((await ethers.provider.getNetwork()).chainId, await harness.getAddress());
      const deadline = BigInt(await time.latest()) + 3_600n;
      const a = await signAssent(borrower, domain, termsHash, contractHash, deadline);
      await expect(harness.checkAssent(7n, borrower.address, termsHash, contractHash, a))
        .to.emit(book, "LoanAssented")
        .withArgs(7n, borrower.address, contractHash, deadline, a.signature);
    });

    it("refuses an expired assent, another signer's, other terms and a malformed signature", async function () {
      const { harness, book, borrower, other } = await loadFixture(deployFixture);
      const domain = assentDomain((await ethers.provider.getNetwork()).chainId, await harness.getAddress());
      const now = BigInt(await time.latest());
      const expired = await signAssent(borrower, domain, termsHash, contractHash, now);
      await expect(harness.checkAssent(7n, borrower.address, termsHash, contractHash, expired))
        .to.be.revertedWithCustomError(book, "AssentExpired")
        .withArgs(7n, now);
      const byOther = await signAssent(other, domain, termsHash, contractHash, now + 3_600n);
      await expect(harness.checkAssent(7n, borrower.address, termsHash, contractHash, byOther))
        .to.be.revertedWithCustomError(book, "BadAssent")
        .withArgs(7n, other.address);
      const good = await signAssent(borrower, domain, termsHash, contractHash, now + 3_600n);
      await expect(
        harness.checkAssent(7n, borrower.address, contractHash, contractHash, good),
      ).to.be.revertedWithCustomError(book, "BadAssent");
      await expect(
        harness.checkAssent(7n, borrower.address, termsHash, contractHash, {
          deadline: now + 3_600n,
          signature: "0x1234",
        }),
      )
        .to.be.revertedWithCustomError(book, "BadAssent")
        .withArgs(7n, ZeroAddress);
    });
  });

  describe("dates", function () {
    it("dates installment k at (k + 1) periods and counts whole days late only after it", async function () {
      const { harness } = await loadFixture(deployFixture);
      expect(await harness.dueDate(1_000n, 30n, 0n)).to.equal(1_000n + 30n * DAY);
      expect(await harness.dueDate(1_000n, 30n, 9n)).to.equal(1_000n + 300n * DAY);
      expect(await harness.lateDays(5_000n, 4_999n)).to.equal(0n);
      expect(await harness.lateDays(5_000n, 5_000n)).to.equal(0n);
      expect(await harness.lateDays(5_000n, 5_000n + DAY - 1n)).to.equal(0n);
      expect(await harness.lateDays(5_000n, 5_000n + DAY)).to.equal(1n);
      expect(await harness.lateDays(0n, 2n ** 255n)).to.equal(2n ** 255n / DAY);
    });
  });

  describe("rules over a state", function () {
    async function opened(principal = 10_000n * CNY, rate = 1_800n, periods = 10n, periodDays = 30n) {
      const fx = await loadFixture(deployFixture);
      await fx.harness.open(principal, rate, periods, periodDays, fx.start);
      const state = await fx.harness.load();
      return { ...fx, state };
    }
    const at = (start: bigint, days: bigint) => start + days * DAY + NOON;

    it("counts installments due, capped at the rows", async function () {
      const { harness, state, start } = await opened();
      expect(await harness.dueCount(edit(state), start)).to.equal(0n);
      expect(await harness.dueCount(edit(state), start + 30n * DAY - 1n)).to.equal(0n);
      expect(await harness.dueCount(edit(state), start + 30n * DAY)).to.equal(1n);
      expect(await harness.dueCount(edit(state), start + 10_000n * DAY)).to.equal(10n);
    });

    it("schedules rows as AnnuityMath does, the first charging only the days not charged yet", async function () {
      const { harness } = await opened();
      const [p, i] = await harness.baseSchedule(10_000n * CNY, 1_800n, 10n, 30n, 0n);
      const [p2, i2] = await harness.baseSchedule(10_000n * CNY, 1_800n, 10n, 30n, 12n);
      expect(p2).to.deep.equal(p);
      expect(i2.slice(1)).to.deep.equal(i.slice(1));
      expect(i2[0]).to.equal(periodInterest(10_000n * CNY, 1_800n, 18n));
      expect(p.reduce((s, x) => s + x, 0n)).to.equal(10_000n * CNY);
    });

    it("accrues interest to the day on the opening balance, less interest paid on the installment", async function () {
      const { harness, state, start } = await opened();
      expect(await harness.accruedToDay(edit(state), start)).to.deep.equal([0n, 0n]);
      expect(await harness.accruedToDay(edit(state), at(start, 10n))).to.deep.equal([
        periodInterest(10_000n * CNY, 1_800n, 10n),
        10n,
      ]);
      const paid = edit(state, { cursorPaid: 100n });
      expect((await harness.accruedToDay(paid, at(start, 10n)))[0]).to.equal(
        periodInterest(10_000n * CNY, 1_800n, 10n) - 100n,
      );
      // Every installment due: nothing accrues to the day any more.
      expect(await harness.accruedToDay(edit(state), at(start, 400n))).to.deep.equal([0n, 0n]);
    });

    it("accrues overdue interest and surcharge per whole day, once", async function () {
      const { harness, state, start } = await opened();
      const t = at(start, 35n);
      const s1 = await harness.accrue(edit(state), t);
      const model = new LoanModel({
        principal: 10_000n * CNY,
        annualRateBps: 1_800n,
        periods: 10,
        periodDays: 30n,
        leadInterestBps: 3_000n,
      });
      model.disburse(start, funders(10_000n * CNY));
      model.accrue(t);
      expect(s1.overdueInterest).to.equal(model.overdueInterest).and.to.be.greaterThan(0n);
      expect(s1.surcharge).to.equal(model.surcharge);
      expect(s1.accruedDay).to.equal(35n);
      const again = await harness.accrue(edit(s1), t);
      expect(again.overdueInterest).to.equal(s1.overdueInterest);
      expect(await harness.unpaid(edit(state), 0n)).to.equal(state.principals[0] + state.interests[0]);
      expect(await harness.unpaid(edit(state, { cursorPaid: 5n }), 0n)).to.equal(
        state.principals[0] + state.interests[0] - 5n,
      );
    });

    it("pays up to the installment as scheduled, and more than that to the day (payToDay)", async function () {
      const { harness, state, start } = await opened();
      const t = at(start, 10n);
      const rest = state.principals[0] + state.interests[0];
      const [paidScheduled] = await harness.payToDay(edit(state), rest, t);
      expect(paidScheduled).to.equal(false);
      const [paidToDay, a, s] = await harness.payToDay(edit(state), rest + 1n, t);
      expect(paidToDay).to.equal(true);
      expect(a.interest).to.equal(periodInterest(10_000n * CNY, 1_800n, 10n));
      expect(a.principal + a.prepaid + a.interest).to.equal(rest + 1n);
      expect(s.reamortized).to.equal(true);
      expect(s.baseOffset).to.equal(10n);
      // Exactly the payoff closes the loan, whatever the installment.
      const payoff = periodInterest(10_000n * CNY, 1_800n, 10n) + 10_000n * CNY;
      const [closed, , s2] = await harness.payToDay(edit(state), payoff, t);
      expect(closed).to.equal(true);
      expect(s2.outstanding).to.equal(0n);
      expect(s2.reamortized).to.equal(false);
    });

    it("re-amortizes the rest over the remaining rows, or into one row when too small to spread", async function () {
      const { harness, state } = await opened();
      const zero = await harness.reamortize(edit(state, { outstanding: 0n }), 0n);
      expect(zero.reamortized).to.equal(false);
      const half = await harness.reamortize(edit(state, { outstanding: 5_000n * CNY, cursor: 2n }), 3n);
      expect(half.rows).to.equal(10n);
      expect(half.baseStart).to.equal(2n);
      expect(half.principals).to.have.length(8);
      expect(half.principals.reduce((s, x) => s + x, 0n)).to.equal(5_000n * CNY);
      const tiny = await harness.reamortize(edit(state, { outstanding: 1n, cursor: 2n }), 0n);
      expect(tiny.rows).to.equal(3n);
      expect(tiny.principals).to.deep.equal([1n]);
    });

    it("applies one unit to the surcharge first, and nothing more than owed", async function () {
      const { harness, state, start } = await opened();
      const t = at(start, 40n);
      const accruedOut = await harness.accrue(edit(state), t);
      const accrued = edit(accruedOut);
      const [a, s] = await harness.applyPayment(accrued, 1n, t);
      expect(a.surcharge).to.equal(1n);
      expect(a.overdueInterest + a.interest + a.principal + a.prepaid).to.equal(0n);
      expect(s.surcharge).to.equal(accruedOut.surcharge - 1n);
      const d = await harness.dues(accrued, t);
      const [all, closed] = await harness.applyPayment(accrued, d.payoff, t);
      expect(all.surcharge + all.overdueInterest + all.interest + all.principal + all.prepaid).to.equal(d.payoff);
      expect(closed.outstanding).to.equal(0n);
      expect(closed.cursor).to.equal(closed.rows);
    });
  });

  describe("the loan as stored, against the TypeScript mirror", function () {
    const terms = fc.record({
      principal: fc.bigInt({ min: 100n * CNY, max: 40_000n * CNY }),
      rate: fc.bigInt({ min: 0n, max: 2_400n }),
      periods: fc.constantFrom(5, 10, 20),
      periodDays: fc.bigInt({ min: 1n, max: 92n }),
      surchargeBps: fc.constantFrom(0n, 5_000n, 10_000n),
    });
    // A payment: days after the previous one, and how much (one unit, part of what is due, the
    // installment, everything due, the payoff, or more than the payoff).
    const step = fc.record({
      days: fc.bigInt({ min: 0n, max: 70n }),
      how: fc.constantFrom("unit", "part", "installment", "due", "payoff", "over"),
      part: fc.bigInt({ min: 1n, max: 99n }),
    });

    it("quotes, applies payments and lists rows exactly as LoanModel does", async function () {
      const { harness, start } = await loadFixture(deployFixture);
      await fc.assert(
        fc.asyncProperty(terms, fc.array(step, { minLength: 1, maxLength: 6 }), async (t, steps) => {
          const base = BigInt(await time.latest());
          const disbursedAt = base - (base % DAY) + DAY;
          await harness.setSurchargeBps(t.surchargeBps);
          await harness.open(t.principal, t.rate, BigInt(t.periods), t.periodDays, disbursedAt);
          const model = new LoanModel(
            {
              principal: t.principal,
              annualRateBps: t.rate,
              periods: t.periods,
              periodDays: t.periodDays,
              leadInterestBps: 3_000n,
            },
            t.surchargeBps,
          );
          model.disburse(disbursedAt, funders(t.principal));
          let day = 0n;
          for (const [n, s] of steps.entries()) {
            if (model.outstanding === 0n) break;
            day += s.days;
            const at = disbursedAt + day * DAY + NOON + 10n * BigInt(n);
            await time.setNextBlockTimestamp(at);
            await ethers.provider.send("evm_mine", []);
            const expected = model.dues(at);
            expect(dues(await harness.quote())).to.deep.equal(expected);
            const amount = {
              unit: 1n,
              part: (expected.amountDue * s.part) / 100n || 1n,
              installment: model.installment,
              due: expected.amountDue || 1n,
              payoff: expected.payoff,
              over: expected.payoff + 1n,
            }[s.how];
            await time.setNextBlockTimestamp(at + 1n);
            const receipt = (await (await harness.repay(amount)).wait())!;
            const [allocation, payoff, reamortized] = harness.interface.parseLog(receipt.logs[0])!.args;
            expect(payoff).to.equal(expected.payoff);
            if (amount > expected.payoff) {
              expect(allocation.toObject()).to.deep.equal({
                surcharge: 0n,
                overdueInterest: 0n,
                interest: 0n,
                principal: 0n,
                prepaid: 0n,
              });
              expect(reamortized).to.equal(false);
              continue;
            }
            const r = model.repay(amount, at + 1n);
            expect(allocation.toObject()).to.deep.equal(r.allocation);
            expect(reamortized).to.equal(r.reamortized);
            const stored = await harness.loan();
            expect([
              stored.cursor,
              stored.rows,
              stored.outstanding,
              stored.overdueInterest,
              stored.surcharge,
              stored.accruedDay,
            ]).to.deep.equal([
              BigInt(model.cursor),
              BigInt(model.rows),
              model.outstanding,
              model.overdueInterest,
              model.surcharge,
              model.accruedDay,
            ]);
            const rows = (await harness.rows()).map((x) => ({
              dueDate: x.dueDate,
              principal: x.principal,
              interest: x.interest,
              paid: x.paid,
            }));
            expect(rows).to.deep.equal(model.schedule());
          }
        }),
        { numRuns: 12 },
      );
      expect(start).to.be.greaterThan(0n);
    });

    it("keeps a loan of a very large principal exact (no overflow in the waterfall)", async function () {
      const { harness } = await loadFixture(deployFixture);
      const principal = 10n ** 30n;
      const now = BigInt(await time.latest());
      const disbursedAt = now - (now % DAY) + DAY;
      await harness.open(principal, 2_400n, 20n, 92n, disbursedAt);
      const model = new LoanModel({
        principal,
        annualRateBps: 2_400n,
        periods: 20,
        periodDays: 92n,
        leadInterestBps: 0n,
      });
      model.disburse(disbursedAt, funders(principal));
      const at = disbursedAt + 500n * DAY + NOON;
      await time.setNextBlockTimestamp(at);
      await ethers.provider.send("evm_mine", []);
      expect(dues(await harness.quote())).to.deep.equal(model.dues(at));
    });
  });
});
