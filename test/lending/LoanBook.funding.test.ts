import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Kind, LoanStatus, Subject } from "../../clients/core/types";
import { LoanBook__factory, LoanEngine__factory } from "../../typechain-types";
import { loanBookFactory } from "../../clients/lending/deploy";
import { LoanTermsInput, cny, loanBookParams, loanContractAttrs } from "../../clients/lending";
import {
  CATEGORY,
  LendingFixture,
  activeLoanFixture,
  admit,
  admittedFixture,
  chainKinds,
  expectRejection,
  loadCustomFixture,
  borrowerSigner,
  openLoan,
  rawAssent,
  rawLoanRecord,
  standardTerms,
} from "./fixtures";

/** Originates `terms` with raw signatures (no reviewer), so the contract's own checks are what is tested. */
async function originateRaw(fx: LendingFixture, terms: LoanTermsInput, caller = fx.leadBank, borrower?: string) {
  const loanId = await fx.loanBook.nextLoanId();
  const account = borrower ?? (await fx.registry.creditLine(terms.pseudonym)).account;
  const r = await rawLoanRecord(fx, loanId, Kind.LoanContract, loanContractAttrs(loanId, account, terms));
  await fx.token.connect(caller).approve(await fx.loanBook.getAddress(), terms.principal);
  const assent = await rawAssent(fx, r.record, borrowerSigner(fx, account));
  return fx.loanBook.connect(caller).originate(terms, r.record, r.issuedAt, r.deadline, r.signatures, assent);
}

describe("LoanBook: origination and funding", function () {
  describe("origination", function () {
    it("originates a loan for a whitelisted borrower and escrows the lead's 20%", async function () {
      const fx = await loadFixture(admittedFixture);
      const o = await fx.lead.originate(
        { pseudonym: fx.pseudonym, principal: cny(12_000), annualRateBps: 1_200, periods: 10, periodDays: 30 },
        fx.partnerNodes,
      );
      expect(o.loanId).to.equal(1n);
      expect([o.leadAmount, o.partnersAmount]).to.deep.equal([cny(2_400), cny(9_600)]);
      const loan = await fx.loanBook.loanInfo(o.loanId);
      expect(loan.status).to.equal(LoanStatus.Funding);
      expect(loan.borrower).to.equal(fx.borrower.address);
      expect(loan.lead).to.equal(fx.leadBank.address);
      expect(loan.principal).to.equal(cny(12_000));
      expect(loan.funded).to.equal(cny(2_400));
      expect([loan.leadFundingBps, loan.leadInterestBps]).to.deep.equal([2_000n, 3_000n]);
      expect(await fx.token.balanceOf(await fx.loanBook.getAddress())).to.equal(cny(2_400));
      expect((await fx.loanBook.lenderPosition(fx.leadBank.address)).escrow).to.equal(cny(2_400));
      expect(await fx.loanBook.committedPrincipal(fx.pseudonym)).to.equal(cny(12_000));
      expect(await chainKinds(fx, Subject.loan(o.loanId))).to.deep.equal(["LoanContract", "LoanFunded"]);
      expect(await fx.loanBook.isLender(o.loanId, fx.leadBank.address)).to.equal(true);
      expect(await fx.loanBook.borrowerOf(o.loanId)).to.deep.equal([fx.borrower.address, fx.pseudonym]);
    });

    it("emits LoanOriginated with the terms", async function () {
      const fx = await loadFixture(admittedFixture);
      const terms = standardTerms(fx.pseudonym);
      await expect(originateRaw(fx, terms))
        .to.emit(fx.loanBook, "LoanOriginated")
        .withArgs(1n, fx.pseudonym, fx.leadBank.address, fx.borrower.address, Object.values(terms))
        .and.to.emit(fx.loanBook, "LoanFunded")
        .withArgs(1n, fx.leadBank.address, cny(2_400), cny(2_400));
    });

    it("accepts 5, 10 and 20 periods, per-loan shares within bounds, and a single drawdown of exactly 40,000 CNY", async function () {
      const fx = await loadFixture(admittedFixture);
      await admit(fx, 1, cny(300_000), 1_000);
      const big = await fx.registry.pseudonymOf(fx.borrowers[1].address);
      await originateRaw(fx, standardTerms(big, { principal: cny(40_000), periods: 20n }));
      await originateRaw(fx, standardTerms(big, { periods: 5n, leadFundingBps: 1_000n, leadInterestBps: 5_000n }));
      await originateRaw(fx, standardTerms(big, { leadFundingBps: 5_000n, leadInterestBps: 0n }));
      expect(await fx.loanBook.nextLoanId()).to.equal(4n);
      expect((await fx.loanBook.loanInfo(3n)).funded).to.equal(cny(6_000));
    });

    it("rejects a caller that is not a lead bank", async function () {
      const fx = await loadFixture(admittedFixture);
      for (const who of [fx.partners[0], fx.borrower, fx.arbitrator]) {
        await expect(originateRaw(fx, standardTerms(fx.pseudonym), who))
          .to.be.revertedWithCustomError(fx.loanBook, "WrongRole")
          .withArgs(who.address, 1);
      }
    });

    it("rejects a borrower that was never whitelisted", async function () {
      const fx = await loadFixture(admittedFixture);
      const stranger = "0x" + "ab".repeat(32);
      await expect(originateRaw(fx, standardTerms(stranger), fx.leadBank, fx.borrowers[1].address))
        .to.be.revertedWithCustomError(fx.loanBook, "NotWhitelisted")
        .withArgs(stranger);
    });

    it("rejects a borrower whose line was closed", async function () {
      const fx = await loadFixture(admittedFixture);
      await fx.lead.closeLine(fx.pseudonym, "re-evaluation", fx.partnerNodes);
      await expect(originateRaw(fx, standardTerms(fx.pseudonym)))
        .to.be.revertedWithCustomError(fx.loanBook, "NotWhitelisted")
        .withArgs(fx.pseudonym);
    });

    it("rejects a principal over the single-drawdown cap or under the minimum", async function () {
      const fx = await loadFixture(admittedFixture);
      for (const principal of [cny(40_000) + 1n, cny(100) - 1n, 0n]) {
        await expect(originateRaw(fx, standardTerms(fx.pseudonym, { principal })))
          .to.be.revertedWithCustomError(fx.loanBook, "PrincipalOutOfBounds")
          .withArgs(principal, cny(100), cny(40_000));
      }
    });

    it("applies a single-drawdown cap configured at deployment", async function () {
      const fx = await loadCustomFixture({ params: { maxDrawdown: cny(10_000) } });
      const p = await admit(fx, 0);
      await expect(originateRaw(fx, standardTerms(p, { principal: cny(10_001) })))
        .to.be.revertedWithCustomError(fx.loanBook, "PrincipalOutOfBounds")
        .withArgs(cny(10_001), cny(100), cny(10_000));
      await originateRaw(fx, standardTerms(p, { principal: cny(10_000) }));
    });

    it("keeps the borrower's outstanding principal plus the new loan within its limit", async function () {
      const fx = await loadFixture(admittedFixture); // limit 100,000 CNY
      for (let i = 0; i < 2; i++) await originateRaw(fx, standardTerms(fx.pseudonym, { principal: cny(40_000) }));
      await expect(originateRaw(fx, standardTerms(fx.pseudonym, { principal: cny(20_001) })))
        .to.be.revertedWithCustomError(fx.loanBook, "CreditLimitExceeded")
        .withArgs(fx.pseudonym, cny(20_001), cny(20_000));
      await originateRaw(fx, standardTerms(fx.pseudonym, { principal: cny(20_000) }));
      await expect(originateRaw(fx, standardTerms(fx.pseudonym, { principal: cny(100) })))
        .to.be.revertedWithCustomError(fx.loanBook, "CreditLimitExceeded")
        .withArgs(fx.pseudonym, cny(100), 0n);
    });

    it("frees room under the limit when a loan being funded is cancelled", async function () {
      const fx = await loadFixture(admittedFixture);
      await fx.lead.reevaluate(
        { pseudonym: fx.pseudonym, account: fx.borrower.address, score: 850, requestedLimit: cny(10_000) },
        fx.partnerNodes,
      );
      await originateRaw(fx, standardTerms(fx.pseudonym, { principal: cny(10_000) }));
      await expect(originateRaw(fx, standardTerms(fx.pseudonym))).to.be.revertedWithCustomError(
        fx.loanBook,
        "CreditLimitExceeded",
      );
      await fx.lead.cancel(1n);
      expect(await fx.loanBook.committedPrincipal(fx.pseudonym)).to.equal(0n);
      await originateRaw(fx, standardTerms(fx.pseudonym, { principal: cny(10_000) }));
    });

    it("rejects periods other than 5, 10 or 20, a zero or too long period, and a rate over the cap", async function () {
      const fx = await loadFixture(admittedFixture);
      const bad: Partial<LoanTermsInput>[] = [
        { periods: 6n },
        { periods: 0n },
        { periods: 30n },
        { periodDays: 0n },
        { periodDays: 93n },
        { annualRateBps: 2_401n },
      ];
      for (const o of bad) {
        const t = standardTerms(fx.pseudonym, o);
        await expect(originateRaw(fx, t))
          .to.be.revertedWithCustomError(fx.loanBook, "TermsOutOfBounds")
          .withArgs(t.periods, t.periodDays, t.annualRateBps);
      }
    });

    it("refuses terms within the bounds whose schedule cannot amortize with the other error, TermsDoNotAmortize", async function () {
      // A consortium that allows 360% a year over yearly periods: 20 of them grow a unit more than
      // MAX_GROWTH allows, so the schedule cannot be computed though every bound holds.
      const fx = await loadCustomFixture({ params: { maxRateBps: 36_000, maxPeriodDays: 366 } });
      const p = await admit(fx, 0);
      const t = standardTerms(p, { periods: 20n, periodDays: 366n, annualRateBps: 36_000n });
      // Reverted in the loan book's linked LoanEngine library (AnnuityMath): its ABI names it.
      const engine = LoanEngine__factory.connect(await fx.loanBook.getAddress(), fx.leadBank);
      await expect(originateRaw(fx, t))
        .to.be.revertedWithCustomError(engine, "TermsDoNotAmortize")
        .withArgs(t.principal, t.annualRateBps, t.periods, t.periodDays);
      expect(await fx.loanBook.nextLoanId()).to.equal(1n);
      // The same consortium's 5 yearly periods amortize.
      await originateRaw(fx, standardTerms(p, { periods: 5n, periodDays: 366n, annualRateBps: 36_000n }));
    });

    it("rejects funding and interest shares outside the consortium's bounds", async function () {
      const fx = await loadFixture(admittedFixture);
      const bad: Partial<LoanTermsInput>[] = [
        { leadFundingBps: 999n }, // lead below its 10% minimum
        { leadFundingBps: 5_001n }, // partners below their 50% floor
        { leadFundingBps: 10_000n },
        { leadInterestBps: 5_001n }, // lead above its 50% interest maximum
      ];
      for (const o of bad) {
        const t = standardTerms(fx.pseudonym, o);
        await expect(originateRaw(fx, t))
          .to.be.revertedWithCustomError(fx.loanBook, "ShareOutOfBounds")
          .withArgs(t.leadFundingBps, t.leadInterestBps);
      }
    });

    it("rejects a loan contract whose attrs do not bind the terms, or that sits on another loan's subject", async function () {
      const fx = await loadFixture(admittedFixture);
      const terms = standardTerms(fx.pseudonym);
      const other = { ...terms, annualRateBps: 1_000n };
      const r = await rawLoanRecord(fx, 1n, Kind.LoanContract, loanContractAttrs(1n, fx.borrower.address, other));
      await fx.token.connect(fx.leadBank).approve(await fx.loanBook.getAddress(), terms.principal);
      const assent = await rawAssent(fx, r.record, fx.borrower);
      await expect(
        fx.loanBook.connect(fx.leadBank).originate(terms, r.record, r.issuedAt, r.deadline, r.signatures, assent),
      ).to.be.revertedWithCustomError(fx.loanBook, "AttrsMismatch");
      const wrong = await rawLoanRecord(fx, 2n, Kind.LoanContract, loanContractAttrs(1n, fx.borrower.address, terms));
      const wrongAssent = await rawAssent(fx, wrong.record, fx.borrower);
      await expect(
        fx.loanBook
          .connect(fx.leadBank)
          .originate(terms, wrong.record, wrong.issuedAt, wrong.deadline, wrong.signatures, wrongAssent),
      )
        .to.be.revertedWithCustomError(fx.loanBook, "RecordMismatch")
        .withArgs(Subject.loan(1n), Kind.LoanContract, Subject.loan(2n), Kind.LoanContract);
    });

    it("rejects a loan contract endorsed by too few banks", async function () {
      const fx = await loadFixture(admittedFixture);
      const terms = standardTerms(fx.pseudonym);
      const r = await rawLoanRecord(fx, 1n, Kind.LoanContract, loanContractAttrs(1n, fx.borrower.address, terms));
      await expect(
        fx.loanBook
          .connect(fx.leadBank)
          .originate(
            terms,
            r.record,
            r.issuedAt,
            r.deadline,
            r.signatures.slice(0, 2 + 128),
            await rawAssent(fx, r.record, fx.borrower),
          ),
      )
        .to.be.revertedWithCustomError(fx.ledger, "QuorumNotMet")
        .withArgs(1, 3);
    });

    it("has partner banks refuse a loan contract over the borrower's limit", async function () {
      const fx = await loadFixture(admittedFixture);
      await fx.lead.reevaluate(
        { pseudonym: fx.pseudonym, account: fx.borrower.address, score: 850, requestedLimit: cny(5_000) },
        fx.partnerNodes,
      );
      const attempt = fx.lead.originate(
        { pseudonym: fx.pseudonym, principal: cny(6_000), annualRateBps: 1_200, periods: 10, periodDays: 30 },
        fx.partnerNodes,
      );
      await expectRejection(attempt, /quorum not reached: 0 of 3 .*exceeds the room left/);
    });
  });

  describe("partner funding", function () {
    async function fundingStage() {
      const fx = await loadFixture(admittedFixture);
      const o = await fx.lead.originate(
        { pseudonym: fx.pseudonym, principal: cny(12_000), annualRateBps: 1_200, periods: 10, periodDays: 30 },
        fx.partnerNodes,
      );
      return { ...fx, loanId: o.loanId };
    }

    it("escrows partners' commitments until the partner share is complete", async function () {
      const fx = await loadFixture(fundingStage);
      const a = await fx.partnerNodes[0].commitFunding(fx.loanId, cny(5_000));
      expect([a.totalFunded, a.remaining]).to.deep.equal([cny(7_400), cny(4_600)]);
      const b = await fx.partnerNodes[1].commitFunding(fx.loanId, cny(1_000));
      const c = await fx.partnerNodes[0].commitFunding(fx.loanId, cny(1_000));
      const d = await fx.partnerNodes[2].commitFunding(fx.loanId);
      expect([b.remaining, c.remaining, d.amount, d.remaining]).to.deep.equal([cny(3_600), cny(2_600), cny(2_600), 0n]);
      const funders = await fx.loanBook.fundersOf(fx.loanId);
      expect(funders.map((f) => [f.account, f.funded])).to.deep.equal([
        [fx.leadBank.address, cny(2_400)],
        [fx.partners[0].address, cny(6_000)],
        [fx.partners[1].address, cny(1_000)],
        [fx.partners[2].address, cny(2_600)],
      ]);
      expect((await fx.loanBook.lenderPosition(fx.partners[0].address)).escrow).to.equal(cny(6_000));
      expect(await fx.token.balanceOf(await fx.loanBook.getAddress())).to.equal(cny(12_000));
      expect(await chainKinds(fx, Subject.loan(fx.loanId))).to.deep.equal([
        "LoanContract",
        "LoanFunded",
        "LoanFunded",
        "LoanFunded",
        "LoanFunded",
        "LoanFunded",
      ]);
    });

    it("rejects overfunding, including a second commitment beyond the partner total", async function () {
      const fx = await loadFixture(fundingStage);
      await expect(fx.loanBook.connect(fx.partners[0]).commitFunding(fx.loanId, cny(9_600) + 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "FundingExceeded")
        .withArgs(fx.loanId, cny(9_600) + 1n, cny(9_600));
      await fx.partnerNodes[0].commitFunding(fx.loanId, cny(9_000));
      await expect(fx.loanBook.connect(fx.partners[0]).commitFunding(fx.loanId, cny(601)))
        .to.be.revertedWithCustomError(fx.loanBook, "FundingExceeded")
        .withArgs(fx.loanId, cny(601), cny(600));
      await fx.partnerNodes[1].commitFunding(fx.loanId);
      await expect(fx.loanBook.connect(fx.partners[2]).commitFunding(fx.loanId, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "FundingExceeded")
        .withArgs(fx.loanId, 1n, 0n);
    });

    it("lets only partner banks commit funding", async function () {
      const fx = await loadFixture(fundingStage);
      for (const who of [fx.leadBank, fx.borrower, fx.arbitrator, fx.outsider]) {
        await expect(fx.loanBook.connect(who).commitFunding(fx.loanId, 1n))
          .to.be.revertedWithCustomError(fx.loanBook, "NotPartner")
          .withArgs(who.address);
      }
    });

    it("rejects a zero commitment and a commitment to an unknown loan", async function () {
      const fx = await loadFixture(fundingStage);
      await expect(fx.loanBook.connect(fx.partners[0]).commitFunding(fx.loanId, 0n)).to.be.revertedWithCustomError(
        fx.loanBook,
        "ZeroAmount",
      );
      await expect(fx.loanBook.connect(fx.partners[0]).commitFunding(99n, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "UnknownLoan")
        .withArgs(99n);
    });

    it("keeps each partner's exposure under the cap", async function () {
      const fx = await loadCustomFixture({ params: { partnerExposureCap: cny(10_000) } });
      const p = await admit(fx, 0);
      const { loanId } = await openLoan(fx, standardTerms(p, { principal: cny(10_000) }), true);
      expect((await fx.loanBook.lenderPosition(fx.partners[0].address)).outstanding).to.equal(cny(4_800));
      const second = await fx.lead.originate(
        { pseudonym: p, principal: cny(10_000), annualRateBps: 1_200, periods: 5, periodDays: 30 },
        fx.partnerNodes,
      );
      await expect(fx.loanBook.connect(fx.partners[0]).commitFunding(second.loanId, cny(5_200) + 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "ExposureCapExceeded")
        .withArgs(fx.partners[0].address, cny(10_000) + 1n, cny(10_000));
      await fx.partnerNodes[0].commitFunding(second.loanId, cny(5_200));
      expect(loanId).to.equal(1n);
    });

    it("caps the number of funders per loan", async function () {
      const fx = await loadCustomFixture({ params: { maxFunders: 3 } });
      const p = await admit(fx, 0);
      const o = await fx.lead.originate(
        { pseudonym: p, principal: cny(10_000), annualRateBps: 1_200, periods: 5, periodDays: 30 },
        fx.partnerNodes,
      );
      await fx.partnerNodes[0].commitFunding(o.loanId, cny(1_000));
      await fx.partnerNodes[1].commitFunding(o.loanId, cny(1_000));
      await fx.partnerNodes[0].commitFunding(o.loanId, cny(1_000));
      await expect(fx.loanBook.connect(fx.partners[2]).commitFunding(o.loanId, cny(1_000)))
        .to.be.revertedWithCustomError(fx.loanBook, "TooManyFunders")
        .withArgs(o.loanId, 3n);
    });

    it("lets a partner withdraw part or all of its commitment before disbursement", async function () {
      const fx = await loadFixture(fundingStage);
      await fx.partnerNodes[0].commitFunding(fx.loanId, cny(3_000));
      await fx.partnerNodes[1].commitFunding(fx.loanId, cny(2_000));
      await fx.partnerNodes[2].commitFunding(fx.loanId, cny(1_000));
      const before = await fx.token.balanceOf(fx.partners[0].address);
      const part = await fx.partnerNodes[0].withdrawCommitment(fx.loanId, cny(1_000));
      expect(part).to.deep.equal({ amount: cny(1_000), totalFunded: cny(7_400) });
      const all = await fx.partnerNodes[0].withdrawCommitment(fx.loanId);
      expect(all).to.deep.equal({ amount: cny(2_000), totalFunded: cny(5_400) });
      expect(await fx.token.balanceOf(fx.partners[0].address)).to.equal(before + cny(3_000));
      const funders = await fx.loanBook.fundersOf(fx.loanId);
      expect(funders.map((f) => f.account)).to.deep.equal([
        fx.leadBank.address,
        fx.partners[2].address,
        fx.partners[1].address,
      ]);
      expect(await fx.loanBook.isLender(fx.loanId, fx.partners[0].address)).to.equal(false);
      expect((await fx.loanBook.lenderPosition(fx.partners[0].address)).escrow).to.equal(0n);
      const kinds = await chainKinds(fx, Subject.loan(fx.loanId));
      expect(kinds.slice(-2)).to.deep.equal(["FundingWithdrawn", "FundingWithdrawn"]);
    });

    it("rejects withdrawing more than committed, a zero amount, and the lead withdrawing its share", async function () {
      const fx = await loadFixture(fundingStage);
      await fx.partnerNodes[0].commitFunding(fx.loanId, cny(3_000));
      await expect(fx.loanBook.connect(fx.partners[0]).withdrawCommitment(fx.loanId, cny(3_000) + 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "CommitmentTooSmall")
        .withArgs(fx.loanId, fx.partners[0].address, cny(3_000));
      await expect(fx.loanBook.connect(fx.partners[1]).withdrawCommitment(fx.loanId, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "CommitmentTooSmall")
        .withArgs(fx.loanId, fx.partners[1].address, 0n);
      await expect(fx.loanBook.connect(fx.leadBank).withdrawCommitment(fx.loanId, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "CommitmentTooSmall")
        .withArgs(fx.loanId, fx.leadBank.address, 0n);
      await expect(fx.loanBook.connect(fx.partners[0]).withdrawCommitment(fx.loanId, 0n)).to.be.revertedWithCustomError(
        fx.loanBook,
        "ZeroAmount",
      );
    });

    it("rejects withdrawing after disbursement", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await expect(fx.loanBook.connect(fx.partners[0]).withdrawCommitment(fx.loanId, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(fx.loanId, LoanStatus.Active);
    });

    it("cancels a loan before disbursement: the lead is refunded and partners withdraw theirs", async function () {
      const fx = await loadFixture(fundingStage);
      await fx.partnerNodes[0].commitFunding(fx.loanId, cny(3_000));
      const refund = await fx.lead.cancel(fx.loanId);
      expect(refund).to.equal(cny(2_400));
      expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Cancelled);
      await expect(fx.loanBook.connect(fx.partners[0]).commitFunding(fx.loanId, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(fx.loanId, LoanStatus.Cancelled);
      await fx.partnerNodes[0].withdrawCommitment(fx.loanId);
      expect(await fx.token.balanceOf(await fx.loanBook.getAddress())).to.equal(0n);
      expect(await chainKinds(fx, Subject.loan(fx.loanId))).to.include("LoanCancelled");
      await expect(fx.loanBook.connect(fx.leadBank).disburse(fx.loanId))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(fx.loanId, LoanStatus.Cancelled);
    });

    it("lets only the loan's lead cancel, and only before disbursement", async function () {
      const fx = await loadFixture(fundingStage);
      await expect(fx.loanBook.connect(fx.partners[0]).cancel(fx.loanId))
        .to.be.revertedWithCustomError(fx.loanBook, "NotLoanLead")
        .withArgs(fx.partners[0].address, fx.leadBank.address);
      const active = await loadFixture(activeLoanFixture);
      await expect(active.loanBook.connect(active.leadBank).cancel(active.loanId))
        .to.be.revertedWithCustomError(active.loanBook, "WrongStatus")
        .withArgs(active.loanId, LoanStatus.Active);
    });
  });

  describe("disbursement", function () {
    it("refuses to disburse a loan that is not fully funded", async function () {
      const fx = await loadFixture(admittedFixture);
      const o = await fx.lead.originate(
        { pseudonym: fx.pseudonym, principal: cny(12_000), annualRateBps: 1_200, periods: 10, periodDays: 30 },
        fx.partnerNodes,
      );
      await expect(fx.loanBook.connect(fx.leadBank).disburse(o.loanId))
        .to.be.revertedWithCustomError(fx.loanBook, "NotFullyFunded")
        .withArgs(o.loanId, cny(2_400), cny(12_000));
      await fx.partnerNodes[0].commitFunding(o.loanId, cny(9_600) - 1n);
      await expect(fx.loanBook.connect(fx.leadBank).disburse(o.loanId))
        .to.be.revertedWithCustomError(fx.loanBook, "NotFullyFunded")
        .withArgs(o.loanId, cny(12_000) - 1n, cny(12_000));
    });

    it("disburses a fully funded loan to the borrower and moves every funder's escrow to outstanding", async function () {
      const fx = await loadFixture(admittedFixture);
      const before = await fx.token.balanceOf(fx.borrower.address);
      const { loanId, disbursedAt } = await openLoan(fx, standardTerms(fx.pseudonym));
      const loan = await fx.loanBook.loanInfo(loanId);
      expect(loan.status).to.equal(LoanStatus.Active);
      expect(loan.disbursedAt).to.equal(disbursedAt);
      expect(loan.outstanding).to.equal(cny(12_000));
      expect(await fx.token.balanceOf(fx.borrower.address)).to.equal(before + cny(12_000));
      expect(await fx.token.balanceOf(await fx.loanBook.getAddress())).to.equal(0n);
      const lead = await fx.loanBook.lenderPosition(fx.leadBank.address);
      const p0 = await fx.loanBook.lenderPosition(fx.partners[0].address);
      const p1 = await fx.loanBook.lenderPosition(fx.partners[1].address);
      expect([lead.escrow, lead.outstanding]).to.deep.equal([0n, cny(2_400)]);
      expect([p0.escrow, p0.outstanding, p1.outstanding]).to.deep.equal([0n, cny(5_760), cny(3_840)]);
      expect(await fx.loanBook.portfolio()).to.deep.equal([cny(12_000), 0n]);
      expect(await fx.loanBook.consortiumExposure(fx.pseudonym)).to.deep.equal([1n, cny(12_000)]);
      expect((await chainKinds(fx, Subject.loan(loanId))).at(-1)).to.equal("LoanDisbursed");
    });

    it("emits LoanDisbursed with the first due date", async function () {
      const fx = await loadFixture(admittedFixture);
      const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym), false);
      const tx = fx.loanBook.connect(fx.leadBank).disburse(loanId);
      await expect(tx).to.emit(fx.loanBook, "LoanDisbursed");
      const loan = await fx.loanBook.loanInfo(loanId);
      const rows = await fx.loanBook.schedule(loanId);
      expect(rows[0].dueDate).to.equal(loan.disbursedAt + 30n * 86_400n);
    });

    it("lets only the loan's lead disburse, and only once", async function () {
      const fx = await loadFixture(admittedFixture);
      const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym), false);
      await expect(fx.loanBook.connect(fx.partners[0]).disburse(loanId))
        .to.be.revertedWithCustomError(fx.loanBook, "NotLoanLead")
        .withArgs(fx.partners[0].address, fx.leadBank.address);
      await fx.lead.disburse(loanId);
      await expect(fx.loanBook.connect(fx.leadBank).disburse(loanId))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(loanId, LoanStatus.Active);
    });

    it("disburses into the restricted loan-use account when the loan names a category", async function () {
      const fx = await loadFixture(admittedFixture);
      const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym, { useCategory: CATEGORY }));
      expect(await fx.token.balanceOf(await fx.loanUse.getAddress())).to.equal(cny(12_000));
      const account = await fx.loanUse.accountOf(loanId);
      expect([account.borrower, account.lead, account.category, account.balance]).to.deep.equal([
        fx.borrower.address,
        fx.leadBank.address,
        CATEGORY,
        cny(12_000),
      ]);
    });
  });

  describe("parameters", function () {
    it("exposes the default consortium parameters", async function () {
      const fx = await loadFixture(admittedFixture);
      const p = await fx.loanBook.params();
      expect(p.maxDrawdown).to.equal(cny(40_000));
      expect([p.partnerFundingFloorBps, p.surchargeBps, p.reminderWindow]).to.deep.equal([5_000n, 5_000n, 86_400n]);
      expect([p.specialMentionDays, p.substandardDays, p.doubtfulDays, p.lossDays]).to.deep.equal([1n, 60n, 90n, 180n]);
    });

    it("rejects inconsistent parameters at deployment", async function () {
      const fx = await loadFixture(admittedFixture);
      const factory = await ethersFactory(fx);
      const base = loanBookParams(fx.params);
      const cases: [string, Record<string, unknown>][] = [
        ["drawdown", { minDrawdown: 0 }],
        ["drawdown", { minDrawdown: BigInt(base.maxDrawdown) + 1n }],
        ["maxDrawdown", { maxDrawdown: 2n ** 96n }],
        ["partnerExposureCap", { partnerExposureCap: 0 }],
        ["reminderWindow", { reminderWindow: 0 }],
        ["maxRateBps", { maxRateBps: 36_001 }],
        ["maxPeriodDays", { maxPeriodDays: 0 }],
        ["maxPeriodDays", { maxPeriodDays: 367 }],
        ["fundingShares", { partnerFundingFloorBps: 0 }],
        ["fundingShares", { minLeadFundingBps: 10_000 }],
        ["maxLeadInterestBps", { maxLeadInterestBps: 10_001 }],
        ["surchargeBps", { surchargeBps: 10_001 }],
        ["classThresholds", { specialMentionDays: 0 }],
        ["classThresholds", { substandardDays: 1 }],
        ["classThresholds", { doubtfulDays: base.substandardDays }],
        ["classThresholds", { lossDays: base.doubtfulDays }],
        ["maxFunders", { maxFunders: 1 }],
        ["maxFunders", { maxFunders: 65 }],
        ["provisionBps", { provisionNormalBps: 10_001 }],
        ["provisionBps", { provisionSpecialMentionBps: 10_001 }],
        ["provisionBps", { provisionSubstandardBps: 10_001 }],
        ["provisionBps", { provisionDoubtfulBps: 10_001 }],
        ["provisionBps", { provisionLossBps: 10_001 }],
      ];
      for (const [name, change] of cases) {
        const params = { ...base, ...change };
        await expect(
          factory.deploy(
            await fx.ledger.getAddress(),
            await fx.token.getAddress(),
            await fx.registry.getAddress(),
            params,
          ),
        )
          .to.be.revertedWithCustomError(fx.loanBook, "InvalidParam")
          .withArgs(encodeName(name));
      }
    });

    it("rejects a zero token or registry", async function () {
      const fx = await loadFixture(admittedFixture);
      const factory = await ethersFactory(fx);
      const [ledger, token, registry] = [
        await fx.ledger.getAddress(),
        await fx.token.getAddress(),
        await fx.registry.getAddress(),
      ];
      const params = loanBookParams(fx.params);
      for (const [t, r] of [
        [ZeroAddress, registry],
        [token, ZeroAddress],
      ]) {
        await expect(factory.deploy(ledger, t, r, params)).to.be.revertedWithCustomError(fx.loanBook, "ZeroAddress");
      }
    });
  });
});

/** A LoanBook factory linked to freshly deployed libraries. */
function ethersFactory(fx: LendingFixture): Promise<LoanBook__factory> {
  return loanBookFactory(fx.deployer);
}

function encodeName(name: string): string {
  return "0x" + Buffer.from(name, "utf8").toString("hex").padEnd(64, "0");
}
