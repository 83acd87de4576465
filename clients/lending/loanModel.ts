import { LoanClass } from "../core/types";
import { BPS, installment, overdueInterest, periodInterest, schedule, splitByWeights, surcharge } from "./math";

/**
 * A loan's repayment state in TypeScript, mirroring contracts/lending/LoanEngine.sol (waterfall,
 * overdue accrual, re-amortization) and LoanAccounting.sol (the split among funders) line for
 * line, so a client can preview exactly what a repayment will do and tests can check the chain
 * against it. Amounts are bigint token units; times are unix seconds.
 */

export const DAY = 86_400n;

/** The terms the model needs. */
export interface ModelTerms {
  principal: bigint;
  annualRateBps: bigint;
  periods: number;
  periodDays: bigint;
  leadInterestBps: bigint;
}

/** A funder as the loan book keeps it (index 0 is the lead). */
export interface ModelFunder {
  account: string;
  funded: bigint;
  principalReturned: bigint;
  incomeReceived: bigint;
}

/** How a repayment was applied (mirror of `ILoanBook.Allocation`). */
export interface Allocation {
  surcharge: bigint;
  overdueInterest: bigint;
  interest: bigint;
  principal: bigint;
  prepaid: bigint;
}

/** What is owed (mirror of `ILoanBook.Dues`). */
export interface Dues {
  surcharge: bigint;
  overdueInterest: bigint;
  interestDue: bigint;
  principalDue: bigint;
  currentInterest: bigint;
  currentPrincipal: bigint;
  amountDue: bigint;
  payoff: bigint;
  outstanding: bigint;
  daysPastDue: bigint;
  nextDueDate: bigint;
}

/** One installment (mirror of `ILoanBook.Row`). */
export interface Row {
  dueDate: bigint;
  principal: bigint;
  interest: bigint;
  paid: bigint;
}

/** One repayment as the model applied it, with each funder's share. */
export interface RepaymentResult {
  allocation: Allocation;
  /** Principal credited to each funder, in funder order. */
  principalParts: bigint[];
  /** Interest, overdue interest and surcharge credited to each funder, in funder order. */
  incomeParts: bigint[];
  reamortized: boolean;
  settled: boolean;
}

/** Thresholds of the five-category classification (days past due). */
export interface ClassThresholds {
  specialMentionDays: bigint;
  substandardDays: bigint;
  doubtfulDays: bigint;
  lossDays: bigint;
}

/** The class `dpd` days past due maps to (mirror of `LoanBook.classFor`). */
export function classFor(dpd: bigint, t: ClassThresholds): LoanClass {
  if (dpd >= t.lossDays) return LoanClass.Loss;
  if (dpd >= t.doubtfulDays) return LoanClass.Doubtful;
  if (dpd >= t.substandardDays) return LoanClass.Substandard;
  if (dpd >= t.specialMentionDays) return LoanClass.SpecialMention;
  return LoanClass.Normal;
}

interface Base {
  start: number;
  periods: number;
  principal: bigint;
  /** Days of its first period already charged to the day by the early repayment that started it. */
  offset: bigint;
}

/** The rows of one amortization (mirror of `LoanEngine.baseSchedule`). */
function baseSchedule(base: Base, rate: bigint, periodDays: bigint): { principals: bigint[]; interests: bigint[] } {
  const rows = schedule(base.principal, rate, base.periods, periodDays);
  const interests = rows.map((r) => r.interest);
  if (base.offset !== 0n) interests[0] = periodInterest(base.principal, rate, periodDays - base.offset);
  return { principals: rows.map((r) => r.principal), interests };
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * What each funder (lead first) is due in all out of `cumPrincipal` and `cumIncome` credited so far
 * (mirror of `LoanAccounting.targets`): principal by funding share, income `leadBps` to the lead
 * and the rest to the partners by funding, each the floor of its exact share, or once `settled`
 * the exact largest-remainder split of both (a fully repaid loan's principal splits exactly by
 * funding either way; an award's satisfaction settles a loan whose principal was not all repaid).
 */
export function fundersDue(
  funded: readonly bigint[],
  cumPrincipal: bigint,
  cumIncome: bigint,
  leadBps: bigint,
  settled: boolean,
): { principalTo: bigint[]; incomeTo: bigint[] } {
  const total = funded.reduce((s, x) => s + x, 0n);
  const partners = total - funded[0];
  const weights = funded.map((f, i) => (i === 0 ? leadBps * partners : (BPS - leadBps) * f));
  const principalTo = settled ? splitByWeights(cumPrincipal, funded) : funded.map((f) => (cumPrincipal * f) / total);
  const incomeTo = settled
    ? splitByWeights(cumIncome, weights)
    : weights.map((w) => (cumIncome * w) / (BPS * partners));
  return { principalTo, incomeTo };
}

/** Repayment is over `amount` exceeding the payoff (mirror of `ILoanBook.Overpayment`). */
export class OverpaymentError extends Error {
  override readonly name = "Overpayment";
  constructor(
    readonly amount: bigint,
    readonly payoff: bigint,
  ) {
    super(`Overpayment: ${amount} exceeds the payoff ${payoff}`);
  }
}

export class LoanModel {
  funders: ModelFunder[] = [];
  disbursedAt = 0n;
  rows: number;
  cursor = 0;
  cursorPaid = 0n;
  outstanding = 0n;
  overdueInterest = 0n;
  surcharge = 0n;
  accruedDay = 0n;
  bases: Base[];
  totalRepaid = 0n;
  /** Principal and income credited to the funders in all (mirror of `LoanAccounting.Credited`). */
  creditedPrincipal = 0n;
  creditedIncome = 0n;

  private principals: bigint[] = [];
  private interests: bigint[] = [];

  constructor(
    readonly terms: ModelTerms,
    readonly surchargeBps: bigint = 5_000n,
  ) {
    this.rows = terms.periods;
    this.bases = [{ start: 0, periods: terms.periods, principal: terms.principal, offset: 0n }];
    this.loadBase();
  }

  /** Installment of the original terms. */
  get installment(): bigint {
    return installment(this.terms.principal, this.terms.annualRateBps, this.terms.periods, this.terms.periodDays);
  }

  private get baseStart(): number {
    return this.bases[this.bases.length - 1].start;
  }

  private loadBase(): void {
    const base = this.bases[this.bases.length - 1];
    ({ principals: this.principals, interests: this.interests } = baseSchedule(
      base,
      this.terms.annualRateBps,
      this.terms.periodDays,
    ));
  }

  /**
   * Interest of the current period's installment accrued to the day and unpaid (mirror of
   * `LoanEngine.accruedToDay`): its opening balance at the daily rate (annual / 360) for the whole
   * days since its period began (less days an early repayment already charged), less interest paid.
   */
  accruedToDay(time: bigint): { accrued: bigint; days: bigint } {
    const k = this.dueCount(time);
    if (k >= this.rows || k < this.cursor) return { accrued: 0n, days: 0n };
    const i = k - this.baseStart;
    const today = (time - this.disbursedAt) / DAY;
    const days = today - BigInt(k) * this.terms.periodDays;
    const charged = i === 0 ? this.bases[this.bases.length - 1].offset : 0n;
    const opening = this.principals.slice(i).reduce((a, b) => a + b, 0n);
    let accrued = days > charged ? periodInterest(opening, this.terms.annualRateBps, days - charged) : 0n;
    if (k === this.cursor) {
      const paidInterest = min(this.cursorPaid, this.interests[i]);
      accrued = accrued > paidInterest ? accrued - paidInterest : 0n;
    }
    return { accrued, days };
  }

  /** Sets the funders (as on chain, lead first) and disburses at `at`. */
  disburse(at: bigint, funders: { account: string; funded: bigint }[]): void {
    const total = funders.reduce((s, f) => s + f.funded, 0n);
    if (total !== this.terms.principal) throw new Error(`funded ${total} != principal ${this.terms.principal}`);
    this.funders = funders.map((f) => ({
      account: f.account,
      funded: f.funded,
      principalReturned: 0n,
      incomeReceived: 0n,
    }));
    this.disbursedAt = at;
    this.outstanding = this.terms.principal;
  }

  dueDate(k: number): bigint {
    return this.disbursedAt + BigInt(k + 1) * this.terms.periodDays * DAY;
  }

  private dueCount(time: bigint): number {
    const n = (time - this.disbursedAt) / (this.terms.periodDays * DAY);
    return n < BigInt(this.rows) ? Number(n) : this.rows;
  }

  private unpaid(k: number): bigint {
    const i = k - this.baseStart;
    let amount = this.principals[i] + this.interests[i];
    if (k === this.cursor) amount -= this.cursorPaid;
    return amount;
  }

  /** Accrues overdue interest and surcharge per whole day late, up to `time`. */
  accrue(time: bigint): void {
    const today = (time - this.disbursedAt) / DAY;
    const due = this.dueCount(time);
    for (let k = this.cursor; k < due; k++) {
      let from = BigInt(k + 1) * this.terms.periodDays;
      if (from < this.accruedDay) from = this.accruedDay;
      if (today <= from) continue;
      const inc = overdueInterest(this.unpaid(k), this.terms.annualRateBps, today - from);
      this.overdueInterest += inc;
      this.surcharge += surcharge(inc, this.surchargeBps);
    }
    if (today > this.accruedDay) this.accruedDay = today;
  }

  /** Whole days the oldest unpaid installment is late at `time`. */
  daysPastDue(time: bigint): bigint {
    if (this.cursor >= this.rows) return 0n;
    const due = this.dueDate(this.cursor);
    return time > due ? (time - due) / DAY : 0n;
  }

  /** What is owed at `time`, without changing the model (as the `dues` view). */
  dues(time: bigint): Dues {
    const copy = this.clone();
    copy.accrue(time);
    return copy.duesAccrued(time);
  }

  private duesAccrued(time: bigint): Dues {
    const d: Dues = {
      surcharge: this.surcharge,
      overdueInterest: this.overdueInterest,
      interestDue: 0n,
      principalDue: 0n,
      currentInterest: 0n,
      currentPrincipal: 0n,
      amountDue: 0n,
      payoff: 0n,
      outstanding: this.outstanding,
      daysPastDue: 0n,
      nextDueDate: 0n,
    };
    const due = this.dueCount(time);
    const end = due < this.rows ? due + 1 : this.rows;
    for (let k = this.cursor; k < end; k++) {
      const i = k - this.baseStart;
      let interest = this.interests[i];
      let principal = this.principals[i];
      if (k === this.cursor) {
        const paidInterest = min(this.cursorPaid, interest);
        interest -= paidInterest;
        principal -= this.cursorPaid - paidInterest;
      }
      if (k < due) {
        d.interestDue += interest;
        d.principalDue += principal;
      } else {
        d.currentInterest = interest;
        d.currentPrincipal = principal;
      }
    }
    d.amountDue = d.surcharge + d.overdueInterest + d.interestDue + d.principalDue;
    d.payoff = d.surcharge + d.overdueInterest + d.interestDue + this.accruedToDay(time).accrued + this.outstanding;
    if (this.cursor < this.rows) {
      d.nextDueDate = this.dueDate(this.cursor);
      d.daysPastDue = this.daysPastDue(time);
    }
    return d;
  }

  /** Applies a repayment of `amount` at `time` (throws `OverpaymentError` past the payoff). */
  repay(amount: bigint, time: bigint): RepaymentResult {
    if (amount <= 0n) throw new RangeError("amount must be positive");
    const next = this.clone();
    next.accrue(time);
    const payoff = next.duesAccrued(time).payoff;
    if (amount > payoff) throw new OverpaymentError(amount, payoff);
    const { allocation, reamortized } = next.applyPayment(amount, time);
    Object.assign(this, next);
    const principal = allocation.principal + allocation.prepaid;
    const income = allocation.surcharge + allocation.overdueInterest + allocation.interest;
    const { principalParts, incomeParts } = this.credit(principal, income, this.outstanding === 0n);
    this.totalRepaid += amount;
    return { allocation, principalParts, incomeParts, reamortized, settled: this.outstanding === 0n };
  }

  private applyPayment(amount: bigint, time: bigint): { allocation: Allocation; reamortized: boolean } {
    const a: Allocation = { surcharge: 0n, overdueInterest: 0n, interest: 0n, principal: 0n, prepaid: 0n };
    let left = amount;
    a.surcharge = min(left, this.surcharge);
    left -= a.surcharge;
    this.surcharge -= a.surcharge;
    a.overdueInterest = min(left, this.overdueInterest);
    left -= a.overdueInterest;
    this.overdueInterest -= a.overdueInterest;

    const due = this.dueCount(time);
    const end = due < this.rows ? due + 1 : this.rows;
    while (left > 0n && this.cursor < end) {
      const i = this.cursor - this.baseStart;
      if (this.cursor === due) {
        const { accrued, days } = this.accruedToDay(time);
        const rest = this.interests[i] + this.principals[i] - this.cursorPaid;
        if (left > rest || left === accrued + this.outstanding) {
          // Early repayment: interest to the day, then principal.
          a.interest += accrued;
          left -= accrued;
          const paidInterest = min(this.cursorPaid, this.interests[i]);
          const scheduled = min(this.principals[i] - (this.cursorPaid - paidInterest), left);
          a.principal += scheduled;
          a.prepaid = left - scheduled;
          this.outstanding -= left;
          left = 0n;
          this.cursorPaid = 0n;
          const reamortized = this.outstanding !== 0n && this.reamortize(days);
          if (this.outstanding === 0n) this.cursor = this.rows;
          return { allocation: a, reamortized };
        }
      }
      const interest = this.interests[i];
      const total = interest + this.principals[i];
      let paid = this.cursorPaid;
      if (paid < interest) {
        const x = min(left, interest - paid);
        left -= x;
        a.interest += x;
        paid += x;
      }
      const x = min(left, total - paid);
      left -= x;
      a.principal += x;
      paid += x;
      this.outstanding -= x;
      if (paid === total) {
        this.cursor += 1;
        this.cursorPaid = 0n;
      } else {
        this.cursorPaid = paid;
      }
    }
    let reamortized = false;
    if (left > 0n) {
      a.prepaid = left;
      this.outstanding -= left;
      reamortized = this.reamortize(0n);
    }
    if (this.outstanding === 0n) this.cursor = this.rows;
    return { allocation: a, reamortized };
  }

  /** Spreads the rest over the remaining installments, or makes it all due next if too small. */
  private reamortize(offset: bigint): boolean {
    if (this.outstanding === 0n) return false;
    let periods = this.rows - this.cursor;
    try {
      installment(this.outstanding, this.terms.annualRateBps, periods, this.terms.periodDays);
    } catch {
      periods = 1;
    }
    this.bases = [...this.bases, { start: this.cursor, periods, principal: this.outstanding, offset }];
    this.rows = this.cursor + periods;
    this.loadBase();
    return true;
  }

  /**
   * Credits one repayment to the funders (mirror of `LoanAccounting.credit`): each funder's
   * cumulative principal and income are the floors of its exact shares of everything credited so
   * far; once the loan is settled, income is split exactly by largest remainder.
   */
  private credit(
    principal: bigint,
    income: bigint,
    settled: boolean,
  ): { principalParts: bigint[]; incomeParts: bigint[] } {
    this.creditedPrincipal += principal;
    this.creditedIncome += income;
    const { principalTo, incomeTo } = fundersDue(
      this.funders.map((f) => f.funded),
      this.creditedPrincipal,
      this.creditedIncome,
      this.terms.leadInterestBps,
      settled,
    );
    const principalParts = this.funders.map((f, i) => principalTo[i] - f.principalReturned);
    const incomeParts = this.funders.map((f, i) => incomeTo[i] - f.incomeReceived);
    this.funders.forEach((f, i) => {
      f.principalReturned = principalTo[i];
      f.incomeReceived = incomeTo[i];
    });
    return { principalParts, incomeParts };
  }

  /** The installments, with due dates and what was paid (as the `schedule` view). */
  schedule(): Row[] {
    const out: Row[] = Array.from({ length: this.rows }, () => ({
      dueDate: 0n,
      principal: 0n,
      interest: 0n,
      paid: 0n,
    }));
    for (const base of this.bases) {
      const { principals, interests } = baseSchedule(base, this.terms.annualRateBps, this.terms.periodDays);
      for (let k = 0; k < principals.length && base.start + k < this.rows; k++) {
        out[base.start + k].principal = principals[k];
        out[base.start + k].interest = interests[k];
      }
    }
    for (let k = 0; k < this.rows; k++) {
      const row = out[k];
      if (this.disbursedAt !== 0n) row.dueDate = this.dueDate(k);
      if (k < this.cursor) row.paid = row.principal + row.interest;
      else if (k === this.cursor) row.paid = this.cursorPaid;
    }
    return out;
  }

  /** A deep copy. */
  clone(): LoanModel {
    const copy = Object.create(LoanModel.prototype) as LoanModel;
    Object.assign(copy, this);
    copy.funders = this.funders.map((f) => ({ ...f }));
    copy.bases = [...this.bases];
    return copy;
  }
}
