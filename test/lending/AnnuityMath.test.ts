import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { AnnuityMathHarness__factory } from "../../typechain-types";
import {
  DAYS_PER_YEAR,
  TermsDoNotAmortizeError,
  MAX_PERIOD_DAYS,
  MAX_PERIODS,
  MAX_PRINCIPAL,
  MAX_RATE_BPS,
  RowOutOfRangeError,
  RATE_DENOMINATOR,
  amortize,
  formatCny,
  installment,
  overdueInterest,
  parseCny,
  periodInterest,
  schedule,
  scheduleRow,
  surcharge,
} from "../../clients/lending/math";
import { skipUnderCoverage, underCoverage } from "../helpers/coverage";

type Terms = [bigint, bigint, bigint, bigint];

/** Terms that must be rejected, each with the reason it is invalid. */
const INVALID: [string, Terms][] = [
  ["a zero principal", [0n, 1800n, 12n, 30n]],
  ["a principal above MAX_PRINCIPAL", [MAX_PRINCIPAL + 1n, 1800n, 12n, 30n]],
  ["a rate above MAX_RATE_BPS", [1_000_000n, MAX_RATE_BPS + 1n, 12n, 30n]],
  ["zero periods", [1_000_000n, 1800n, 0n, 30n]],
  ["periods above MAX_PERIODS", [1_000_000n, 0n, MAX_PERIODS + 1n, 30n]],
  ["zero period days", [1_000_000n, 1800n, 12n, 0n]],
  ["period days above MAX_PERIOD_DAYS", [1_000_000n, 1800n, 12n, MAX_PERIOD_DAYS + 1n]],
  ["a growth factor above MAX_GROWTH (360% over 60 quarters)", [1_000_000n, 36_000n, 60n, 90n]],
  ["a principal too small to amortize at 0% (5 units over 4 periods)", [5n, 0n, 4n, 30n]],
  ["a principal too small to amortize with interest (10 units over 10 periods)", [10n, 1800n, 10n, 30n]],
  ["a huge rate-numerator value (2^255 rate)", [1_000_000n, 2n ** 255n, 12n, 30n]],
];

/** Loans as the product makes them: 500.00–3,000,000.00 CNY, 0–36%, the usual periods. */
const productLoan = fc.record({
  principal: fc.bigInt(50_000n, 300_000_000n),
  annualRateBps: fc.integer({ min: 0, max: 3_600 }).map(BigInt),
  periods: fc.oneof(fc.constantFrom(5n, 10n, 20n), fc.integer({ min: 1, max: 60 }).map(BigInt)),
  periodDays: fc.constantFrom(7n, 14n, 30n, 31n, 90n),
});

/** Any terms inside the library's bounds, including extreme ones (may still be invalid). */
const wideTerms = fc.record({
  principal: fc.oneof(fc.bigInt(1n, 10_000n), fc.bigInt(1n, 10n ** 30n), fc.bigInt(1n, MAX_PRINCIPAL)),
  annualRateBps: fc.oneof(fc.constant(0n), fc.bigInt(1n, 3_600n), fc.bigInt(1n, MAX_RATE_BPS)),
  periods: fc.oneof(fc.bigInt(1n, 60n), fc.bigInt(1n, 120n)),
  periodDays: fc.oneof(fc.constantFrom(1n, 7n, 30n, 365n), fc.bigInt(1n, MAX_PERIOD_DAYS)),
});

/** Terms with each field out of range about one time in eight, to compare where chain and TypeScript reject. */
const anyTerms = fc.record({
  principal: fc.oneof(
    { arbitrary: fc.bigInt(1n, 10n ** 12n), weight: 7 },
    { arbitrary: fc.constantFrom(0n, MAX_PRINCIPAL + 1n, 3n), weight: 1 },
  ),
  annualRateBps: fc.oneof(
    { arbitrary: fc.bigInt(0n, MAX_RATE_BPS), weight: 7 },
    { arbitrary: fc.bigInt(MAX_RATE_BPS + 1n, 2n ** 200n), weight: 1 },
  ),
  periods: fc.oneof(
    { arbitrary: fc.bigInt(1n, 120n), weight: 7 },
    { arbitrary: fc.constantFrom(0n, MAX_PERIODS + 1n), weight: 1 },
  ),
  periodDays: fc.oneof(
    { arbitrary: fc.bigInt(1n, 400n), weight: 7 },
    { arbitrary: fc.constantFrom(0n, MAX_PERIOD_DAYS + 1n), weight: 1 },
  ),
});

type Loan = { principal: bigint; annualRateBps: bigint; periods: bigint; periodDays: bigint };

/** The exact annuity as a fraction num / den (rate > 0): P·N·(D+N)^n / (D·((D+N)^n − D^n)). */
function exactAnnuity({ principal, annualRateBps, periods, periodDays }: Loan): { num: bigint; den: bigint } {
  const n = annualRateBps * periodDays;
  const d = RATE_DENOMINATOR;
  const up = (d + n) ** periods;
  return { num: principal * n * up, den: d * (up - d ** periods) };
}

/** The annuity factor s_n = ((1+r)^n − 1) / r as a fraction (rate > 0). */
function annuityFactor({ annualRateBps, periods, periodDays }: Loan): { num: bigint; den: bigint } {
  const n = annualRateBps * periodDays;
  const d = RATE_DENOMINATOR;
  return { num: (d + n) ** periods - d ** periods, den: n * d ** (periods - 1n) };
}

/**
 * Checks every schedule invariant of docs/MONEY.md for one loan; returns the first broken one, or
 * null. Plain comparisons (not chai) keep thousands of runs fast.
 */
function scheduleViolation(loan: Loan): string | null {
  const { installment: a, rows } = amortize(loan);
  if (rows.length !== Number(loan.periods)) return "one row per period";
  let balance = loan.principal;
  for (const [k, row] of rows.entries()) {
    if (row.interest !== periodInterest(balance, loan.annualRateBps, loan.periodDays)) return `row ${k}: interest`;
    if (row.principal <= 0n) return `row ${k}: principal part positive`;
    if (row.balanceAfter !== balance - row.principal) return `row ${k}: balance after`;
    if (row.payment !== row.principal + row.interest) return `row ${k}: payment`;
    if (k + 1 < rows.length && row.payment !== a) return `row ${k}: payment equals the installment`;
    balance = row.balanceAfter;
  }
  if (balance !== 0n) return "principal parts sum to the principal";
  const last = rows[rows.length - 1].payment;
  if (last > a) return "the last payment never exceeds the installment";
  if (loan.annualRateBps === 0n) {
    if (a !== (loan.principal + loan.periods - 1n) / loan.periods) return "installment is ceil(P / n) at 0%";
    return a - last < loan.periods ? null : "last payment within n units at 0%";
  }
  // The installment is the exact annuity rounded up: A ≤ installment < A + 1 (+ 10^-9 of slack
  // for the fixed point, which in practice never shows).
  const { num, den } = exactAnnuity(loan);
  if (a * den < num) return "installment ≥ exact annuity";
  if ((a - 1n) * den * 10n ** 9n >= num * 10n ** 9n + den) return "installment < exact annuity + 1";
  // The last payment is at most 2 + 2·s_n units below the installment.
  const s = annuityFactor(loan);
  if ((a - last - 2n) * s.den > 2n * s.num) return "last payment within 2 + 2·s_n of the installment";
  return null;
}

/** fast-check predicate: fails with the broken invariant's name. */
function checkSchedule(loan: Loan): void {
  const violation = scheduleViolation(loan);
  if (violation !== null)
    throw new Error(
      `${violation}: ${JSON.stringify(loan, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`,
    );
}

/** Whether the TypeScript mirror accepts the terms. */
function amortizes(loan: Loan): boolean {
  try {
    amortize(loan);
    return true;
  } catch (e) {
    if (!(e instanceof TermsDoNotAmortizeError)) throw e;
    return false;
  }
}

describe("AnnuityMath", function () {
  async function deployFixture() {
    const [deployer] = await ethers.getSigners();
    const math = await new AnnuityMathHarness__factory(deployer).deploy();
    await math.waitForDeployment();
    return { math };
  }

  describe("installment", function () {
    it("matches the hand-checked annuity for 10,000.00 CNY at 18% over 12 periods of 30 days", async function () {
      const { math } = await loadFixture(deployFixture);
      // r = 1800 * 30 / 3,600,000 = 1.5% exactly (360-day year); A = P r (1+r)^12 / ((1+r)^12 - 1) = 91,679.9929... fen → 91,680.
      expect(installment(parseCny("10,000.00"), 1800, 12, 30)).to.equal(91_680n);
      expect(await math.installment(1_000_000n, 1800n, 12n, 30n)).to.equal(91_680n);
    });

    it("rounds the exact annuity up to the unit for 1,000,000.00 CNY at 18% over 20 periods", async function () {
      const { math } = await loadFixture(deployFixture);
      // exact: 5,824,573.587... fen
      expect(await math.installment(100_000_000n, 1800n, 20n, 30n)).to.equal(5_824_574n);
      expect(installment(100_000_000n, 1800n, 20n, 30n)).to.equal(5_824_574n);
    });

    it("is ceil(P / n) at a 0% rate", async function () {
      const { math } = await loadFixture(deployFixture);
      expect(await math.installment(1_000_000n, 0n, 12n, 30n)).to.equal(83_334n);
      expect(await math.installment(1_000_000n, 0n, 10n, 30n)).to.equal(100_000n);
      expect(installment(1_000_000n, 0n, 12n, 30n)).to.equal(83_334n);
    });

    it("is principal plus one period's interest for a single period", async function () {
      const { math } = await loadFixture(deployFixture);
      // one period: A = P (1 + r) exactly = 1,000,000 + 15,000 (r = 1.5% exactly)
      expect(await math.installment(1_000_000n, 1800n, 1n, 30n)).to.equal(1_015_000n);
    });

    it("works for a 10^30-unit principal at 360% over 20 periods", async function () {
      const { math } = await loadFixture(deployFixture);
      const p = 10n ** 30n;
      const onChain = await math.installment(p, 36_000n, 20n, 30n);
      expect(onChain).to.equal(installment(p, 36_000n, 20n, 30n));
      expect(onChain).to.be.greaterThan(p / 20n);
    });
  });

  describe("schedule", function () {
    it("repays exactly the principal, the last row taking the remaining balance", async function () {
      const { math } = await loadFixture(deployFixture);
      const [principalParts, interestParts] = await math.schedule(1_000_000n, 1800n, 12n, 30n);
      expect(principalParts.reduce((a, b) => a + b, 0n)).to.equal(1_000_000n);
      const rows = schedule(1_000_000n, 1800n, 12n, 30n);
      expect(rows.map((r) => r.principal)).to.deep.equal([...principalParts]);
      expect(rows.map((r) => r.interest)).to.deep.equal([...interestParts]);
      expect(rows[11]).to.deep.equal({
        period: 12,
        principal: 90_319n,
        interest: 1_354n,
        payment: 91_673n,
        balanceAfter: 0n,
      });
      for (const r of rows.slice(0, 11)) expect(r.payment).to.equal(91_680n);
    });

    it("has the first row's interest equal to one period's interest on the principal", async function () {
      const { math } = await loadFixture(deployFixture);
      const [p, i, b] = await math.scheduleRow(1_000_000n, 1800n, 12n, 30n, 0n);
      expect(i).to.equal(await math.periodInterest(1_000_000n, 1800n, 30n));
      expect(i).to.equal(15_000n);
      expect(p).to.equal(91_680n - 15_000n);
      expect(b).to.equal(1_000_000n - p);
    });

    it("returns every row by scheduleRow as in the whole schedule", async function () {
      const { math } = await loadFixture(deployFixture);
      const [principalParts, interestParts] = await math.schedule(50_000n, 2400n, 5n, 14n);
      let balance = 50_000n;
      for (let k = 0; k < 5; k++) {
        balance -= principalParts[k];
        expect(await math.scheduleRow(50_000n, 2400n, 5n, 14n, k)).to.deep.equal([
          principalParts[k],
          interestParts[k],
          balance,
        ]);
        const row = scheduleRow(50_000n, 2400n, 5n, 14n, k);
        expect([row.principal, row.interest, row.balanceAfter]).to.deep.equal([
          principalParts[k],
          interestParts[k],
          balance,
        ]);
      }
    });

    it("repays ceil(P / n) per row and the rest in the last row at 0%", async function () {
      const rows = schedule(1_000_000n, 0n, 12n, 30n);
      expect(rows.slice(0, 11).every((r) => r.principal === 83_334n && r.interest === 0n)).to.equal(true);
      expect(rows[11].principal).to.equal(1_000_000n - 11n * 83_334n);
    });
  });

  describe("overdue interest and surcharge", function () {
    it("charges a 50% surcharge on overdue interest (DOMAIN: 10,000 → 5,000)", async function () {
      const { math } = await loadFixture(deployFixture);
      expect(await math.surcharge(parseCny("10,000"), 5_000n)).to.equal(parseCny("5,000"));
      expect(surcharge(parseCny("10,000"))).to.equal(parseCny("5,000"));
      expect(await math.surcharge(3n, 5_000n)).to.equal(1n);
    });

    it("accrues overdue interest per day at the annual rate, rounded down", async function () {
      const { math } = await loadFixture(deployFixture);
      // 91,680 fen overdue 45 days at 27% (1.5 x 18%): 91,680 * 2700 * 45 / 3,600,000 = 3,094.2
      expect(await math.overdueInterest(91_680n, 2700n, 45n)).to.equal(3_094n);
      expect(overdueInterest(91_680n, 2700n, 45n)).to.equal(3_094n);
      expect(await math.overdueInterest(91_680n, 2700n, 0n)).to.equal(0n);
    });

    it("computes one period's interest as floor(balance * rate * days / 3,600,000)", async function () {
      const { math } = await loadFixture(deployFixture);
      expect(await math.periodInterest(3_600_000n, 1n, 1n)).to.equal(1n);
      expect(await math.periodInterest(3_599_999n, 1n, 1n)).to.equal(0n);
      expect(periodInterest(3_599_999n, 1n, 1n)).to.equal(0n);
    });

    it("counts days on a 360-day year: a daily rate is the annual rate / 360", async function () {
      const { math } = await loadFixture(deployFixture);
      // 12% a year on 12,000.00 CNY: 1.2M fen * 0.12 / 360 = 400 fen (4.00 CNY) a day, 120.00 CNY in 30 days.
      expect(DAYS_PER_YEAR).to.equal(360n);
      expect(await math.periodInterest(1_200_000n, 1_200n, 1n)).to.equal(400n);
      expect(periodInterest(1_200_000n, 1_200n, 1n)).to.equal(400n);
      expect(periodInterest(1_200_000n, 1_200n, 30n)).to.equal(12_000n);
      // a full 360-day year charges exactly the annual rate; 365 days charge 365/360 of it
      expect(await math.overdueInterest(1_000_000n, 1_000n, 360n)).to.equal(100_000n);
      expect(overdueInterest(1_000_000n, 1_000n, 365n)).to.equal(101_388n);
    });
  });

  describe("invalid terms", function () {
    for (const [reason, terms] of INVALID) {
      it(`rejects ${reason} in installment, schedule and scheduleRow`, async function () {
        const { math } = await loadFixture(deployFixture);
        await expect(math.installment(...terms))
          .to.be.revertedWithCustomError(math, "TermsDoNotAmortize")
          .withArgs(...terms);
        await expect(math.schedule(...terms))
          .to.be.revertedWithCustomError(math, "TermsDoNotAmortize")
          .withArgs(...terms);
        await expect(math.scheduleRow(...terms, 0n))
          .to.be.revertedWithCustomError(math, "TermsDoNotAmortize")
          .withArgs(...terms);
        for (const f of [() => installment(...terms), () => schedule(...terms), () => scheduleRow(...terms, 0n)]) {
          expect(f).to.throw(TermsDoNotAmortizeError, "TermsDoNotAmortize(");
        }
      });
    }

    it("rejects a row index past the last row", async function () {
      const { math } = await loadFixture(deployFixture);
      await expect(math.scheduleRow(1_000_000n, 1800n, 12n, 30n, 12n))
        .to.be.revertedWithCustomError(math, "RowOutOfRange")
        .withArgs(12n, 12n);
      expect(() => scheduleRow(1_000_000n, 1800n, 12n, 30n, 12n)).to.throw(RowOutOfRangeError, "RowOutOfRange(");
    });

    it("panics on overdue interest that does not fit 256 bits, and throws in TypeScript", async function () {
      const { math } = await loadFixture(deployFixture);
      await expect(math.overdueInterest(ethers.MaxUint256, 36_000n, 365n)).to.be.revertedWithPanic(0x11);
      expect(() => overdueInterest(ethers.MaxUint256, 36_000n, 365n)).to.throw(RangeError, "overflows");
      await expect(math.periodInterest(1n, ethers.MaxUint256, 2n)).to.be.revertedWithPanic(0x11);
      expect(() => periodInterest(1n, ethers.MaxUint256, 2n)).to.throw(RangeError, "overflows");
    });

    it("checks the terms before the row index", async function () {
      const { math } = await loadFixture(deployFixture);
      await expect(math.scheduleRow(0n, 1800n, 12n, 30n, 99n))
        .to.be.revertedWithCustomError(math, "TermsDoNotAmortize")
        .withArgs(0n, 1800n, 12n, 30n);
      expect(() => scheduleRow(0n, 1800n, 12n, 30n, 99n)).to.throw(TermsDoNotAmortizeError);
    });

    it("rejects a row index of 2^256 - 1", async function () {
      const { math } = await loadFixture(deployFixture);
      await expect(math.scheduleRow(1_000_000n, 1800n, 12n, 30n, ethers.MaxUint256))
        .to.be.revertedWithCustomError(math, "RowOutOfRange")
        .withArgs(ethers.MaxUint256, 12n);
      expect(() => scheduleRow(1_000_000n, 1800n, 12n, 30n, ethers.MaxUint256)).to.throw(RowOutOfRangeError);
    });

    it("panics on a surcharge that does not fit 256 bits, and throws in TypeScript", async function () {
      const { math } = await loadFixture(deployFixture);
      await expect(math.surcharge(ethers.MaxUint256, 20_000n)).to.be.revertedWithPanic(0x11);
      expect(() => surcharge(ethers.MaxUint256, 20_000n)).to.throw(RangeError, "surcharge overflows");
      expect(surcharge(ethers.MaxUint256, 10_000n)).to.equal(await math.surcharge(ethers.MaxUint256, 10_000n));
    });

    it("panics when rate times days overflows in overdue interest, and throws in TypeScript", async function () {
      const { math } = await loadFixture(deployFixture);
      await expect(math.overdueInterest(0n, 2n ** 128n, 2n ** 128n)).to.be.revertedWithPanic(0x11);
      expect(() => overdueInterest(0n, 2n ** 128n, 2n ** 128n)).to.throw(RangeError, "annualRateBps * daysLate");
    });

    it("rejects negative and fractional amounts in TypeScript", function () {
      expect(() => installment(-1n, 1800, 12, 30)).to.throw(RangeError, "principal must be a uint256");
      expect(() => installment(100, 18.5, 12, 30)).to.throw(RangeError, "annualRateBps must be an integer");
      expect(() => surcharge(1n, 2n ** 256n)).to.throw(RangeError, "surchargeBps must be a uint256");
    });
  });

  // The TypeScript-only properties run no contract code: under coverage a tenth of the runs.
  const tsRuns = (n: number): number => (underCoverage() ? n / 10 : n);

  describe("properties (TypeScript, fast-check)", function () {
    it("repays every product loan exactly, with a non-increasing balance and a bounded last row", function () {
      fc.assert(
        fc.property(productLoan, (loan) => checkSchedule(loan)),
        { numRuns: tsRuns(4_000), seed: 20_240_501 },
      );
    });

    it("keeps the same invariants for extreme terms that amortize, and rejects only with TermsDoNotAmortize", function () {
      let valid = 0;
      fc.assert(
        fc.property(wideTerms, (loan) => {
          if (!amortizes(loan)) return;
          valid++;
          checkSchedule(loan);
        }),
        { numRuns: tsRuns(1_500), seed: 7 },
      );
      expect(valid).to.be.greaterThan(tsRuns(750));
    });

    it("agrees between installment, schedule and scheduleRow on every row", function () {
      fc.assert(
        fc.property(productLoan, fc.nat(), (loan, pick) => {
          const rows = schedule(loan.principal, loan.annualRateBps, loan.periods, loan.periodDays);
          const k = pick % rows.length;
          expect(scheduleRow(loan.principal, loan.annualRateBps, loan.periods, loan.periodDays, k)).to.deep.equal(
            rows[k],
          );
          if (rows.length > 1) {
            expect(installment(loan.principal, loan.annualRateBps, loan.periods, loan.periodDays)).to.equal(
              rows[0].payment,
            );
          }
        }),
        { numRuns: tsRuns(500), seed: 11 },
      );
    });

    it("charges a surcharge of exactly half the overdue interest, rounded down", function () {
      fc.assert(
        fc.property(
          fc.bigInt(0n, 10n ** 12n),
          fc.integer({ min: 0, max: 36_000 }),
          fc.nat(3_650),
          (due, rate, late) => {
            const interest = overdueInterest(due, rate, late);
            const extra = surcharge(interest);
            return (
              interest === (due * BigInt(rate) * BigInt(late)) / RATE_DENOMINATOR &&
              (2n * extra === interest || 2n * extra + 1n === interest)
            );
          },
        ),
        { numRuns: tsRuns(1_000), seed: 3 },
      );
    });
  });

  describe("agreement with TypeScript (random cases, batched)", function () {
    it("returns the same installments and schedules for 400 random loans", async function () {
      const { math } = await loadFixture(deployFixture);
      const loans = [
        ...fc.sample(productLoan, { numRuns: 300, seed: 42 }),
        ...fc.sample(wideTerms, { numRuns: 400, seed: 43 }).filter(amortizes),
      ].slice(0, underCoverage() ? 100 : 400); // under coverage 100 run the same contract lines
      expect(loans.length).to.equal(underCoverage() ? 100 : 400);
      // Instrumented code (coverage) costs many times the gas: smaller batches keep each call under the cap.
      const size = underCoverage() ? 5 : 50;
      for (let i = 0; i < loans.length; i += size) {
        const batch = loans.slice(i, i + size);
        const out = await math.schedules(batch);
        const onChain = out.map((o) => `${o.installment}|${o.principalParts.join(",")}|${o.interestParts.join(",")}`);
        const mirrored = batch.map((loan) => {
          const { installment: a, rows } = amortize(loan);
          return `${a}|${rows.map((r) => r.principal).join(",")}|${rows.map((r) => r.interest).join(",")}`;
        });
        expect(onChain).to.deep.equal(mirrored);
      }
    });

    it("reverts with TermsDoNotAmortize on exactly the terms TypeScript rejects (120 random terms)", async function () {
      const { math } = await loadFixture(deployFixture);
      let rejected = 0;
      for (const t of fc.sample(anyTerms, { numRuns: 120, seed: 44 })) {
        const args = [t.principal, t.annualRateBps, t.periods, t.periodDays] as const;
        let expected: bigint | undefined;
        try {
          expected = installment(...args);
        } catch (e) {
          expect(e).to.be.instanceOf(TermsDoNotAmortizeError);
        }
        if (expected === undefined) {
          rejected++;
          await expect(math.installment(...args))
            .to.be.revertedWithCustomError(math, "TermsDoNotAmortize")
            .withArgs(...args);
        } else {
          expect(await math.installment(...args)).to.equal(expected);
        }
      }
      expect(rejected).to.be.within(20, 100);
    });
  });

  describe("display", function () {
    it("formats fen as CNY with thousands separators", function () {
      expect(formatCny(123_456_789n)).to.equal("¥1,234,567.89");
      expect(formatCny(5n)).to.equal("¥0.05");
      expect(formatCny(-100n)).to.equal("-¥1.00");
      expect(parseCny("¥1,234,567.89")).to.equal(123_456_789n);
      expect(parseCny("0.5")).to.equal(50n);
    });

    it("rejects CNY text with more than 2 decimals or stray characters", function () {
      expect(() => parseCny("1.234")).to.throw(RangeError, "at most 2 decimals");
      expect(() => parseCny("12,34.00")).to.throw(RangeError, "not a CNY amount");
      expect(() => parseCny("ten")).to.throw(RangeError, "not a CNY amount");
    });
  });

  describe("gas", function () {
    skipUnderCoverage(); // instrumented code costs more gas: the ceilings are checked by `npm test`
    it("measures installment and schedule for 20 periods", async function () {
      const { math } = await loadFixture(deployFixture);
      const [, installmentGas] = await math.installmentGas(100_000_000n, 1800n, 20n, 30n);
      const scheduleGas = await math.scheduleGas(100_000_000n, 1800n, 20n, 30n);
      const rowGas = await math.scheduleRowGas(100_000_000n, 1800n, 20n, 30n, 19n);
      console.log(
        `      gas: installment(20) ${installmentGas}, schedule(20) ${scheduleGas}, scheduleRow(20) ${rowGas}`,
      );
      expect(installmentGas).to.be.lessThan(40_000n);
      expect(scheduleGas).to.be.lessThan(60_000n);
    });
  });
});
