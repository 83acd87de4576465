import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { SplitMathHarness__factory } from "../../typechain-types";
import { InvalidBpsError, InvalidWeightsError, splitBps, splitByWeights } from "../../clients/lending/math";

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

    it("rejects negative weights in TypeScript", function () {
      expect(() => splitByWeights(100n, [1n, -1n])).to.throw(RangeError, "weights[1] must be a uint256");
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

    it("rejects a negative amount in TypeScript", function () {
      expect(() => splitBps(-1n, 3_000n)).to.throw(RangeError, "amount must be a uint256");
    });
  });
});
