import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { AnnuityMathHarness__factory } from "../../typechain-types";
import {
  InvalidTermsError,
  MAX_PERIOD_DAYS,
  MAX_PERIODS,
  MAX_PRINCIPAL,
  MAX_RATE_BPS,
  RowOutOfRangeError,
  installment,
  overdueInterest,
  parseCny,
  periodInterest,
  schedule,
  scheduleRow,
  surcharge,
} from "../../clients/lending/math";

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
      // r = 1800 * 30 / 3,650,000; A = P r (1+r)^12 / ((1+r)^12 - 1) = 91,562.685... fen → 91,563.
      expect(installment(parseCny("10,000.00"), 1800, 12, 30)).to.equal(91_563n);
      expect(await math.installment(1_000_000n, 1800n, 12n, 30n)).to.equal(91_563n);
    });

    it("rounds the exact annuity up to the unit for 1,000,000.00 CNY at 18% over 20 periods", async function () {
      const { math } = await loadFixture(deployFixture);
      // exact: 5,812,782.258... fen
      expect(await math.installment(100_000_000n, 1800n, 20n, 30n)).to.equal(5_812_783n);
      expect(installment(100_000_000n, 1800n, 20n, 30n)).to.equal(5_812_783n);
    });

    it("is ceil(P / n) at a 0% rate", async function () {
      const { math } = await loadFixture(deployFixture);
      expect(await math.installment(1_000_000n, 0n, 12n, 30n)).to.equal(83_334n);
      expect(await math.installment(1_000_000n, 0n, 10n, 30n)).to.equal(100_000n);
      expect(installment(1_000_000n, 0n, 12n, 30n)).to.equal(83_334n);
    });

    it("is principal plus one period's interest for a single period", async function () {
      const { math } = await loadFixture(deployFixture);
      // one period: A = P (1 + r) exactly = 1,000,000 + 14,794.52... → 1,014,795
      expect(await math.installment(1_000_000n, 1800n, 1n, 30n)).to.equal(1_014_795n);
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
        principal: 90_218n,
        interest: 1_334n,
        payment: 91_552n,
        balanceAfter: 0n,
      });
      for (const r of rows.slice(0, 11)) expect(r.payment).to.equal(91_563n);
    });

    it("has the first row's interest equal to one period's interest on the principal", async function () {
      const { math } = await loadFixture(deployFixture);
      const [p, i, b] = await math.scheduleRow(1_000_000n, 1800n, 12n, 30n, 0n);
      expect(i).to.equal(await math.periodInterest(1_000_000n, 1800n, 30n));
      expect(i).to.equal(14_794n);
      expect(p).to.equal(91_563n - 14_794n);
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
      // 91,563 fen overdue 45 days at 27% (1.5 x 18%): 91,563 * 2700 * 45 / 3,650,000 = 3,047.9...
      expect(await math.overdueInterest(91_563n, 2700n, 45n)).to.equal(3_047n);
      expect(overdueInterest(91_563n, 2700n, 45n)).to.equal(3_047n);
      expect(await math.overdueInterest(91_563n, 2700n, 0n)).to.equal(0n);
    });

    it("computes one period's interest as floor(balance * rate * days / 3,650,000)", async function () {
      const { math } = await loadFixture(deployFixture);
      expect(await math.periodInterest(3_650_000n, 1n, 1n)).to.equal(1n);
      expect(await math.periodInterest(3_649_999n, 1n, 1n)).to.equal(0n);
      expect(periodInterest(3_649_999n, 1n, 1n)).to.equal(0n);
    });
  });

  describe("invalid terms", function () {
    for (const [reason, terms] of INVALID) {
      it(`rejects ${reason} in installment, schedule and scheduleRow`, async function () {
        const { math } = await loadFixture(deployFixture);
        await expect(math.installment(...terms))
          .to.be.revertedWithCustomError(math, "InvalidTerms")
          .withArgs(...terms);
        await expect(math.schedule(...terms))
          .to.be.revertedWithCustomError(math, "InvalidTerms")
          .withArgs(...terms);
        await expect(math.scheduleRow(...terms, 0n))
          .to.be.revertedWithCustomError(math, "InvalidTerms")
          .withArgs(...terms);
        for (const f of [() => installment(...terms), () => schedule(...terms), () => scheduleRow(...terms, 0n)]) {
          expect(f).to.throw(InvalidTermsError, "InvalidTerms(");
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

    it("rejects negative and fractional amounts in TypeScript", function () {
      expect(() => installment(-1n, 1800, 12, 30)).to.throw(RangeError, "principal must be a uint256");
      expect(() => installment(100, 18.5, 12, 30)).to.throw(RangeError, "annualRateBps must be an integer");
      expect(() => surcharge(1n, 2n ** 256n)).to.throw(RangeError, "surchargeBps must be a uint256");
    });
  });

  describe("gas", function () {
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
