import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { LoanStatus } from "../../clients/core/types";
import { DAY, cny } from "../../clients/lending";
import { MembershipHelper } from "../helpers/consortium";
import { CATEGORY, admittedFixture, openLoan, pseudonym, standardTerms } from "./fixtures";

const PURPOSE = "0x" + "5a".repeat(32);
const NOTICE = "0x" + "17".repeat(32);

/**
 * Regression tests for the lending findings of issue 11, each an attack that succeeded on the
 * contracts before the fix.
 */
describe("Lending hardening (issue 11)", function () {
  /** Loan 1 disbursed; loan 2 to the same borrower fully funded, not yet disbursed. */
  async function twoLoansFixture() {
    const fx = await loadFixture(admittedFixture);
    const first = await openLoan(fx, standardTerms(fx.pseudonym));
    const second = await openLoan(fx, standardTerms(fx.pseudonym, { principal: cny(5_000) }), false);
    return { ...fx, first: first.loanId, second: second.loanId, disbursedAt: first.disbursedAt };
  }

  describe("finding 3: disbursing to a borrower who no longer qualifies", function () {
    it("refuses to disburse a funded loan once the borrower's line is closed, and lets the lead cancel it", async function () {
      const fx = await twoLoansFixture();
      await fx.lead.closeLine(fx.pseudonym, "re-evaluation: no longer qualifies", fx.partnerNodes);
      await expect(fx.loanBook.connect(fx.leadBank).disburse(fx.second))
        .to.be.revertedWithCustomError(fx.loanBook, "NotWhitelisted")
        .withArgs(fx.pseudonym);
      expect((await fx.loanBook.loanInfo(fx.second)).status).to.equal(LoanStatus.Funding);
      await fx.lead.cancel(fx.second);
      expect((await fx.loanBook.loanInfo(fx.second)).status).to.equal(LoanStatus.Cancelled);
    });

    it("refuses to disburse a funded loan once the borrower was listed delinquent", async function () {
      const fx = await twoLoansFixture();
      await time.increaseTo(fx.disbursedAt + 31n * DAY);
      await fx.lead.remind(fx.first, "installment 1 is overdue");
      await time.increase(DAY + 1n);
      await fx.lead.declareDefault(fx.first, fx.partnerNodes);
      expect(await fx.registry.canBorrow(fx.pseudonym)).to.equal(false);
      await expect(fx.loanBook.connect(fx.leadBank).disburse(fx.second))
        .to.be.revertedWithCustomError(fx.loanBook, "BorrowerDelinquent")
        .withArgs(fx.pseudonym);
    });
  });

  describe("finding 2: removal must not confiscate", function () {
    it("lets a removed partner claim what it is owed and redeem it, and nothing else", async function () {
      const fx = await loadFixture(admittedFixture);
      const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym));
      const partner = fx.partners[0];
      await MembershipHelper.from(fx).remove(partner.address);
      // Repayments keep being credited to it...
      await fx.client.repay(loanId, cny(1_000));
      const owed = (await fx.loanBook.lenderPosition(partner.address)).claimable;
      expect(owed).to.be.greaterThan(0n);
      // ...and it can take them out.
      const before = await fx.token.balanceOf(partner.address);
      await expect(fx.loanBook.connect(partner).claim())
        .to.emit(fx.loanBook, "Claimed")
        .withArgs(partner.address, owed);
      expect(await fx.token.balanceOf(partner.address)).to.equal(before + owed);
      expect(await fx.token.canWithdraw(partner.address)).to.equal(true);
      await expect(fx.token.connect(partner).redeem(before + owed))
        .to.emit(fx.token, "Redeemed")
        .withArgs(partner.address, before + owed);
      expect(await fx.token.balanceOf(partner.address)).to.equal(0n);
    });

    it("lets a removed partner send to no one, nor receive from a bank", async function () {
      const fx = await loadFixture(admittedFixture);
      const partner = fx.partners[0];
      await MembershipHelper.from(fx).remove(partner.address);
      await expect(fx.token.connect(partner).transfer(fx.leadBank.address, 1n))
        .to.be.revertedWithCustomError(fx.token, "UnregisteredAccount")
        .withArgs(partner.address);
      await expect(fx.token.connect(fx.leadBank).transfer(partner.address, 1n))
        .to.be.revertedWithCustomError(fx.token, "UnregisteredAccount")
        .withArgs(partner.address);
      await expect(fx.token.connect(fx.leadBank).deposit(partner.address, 1n))
        .to.be.revertedWithCustomError(fx.token, "UnregisteredAccount")
        .withArgs(partner.address);
      await expect(fx.token.connect(partner).deposit(partner.address, 1n))
        .to.be.revertedWithCustomError(fx.token, "NotBank")
        .withArgs(partner.address);
      await expect(fx.loanBook.connect(partner).commitFunding(1n, 1n)).to.be.reverted;
    });

    it("lets a removed partner withdraw its commitment to a loan not yet disbursed", async function () {
      const fx = await loadFixture(admittedFixture);
      const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym), false);
      const partner = fx.partners[1];
      const committed = (await fx.loanBook.lenderPosition(partner.address)).escrow;
      await MembershipHelper.from(fx).remove(partner.address);
      const before = await fx.token.balanceOf(partner.address);
      await fx.loanBook.connect(partner).withdrawCommitment(loanId, committed);
      expect(await fx.token.balanceOf(partner.address)).to.equal(before + committed);
    });

    it("refunds a removed lead its escrowed share when it cancels, but lets it neither disburse nor remind", async function () {
      const fx = await loadFixture(admittedFixture);
      const funded = await openLoan(fx, standardTerms(fx.pseudonym, { principal: cny(2_000) }), false);
      const active = await openLoan(fx, standardTerms(fx.pseudonym));
      const lead = fx.leadBank;
      const escrow = (await fx.loanBook.fundersOf(funded.loanId))[0].funded;
      await MembershipHelper.from(fx).remove(lead.address);
      // Item 9 (decided): a removed lead starts nothing new...
      await expect(fx.loanBook.connect(lead).disburse(funded.loanId))
        .to.be.revertedWithCustomError(fx.loanBook, "NotLoanLead")
        .withArgs(lead.address, lead.address);
      await time.increaseTo(active.disbursedAt + 31n * DAY);
      await expect(fx.loanBook.connect(lead).remind(active.loanId, NOTICE))
        .to.be.revertedWithCustomError(fx.loanBook, "NotLoanLead")
        .withArgs(lead.address, lead.address);
      // ...but gets its money back.
      const before = await fx.token.balanceOf(lead.address);
      await fx.loanBook.connect(lead).cancel(funded.loanId);
      expect(await fx.token.balanceOf(lead.address)).to.equal(before + escrow);
    });
  });

  describe("finding 7: the payee is checked at every spend", function () {
    it("refuses to pay a payee that became a borrower after the lead approved it", async function () {
      const fx = await loadFixture(admittedFixture);
      await fx.lead.approvePayee(fx.payee.address, CATEGORY);
      const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym, { useCategory: CATEGORY }));
      await expect(fx.loanUse.connect(fx.borrower).spend(loanId, fx.payee.address, cny(1), PURPOSE)).to.emit(
        fx.loanUse,
        "Spent",
      );
      // The payee is whitelisted as a borrower (another person's pseudonym, the payee's account).
      await fx.lead.admit(
        { pseudonym: pseudonym(1), account: fx.payee.address, score: 850, requestedLimit: cny(10_000) },
        fx.partnerNodes,
      );
      await expect(fx.loanUse.connect(fx.borrower).spend(loanId, fx.payee.address, cny(1), PURPOSE))
        .to.be.revertedWithCustomError(fx.loanUse, "InvalidPayee")
        .withArgs(fx.payee.address);
    });
  });
});
