import { id, toUtf8Bytes } from "ethers";
import { EndorsementRefused, Endorser } from "../core/node";
import { newSalt } from "../core/records";
import { LoanClass, LoanStatus, Subject } from "../core/types";
import { LeadBankNode, decideCredit, encodeDocument, institutionId, pseudonymOf } from "../lending";
import type { Assent, AssentRequest, Assenter } from "../lending";
import { discloseToArbitrator, openCase } from "../arbitration";
import { caseDocuments } from "../evidence/caseBundle";
import { prepareForgedLimit } from "../sim/showcase";
import type { Applicant } from "../sim/borrowers";
import type { MonthRow } from "../sim/report";
import { EndpointError, call, decodeJson, encodeJson } from "./endpoint";
import { BANK_FLOAT } from "./partner";
import { DAY, PERIOD_DAYS, PlannedLoan, STAGE_HOUR, applicantInputs, plannedLoans } from "../sim/plan";
import { claimedCosts, cureCandidate } from "../sim/caseStudies";
import { ChainEvent, Counters, NodeContext, NodeRole, inParallel, loadState, remoteBanks, saveState } from "./runtime";

/** Kind label of an application kept in the lead bank's store (never on chain). */
export const APPLICATION_KIND = id("colend.network.Application");

/** Applications the lead bank works on at once. */
const APPLICATION_BATCH = 8;

/** What a borrower sends the lead bank to apply (over the lead's endpoint). */
export interface Application {
  /** The applicant's number in the scenario. */
  index: number;
  applicant: Applicant;
  /** The account the loan is paid to and repaid from. */
  account: string;
  /** What the borrower asks for. */
  request: { principal: bigint; periods: 5 | 10 | 20; annualRateBps: number };
}

interface LeadLoan {
  index: number;
  borrower: string;
  principal: string;
  /** Due days (from the scenario's start) once disbursed. */
  due?: number[];
  /** Next installment to look at for a reminder. */
  remind: number;
  /** Installment whose non-payment leads to default (the borrower's plan), -1: none. */
  defaultAt: number;
  cls: LoanClass;
  defaulted: boolean;
  /** Handed to outsourced collection (since its last default). */
  collecting?: boolean;
  closed: boolean;
  inCase: boolean;
}

/** A case the lead bank filed. */
export interface CaseRecord {
  caseId: number;
  loanId: number;
  daysPastDue: number;
  /** What the claim asked for (the payoff, plus collection costs in a case study); the award is the arbitrator's. */
  amountClaimed: string;
}

interface LeadState {
  queue: string[];
  loans: Record<string, LeadLoan>;
  monthsClosed: number;
  /** Last block of the previous month's close (the month's repayments and disbursements are after it). */
  lastCloseBlock: number;
  months: MonthRow[];
  cases: CaseRecord[];
  refusalShown: boolean;
  /** Loans cured in collection (the case studies cure one a run). */
  cured?: number;
}

/**
 * The lead bank process: a `LeadBankNode` that takes applications on its endpoint, scores them
 * with the credit rule, has its peers endorse through their endpoints (remote endorsers),
 * originates, disburses once the partners funded, reminds, declares defaults, classifies at each
 * month's close and takes defaulted loans to arbitration, disclosing the claim to the arbitrator.
 */
export class LeadRole implements NodeRole {
  readonly node: LeadBankNode;
  private readonly peers: Endorser[];
  private readonly counters: Counters;
  private readonly state: LeadState;
  private readonly planned;
  private current = "";

  constructor(private readonly ctx: NodeContext) {
    this.node = new LeadBankNode(ctx.spec.name, ctx.wallet, ctx.book);
    // The lead keeps every document behind its records, for a full disclosure in a case.
    this.node.keepDocuments(ctx.store);
    this.peers = remoteBanks(ctx);
    this.counters = new Counters(ctx.store);
    this.state = loadState<LeadState>(ctx.store, "lead", {
      queue: [],
      loans: {},
      monthsClosed: 0,
      lastCloseBlock: ctx.book.deployBlock,
      months: [],
      cases: [],
      refusalShown: false,
    });
    this.planned = plannedLoans(ctx.plan);
    if (!ctx.secrets.consortiumSecret) throw new Error("the lead bank's secrets hold no consortium secret");
  }

  private save(): void {
    saveState(this.ctx.store, "lead", this.state);
  }

  async setup(): Promise<void> {
    if ((await this.node.balance()) === 0n) await this.node.deposit(BANK_FLOAT);
    await this.node.allowLoanBook(BANK_FLOAT);
  }

  routes() {
    return {
      "POST /apply": (body: unknown) => {
        const a = parseApplication(body);
        const pseudonym = pseudonymOf(this.ctx.secrets.consortiumSecret!, a.applicant.identity);
        // The application (identity number included) is kept encrypted; only its hash is queued.
        const hash = this.ctx.store.put({
          subject: Subject.borrower(pseudonym),
          kind: APPLICATION_KIND,
          document: toUtf8Bytes(encodeJson(a)),
          salt: newSalt(),
          meta: { applicant: a.index },
        });
        if (!this.state.queue.includes(hash)) this.state.queue.push(hash);
        this.save();
        this.counters.add("applications");
        return { queued: this.state.queue.length };
      },
    };
  }

  hasWork(): boolean {
    return this.state.queue.length > 0;
  }

  async onEvent(e: ChainEvent): Promise<void> {
    if (e.name === "LoanFunded") {
      const loanId = e.args.loanId as bigint;
      const mine = this.state.loans[String(loanId)];
      if (!mine || mine.due) return;
      const info = await this.node.lending.loanBook.loanInfo(loanId);
      if (info.funded !== info.principal || Number(info.status) !== LoanStatus.Funding) return;
      const d = await this.node.disburse(loanId);
      // The borrower's own money for interest and charges, tokenized by its bank.
      await this.node.deposit(info.principal, info.borrower);
      const first = Math.floor((Number(d.firstDueDate) - this.ctx.t0) / DAY);
      mine.due = Array.from({ length: Number(info.periods) }, (_, i) => first + i * PERIOD_DAYS);
      this.save();
      this.counters.add("disbursed");
    } else if (e.name === "CaseAwarded") {
      this.counters.add("awards");
    }
  }

  /** A reminder goes out the day after the due date, in the morning's reminder stage. */
  private remindAt(loan: LeadLoan, i: number): number {
    return this.ctx.t0 + (loan.due![i] + 1) * DAY + STAGE_HOUR.reminders * 3_600;
  }

  /** A reminder unanswered for a day: default (the reminder window is 24 hours), in the defaults stage. */
  private defaultAt(loan: LeadLoan): number {
    return this.ctx.t0 + (loan.due![loan.defaultAt] + 2) * DAY + STAGE_HOUR.defaults * 3_600;
  }

  wakeAt(): number | undefined {
    let next: number | undefined;
    const consider = (t: number): void => {
      if (next === undefined || t < next) next = t;
    };
    const { plan, t0 } = this.ctx;
    if (this.state.monthsClosed < plan.months) consider(t0 + plan.monthEnd(this.state.monthsClosed));
    for (const loan of Object.values(this.state.loans)) {
      if (!loan.due || loan.closed || loan.defaulted) continue;
      if (loan.remind < loan.due.length) consider(this.remindAt(loan, loan.remind));
      if (loan.defaultAt >= 0) consider(this.defaultAt(loan));
    }
    return next;
  }

  waiting(): string {
    if (this.current) return this.current;
    const funding = Object.values(this.state.loans).filter((l) => !l.due).length;
    const parts = [];
    if (this.state.queue.length) parts.push(`${this.state.queue.length} applications`);
    if (funding) parts.push(`funding of ${funding} loans`);
    const wake = this.wakeAt();
    if (wake !== undefined) parts.push(`time ${new Date(wake * 1000).toISOString().slice(0, 16)}`);
    return parts.join(", ") || "applications";
  }

  processed(): Record<string, number> {
    return this.counters.all([
      "applications",
      "declined",
      "admitted",
      "multiHeadAdmitted",
      "originated",
      "disbursed",
      "reminders",
      "defaults",
      "classified",
      "cured",
      "cases",
      "awards",
    ]);
  }

  async onTime(now: number): Promise<void> {
    while (this.state.queue.length > 0) {
      // Up to 8 applications at once: scoring, outside loans and admission in parallel (different
      // borrowers), then origination one by one in the order received (loan ids follow it).
      const batch = this.state.queue.slice(0, APPLICATION_BATCH).map((hash) => {
        const doc = this.ctx.store.require(hash);
        return { a: decodeJson<Application>(new TextDecoder().decode(doc.document)), subject: doc.subject };
      });
      this.current = `applications ${batch.map((b) => b.a.index).join(", ")}`;
      const started = Date.now();
      const admitted = await inParallel(batch, APPLICATION_BATCH, (b) => this.admitApplicant(b.a, b.subject));
      for (let k = 0; k < batch.length; k++) {
        const pseudonym = admitted[k];
        if (pseudonym) await this.originateFor(batch[k].a, pseudonym);
        this.state.queue.shift();
        this.save();
      }
      this.ctx.log(`${batch.length} applications handled in ${Date.now() - started} ms`);
    }
    this.current = "";
    const due = Object.entries(this.state.loans).filter(
      ([, l]) =>
        l.due &&
        !l.closed &&
        !l.defaulted &&
        ((l.remind < l.due.length && now >= this.remindAt(l, l.remind)) ||
          (l.defaultAt >= 0 && now >= this.defaultAt(l))),
    );
    // Loans are independent: their reminders and defaults go out together (sends stay in order).
    await inParallel(due, 16, async ([key, loan]) => {
      const loanId = BigInt(key);
      while (loan.remind < loan.due!.length && now >= this.remindAt(loan, loan.remind)) {
        await this.remind(loanId, loan, loan.remind);
        loan.remind++;
        if (loan.closed) break;
      }
      if (!loan.closed && loan.defaultAt >= 0 && now >= this.defaultAt(loan)) {
        // Declared before a restart: the chain says so.
        const status = Number((await this.node.lending.loanBook.loanInfo(loanId)).status);
        if (status === LoanStatus.Active) {
          await this.node.declareDefault(loanId, this.peers);
          this.counters.add("defaults");
        }
        loan.defaulted = status !== LoanStatus.Repaid;
        loan.closed = status === LoanStatus.Repaid;
      }
    });
    if (due.length > 0) this.save();
    const { plan, t0 } = this.ctx;
    while (this.state.monthsClosed < plan.months && now >= t0 + plan.monthEnd(this.state.monthsClosed)) {
      await this.closeMonth();
      this.state.monthsClosed++;
      this.save();
    }
  }

  /** Scores an application; if the rule admits it, records its outside loans and whitelists it. */
  private async admitApplicant(a: Application, subject: string): Promise<string | undefined> {
    const inputs = applicantInputs(a.applicant);
    const decision = decideCredit(inputs);
    if (!decision.approved) {
      this.counters.add("declined");
      return undefined;
    }
    const pseudonym = pseudonymOf(this.ctx.secrets.consortiumSecret!, a.applicant.identity);
    if (Subject.borrower(pseudonym) !== subject)
      throw new Error(`application ${a.index} is filed under another subject`);
    const { registry } = this.node.lending;
    // Restarted in the middle of this application: pick up where the chain says it stands.
    const head = await registry.multiHead(pseudonym);
    const exposure = inputs.outsideExposure;
    const n = a.applicant.outsideLenders;
    for (let k = Number(head.institutions); k < n; k++) {
      const share = k === n - 1 ? exposure - (exposure / BigInt(n)) * BigInt(k) : exposure / BigInt(n);
      await this.node.reportOutsideLoan(
        { pseudonym, institution: institutionId(`Outside Bank ${k + 1}`), amount: share, active: true },
        this.peers,
      );
    }
    if (!this.state.refusalShown) {
      this.state.refusalShown = true;
      await this.showRefusal(pseudonym, a.account, inputs);
      this.save();
    }
    if ((await registry.creditLine(pseudonym)).state === 0n) {
      await this.node.admit(
        { pseudonym, account: a.account, score: inputs.score, requestedLimit: inputs.requestedLimit },
        this.peers,
      );
      this.counters.add("admitted");
      if (n > 0) this.counters.add("multiHeadAdmitted");
    }
    return pseudonym;
  }

  /** The borrower's app in the borrowers process, asked over its endpoint to assent to a contract. */
  private borrowerApp(account: string): Assenter {
    const borrowers = this.ctx.config.nodes.find((n) => n.kind === "borrowers");
    if (!borrowers) throw new Error("the network has no borrowers process to ask for assent");
    return {
      address: async () => account,
      assent: (r: AssentRequest) => call<Assent>(borrowers.port, "POST", "/assent", { ...r, account }),
    };
  }

  /** Originates the loan an admitted applicant asked for (partners fund it on `LoanOriginated`). */
  private async originateFor(a: Application, pseudonym: string): Promise<void> {
    const { loanBook } = this.node.lending;
    if ((await loanBook.committedPrincipal(pseudonym)) > 0n) return;
    const loanId = await loanBook.nextLoanId();
    const planned: PlannedLoan | undefined = this.planned.get(Number(loanId))?.loan;
    if (!planned || this.planned.get(Number(loanId))!.index !== a.index) {
      throw new Error(`application ${a.index} does not match planned loan ${loanId}`);
    }
    const o = await this.node.originate(
      {
        pseudonym,
        principal: a.request.principal,
        annualRateBps: a.request.annualRateBps,
        periods: a.request.periods,
        periodDays: PERIOD_DAYS,
        borrower: this.borrowerApp(a.account),
      },
      this.peers,
    );
    this.state.loans[String(o.loanId)] = {
      index: a.index,
      borrower: a.account,
      principal: a.request.principal.toString(),
      remind: 0,
      defaultAt: planned.repayment.delays.findIndex((d) => d === null),
      cls: LoanClass.Normal,
      defaulted: false,
      closed: false,
      inCase: false,
    };
    this.save();
    this.counters.add("originated");
  }

  /** A forged limit, above what the rule allows: every partner's reviewers refuse to sign it. */
  private async showRefusal(pseudonym: string, account: string, inputs: ReturnType<typeof applicantInputs>) {
    const { proposal: p } = await prepareForgedLimit(this.node, pseudonym, account, inputs);
    for (const peer of this.peers) {
      try {
        await peer.endorse(p);
        throw new Error(`${peer.name} endorsed a forged credit decision`);
      } catch (e) {
        if (!(e instanceof EndorsementRefused)) throw e;
        this.counters.add("forgedRefusals");
        this.ctx.log(`forged limit refused by ${e.node}: ${e.reason}`);
      }
    }
  }

  private async remind(loanId: bigint, loan: LeadLoan, i: number): Promise<void> {
    const { loanBook } = this.node.lending;
    const info = await loanBook.loanInfo(loanId);
    if (Number(info.status) === LoanStatus.Repaid) {
      loan.closed = true;
      return;
    }
    if (Number(info.status) !== LoanStatus.Active || Number(info.cursor) > i) return;
    // Already reminded at this installment's reminder time (before a restart).
    if (Number(info.remindedAt) >= this.remindAt(loan, i)) return;
    if ((await loanBook.dues(loanId)).amountDue === 0n) return;
    await this.node.remind(loanId, `Loan ${loanId}: installment ${i + 1} is overdue; please pay within 24 hours.`);
    this.counters.add("reminders");
  }

  private async closeMonth(): Promise<void> {
    const lb = this.node.lending.loanBook;
    const open = Object.entries(this.state.loans)
      .filter(([, loan]) => loan.due && !loan.closed)
      .sort(([a], [b]) => Number(a) - Number(b));
    // Read every open loan's standing at once, then act on them in loan order.
    const standing = await inParallel(open, 16, async ([key, loan]) => {
      const loanId = BigInt(key);
      if (!loan.defaulted && Number((await lb.loanInfo(loanId)).status) === LoanStatus.Repaid) return undefined;
      const dpd = Number(await lb.daysPastDue(loanId));
      return { dpd, cls: Number(await lb.classFor(dpd)) as LoanClass };
    });
    const toCase: { loanId: bigint; loan: LeadLoan; dpd: number }[] = [];
    for (let k = 0; k < open.length; k++) {
      const [key, loan] = open[k];
      const s = standing[k];
      if (!s) {
        loan.closed = true;
        continue;
      }
      const loanId = BigInt(key);
      if (s.cls !== loan.cls) {
        await this.node.classify(loanId);
        loan.cls = s.cls;
        this.counters.add("classified");
      }
      // Collection before arbitration: reminders, outsourced collection, then a case.
      if (loan.defaulted && !loan.inCase) {
        const stage = await this.node.advanceCollection(loanId, this.peers);
        if (stage === "collection" || stage === "arbitrable") loan.collecting = true;
        if (stage === "arbitrable" && s.dpd >= 90) toCase.push({ loanId, loan, dpd: s.dpd });
      }
    }
    this.save();
    await this.cure(open);
    // Cases one after the other, in loan order: the court numbers them from its counter.
    for (const c of toCase) {
      if (this.state.cases.length >= this.ctx.config.scenario.maxCases || !c.loan.defaulted) break;
      c.loan.inCase = true;
      await this.takeToArbitration(c.loanId, c.loan, c.dpd);
      this.save();
    }
    await this.recordMonth();
  }

  /**
   * The case studies' cure (clients/sim/caseStudies.ts): collection reaches the borrower of the
   * loan the plan names, who pays every arrear; the loan performs again and is followed from its
   * next installment (reminded, and declared in default again if its borrower stops again).
   */
  private async cure(open: [string, LeadLoan][]): Promise<void> {
    const candidates = open.map(([key, loan]) => ({
      ...loan,
      id: BigInt(key),
      collecting: loan.collecting === true,
      loan,
    }));
    const chosen = cureCandidate(this.ctx.config.scenario, this.state.cured ?? 0, candidates);
    if (!chosen) return;
    const borrowers = this.ctx.config.nodes.find((n) => n.kind === "borrowers");
    if (!borrowers) throw new Error("the network has no borrowers process for collection to reach");
    const paid = await call<{ paid: bigint; daysPastDue: bigint }>(borrowers.port, "POST", "/collection-notice", {
      loanId: chosen.id,
    });
    const info = await this.node.lending.loanBook.loanInfo(chosen.id);
    if (Number(info.status) !== LoanStatus.Active)
      throw new Error(`loan ${chosen.id} was not cured by paying its arrears`);
    const loan = chosen.loan;
    loan.defaulted = false;
    loan.collecting = false;
    loan.remind = Number(info.cursor);
    const plan = this.planned.get(Number(chosen.id))!.loan;
    loan.defaultAt = plan.repayment.delays.findIndex((d, i) => d === null && i >= loan.remind);
    this.state.cured = (this.state.cured ?? 0) + 1;
    this.save();
    this.counters.add("cured");
    this.ctx.log(`cured: loan ${chosen.id} paid its arrears of ${paid.paid} after ${paid.daysPastDue} days past due`);
  }

  /** The month's row: the portfolio now, and what was repaid and disbursed since the last close. */
  private async recordMonth(): Promise<void> {
    const lb = this.node.lending.loanBook;
    const head = await this.ctx.provider.getBlockNumber();
    let repaid = 0n;
    let disbursed = 0n;
    for (let from = this.state.lastCloseBlock + 1; from <= head; from += 2_000) {
      const range = [from, Math.min(head, from + 1_999)] as const;
      for (const e of await lb.queryFilter(lb.filters.RepaymentApplied(), ...range)) {
        const a = e.args.allocation;
        repaid += a.surcharge + a.overdueInterest + a.interest + a.principal + a.prepaid;
      }
      for (const e of await lb.queryFilter(lb.filters.LoanDisbursed(), ...range)) disbursed += e.args.amount;
    }
    const [outstanding, nonPerforming] = await lb.portfolio();
    this.state.months.push({
      month: this.state.months.length + 1,
      balance: outstanding.toString(),
      nonPerforming: nonPerforming.toString(),
      nplPercent: outstanding === 0n ? 0 : Number((nonPerforming * 1_000_000n) / outstanding) / 10_000,
      repaid: repaid.toString(),
      disbursed: disbursed.toString(),
    });
    this.state.lastCloseBlock = head;
    this.save();
  }

  /** What the run's summary needs from the lead bank: its month rows and its cases. */
  report(): { months: MonthRow[]; cases: CaseRecord[] } {
    return { months: this.state.months, cases: this.state.cases };
  }

  /** Files the case, discloses the claim to the arbitrator and hands it the package. */
  private async takeToArbitration(loanId: bigint, loan: LeadLoan, dpd: number): Promise<void> {
    const lb = this.node.lending.loanBook;
    const dues = await lb.dues(loanId);
    // Collection costs on top of the payoff when the case studies' plan says so.
    const costs = claimedCosts(this.ctx.config.scenario, this.state.cases.length, dues.payoff);
    const claim = encodeDocument({
      type: "Claim",
      loanId,
      claimant: this.node.name,
      amountClaimed: dues.payoff + costs,
      payoff: dues.payoff,
      collectionCosts: costs,
      daysPastDue: dpd,
    });
    const arbitrator = this.ctx.config.nodes.find((n) => n.kind === "arbitrator")!;
    const filed = await openCase({
      bank: this.node,
      peers: this.peers,
      loanId,
      arbitrator: arbitrator.address!,
      claim,
      store: this.ctx.store,
    });
    // The borrower is served notice of the case (it may settle while the case runs).
    const borrowers = this.ctx.config.nodes.find((n) => n.kind === "borrowers");
    if (borrowers)
      await call(borrowers.port, "POST", "/case-notice", {
        loanId,
        caseId: filed.caseId,
        caseIndex: this.state.cases.length,
      });
    const disclosed = await discloseToArbitrator({
      bank: this.node,
      store: this.ctx.store,
      caseId: filed.caseId,
      // Every document behind the loan's chain (docs/DISCLOSURE.md), as in the demo.
      contentHashes: caseDocuments(
        this.ctx.store,
        loanId,
        (await this.node.lending.loanBook.loanInfo(loanId)).pseudonym,
        filed.caseId,
      ),
    });
    this.state.cases.push({
      caseId: Number(filed.caseId),
      loanId: Number(loanId),
      daysPastDue: dpd,
      amountClaimed: (dues.payoff + costs).toString(),
    });
    this.save();
    // The arbitrator rules and serves its award on the borrower before it answers.
    await call(arbitrator.port, "POST", "/disclosure", disclosed.package, 600_000);
    const status = Number((await lb.loanInfo(loanId)).status);
    if (status === LoanStatus.Repaid || status === LoanStatus.Closed) loan.closed = true;
    this.counters.add("cases");
    this.ctx.log(`case ${filed.caseId} opened on loan ${loanId} (${dpd} days past due); claim disclosed`);
  }
}

function parseApplication(body: unknown): Application {
  const a = body as Application;
  const bad = (what: string): never => {
    throw new EndpointError(400, `not an application: ${what}`);
  };
  if (!a || typeof a !== "object") bad("no body");
  if (!Number.isSafeInteger(a.index) || a.index < 0) bad("index");
  if (!a.applicant || typeof a.applicant.identity !== "string" || a.applicant.identity.length === 0) bad("identity");
  if (typeof a.account !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(a.account)) bad("account");
  if (!a.request || typeof a.request.principal !== "bigint" || a.request.principal <= 0n) bad("principal");
  if (![5, 10, 20].includes(a.request.periods)) bad("periods");
  if (!Number.isSafeInteger(a.request.annualRateBps) || a.request.annualRateBps <= 0) bad("rate");
  return a;
}
