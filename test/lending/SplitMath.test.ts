import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { SplitMathHarness__factory } from "../../typechain-types";
import { InvalidBpsError, InvalidWeightsError, schedule, splitBps, splitByWeights } from "../../clients/lending/math";
import { skipUnderCoverage } from "../helpers/coverage";

/** Funded principal per holder (index 0 = the lead bank), at least one positive. */
const weightsArb = fc
  .array(fc.oneof(fc.bigInt(0n, 300_000_000n), fc.bigInt(1n, 1_000n), fc.constant(0n)), {
    minLength: 1,
    maxLength: 12,
  })
  .filter((w) => w.some((x) => x > 0n));
const amountArb = fc.oneof(fc.bigInt(0n, 1_000n), fc.bigInt(0n, 10n ** 10n), fc.bigInt(0n, 2n ** 200n));

/**
 * Checks the largest-remainder rule for one split; returns the first broken property, or null:
 * the parts sum to the amount, each is the floor or the ceiling of its exact share (so within 1
 * unit of it), zero weights get nothing, and every holder rounded up had a fractional remainder
 * at least as large as every holder rounded down (equal only if it comes first).
 */
function splitViolation(amount: bigint, weights: bigint[], parts: bigint[]): string | null {
  const total = weights.reduce((s, w) => s + w, 0n);
  if (parts.length !== weights.length) return "one part per weight";
  if (parts.reduce((s, p) => s + p, 0n) !== amount) return "parts sum to the amount";
  const rem = weights.map((w) => (amount * w) % total);
  const up = parts.map((p, i) => {
    const floor = (amount * weights[i]) / total;
    return p === floor ? false : p === floor + 1n && rem[i] > 0n ? true : null;
  });
  if (up.includes(null)) return "each part is the floor or the ceiling of its exact share";
  if (weights.some((w, i) => w === 0n && parts[i] !== 0n)) return "zero weights get nothing";
  for (let i = 0; i < parts.length; i++) {
    for (let j = 0; j < parts.length; j++) {
      if (up[i] && !up[j] && rem[j] > 0n && (rem[i] < rem[j] || (rem[i] === rem[j] && i > j))) {
        return `holder ${i} rounded up before holder ${j} with a larger remainder or a lower index`;
      }
    }
  }
  return null;
}

describe("SplitMath", function () {
  async function deployFixture() {
    const [deployer] = await ethers.getSigners();
    const split = await new SplitMathHarness__factory(deployer).deploy();
    await split.waitForDeployment();
    return { split };
  }

  describe("splitByWeights", function () {
    it("splits a repayment 20/80 between the lead and one partner exactly", async function () {
      const { split } = await loadFixture(deployFixture);
      expect(await split.splitByWeights(91_563n, [20n, 80n])).to.deep.equal([18_313n, 73_250n]);
      expect(splitByWeights(91_563n, [20n, 80n])).to.deep.equal([18_313n, 73_250n]);
    });

    it("gives the remainder units to the largest fractional remainders", async function () {
      const { split } = await loadFixture(deployFixture);
      // 100 by 1:1:1 → 33.33 each; one unit left, all remainders tie → lowest index.
      expect(await split.splitByWeights(100n, [1n, 1n, 1n])).to.deep.equal([34n, 33n, 33n]);
      // 10 by 2:3:5:1 (sum 11) → 1.818, 2.727, 4.545, 0.909; floors 1,2,4,0 leave 3 units,
      // remainders 9,8,6,10 (/11) → indexes 3, 0, 1 get one each.
      expect(await split.splitByWeights(10n, [2n, 3n, 5n, 1n])).to.deep.equal([2n, 3n, 4n, 1n]);
      expect(splitByWeights(10n, [2n, 3n, 5n, 1n])).to.deep.equal([2n, 3n, 4n, 1n]);
    });

    it("gives nothing to a zero weight", async function () {
      const { split } = await loadFixture(deployFixture);
      expect(await split.splitByWeights(7n, [0n, 1n, 0n, 1n])).to.deep.equal([0n, 4n, 0n, 3n]);
      expect(splitByWeights(7n, [0n, 1n, 0n, 1n])).to.deep.equal([0n, 4n, 0n, 3n]);
    });

    it("splits zero into zeros", async function () {
      const { split } = await loadFixture(deployFixture);
      expect(await split.splitByWeights(0n, [3n, 7n])).to.deep.equal([0n, 0n]);
    });

    it("splits a uint256-sized amount without overflow", async function () {
      const { split } = await loadFixture(deployFixture);
      const parts = await split.splitByWeights(ethers.MaxUint256, [ethers.MaxUint256 / 2n, 1n]);
      expect(parts[0] + parts[1]).to.equal(ethers.MaxUint256);
      expect([...parts]).to.deep.equal(splitByWeights(ethers.MaxUint256, [ethers.MaxUint256 / 2n, 1n]));
    });

    it("rejects empty weights", async function () {
      const { split } = await loadFixture(deployFixture);
      await expect(split.splitByWeights(100n, []))
        .to.be.revertedWithCustomError(split, "InvalidWeights")
        .withArgs(0n, 0n);
      expect(() => splitByWeights(100n, [])).to.throw(InvalidWeightsError, "InvalidWeights(count=0");
    });

    it("rejects weights that sum to zero", async function () {
      const { split } = await loadFixture(deployFixture);
      await expect(split.splitByWeights(100n, [0n, 0n]))
        .to.be.revertedWithCustomError(split, "InvalidWeights")
        .withArgs(2n, 0n);
      expect(() => splitByWeights(100n, [0n, 0n])).to.throw(InvalidWeightsError, "InvalidWeights(count=2");
    });

    it("panics on weights whose sum overflows, and throws in TypeScript", async function () {
      const { split } = await loadFixture(deployFixture);
      await expect(split.splitByWeights(100n, [ethers.MaxUint256, 1n])).to.be.revertedWithPanic(0x11);
      expect(() => splitByWeights(100n, [ethers.MaxUint256, 1n])).to.throw(RangeError, "overflows");
    });

    it("rejects a single zero weight", async function () {
      const { split } = await loadFixture(deployFixture);
      await expect(split.splitByWeights(1n, [0n]))
        .to.be.revertedWithCustomError(split, "InvalidWeights")
        .withArgs(1n, 0n);
      expect(() => splitByWeights(1n, [0n])).to.throw(InvalidWeightsError);
    });

    it("rejects negative weights in TypeScript", function () {
      expect(() => splitByWeights(100n, [1n, -1n])).to.throw(RangeError, "weights[1] must be a uint256");
    });
  });

  describe("properties (TypeScript, fast-check)", function () {
    it("conserves every split and gives each holder the floor or ceiling of its share, largest remainders first", function () {
      fc.assert(
        fc.property(amountArb, weightsArb, (amount, weights) => {
          const violation = splitViolation(amount, weights, splitByWeights(amount, weights));
          if (violation !== null) throw new Error(violation);
        }),
        { numRuns: 3_000, seed: 5 },
      );
    });

    it("conserves every basis-point split and rounds the lead's part down", function () {
      fc.assert(
        fc.property(amountArb, fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
          const { leadPart, partnersPart } = splitBps(amount, bps);
          return leadPart + partnersPart === amount && leadPart === (amount * BigInt(bps)) / 10_000n;
        }),
        { numRuns: 3_000, seed: 6 },
      );
    });

    it("pays out every unit of a co-funded loan: principal by funding, interest 30/70 then by partner funding", function () {
      const loan = fc.record({
        lead: fc.bigInt(10_000n, 60_000_000n),
        partners: fc.array(fc.bigInt(1n, 60_000_000n), { minLength: 1, maxLength: 8 }),
        annualRateBps: fc.integer({ min: 0, max: 3_600 }),
        periods: fc.constantFrom(5, 10, 20),
      });
      fc.assert(
        fc.property(loan, ({ lead, partners, annualRateBps, periods }) => {
          const funded = [lead, ...partners];
          const principal = funded.reduce((s, w) => s + w, 0n);
          const principalBack = funded.map(() => 0n);
          const received = funded.map(() => 0n);
          let paid = 0n;
          for (const row of schedule(principal, annualRateBps, periods, 30)) {
            const principalParts = splitByWeights(row.principal, funded);
            const { leadPart, partnersPart } = splitBps(row.interest, 3_000);
            const interestParts = [leadPart, ...splitByWeights(partnersPart, partners)];
            funded.forEach((_, i) => {
              principalBack[i] += principalParts[i];
              received[i] += principalParts[i] + interestParts[i];
            });
            paid += row.payment;
          }
          // Nothing lost or created over the whole loan, and each funder got its principal back
          // to within one unit per period (each row's split is within one unit of exact).
          const n = BigInt(periods);
          return (
            received.reduce((s, r) => s + r, 0n) === paid &&
            principalBack.reduce((s, r) => s + r, 0n) === principal &&
            principalBack.every((back, i) => back - funded[i] < n && funded[i] - back < n)
          );
        }),
        { numRuns: 300, seed: 8 },
      );
    });
  });

  describe("agreement with TypeScript (random cases, batched)", function () {
    it("returns the same weighted splits for 300 random cases", async function () {
      const { split } = await loadFixture(deployFixture);
      const cases = fc.sample(fc.tuple(amountArb, weightsArb), { numRuns: 300, seed: 9 });
      for (let i = 0; i < cases.length; i += 100) {
        const batch = cases.slice(i, i + 100);
        const out = await split.splitByWeightsBatch(
          batch.map(([a]) => a),
          batch.map(([, w]) => w),
        );
        expect(out.map((parts) => parts.join(","))).to.deep.equal(
          batch.map(([a, w]) => splitByWeights(a, w).join(",")),
        );
      }
    });

    it("returns the same basis-point splits for 300 random amounts", async function () {
      const { split } = await loadFixture(deployFixture);
      const amounts = fc.sample(amountArb, { numRuns: 300, seed: 10 });
      for (const bps of [0, 2_000, 3_000, 3_333, 10_000]) {
        const [leadParts, partnersParts] = await split.splitBpsBatch(amounts, bps);
        const expected = amounts.map((a) => splitBps(a, bps));
        expect([...leadParts]).to.deep.equal(expected.map((e) => e.leadPart));
        expect([...partnersParts]).to.deep.equal(expected.map((e) => e.partnersPart));
      }
    });
  });

  describe("gas", function () {
    skipUnderCoverage(); // instrumented code costs more gas: the ceilings are checked by `npm test`
    it("measures a split among the lead and 4 and 20 partners", async function () {
      const { split } = await loadFixture(deployFixture);
      const five = await split.splitByWeightsGas(91_563n, [20n, 20n, 20n, 20n, 21n]);
      const many = await split.splitByWeightsGas(91_563n, [
        20n,
        ...Array.from({ length: 20 }, (_, i) => BigInt(i + 3)),
      ]);
      const fifty = await split.splitByWeightsGas(
        9_156_301n,
        Array.from({ length: 51 }, (_, i) => BigInt(1_000 + i * 7)),
      );
      console.log(`      gas: splitByWeights 5 holders ${five}, 21 holders ${many}, 51 holders ${fifty}`);
      expect(five).to.be.lessThan(15_000n);
    });
  });

  describe("splitBps", function () {
    it("splits interest 30% lead / 70% partners, the partners taking the rounding", async function () {
      const { split } = await loadFixture(deployFixture);
      expect(await split.splitBps(14_794n, 3_000n)).to.deep.equal([4_438n, 10_356n]);
      expect(splitBps(14_794n, 3_000n)).to.deep.equal({ leadPart: 4_438n, partnersPart: 10_356n });
    });

    it("gives everything to one side at 0 and 10,000 bps", async function () {
      const { split } = await loadFixture(deployFixture);
      expect(await split.splitBps(999n, 0n)).to.deep.equal([0n, 999n]);
      expect(await split.splitBps(999n, 10_000n)).to.deep.equal([999n, 0n]);
    });

    it("rejects a share above 10,000 bps", async function () {
      const { split } = await loadFixture(deployFixture);
      await expect(split.splitBps(100n, 10_001n)).to.be.revertedWithCustomError(split, "InvalidBps").withArgs(10_001n);
      expect(() => splitBps(100n, 10_001n)).to.throw(InvalidBpsError, "InvalidBps(bps=10001)");
    });

    it("rejects a share of 2^256 - 1 bps", async function () {
      const { split } = await loadFixture(deployFixture);
      await expect(split.splitBps(100n, ethers.MaxUint256))
        .to.be.revertedWithCustomError(split, "InvalidBps")
        .withArgs(ethers.MaxUint256);
      expect(() => splitBps(100n, ethers.MaxUint256)).to.throw(InvalidBpsError);
    });

    it("rejects an amount of 2^256 in TypeScript", function () {
      expect(() => splitBps(2n ** 256n, 3_000n)).to.throw(RangeError, "amount must be a uint256");
    });

    it("rejects a negative amount in TypeScript", function () {
      expect(() => splitBps(-1n, 3_000n)).to.throw(RangeError, "amount must be a uint256");
    });
  });
});
