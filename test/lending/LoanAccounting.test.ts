import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes } from "ethers";
import { ILoanBook__factory, LoanAccountingHarness__factory, LoanAccounting__factory } from "../../typechain-types";
import { fundersDue } from "../../clients/lending/loanModel";
import { LoanClass, LoanStatus } from "../../clients/core/types";

const { Normal: NORMAL, SpecialMention: SPECIAL_MENTION, Substandard: SUBSTANDARD, Loss: LOSS } = LoanClass;

/** LoanAccounting, function by function, through `LoanAccountingHarness`; credits compared with `fundersDue`. */
describe("LoanAccounting (harness)", function () {
  const LOAN = 1n;
  const CAP = 1_000_000n;
  const MAX_FUNDERS = 4n;

  async function deployFixture() {
    const [deployer, lead, p1, p2, p3, p4, borrower] = await ethers.getSigners();
    const accounting = await (await new LoanAccounting__factory(deployer).deploy()).getAddress();
    const harness = await new LoanAccountingHarness__factory(
      { "contracts/lending/LoanAccounting.sol:LoanAccounting": accounting },
      deployer,
    ).deploy();
    // The library's errors come from the harness's address (delegatecall), in ILoanBook's ABI.
    const book = ILoanBook__factory.connect(await harness.getAddress(), ethers.provider);
    return { harness, book, lead, partners: [p1, p2, p3, p4], borrower };
  }

  const terms = (principal = 10_000n) => ({
    pseudonym: keccak256(toUtf8Bytes("p")),
    principal,
    annualRateBps: 1_800n,
    periods: 10n,
    periodDays: 30n,
    leadFundingBps: 2_000n,
    leadInterestBps: 3_000n,
    useCategory: ethers.ZeroHash,
  });

  /** Loan 1 of 10,000 units: the lead 2,000, partners 0 and 1 5,000 and 3,000. */
  async function openedFixture() {
    const fx = await loadFixture(deployFixture);
    await fx.harness.connect(fx.lead).open(LOAN, terms(), fx.borrower.address, 2_000n);
    await fx.harness.commit(LOAN, fx.partners[0].address, 5_000n, CAP, MAX_FUNDERS);
    await fx.harness.commit(LOAN, fx.partners[1].address, 3_000n, CAP, MAX_FUNDERS);
    return fx;
  }

  const funded = async (h: Awaited<ReturnType<typeof deployFixture>>["harness"]) =>
    (await h.funders(LOAN)).map((f) => [f.account, f.funded]);

  it("opens a loan in Funding with the lead escrowed as its first funder", async function () {
    const { harness, lead, borrower } = await loadFixture(deployFixture);
    await harness.connect(lead).open(LOAN, terms(), borrower.address, 2_000n);
    const loan = await harness.loan(LOAN);
    expect([loan.status, loan.lead, loan.borrower, loan.principal, loan.funded, loan.rows]).to.deep.equal([
      BigInt(LoanStatus.Funding),
      lead.address,
      borrower.address,
      10_000n,
      2_000n,
      10n,
    ]);
    expect(await funded(harness)).to.deep.equal([[lead.address, 2_000n]]);
    expect(await harness.slotOf(LOAN, lead.address)).to.equal(1n);
    expect((await harness.lender(lead.address)).escrow).to.equal(2_000n);
  });

  describe("commit and withdraw", function () {
    it("escrows a partner's commitment in one slot however often it commits, up to exactly the cap", async function () {
      const { harness, partners } = await loadFixture(openedFixture);
      await harness.commit(LOAN, partners[0].address, 1n, CAP, MAX_FUNDERS);
      expect((await harness.funders(LOAN))[1].funded).to.equal(5_001n);
      expect(await harness.slotOf(LOAN, partners[0].address)).to.equal(2n);
      await harness.commit(LOAN, partners[0].address, CAP - 5_001n, CAP, MAX_FUNDERS);
      expect((await harness.lender(partners[0].address)).escrow).to.equal(CAP);
    });

    it("refuses a commitment over the exposure cap, and a funder past the maximum", async function () {
      const { harness, book, partners } = await loadFixture(openedFixture);
      await expect(harness.commit(LOAN, partners[0].address, CAP - 4_999n, CAP, MAX_FUNDERS))
        .to.be.revertedWithCustomError(book, "ExposureCapExceeded")
        .withArgs(partners[0].address, CAP + 1n, CAP);
      await harness.commit(LOAN, partners[2].address, 1n, CAP, MAX_FUNDERS);
      await expect(harness.commit(LOAN, partners[3].address, 1n, CAP, MAX_FUNDERS))
        .to.be.revertedWithCustomError(book, "TooManyFunders")
        .withArgs(LOAN, MAX_FUNDERS);
    });

    it("returns part of a commitment, and drops a funder left with nothing (the last moves into its slot)", async function () {
      const { harness, lead, partners } = await loadFixture(openedFixture);
      await harness.commit(LOAN, partners[2].address, 700n, CAP, MAX_FUNDERS);
      await harness.withdraw(LOAN, partners[0].address, 1n);
      expect((await harness.lender(partners[0].address)).escrow).to.equal(4_999n);
      await harness.withdraw(LOAN, partners[0].address, 4_999n);
      expect(await funded(harness)).to.deep.equal([
        [lead.address, 2_000n],
        [partners[2].address, 700n],
        [partners[1].address, 3_000n],
      ]);
      expect(await harness.slotOf(LOAN, partners[0].address)).to.equal(0n);
      expect(await harness.slotOf(LOAN, partners[2].address)).to.equal(2n);
      // The last funder leaving just pops.
      await harness.withdraw(LOAN, partners[1].address, 3_000n);
      expect(await funded(harness)).to.deep.equal([
        [lead.address, 2_000n],
        [partners[2].address, 700n],
      ]);
      expect((await harness.lender(partners[1].address)).escrow).to.equal(0n);
    });

    it("refuses to return the lead's share, a non-funder's, or more than was committed", async function () {
      const { harness, book, lead, partners } = await loadFixture(openedFixture);
      await expect(harness.withdraw(LOAN, lead.address, 1n))
        .to.be.revertedWithCustomError(book, "CommitmentTooSmall")
        .withArgs(LOAN, lead.address, 0n);
      await expect(harness.withdraw(LOAN, partners[3].address, 1n))
        .to.be.revertedWithCustomError(book, "CommitmentTooSmall")
        .withArgs(LOAN, partners[3].address, 0n);
      await expect(harness.withdraw(LOAN, partners[0].address, 5_001n))
        .to.be.revertedWithCustomError(book, "CommitmentTooSmall")
        .withArgs(LOAN, partners[0].address, 5_000n);
    });

    it("refunds the lead's escrow on cancellation", async function () {
      const { harness, lead } = await loadFixture(openedFixture);
      await expect(harness.refundLead(LOAN)).to.emit(harness, "Returned").withArgs(2_000n);
      expect((await harness.lender(lead.address)).escrow).to.equal(0n);
      await expect(harness.refundLead(LOAN)).to.emit(harness, "Returned").withArgs(0n);
    });
  });

  describe("disburse, credit, classify, claim", function () {
    async function disbursedFixture() {
      const fx = await loadFixture(openedFixture);
      await fx.harness.disburse(LOAN, 10_000n);
      return fx;
    }

    it("moves every funder's escrow to outstanding", async function () {
      const { harness, lead, partners } = await loadFixture(disbursedFixture);
      for (const [a, amount] of [
        [lead, 2_000n],
        [partners[0], 5_000n],
        [partners[1], 3_000n],
      ] as const) {
        const l = await harness.lender(a.address);
        expect([l.escrow, l.outstanding]).to.deep.equal([0n, amount]);
      }
      expect(await harness.totals()).to.deep.equal([10_000n, 0n]);
    });

    it("credits each funder the floor of its cumulative share, and the exact rest at settlement", async function () {
      const { harness, lead, partners } = await loadFixture(disbursedFixture);
      const accounts = [lead, partners[0], partners[1]].map((s) => s.address);
      const shares = [2_000n, 5_000n, 3_000n];
      const payments: [bigint, bigint][] = [
        [1n, 1n],
        [333n, 7n],
        [0n, 0n],
        [9_666n, 101n],
      ];
      let [cumP, cumI] = [0n, 0n];
      for (const [i, [p, inc]] of payments.entries()) {
        const settled = i === payments.length - 1;
        await harness.credit(LOAN, p, inc, 3_000n, NORMAL, settled);
        cumP += p;
        cumI += inc;
        const due = fundersDue(shares, cumP, cumI, 3_000n, settled);
        const fs = await harness.funders(LOAN);
        expect(fs.map((f) => f.principalReturned)).to.deep.equal(due.principalTo);
        expect(fs.map((f) => f.incomeReceived)).to.deep.equal(due.incomeTo);
        expect(await harness.credited(LOAN)).to.deep.equal([cumP, cumI]);
      }
      // Settled: every unit credited is claimable, none created, none left in the loan.
      let claimable = 0n;
      for (const a of accounts) claimable += (await harness.lender(a)).claimable;
      expect(claimable).to.equal(cumP + cumI);
      for (const a of accounts) expect((await harness.lender(a)).outstanding).to.equal(0n);
      expect(await harness.totals()).to.deep.equal([0n, 0n]);
    });

    it("matches fundersDue for any funders and credits (targets)", async function () {
      const { harness, lead, partners } = await loadFixture(deployFixture);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.bigInt({ min: 1n, max: 10n ** 20n }), { minLength: 1, maxLength: 3 }),
          fc.bigInt({ min: 1n, max: 10n ** 20n }),
          fc.bigInt({ min: 0n, max: 10n ** 24n }),
          fc.bigInt({ min: 0n, max: 10n ** 24n }),
          fc.bigInt({ min: 0n, max: 10_000n }),
          fc.boolean(),
          async (partnerAmounts, leadAmount, cumP, cumI, leadBps, settled) => {
            const id = BigInt(Math.floor(Math.random() * 2 ** 40)) + 10n;
            const principal = leadAmount + partnerAmounts.reduce((s, x) => s + x, 0n);
            await harness.connect(lead).open(id, terms(principal), lead.address, leadAmount);
            for (const [i, a] of partnerAmounts.entries())
              await harness.commit(id, partners[i].address, a, 2n ** 127n, MAX_FUNDERS);
            const [p, i] = await harness.targets(id, cumP, cumI, leadBps, settled);
            const due = fundersDue([leadAmount, ...partnerAmounts], cumP, cumI, leadBps, settled);
            expect(p).to.deep.equal(due.principalTo);
            expect(i).to.deep.equal(due.incomeTo);
          },
        ),
        { numRuns: 25 },
      );
    });

    it("moves outstanding between classes and in and out of the non-performing buckets, and credits them down", async function () {
      const { harness, lead, partners } = await loadFixture(disbursedFixture);
      await harness.reclass(LOAN, 10_000n, NORMAL, SPECIAL_MENTION);
      expect(await harness.totals()).to.deep.equal([10_000n, 0n]);
      expect((await harness.lender(partners[0].address)).byClass[0]).to.equal(5_000n);
      await harness.reclass(LOAN, 10_000n, SPECIAL_MENTION, SUBSTANDARD);
      expect(await harness.totals()).to.deep.equal([10_000n, 10_000n]);
      const p0 = await harness.lender(partners[0].address);
      expect(p0.nonPerforming).to.equal(5_000n);
      expect(p0.byClass[0]).to.equal(0n);
      expect(p0.byClass[1]).to.equal(5_000n);
      await harness.credit(LOAN, 1_000n, 0n, 3_000n, SUBSTANDARD, false);
      expect(await harness.totals()).to.deep.equal([9_000n, 9_000n]);
      expect((await harness.lender(partners[0].address)).nonPerforming).to.equal(4_500n);
      expect((await harness.lender(partners[0].address)).byClass[1]).to.equal(4_500n);
      await harness.reclass(LOAN, 9_000n, SUBSTANDARD, NORMAL);
      expect(await harness.totals()).to.deep.equal([9_000n, 0n]);
      for (const a of [lead, ...partners.slice(0, 2)]) {
        const l = await harness.lender(a.address);
        expect(l.nonPerforming).to.equal(0n);
        expect(l.byClass).to.deep.equal([0n, 0n, 0n, 0n]);
      }
    });

    it("writes off what an award left unpaid: outstanding and its class leave every funder's book, nothing is credited", async function () {
      const { harness, lead, partners } = await loadFixture(disbursedFixture);
      await harness.reclass(LOAN, 10_000n, NORMAL, LOSS);
      await harness.credit(LOAN, 4_000n, 0n, 3_000n, LOSS, false);
      const before = await harness.lender(partners[0].address);
      await harness.writeOff(LOAN, 6_000n, LOSS);
      expect(await harness.totals()).to.deep.equal([0n, 0n]);
      for (const a of [lead, ...partners.slice(0, 2)]) {
        const l = await harness.lender(a.address);
        expect(l.outstanding).to.equal(0n);
        expect(l.nonPerforming).to.equal(0n);
        expect(l.byClass).to.deep.equal([0n, 0n, 0n, 0n]);
      }
      expect((await harness.lender(partners[0].address)).claimable).to.equal(before.claimable);
    });

    it("pays out what is claimable once, and refuses a claim of nothing", async function () {
      const { harness, book, lead, partners } = await loadFixture(disbursedFixture);
      await harness.credit(LOAN, 10_000n, 0n, 3_000n, NORMAL, true);
      await expect(harness.takeClaimable(partners[0].address)).to.emit(harness, "Returned").withArgs(5_000n);
      await expect(harness.takeClaimable(partners[0].address))
        .to.be.revertedWithCustomError(book, "NothingToClaim")
        .withArgs(partners[0].address);
      await expect(harness.takeClaimable(partners[3].address))
        .to.be.revertedWithCustomError(book, "NothingToClaim")
        .withArgs(partners[3].address);
      expect((await harness.lender(lead.address)).claimable).to.equal(2_000n);
    });
  });
});
