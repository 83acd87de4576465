import { randomBytes } from "node:crypto";
import { Wallet, hexlify } from "ethers";
import { LoanStatus } from "../core/types";
import { BorrowerClient, scheduledPayment } from "../lending";
import type { AssentRequest } from "../lending";
import { EndpointError, call } from "./endpoint";
import type { Application } from "./lead";
import { DAY, PERIOD_DAYS, PlannedLoan, STAGE_HOUR, plannedLoans } from "../sim/plan";
import { awardPayments, settlesDuringCase } from "../sim/caseStudies";
import type { Outcome } from "../arbitration";
import { ArbitrationCourt__factory } from "../../typechain-types";
import { ChainEvent, Counters, NodeContext, NodeRole, NodeWallet, loadState, saveState } from "./runtime";
import type { NodeSecrets } from "./secrets";

interface HeldLoan {
  index: number;
  /** Due days (from the scenario's start). */
  due: number[];
  /** First installment not yet handled by this borrower. */
  next: number;
  /** Installments whose payment time has come and gone (paid, or found nothing owed). */
  handled: number[];
  closed: boolean;
}

interface BorrowersState {
  /** Applications sent so far (in the scenario's order). */
  applied: number;
  loans: Record<string, HeldLoan>;
}

/** Payments made at once by different borrowers (each has its own account and nonce). */
const CONCURRENCY = 16;

/** Creates each applicant's account key at the first start; identity numbers stay in this file only. */
export function borrowerSecrets(ctx: Pick<NodeContext, "plan">, s: NodeSecrets): void {
  s.borrowers = {};
  for (const a of ctx.plan.applications) {
    s.borrowers[String(a.index)] = { privateKey: hexlify(randomBytes(32)), identity: a.applicant.identity };
  }
}

/**
 * The borrowers process: every applicant of the scenario, each with its own key and
 * `BorrowerClient`. It applies to the lead bank's endpoint when the scenario says, and repays as
 * each borrower's plan says (on time, late, in two parts, early, or not at all).
 * One process holds them all: at a bank's volume a process per borrower would be thousands of
 * processes, and borrowers are not consortium members (they hold no store and endorse nothing).
 */
export class BorrowersRole implements NodeRole {
  private readonly counters: Counters;
  private readonly state: BorrowersState;
  private readonly planned;
  private readonly clients = new Map<string, BorrowerClient>();
  private readonly byAccount = new Map<string, number>();
  /** Loans checked against the chain since this process started (a payment may have been made
   *  just before a crash, without being noted in the store). */
  private readonly checked = new Set<bigint>();

  constructor(private readonly ctx: NodeContext) {
    this.counters = new Counters(ctx.store);
    this.state = loadState<BorrowersState>(ctx.store, "borrowers", { applied: 0, loans: {} });
    this.planned = plannedLoans(ctx.plan);
    for (const [index, b] of Object.entries(ctx.secrets.borrowers ?? {})) {
      this.byAccount.set(new Wallet(b.privateKey).address.toLowerCase(), Number(index));
    }
  }

  private save(): void {
    saveState(this.ctx.store, "borrowers", this.state);
  }

  private client(index: number): BorrowerClient {
    let c = this.clients.get(String(index));
    if (!c) {
      const key = this.ctx.secrets.borrowers?.[String(index)]?.privateKey;
      if (!key) throw new Error(`no key for borrower ${index}`);
      c = new BorrowerClient(new NodeWallet(key, this.ctx.provider), this.ctx.book);
      this.clients.set(String(index), c);
    }
    return c;
  }

  async setup(): Promise<void> {}

  routes() {
    return {
      // The lead bank asks a borrower's app to accept a loan contract: it checks and signs it.
      "POST /assent": async (body: unknown) => {
        const r = body as (AssentRequest & { account?: unknown }) | undefined;
        const account = typeof r?.account === "string" ? r.account.toLowerCase() : "";
        const index = this.byAccount.get(account);
        if (index === undefined) throw new EndpointError(404, `no borrower with account ${String(r?.account)}`);
        if (!(r!.document instanceof Uint8Array) || !(r!.salt instanceof Uint8Array) || typeof r!.loanId !== "bigint")
          throw new EndpointError(400, "an assent request needs document, salt (bytes) and loanId");
        return this.client(index).assent(r!);
      },
      // The case studies (clients/sim/caseStudies.ts, the plan the demo follows too): what a
      // borrower does when collection reaches it, when a case is filed against it and when an
      // award is served on it.
      "POST /collection-notice": (body: unknown) => this.cure(this.held(body)),
      "POST /case-notice": (body: unknown) => {
        const { loanId, loan } = this.held(body);
        const k = (body as { caseIndex?: unknown }).caseIndex;
        if (!Number.isSafeInteger(k) || (k as number) < 0)
          throw new EndpointError(400, "a case notice needs caseIndex");
        return this.settle(loanId, loan, k as number);
      },
      "POST /award": (body: unknown) => {
        const { loanId, loan } = this.held(body);
        const b = body as { outcome?: unknown; amountOwed?: unknown };
        if (typeof b.amountOwed !== "bigint" || b.amountOwed < 0n || !Number.isSafeInteger(b.outcome))
          throw new EndpointError(400, "an award needs outcome and amountOwed");
        return this.payAward(loanId, loan, b.outcome as Outcome, b.amountOwed);
      },
    };
  }

  /** The loan a notice names, as this process holds it. */
  private held(body: unknown): { loanId: bigint; loan: HeldLoan } {
    const id = (body as { loanId?: unknown } | undefined)?.loanId;
    if (typeof id !== "bigint") throw new EndpointError(400, "a notice needs loanId");
    const loan = this.state.loans[String(id)];
    if (!loan) throw new EndpointError(404, `no borrower here holds loan ${id}`);
    return { loanId: id, loan };
  }

  /** Collection reached the borrower: it pays every arrear, which cures the loan. */
  private async cure(h: { loanId: bigint; loan: HeldLoan }): Promise<{ paid: bigint; daysPastDue: bigint }> {
    const client = this.client(h.loan.index);
    const dues = await client.dues(h.loanId);
    if (dues.amountDue > 0n) await client.repay(h.loanId, dues.amountDue);
    h.loan.next = Number((await client.lending.loanBook.loanInfo(h.loanId)).cursor);
    this.save();
    this.counters.add("late");
    this.counters.add("cures");
    return { paid: dues.amountDue, daysPastDue: dues.daysPastDue };
  }

  /** A case was filed on the loan: the borrower settles in full while it runs, if the plan says so. */
  private async settle(loanId: bigint, loan: HeldLoan, k: number): Promise<{ settled: boolean }> {
    if (!settlesDuringCase(this.ctx.config.scenario, k)) return { settled: false };
    const client = this.client(loan.index);
    const status = Number((await client.lending.loanBook.loanInfo(loanId)).status);
    // Settled before a restart: the chain says so.
    if (status !== LoanStatus.Repaid && status !== LoanStatus.Closed) await client.payOff(loanId);
    loan.closed = true;
    this.save();
    this.counters.add("settlements");
    return { settled: true };
  }

  /** An award was served: the borrower pays against it through the loan book, as the plan says. */
  private async payAward(loanId: bigint, loan: HeldLoan, outcome: Outcome, award: bigint): Promise<{ paid: bigint }> {
    const client = this.client(loan.index);
    const { loanBook } = client.lending;
    // Whether the court closes a case once its award is paid (then the borrower pays all of it).
    const closes = ArbitrationCourt__factory.createInterface().hasFunction("onAwardSatisfied");
    const parts = awardPayments(this.ctx.config.scenario, outcome, award, closes);
    // What was paid against it before a restart counts: pay only the parts not yet paid.
    let already = (await loanBook.collectionOf(loanId)).awardPaid;
    let paid = 0n;
    for (const part of parts) {
      if (already >= part) {
        already -= part;
        continue;
      }
      await client.repay(loanId, part - already);
      paid += part - already;
      already = 0n;
    }
    const status = Number((await loanBook.loanInfo(loanId)).status);
    if (status === LoanStatus.Closed || status === LoanStatus.Repaid) loan.closed = true;
    this.save();
    if (paid > 0n) this.counters.add("awardPayments");
    return { paid };
  }

  hasWork(): boolean {
    return false;
  }

  async onEvent(e: ChainEvent): Promise<void> {
    if (e.name !== "LoanDisbursed") return;
    const index = this.byAccount.get((e.args.to as string).toLowerCase());
    if (index === undefined) return;
    const loanId = String(e.args.loanId);
    if (this.state.loans[loanId]) return;
    const planned = this.planned.get(Number(loanId));
    if (!planned || planned.index !== index)
      throw new Error(`loan ${loanId} paid to borrower ${index} was not planned`);
    const first = Math.floor((Number(e.args.firstDueDate) - this.ctx.t0) / DAY);
    this.state.loans[loanId] = {
      index,
      due: Array.from({ length: planned.loan.periods }, (_, i) => first + i * PERIOD_DAYS),
      next: 0,
      handled: [],
      closed: false,
    };
    this.save();
    this.counters.add("loans");
  }

  /** When installment `i` of `loan` is paid (per the plan), or undefined if never. */
  private payAt(loan: HeldLoan, plan: PlannedLoan, i: number): number | undefined {
    const delay = plan.repayment.delays[i];
    return delay === null ? undefined : this.ctx.t0 + (loan.due[i] + delay) * DAY + STAGE_HOUR.payments * 3_600;
  }

  /** Pending payments of a loan, by time. */
  private payments(loanId: string, loan: HeldLoan): { i: number; at: number }[] {
    if (loan.closed) return [];
    const plan = this.planned.get(Number(loanId))!.loan;
    const out: { i: number; at: number }[] = [];
    for (let i = loan.next; i < plan.periods; i++) {
      if (loan.handled.includes(i)) continue;
      const at = this.payAt(loan, plan, i);
      if (at !== undefined) out.push({ i, at });
    }
    return out.sort((a, b) => a.at - b.at || a.i - b.i);
  }

  wakeAt(): number | undefined {
    let next: number | undefined;
    const apps = this.ctx.plan.applications;
    if (this.state.applied < apps.length) next = this.ctx.t0 + apps[this.state.applied].at;
    for (const [id, loan] of Object.entries(this.state.loans)) {
      const first = this.payments(id, loan)[0];
      if (first && (next === undefined || first.at < next)) next = first.at;
    }
    return next;
  }

  async onTime(now: number): Promise<void> {
    const apps = this.ctx.plan.applications;
    const lead = this.ctx.config.nodes.find((n) => n.kind === "lead")!;
    while (this.state.applied < apps.length && this.ctx.t0 + apps[this.state.applied].at <= now) {
      const a = apps[this.state.applied];
      const own = this.ctx.secrets.borrowers![String(a.index)];
      const request = a.loan
        ? { principal: a.loan.principal, periods: a.loan.periods, annualRateBps: a.loan.annualRateBps }
        : { principal: 100n, periods: 5 as const, annualRateBps: 1_000 };
      const application: Application = {
        index: a.index,
        applicant: { ...a.applicant, identity: own.identity },
        account: await this.client(a.index).address(),
        request,
      };
      await call(lead.port, "POST", "/apply", application);
      this.state.applied++;
      this.save();
      this.counters.add("applications");
    }
    const due = Object.entries(this.state.loans).filter(([id, loan]) => {
      const first = this.payments(id, loan)[0];
      return first && first.at <= now;
    });
    for (let k = 0; k < due.length; k += CONCURRENCY) {
      await Promise.all(due.slice(k, k + CONCURRENCY).map(([id, loan]) => this.payDue(id, loan, now)));
      this.save();
    }
  }

  /** Makes every payment of `loan` due by `now`, in time order. */
  private async payDue(loanId: string, loan: HeldLoan, now: number): Promise<void> {
    for (const { i, at } of this.payments(loanId, loan)) {
      if (at > now || loan.closed) break;
      await this.pay(BigInt(loanId), loan, i);
      loan.handled = [...loan.handled.filter((h) => h >= loan.next), i];
    }
  }

  /** Installment `i` as the borrower's plan says: all of it, in two parts, or the whole loan off early. */
  private async pay(loanId: bigint, loan: HeldLoan, i: number): Promise<void> {
    if (loan.closed || loan.next > i) return;
    const plan = this.planned.get(Number(loanId))!.loan;
    const client = this.client(loan.index);
    if (!this.checked.has(loanId)) {
      this.checked.add(loanId);
      const info = await client.lending.loanBook.loanInfo(loanId);
      if (Number(info.status) === LoanStatus.Repaid) loan.closed = true;
      if (Number(info.cursor) > i) loan.next = Number(info.cursor);
      if (loan.closed || loan.next > i) return;
    }
    const dues = await client.dues(loanId);
    // What is overdue, or, when nothing is yet (paying on or before the due date), this installment.
    const owed = scheduledPayment(dues);
    let settled = false;
    if (i === plan.repayment.payoffAt) {
      settled = (await client.payOff(loanId)).settled;
      this.counters.add("payoffs");
    } else if (owed === 0n) {
      return;
    } else if (plan.repayment.partial[i] && owed > 1n) {
      await client.repay(loanId, owed / 2n);
      this.counters.add("partial");
      settled = (await client.repay(loanId, owed - owed / 2n)).settled;
    } else {
      settled = (await client.repay(loanId, owed)).settled;
    }
    this.counters.add(dues.daysPastDue > 0n ? "late" : "onTime");
    loan.next = i + 1;
    if (settled || i === plan.repayment.payoffAt || loan.next >= plan.periods) loan.closed = true;
  }

  waiting(): string {
    const next = this.wakeAt();
    const open = Object.values(this.state.loans).filter((l) => !l.closed).length;
    return `${open} open loans${next === undefined ? "" : `, next payment or application at ${new Date(next * 1000).toISOString().slice(0, 16)}`}`;
  }

  processed(): Record<string, number> {
    return this.counters.all([
      "applications",
      "loans",
      "onTime",
      "late",
      "partial",
      "payoffs",
      "cures",
      "settlements",
      "awardPayments",
    ]);
  }
}
