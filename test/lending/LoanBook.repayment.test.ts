import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { LoanStatus, Subject } from "../../clients/core/types";
import {
  BorrowerClient,
  DAY,
  cny,
  installment,
  periodInterest,
  schedule,
  splitBps,
  splitByWeights,
} from "../../clients/lending";
import { activeLoanFixture, admittedFixture, chainKinds, openLoan, standardTerms } from "./fixtures";
import { modelOf, repayBoth } from "./model";

function rowTotal(r: { principal: bigint; interest: bigint }): bigint {
  return r.principal + r.interest;
}

describe("LoanBook: repayment", function () {
  describe("schedule", function () {
    it("shows the annuity schedule with due dates, identical to the TypeScript mirror", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const rows = await fx.loanBook.schedule(fx.loanId);
      const expected = schedule(cny(12_000), 1_200, 10, 30);
      expect(rows).to.have.length(10);
      for (const [k, r] of rows.entries()) {
        expect([r.principal, r.interest, r.paid], `row ${k}`).to.deep.equal([
          expected[k].principal,
          expected[k].interest,
          0n,
        ]);
        expect(r.dueDate).to.equal(fx.disbursedAt + BigInt(k + 1) * 30n * DAY);
      }
      const model = await modelOf(fx, fx.loanId);
      expect(model.schedule().map((r) => [r.dueDate, r.principal, r.interest, r.paid])).to.deep.equal(
        rows.map((r) => [r.dueDate, r.principal, r.interest, r.paid]),
      );
      expect(await fx.loanBook.installmentOf(cny(12_000), 1_200, 10, 30)).to.equal(
        installment(cny(12_000), 1_200, 10, 30),
      );
      expect(rows.slice(0, 9).every((r) => rowTotal(r) === rowTotal(rows[0]))).to.equal(true);
      expect(rowTotal(rows[9])).to.be.at.most(rowTotal(rows[0]));
    });

    it("shows a loan being funded with its schedule but no due dates", async function () {
      const fx = await loadFixture(admittedFixture);
      const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym), false);
      const rows = await fx.loanBook.schedule(loanId);
      expect(rows.every((r) => r.dueDate === 0n)).to.equal(true);
      expect((await fx.loanBook.dues(loanId)).payoff).to.equal(0n);
    });

    it("rejects the schedule of an unknown loan", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await expect(fx.loanBook.schedule(77n)).to.be.revertedWithCustomError(fx.loanBook, "UnknownLoan").withArgs(77n);
    });
  });

  describe("paying installments", function () {
    it("pays an installment on its due date: its interest, then its principal", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const [row] = schedule(cny(12_000), 1_200, 10, 30);
      const r = await repayBoth(fx, model, row.payment, fx.disbursedAt + 30n * DAY);
      expect(r.allocation).to.deep.equal({
        surcharge: 0n,
        overdueInterest: 0n,
        interest: row.interest,
        principal: row.principal,
        prepaid: 0n,
      });
      const rows = await fx.loanBook.schedule(fx.loanId);
      expect(rows[0].paid).to.equal(row.payment);
      expect(await chainKinds(fx, Subject.loan(fx.loanId))).to.include("Repayment");
    });

    it("applies a partial payment to interest first and keeps the rest due", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const [row] = schedule(cny(12_000), 1_200, 10, 30);
      const at = fx.disbursedAt + 30n * DAY;
      const r = await repayBoth(fx, model, row.interest - 1n, at);
      expect([r.allocation.interest, r.allocation.principal]).to.deep.equal([row.interest - 1n, 0n]);
      const r2 = await repayBoth(fx, model, 1_000n, at + 10n);
      expect([r2.allocation.interest, r2.allocation.principal]).to.deep.equal([1n, 999n]);
      const dues = await fx.loanBook.dues(fx.loanId);
      expect(dues.interestDue).to.equal(0n);
      expect(dues.principalDue).to.equal(row.principal - 999n);
      expect((await fx.loanBook.schedule(fx.loanId))[0].paid).to.equal(row.interest + 999n);
    });

    it("lets the borrower pay the current installment before its due date", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const [row] = schedule(cny(12_000), 1_200, 10, 30);
      const d = await fx.loanBook.dues(fx.loanId);
      expect([d.amountDue, d.currentInterest, d.currentPrincipal]).to.deep.equal([0n, row.interest, row.principal]);
      const r = await repayBoth(fx, model, row.payment, fx.disbursedAt + 5n * DAY);
      expect(r.allocation.prepaid).to.equal(0n);
      expect((await fx.loanBook.loanInfo(fx.loanId)).cursor).to.equal(1n);
    });

    it("walks the whole schedule to Repaid, each funder getting back exactly what it lent", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const rows = schedule(cny(12_000), 1_200, 10, 30);
      for (const [k, row] of rows.entries())
        await repayBoth(fx, model, row.payment, fx.disbursedAt + BigInt(k + 1) * 30n * DAY);
      const loan = await fx.loanBook.loanInfo(fx.loanId);
      expect(loan.status).to.equal(LoanStatus.Repaid);
      expect(loan.totalRepaid).to.equal(rows.reduce((s, r) => s + r.payment, 0n));
      const funders = await fx.loanBook.fundersOf(fx.loanId);
      for (const f of funders) expect(f.principalReturned, f.account).to.equal(f.funded);
      const interest = rows.reduce((s, r) => s + r.interest, 0n);
      expect(funders.reduce((s, f) => s + f.incomeReceived, 0n)).to.equal(interest);
      // Cumulative shares: over the loan's life the lead gets its 30% of all the interest to the unit
      // (the exact largest-remainder split), not the sum of ten rounded-down splits.
      const exact = splitByWeights(interest, [3_000n * 9_600n, 7_000n * 5_760n, 7_000n * 3_840n]);
      expect(funders.map((f) => f.incomeReceived)).to.deep.equal(exact);
      expect(funders[0].incomeReceived - splitBps(interest, 3_000).leadPart).to.be.within(0n, 1n);
      expect(await fx.loanBook.portfolio()).to.deep.equal([0n, 0n]);
      expect(await fx.loanBook.consortiumExposure(fx.pseudonym)).to.deep.equal([0n, 0n]);
      expect(await fx.loanBook.committedPrincipal(fx.pseudonym)).to.equal(0n);
    });
  });

  describe("early repayment", function () {
    it("re-amortizes the rest over the remaining installments: same end date, smaller installments", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const [row] = schedule(cny(12_000), 1_200, 10, 30);
      await time.setNextBlockTimestamp(fx.disbursedAt + 10n * DAY);
      const amount = row.payment + cny(3_000);
      const tx = fx.loanBook.connect(fx.borrower).repay(fx.loanId, amount);
      // Interest to the day: 12,000.00 CNY at 12% / 360 for 10 days = 40.00 CNY; the rest is principal.
      const toDay = periodInterest(cny(12_000), 1_200, 10);
      expect(toDay).to.equal(cny(40));
      const outstanding = cny(12_000) - (amount - toDay);
      await expect(tx).to.emit(fx.loanBook, "ScheduleRecomputed").withArgs(fx.loanId, 0n, outstanding, 10n);
      const r = model.repay(amount, fx.disbursedAt + 10n * DAY);
      expect(r.allocation).to.deep.include({ interest: toDay, principal: row.principal });
      expect(r.allocation.prepaid).to.equal(amount - toDay - row.principal);
      const rows = await fx.loanBook.schedule(fx.loanId);
      expect(rows).to.have.length(10);
      const rest = schedule(outstanding, 1_200, 10, 30);
      for (let k = 0; k < 10; k++) {
        // the first row charges only the 20 days of the period not yet charged
        const interest = k === 0 ? periodInterest(outstanding, 1_200, 20) : rest[k].interest;
        expect([rows[k].principal, rows[k].interest, rows[k].paid], `row ${k}`).to.deep.equal([
          rest[k].principal,
          interest,
          0n,
        ]);
      }
      expect(rowTotal(rows[1])).to.be.lessThan(row.payment);
      expect(rows[9].dueDate).to.equal(fx.disbursedAt + 300n * DAY);
      expect(model.schedule().map((x) => [x.principal, x.interest, x.paid])).to.deep.equal(
        rows.map((x) => [x.principal, x.interest, x.paid]),
      );
    });

    it("treats a payment beyond the current installment as early repayment after the current one is paid", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const [row] = schedule(cny(12_000), 1_200, 10, 30);
      await repayBoth(fx, model, row.payment, fx.disbursedAt + 3n * DAY);
      const r = await repayBoth(fx, model, cny(1_000), fx.disbursedAt + 4n * DAY);
      expect(r.allocation).to.deep.equal({
        surcharge: 0n,
        overdueInterest: 0n,
        interest: 0n,
        principal: 0n,
        prepaid: cny(1_000),
      });
    });

    it("pays off the loan in full with the payoff amount", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const client = new BorrowerClient(fx.borrower, fx.book);
      await time.increaseTo(fx.disbursedAt + 45n * DAY);
      const model = await modelOf(fx, fx.loanId);
      const dues = await client.dues(fx.loanId);
      expect(dues).to.deep.equal(model.dues(BigInt(await time.latest())));
      await time.setNextBlockTimestamp(BigInt(await time.latest()) + 1n);
      const r = await client.payOff(fx.loanId);
      expect(r.settled).to.equal(true);
      expect(r.outstanding).to.equal(0n);
      const loan = await fx.loanBook.loanInfo(fx.loanId);
      expect(loan.status).to.equal(LoanStatus.Repaid);
      expect(loan.cursor).to.equal(loan.rows);
      expect((await chainKinds(fx, Subject.loan(fx.loanId))).at(-1)).to.equal("Repayment");
    });

    it("lets a tiny remaining balance fall due in full with the current installment", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const leave = 3n;
      const amount = periodInterest(cny(12_000), 1_200, 1) + cny(12_000) - leave;
      const r = await repayBoth(fx, model, amount, fx.disbursedAt + DAY);
      expect(r.reamortized).to.equal(true);
      const rows = await fx.loanBook.schedule(fx.loanId);
      expect(rows).to.have.length(1);
      expect([rows[0].principal, rows[0].dueDate]).to.deep.equal([leave, fx.disbursedAt + 30n * DAY]);
      const d = await fx.loanBook.dues(fx.loanId);
      expect(d.outstanding).to.equal(leave);
      await repayBoth(fx, model, d.payoff, fx.disbursedAt + 2n * DAY);
      expect((await fx.loanBook.loanInfo(fx.loanId)).status).to.equal(LoanStatus.Repaid);
    });
  });

  describe("bad repayments", function () {
    it("rejects a zero payment", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await expect(fx.loanBook.connect(fx.borrower).repay(fx.loanId, 0n)).to.be.revertedWithCustomError(
        fx.loanBook,
        "ZeroAmount",
      );
    });

    it("rejects paying more than the payoff, however large, and changes nothing", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const payoff = (await fx.loanBook.dues(fx.loanId)).payoff;
      for (const amount of [payoff + 1n, 2n ** 128n, 2n ** 256n - 1n]) {
        await expect(fx.loanBook.connect(fx.borrower).repay(fx.loanId, amount))
          .to.be.revertedWithCustomError(fx.loanBook, "Overpayment")
          .withArgs(fx.loanId, amount, payoff);
      }
      expect((await fx.loanBook.loanInfo(fx.loanId)).outstanding).to.equal(cny(12_000));
    });

    it("rejects repaying a repaid, cancelled, unfunded or unknown loan", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const client = new BorrowerClient(fx.borrower, fx.book);
      await client.payOff(fx.loanId);
      await expect(fx.loanBook.connect(fx.borrower).repay(fx.loanId, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(fx.loanId, LoanStatus.Repaid);
      const { loanId } = await openLoan(fx, standardTerms(fx.pseudonym), false);
      await expect(fx.loanBook.connect(fx.borrower).repay(loanId, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(loanId, LoanStatus.Funding);
      await fx.lead.cancel(loanId);
      await expect(fx.loanBook.connect(fx.borrower).repay(loanId, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "WrongStatus")
        .withArgs(loanId, LoanStatus.Cancelled);
      await expect(fx.loanBook.connect(fx.borrower).repay(99n, 1n))
        .to.be.revertedWithCustomError(fx.loanBook, "UnknownLoan")
        .withArgs(99n);
    });

    it("rejects a payment the payer has not approved or cannot cover", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await expect(fx.loanBook.connect(fx.borrowers[1]).repay(fx.loanId, 1n)).to.be.revertedWithCustomError(
        fx.token,
        "ERC20InsufficientAllowance",
      );
    });
  });

  describe("split and payout", function () {
    it("splits principal by funding share and interest 30% lead / 70% partners by funded amount", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const model = await modelOf(fx, fx.loanId);
      const [row] = schedule(cny(12_000), 1_200, 10, 30);
      const r = await repayBoth(fx, model, row.payment, fx.disbursedAt + 30n * DAY);
      // Funded 2,400 / 5,760 / 3,840 of 12,000: principal 20% / 48% / 32%.
      // Each funder gets the floor of its exact share; the few units left wait for the next repayment.
      const exact = [2_400n, 5_760n, 3_840n].map((w) => (row.principal * w) / 12_000n);
      expect(r.principalParts).to.deep.equal(exact);
      expect(r.incomeParts[0]).to.equal(splitBps(row.interest, 3_000).leadPart);
      // partners: 70% of the interest by funded amount (5,760 / 3,840 of 9,600)
      expect(r.incomeParts.slice(1)).to.deep.equal(
        [5_760n, 3_840n].map((w) => (row.interest * 7_000n * w) / (10_000n * 9_600n)),
      );
      expect(row.principal - r.principalParts.reduce((s, x) => s + x, 0n)).to.be.within(0n, 2n);
    });

    it("pays each funder its credited repayments on claim, once", async function () {
      const fx = await loadFixture(activeLoanFixture);
      const client = new BorrowerClient(fx.borrower, fx.book);
      await client.repay(fx.loanId, cny(2_000));
      const claimable = (await fx.loanBook.lenderPosition(fx.partners[0].address)).claimable;
      expect(claimable).to.be.greaterThan(0n);
      await expect(fx.loanBook.connect(fx.partners[0]).claim())
        .to.emit(fx.loanBook, "Claimed")
        .withArgs(fx.partners[0].address, claimable);
      await expect(fx.loanBook.connect(fx.partners[0]).claim())
        .to.be.revertedWithCustomError(fx.loanBook, "NothingToClaim")
        .withArgs(fx.partners[0].address);
      expect(await fx.partnerNodes[1].claim()).to.be.greaterThan(0n);
      expect(await fx.partnerNodes[1].claim()).to.equal(0n);
      expect(await fx.lead.claim()).to.be.greaterThan(0n);
      expect(await fx.token.balanceOf(await fx.loanBook.getAddress())).to.equal(0n);
    });

    it("accepts a repayment from any registered payer, such as a guarantor bank", async function () {
      const fx = await loadFixture(activeLoanFixture);
      await fx.token.connect(fx.partners[3]).approve(await fx.loanBook.getAddress(), cny(100));
      await expect(fx.loanBook.connect(fx.partners[3]).repay(fx.loanId, cny(100)))
        .to.emit(fx.loanBook, "RepaymentApplied")
        .withArgs(
          fx.loanId,
          fx.partners[3].address,
          cny(100),
          (a: unknown) => a !== undefined,
          (o: bigint) => o > 0n,
        );
    });
  });
});
