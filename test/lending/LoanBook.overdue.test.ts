import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Kind, LoanClass, LoanStatus, Subject, ZERO_HASH } from "../../clients/core/types";
import {
  DAY,
  cny,
  defaultNoticeAttrs,
  deployLending,
  installment,
  overdueInterest,
  surcharge,
} from "../../clients/lending";
import { deployLedgerFixture } from "../helpers/consortium";
import {
  ActiveLoanFixture,
  LendingFixture,
  activeLoanFixture,
  admit,
  chainKinds,
  expectRejection,
  loadCustomFixture,
  openLoan,
  pseudonym,
  rawLoanRecord,
  standardTerms,
} from "./fixtures";
import { modelOf, repayBoth } from "./model";

const A = installment(cny(12_000), 1_200, 10, 30); // the standard loan's installment
const due = (fx: ActiveLoanFixture, k: number) => fx.disbursedAt + BigInt(k + 1) * 30n * DAY;

async function reminded(fx: ActiveLoanFixture, at = due(fx, 0) + DAY): Promise<bigint> {
  await time.setNextBlockTimestamp(at);
  const r = await fx.lead.remind(fx.loanId, "SMS: installment 1 is overdue");
  return r.remindedAt;
}

async function defaulted(): Promise<ActiveLoanFixture> {
  const fx = await loadFixture(activeLoanFixture);
  const at = await reminded(fx);
  await time.increaseTo(at + 86_400n);
  await fx.lead.declareDefault(fx.loanId, fx.partnerNodes);
  return fx;
}

describe("LoanBook: overdue, collection and classification", function () {
  describe("overdue interest and surcharge", function () {
    it("charges overdue interest per whole day on the missed installment, plus a 50% surcharge", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await time.increaseTo(due(fx, 0) + 10n * DAY);
      const d = await fx.loanBook.dues(fx.loanId);
      const odi = (A * 1_200n * 10n) / 3_600_000n; // 360-day year
      expect(d.overdueInterest).to.equal(odi);
      expect(odi).to.equal(overdueInterest(A, 1_200, 10));
      expect(d.surcharge).to.equal(odi / 2n);
      expect(d.surcharge).to.equal(surcharge(odi, 5_000));
      expect(d.daysPastDue).to.equal(10n);
      expect(d.interestDue + d.principalDue).to.equal(A);
      expect(d.amountDue).to.equal(A + odi + odi / 2n);
      expect(d.nextDueDate).to.equal(due(fx, 0));
    });

    it("charges nothing on the due day itself and until a whole day has passed", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await time.increaseTo(due(fx, 0) + DAY - 1n);
      const d = await fx.loanBook.dues(fx.loanId);
      expect([d.overdueInterest, d.surcharge, d.daysPastDue]).to.deep.equal([0n, 0n, 0n]);
    });

    it("accrues on every overdue installment by its own days late", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await time.increaseTo(due(fx, 1) + 5n * DAY);
      const d = await fx.loanBook.dues(fx.loanId);
      const odi = overdueInterest(A, 1_200, 35) + overdueInterest(A, 1_200, 5);
      expect(d.overdueInterest).to.equal(odi);
      expect(d.daysPastDue).to.equal(35n);
      const model = await modelOf(fx, fx.loanId);
      expect(d).to.deep.equal(Object.values(model.dues(BigInt(await time.latest()))));
    });

    it("applies a payment to the surcharge, then overdue interest, then interest and principal", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const at = due(fx, 0) + 20n * DAY;
      const odi = overdueInterest(A, 1_200, 20);
      const sur = surcharge(odi, 5_000);
      const r1 = await repayBoth(fx, model, sur + 1n, at);
      expect(r1.allocation).to.deep.equal({
        surcharge: sur,
        overdueInterest: 1n,
        interest: 0n,
        principal: 0n,
        prepaid: 0n,
      });
      const r2 = await repayBoth(fx, model, odi, at + 60n);
      expect(r2.allocation.overdueInterest).to.equal(odi - 1n);
      expect(r2.allocation.interest).to.equal(1n);
    });

    it("splits overdue interest and surcharge like interest: 30% lead, 70% partners", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const at = due(fx, 0) + 30n * DAY;
      const odi = overdueInterest(A, 1_200, 30);
      const sur = surcharge(odi, 5_000);
      const r = await repayBoth(fx, model, odi + sur, at);
      expect(r.incomeParts[0]).to.equal(((odi + sur) * 3_000n) / 10_000n);
      // each funder gets the floor of its share; the units left (fewer than the funders) wait in the loan
      const credited = r.incomeParts.reduce((s, x) => s + x, 0n);
      expect(odi + sur - credited).to.be.within(0n, 2n);
      expect(r.incomeParts).to.deep.equal(
        [3_000n * 9_600n, 7_000n * 5_760n, 7_000n * 3_840n].map((w) => ((odi + sur) * w) / (10_000n * 9_600n)),
      );
    });

    it("accrues on the unpaid remainder after a partial payment, matching the model", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      await repayBoth(fx, model, cny(500), due(fx, 0) + 3n * DAY);
      await repayBoth(fx, model, cny(400), due(fx, 1) + 9n * DAY);
      await time.increaseTo(due(fx, 2) + 2n * DAY);
      const d = await fx.loanBook.dues(fx.loanId);
      expect(d).to.deep.equal(Object.values(model.dues(BigInt(await time.latest()))));
      await repayBoth(fx, model, d.amountDue, due(fx, 2) + 2n * DAY + 30n);
      expect((await fx.loanBook.dues(fx.loanId)).daysPastDue).to.equal(0n);
    });

    it("uses the surcharge rate configured at deployment", async function () {
      const fx = await loadCustomFixture({ params: { surchargeBps: 10_000 } });
      const p = await admit(fx, 0);
      const { loanId, disbursedAt } = await openLoan(fx, standardTerms(p));
      await time.increaseTo(disbursedAt + 40n * DAY);
      const d = await fx.loanBook.dues(loanId);
      expect(d.surcharge).to.equal(d.overdueInterest);
      expect(d.overdueInterest).to.equal(overdueInterest(A, 1_200, 10));
    });
  });

  describe("classification", function () {
    it("maps days past due to the five classes with the default thresholds", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const table: [number, LoanClass][] = [
        [0, LoanClass.Normal],
        [1, LoanClass.SpecialMention],
        [59, LoanClass.SpecialMention],
        [60, LoanClass.Substandard],
        [89, LoanClass.Substandard],
        [90, LoanClass.Doubtful],
        [179, LoanClass.Doubtful],
        [180, LoanClass.Loss],
        [10_000, LoanClass.Loss],
      ];
      for (const [dpd, cls] of table) expect(await fx.loanBook.classFor(dpd), `${dpd} days`).to.equal(cls);
    });

    it("applies thresholds configured at deployment", async function () {
      const fx = await loadCustomFixture({ params: { substandardDays: 90, doubtfulDays: 180, lossDays: 360 } });
      expect(await fx.loanBook.classFor(60)).to.equal(LoanClass.SpecialMention);
      expect(await fx.loanBook.classFor(90)).to.equal(LoanClass.Substandard);
      expect(await fx.loanBook.classFor(359)).to.equal(LoanClass.Doubtful);
      expect(await fx.loanBook.classFor(360)).to.equal(LoanClass.Loss);
    });

    it("reclassifies when anyone calls classify, recording a Classified fact only when the class changes", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await time.increaseTo(due(fx, 0) + DAY);
      await expect(fx.loanBook.connect(fx.outsider).classify(fx.loanId))
        .to.emit(fx.loanBook, "LoanClassified")
        .withArgs(fx.loanId, LoanClass.Normal, LoanClass.SpecialMention, 1n);
      await time.increaseTo(due(fx, 0) + 30n * DAY);
      await expect(fx.loanBook.connect(fx.outsider).classify(fx.loanId)).to.not.emit(fx.loanBook, "LoanClassified");
      const kinds = await chainKinds(fx, Subject.loan(fx.loanId));
      expect(kinds.filter((k) => k === "Classified")).to.have.length(1);
      await time.increaseTo(due(fx, 0) + 60n * DAY);
      expect(await fx.lead.classify(fx.loanId)).to.equal(LoanClass.Substandard);
      await time.increaseTo(due(fx, 0) + 90n * DAY);
      expect(await fx.lead.classify(fx.loanId)).to.equal(LoanClass.Doubtful);
      await time.increaseTo(due(fx, 0) + 180n * DAY);
      expect(await fx.lead.classify(fx.loanId)).to.equal(LoanClass.Loss);
      expect((await chainKinds(fx, Subject.loan(fx.loanId))).filter((k) => k === "Classified")).to.have.length(4);
    });

    it("rejects classifying an unknown loan or one that is not outstanding", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await expect(fx.loanBook.classify(5n)).to.be.revertedWithCustomError(fx.loanBook, "UnknownLoan").withArgs(5n);
      const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym), false);
      await expect(fx.loanBook.classify(loanId))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(loanId, LoanStatus.Funding);
    });

    it("exposes each lender's and the consortium's non-performing balance and NPL ratio", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await admit(fx, 1);
      const other = await openLoan(fx, standardTerms(pseudonym(1), { principal: cny(28_000) }));
      // Keep the second loan current; let the first go 60 days past due.
      const model = await modelOf(fx, other.loanId);
      await time.setNextBlockTimestamp(other.disbursedAt + 30n * DAY);
      await fx.token.connect(fx.borrowers[1]).approve(await fx.loanBook.getAddress(), cny(1_000_000));
      const row0 = model.dues(other.disbursedAt + 30n * DAY).amountDue;
      await fx.loanBook.connect(fx.borrowers[1]).repay(other.loanId, row0);
      await time.increaseTo(due(fx, 0) + 60n * DAY);
      expect(await fx.loanBook.nplRatioBps()).to.equal(0n);
      await fx.loanBook.classify(fx.loanId);
      const [total, np] = await fx.loanBook.portfolio();
      expect(np).to.equal(cny(12_000));
      expect(total).to.equal(cny(12_000) + (await fx.loanBook.loanInfo(other.loanId)).outstanding);
      expect(await fx.loanBook.nplRatioBps()).to.equal((np * 10_000n) / total);
      const p0 = await fx.loanBook.lenderPosition(fx.partners[0].address);
      expect(p0.nonPerforming).to.equal(cny(5_760));
      expect(await fx.loanBook.lenderNplRatioBps(fx.partners[0].address)).to.equal(
        (p0.nonPerforming * 10_000n) / p0.outstanding,
      );
      expect((await fx.loanBook.lenderPosition(fx.partners[3].address)).nonPerforming).to.equal(0n);
      expect(await fx.loanBook.lenderNplRatioBps(fx.partners[3].address)).to.equal(0n);
    });

    it("moves a loan back to normal, and out of the non-performing balance, once it is brought current", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await time.increaseTo(due(fx, 0) + 70n * DAY);
      await fx.loanBook.classify(fx.loanId);
      expect((await fx.loanBook.portfolio())[1]).to.equal(cny(12_000));
      const d = await fx.loanBook.dues(fx.loanId);
      await time.setNextBlockTimestamp(BigInt(await time.latest()) + 1n);
      await expect(
        fx.loanBook.connect(fx.borrower).repay(fx.loanId, d.amountDue + d.currentInterest + d.currentPrincipal),
      )
        .to.emit(fx.loanBook, "LoanClassified")
        .withArgs(fx.loanId, LoanClass.Substandard, LoanClass.Normal, 0n);
      expect(await fx.loanBook.portfolio()).to.deep.equal([(await fx.loanBook.loanInfo(fx.loanId)).outstanding, 0n]);
      expect((await fx.loanBook.lenderPosition(fx.partners[0].address)).nonPerforming).to.equal(0n);
    });

    it("takes principal repaid on a non-performing loan out of the non-performing balance", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await time.increaseTo(due(fx, 0) + 95n * DAY);
      await fx.loanBook.classify(fx.loanId);
      const before = await fx.loanBook.portfolio();
      const d = await fx.loanBook.dues(fx.loanId);
      await time.setNextBlockTimestamp(BigInt(await time.latest()) + 1n);
      // Installments are paid oldest first, each its interest then its principal.
      const receipt = await (
        await fx.loanBook.connect(fx.borrower).repay(fx.loanId, d.surcharge + d.overdueInterest + A + cny(10))
      ).wait();
      const [event] = receipt!.logs
        .map((l) => fx.loanBook.interface.parseLog(l))
        .filter((e) => e?.name === "RepaymentApplied");
      const principal = event!.args.allocation.principal;
      expect(principal).to.be.greaterThan(cny(10));
      const after = await fx.loanBook.portfolio();
      expect(before[1] - after[1]).to.equal(principal);
      expect(before[0] - after[0]).to.equal(principal);
      // The oldest unpaid installment is now the second, 65 days late: still non-performing.
      expect((await fx.loanBook.loanInfo(fx.loanId)).class_).to.equal(LoanClass.Substandard);
    });
  });

  describe("reminders and default", function () {
    it("records a reminder of the oldest missed installment on the loan's chain", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await time.setNextBlockTimestamp(due(fx, 0) + 1n);
      const r = await fx.lead.remind(fx.loanId, "call log 2024-05-01");
      expect(r.installment).to.equal(0n);
      const loan = await fx.loanBook.loanInfo(fx.loanId);
      expect([loan.remindedAt, loan.remindedInstallment]).to.deep.equal([due(fx, 0) + 1n, 0n]);
      expect((await chainKinds(fx, Subject.loan(fx.loanId))).at(-1)).to.equal("Reminder");
    });

    it("rejects a reminder when nothing is past due, by anyone but the lead, or without a notice", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await time.setNextBlockTimestamp(due(fx, 0));
      await expect(fx.loanBook.connect(fx.leadBank).remind(fx.loanId, "0x" + "11".repeat(32)))
        .to.be.revertedWithCustomError(fx.loanBook, "NothingOverdue")
        .withArgs(fx.loanId);
      await time.increase(1);
      await expect(fx.loanBook.connect(fx.partners[0]).remind(fx.loanId, "0x" + "11".repeat(32)))
        .to.be.revertedWithCustomError(fx.loanBook, "NotLoanLead")
        .withArgs(fx.partners[0].address, fx.leadBank.address);
      await expect(fx.loanBook.connect(fx.leadBank).remind(fx.loanId, ZERO_HASH)).to.be.revertedWithCustomError(
        fx.loanBook,
        "EmptyHash",
      );
    });

    it("declares default once the reminder went unanswered for 24 hours, listing the borrower for all members", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const at = await reminded(fx);
      await time.increaseTo(at + 86_400n);
      const { record } = await fx.lead.declareDefault(fx.loanId, fx.partnerNodes);
      expect(record.endorsers).to.have.length(3);
      expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Defaulted);
      expect(await fx.registry.isDelinquent(fx.pseudonym)).to.equal(true);
      expect(await fx.registry.canBorrow(fx.pseudonym)).to.equal(false);
      expect((await fx.registry.creditLine(fx.pseudonym)).listings).to.equal(1);
      expect((await chainKinds(fx, Subject.loan(fx.loanId))).at(-1)).to.equal("DefaultNotice");
      expect((await chainKinds(fx, Subject.borrower(fx.pseudonym))).at(-1)).to.equal("DelinquencyListed");
      const listed = await fx.registry.queryFilter(fx.registry.filters.BorrowerListed(fx.pseudonym));
      expect(listed[0].args.loanId).to.equal(fx.loanId);
    });

    it("refuses to declare default before the reminder window has passed", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const at = await reminded(fx);
      const attrs = defaultNoticeAttrs(fx.loanId, 0n, at);
      const r = await rawLoanRecord(fx, fx.loanId, Kind.DefaultNotice, attrs);
      await expect(
        fx.loanBook.connect(fx.leadBank).declareDefault(fx.loanId, r.record, r.issuedAt, r.deadline, r.signatures),
      )
        .to.be.revertedWithCustomError(fx.loanBook, "DefaultTooEarly")
        .withArgs(fx.loanId, at + 86_400n);
      await time.increaseTo(at + 86_400n - 2n);
      await expectRejection(fx.lead.declareDefault(fx.loanId, fx.partnerNodes), /reminder window has not passed/);
    });

    it("refuses default without a reminder, or once the reminded installment was paid", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await time.increaseTo(due(fx, 0) + 5n * DAY);
      const r = await rawLoanRecord(fx, fx.loanId, Kind.DefaultNotice, defaultNoticeAttrs(fx.loanId, 0n, 0n));
      await expect(
        fx.loanBook.connect(fx.leadBank).declareDefault(fx.loanId, r.record, r.issuedAt, r.deadline, r.signatures),
      )
        .to.be.revertedWithCustomError(fx.loanBook, "NoUnansweredReminder")
        .withArgs(fx.loanId);
      const at = await reminded(fx, due(fx, 0) + 6n * DAY);
      const d = await fx.loanBook.dues(fx.loanId);
      await fx.loanBook.connect(fx.borrower).repay(fx.loanId, d.amountDue + cny(1));
      await time.increaseTo(at + 2n * 86_400n);
      const r2 = await rawLoanRecord(fx, fx.loanId, Kind.DefaultNotice, defaultNoticeAttrs(fx.loanId, 0n, at));
      await expect(
        fx.loanBook.connect(fx.leadBank).declareDefault(fx.loanId, r2.record, r2.issuedAt, r2.deadline, r2.signatures),
      )
        .to.be.revertedWithCustomError(fx.loanBook, "NoUnansweredReminder")
        .withArgs(fx.loanId);
    });

    it("still treats a partly paid reminded installment as unanswered", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const at = await reminded(fx);
      await fx.loanBook.connect(fx.borrower).repay(fx.loanId, cny(100));
      await time.increaseTo(at + 86_400n);
      await fx.lead.declareDefault(fx.loanId, fx.partnerNodes);
      expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Defaulted);
    });

    it("rejects a default notice from anyone but the lead, twice, or with attrs that do not match", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const at = await reminded(fx);
      await time.increaseTo(at + 86_400n);
      const bad = await rawLoanRecord(fx, fx.loanId, Kind.DefaultNotice, defaultNoticeAttrs(fx.loanId, 1n, at));
      await expect(
        fx.loanBook
          .connect(fx.leadBank)
          .declareDefault(fx.loanId, bad.record, bad.issuedAt, bad.deadline, bad.signatures),
      ).to.be.revertedWithCustomError(fx.loanBook, "AttrsMismatch");
      await expect(
        fx.loanBook
          .connect(fx.partners[0])
          .declareDefault(fx.loanId, bad.record, bad.issuedAt, bad.deadline, bad.signatures),
      )
        .to.be.revertedWithCustomError(fx.loanBook, "NotLoanLead")
        .withArgs(fx.partners[0].address, fx.leadBank.address);
      await fx.lead.declareDefault(fx.loanId, fx.partnerNodes);
      const again = await rawLoanRecord(fx, fx.loanId, Kind.DefaultNotice, defaultNoticeAttrs(fx.loanId, 0n, at));
      await expect(
        fx.loanBook
          .connect(fx.leadBank)
          .declareDefault(fx.loanId, again.record, again.issuedAt, again.deadline, again.signatures),
      )
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(fx.loanId, LoanStatus.Defaulted);
    });

    it("honours a reminder window configured at deployment", async function () {
      const fx = (await loadCustomFixture({ params: { reminderWindow: 3_600 } })) as LendingFixture;
      const p = await admit(fx, 0);
      const { loanId, disbursedAt } = await openLoan(fx, standardTerms(p));
      await time.setNextBlockTimestamp(disbursedAt + 31n * DAY);
      const { remindedAt } = await fx.lead.remind(loanId, "SMS");
      await time.increaseTo(remindedAt + 3_600n);
      await fx.lead.declareDefault(loanId, fx.partnerNodes);
      expect((await fx.loanBook.loanInfo(loanId)).status).to.equal(LoanStatus.Defaulted);
    });

    it("keeps a defaulted loan repayable", async function () {
      const fx = await defaulted();
      const d = await fx.loanBook.dues(fx.loanId);
      await time.setNextBlockTimestamp(BigInt(await time.latest()) + 1n);
      await fx.loanBook.connect(fx.borrower).repay(fx.loanId, d.payoff);
      expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Repaid);
    });

    it("makes a listed borrower need a fresh, stricter decision before it can borrow again", async function () {
      const fx = await defaulted();
      const terms = standardTerms(fx.pseudonym, { principal: cny(1_000) });
      await expectRejection(
        fx.lead.originate({ ...terms, annualRateBps: 1_200, periods: 10, periodDays: 30 }, fx.partnerNodes),
        /not whitelisted, closed, or listed/,
      );
      const admission = { pseudonym: fx.pseudonym, account: fx.borrower.address, requestedLimit: cny(50_000) };
      await expectRejection(
        fx.lead.reevaluate({ ...admission, score: 900, onTimeMonths: 3 }, fx.partnerNodes),
        /credit declined: .*delinquent with under 12 months on time/,
      );
      const again = await fx.lead.reevaluate({ ...admission, score: 900, onTimeMonths: 12 }, fx.partnerNodes);
      expect(again.decision.tier).to.equal("delinquent");
      expect(again.limit).to.be.at.most(cny(10_000));
      expect(await fx.registry.canBorrow(fx.pseudonym)).to.equal(true);
    });
  });

  describe("court hooks", function () {
    async function courtFixture() {
      const fx = await loadCustomFixture({ court: true });
      const p = await admit(fx, 0);
      const { loanId, disbursedAt } = await openLoan(fx, standardTerms(p));
      await time.setNextBlockTimestamp(disbursedAt + 31n * DAY);
      const { remindedAt } = await fx.lead.remind(loanId, "SMS");
      await time.increaseTo(remindedAt + 86_400n);
      await fx.lead.declareDefault(loanId, fx.partnerNodes);
      // The collection stage a case needs (test/arbitration/collection.test.ts).
      await time.increaseTo(remindedAt + BigInt(fx.params.reminderStageDays) * DAY);
      const { arbitrableFrom } = await fx.lead.startCollection(loanId, "Agency", fx.partnerNodes);
      await time.increaseTo(arbitrableFrom);
      return { ...fx, loanId, court: fx.court!, pseudonym: p };
    }

    it("moves a defaulted loan into arbitration and records the award, listing the borrower again", async function () {
      const fx = await courtFixture();
      expect(await fx.loanBook.court()).to.equal(fx.court.address);
      await expect(fx.loanBook.connect(fx.court).onCaseOpened(fx.loanId, 0n))
        .to.emit(fx.loanBook, "ArbitrationStarted")
        .withArgs(fx.loanId, 0n);
      expect(await fx.loanBook.loanStatus(fx.loanId)).to.equal(LoanStatus.InArbitration);
      await expect(fx.loanBook.connect(fx.court).onAward(fx.loanId, 0n, cny(12_500)))
        .to.emit(fx.loanBook, "AwardRecorded")
        .withArgs(fx.loanId, 0n, cny(12_500));
      const loan = await fx.loanBook.loanInfo(fx.loanId);
      expect([loan.status, loan.awardAmount]).to.deep.equal([BigInt(LoanStatus.Awarded), cny(12_500)]);
      expect((await fx.registry.creditLine(fx.pseudonym)).listings).to.equal(2);
    });

    it("accepts the hooks only from the bound court, in order, for the right case", async function () {
      const fx = await courtFixture();
      await expect(fx.loanBook.connect(fx.leadBank).onCaseOpened(fx.loanId, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "NotCourt")
        .withArgs(fx.leadBank.address);
      await expect(fx.loanBook.connect(fx.court).onAward(fx.loanId, 1n, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(fx.loanId, LoanStatus.Defaulted);
      await fx.loanBook.connect(fx.court).onCaseOpened(fx.loanId, 1n);
      await expect(fx.loanBook.connect(fx.court).onCaseOpened(fx.loanId, 2n))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(fx.loanId, LoanStatus.InArbitration);
      await expect(fx.loanBook.connect(fx.court).onAward(fx.loanId, 2n, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "CaseMismatch")
        .withArgs(fx.loanId, 2n, 1n);
      await expect(fx.loanBook.connect(fx.partners[0]).onAward(fx.loanId, 1n, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "NotCourt")
        .withArgs(fx.partners[0].address);
    });

    it("refuses to open a case on a performing loan", async function () {
      const fx = await courtFixture();
      const { loanId } = await openLoan(fx, standardTerms(await admit(fx, 1)), false);
      await expect(fx.loanBook.connect(fx.court).onCaseOpened(loanId, 3n))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(loanId, LoanStatus.Funding);
    });

    it("records the award even when the borrower settled in full while the case ran", async function () {
      const fx = await courtFixture();
      await fx.loanBook.connect(fx.court).onCaseOpened(fx.loanId, 4n);
      const d = await fx.loanBook.dues(fx.loanId);
      await time.setNextBlockTimestamp(BigInt(await time.latest()) + 1n);
      await fx.loanBook.connect(fx.borrowers[0]).repay(fx.loanId, d.payoff);
      await fx.loanBook.connect(fx.court).onAward(fx.loanId, 4n, 0n);
      expect(await fx.loanBook.loanStatus(fx.loanId)).to.equal(LoanStatus.Repaid);
    });

    it("binds the court and the loan-use account once, only by the genesis administrator before sealing", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await expect(fx.loanBook.connect(fx.deployer).bindCourt(fx.outsider.address))
        .to.be.revertedWithCustomError(fx.loanBook, "NotGenesisAdmin")
        .withArgs(fx.deployer.address);
      const fresh = await deployLedgerFixture({ banks: 3, seal: false });
      const lending = await deployLending(fresh.deployer, fresh.ledger);
      await expect(lending.loanBook.connect(fresh.outsider).bindCourt(fresh.outsider.address))
        .to.be.revertedWithCustomError(lending.loanBook, "NotGenesisAdmin")
        .withArgs(fresh.outsider.address);
      await lending.loanBook.connect(fresh.deployer).bindCourt(fresh.outsider.address);
      await expect(lending.loanBook.connect(fresh.deployer).bindCourt(fresh.deployer.address))
        .to.be.revertedWithCustomError(lending.loanBook, "AlreadyBound")
        .withArgs(fresh.outsider.address);
      await expect(lending.loanBook.connect(fresh.deployer).bindLoanUse(fresh.outsider.address))
        .to.be.revertedWithCustomError(lending.loanBook, "AlreadyBound")
        .withArgs(await lending.loanUse.getAddress());
      await expect(lending.registry.connect(fresh.deployer).bindLoanBook(fresh.outsider.address))
        .to.be.revertedWithCustomError(lending.registry, "AlreadyBound")
        .withArgs(await lending.loanBook.getAddress());
    });
  });
});
