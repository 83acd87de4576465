import fs from "node:fs";
import path from "node:path";
import { Interface, id, keccak256, toUtf8Bytes } from "ethers";
import type { Provider } from "ethers";
import { deployColend } from "../deploy";
import type { AddressBook } from "../core/addressBook";
import { writeAddressBook } from "../core/addressBook";
import { BlockPump, PumpedWallet, RawRpc } from "../core/blockPump";
import { EndorsementRefused, collectEndorsements } from "../core/node";
import { eventFragment } from "../core/receipts";
import { LOAN_CLASS_NAMES, LoanClass, LoanStatus, ROLE_NAMES, Role, kindName } from "../core/types";
import {
  BorrowerClient,
  CNY,
  DEFAULT_LENDING_PARAMS,
  CreditInputs,
  LeadBankNode,
  PartnerBankNode,
  LenderProvisions,
  encodeDocument,
  institutionId,
  pseudonymOf,
  readBookFigures,
  scheduledPayment,
} from "../lending";
import { ArbitratorNode, OUTCOME_NAMES, discloseToArbitrator, openCase, verdictLine } from "../arbitration";
import { DocumentStore } from "../store";
import { caseDocuments, exportCaseBundle } from "../evidence/caseBundle";
import { disclosureManifest } from "../evidence/disclosure";
import { serializeBundle } from "../evidence/bundle";
import { verifyBundle } from "../evidence/verify";
import type { Applicant, RepaymentPlan } from "./borrowers";
import { DAY, PERIOD_DAYS, PlannedApplication, PlannedLoan, STAGE_HOUR, ScenarioPlan, scenarioPlan } from "./plan";
import { ARBITRATOR_NAME, consortiumMembers, seededWallet } from "./consortium";
import { GasMeter } from "./gas";
import { ProgressBar } from "./progress";
import { prepareForgedLimit } from "./showcase";
import { LendingShowcase, runLendingShowcase } from "./lendingShowcase";
import { applicantInputs } from "./plan";
import type { SimReport } from "./report";
import { awardPayments, claimedCosts, cureCandidate, settlesDuringCase } from "./caseStudies";

/** What a run is asked to do. */
export interface ScenarioOptions {
  loans: number;
  partners: number;
  months: number;
  seed: string;
  /** Output directory (report, chart, evidence bundles, address book, document stores). */
  out: string;
  /** Network name shown in the report. */
  network: string;
  /** Most arbitration cases to open. */
  maxCases: number;
  /**
   * The court's case studies in the run's cases (default on): the first claim adds collection
   * costs the contract does not provide for (partly upheld), the second borrower settles while its
   * case runs (dismissed), one loan in collection is cured, and every award is paid through the
   * loan book (the plan in clients/sim/caseStudies.ts, which network mode's nodes follow too).
   * Off: cases are claimed at the payoff and ruled on the arbitrator's own reckoning.
   */
  caseStudies?: boolean;
  progress: boolean;
  log: (line: string) => void;
  /** Called after each simulated month (e.g. a benchmark's progress line). */
  onMonth?: (month: number) => void;
  /**
   * After the months: drawdown protection, monitoring, a delinquent re-applicant and loan-use
   * spending, with borrowers of its own (clients/sim/lendingShowcase.ts; `npm run demo` does).
   */
  lendingShowcase?: boolean;
}

/** Where the chain and its JSON-RPC are (Hardhat's in-process chain or anvil). */
export interface SimEnv {
  provider: Provider;
  rpc: RawRpc;
}

/** A disbursed loan as the driver follows it. */
interface SimLoan {
  id: bigint;
  client: BorrowerClient;
  plan: RepaymentPlan;
  periods: number;
  /** Day index (from the start of the run) of each installment's due date. */
  dueDays: number[];
  /** Next installment not yet paid in full. */
  next: number;
  closed: boolean;
  defaulted: boolean;
  inCase: boolean;
  /** Handed to outsourced collection. */
  collecting: boolean;
  cls: LoanClass;
}

type LoanAction = { loan: SimLoan; run: () => Promise<void> };

/**
 * The demo's scenario, on the contracts through the role nodes. The driver supplies time (a
 * simulated day at a time) and the borrowers' behaviour; every business action is a call of a
 * role node (`LeadBankNode`, `PartnerBankNode`, `BorrowerClient`, `ArbitratorNode`), and every
 * figure of the report is read from the contracts: the loan book computes dues, splits repayments
 * and keeps the portfolio; the registry decides multi-head exposure; the court holds the cases.
 *
 * Speed: transactions go through a `BlockPump` (automining off, local nonces, no gas estimates)
 * and independent loans run as concurrent actors, so a block carries the current transaction of
 * every loan being worked on at that stage.
 */
export class LendingScenario {
  private readonly plan: ScenarioPlan;
  private pump!: BlockPump;
  private book!: AddressBook;
  private lead!: LeadBankNode;
  private partners: PartnerBankNode[] = [];
  private arbitrator!: ArbitratorNode;
  private leadStore!: DocumentStore;
  private quorum = 0;
  private consortiumSecret = "";
  private readonly gas = new GasMeter();
  private readonly gasNames = new Map<string, string>();
  private readonly loans: SimLoan[] = [];
  private progress: (day: number, note: string) => void = () => undefined;
  private progressDay = 0;
  /** Applicants' wallets between admission and disbursement. */
  private readonly borrowerWallets = new Map<number, PumpedWallet>();
  private applicants = 0;
  private refused = 0;
  private multiHeadAdmitted = 0;
  private tamperShown = false;
  private readonly refusals: { kind: string; node: string; reason: string }[] = [];
  private borrowersPaid = 0n;
  private disbursed = 0n;
  private reminders = 0;
  private onTime = 0;
  private late = 0;
  private partial = 0;
  private earlyPayoffs = 0;
  private readonly months: SimReport["months"] = [];
  private monthRepaid = 0n;
  private monthDisbursed = 0n;
  private startBlock = 0;
  private t0 = 0;
  private readonly cases: SimReport["cases"] = [];
  private readonly collection: SimReport["collection"] = { started: 0, cured: [] };

  constructor(
    private readonly env: SimEnv,
    private readonly opts: ScenarioOptions,
  ) {
    this.plan = scenarioPlan({ seed: opts.seed, loans: opts.loans, months: opts.months, partners: opts.partners });
  }

  async run(): Promise<SimReport> {
    const started = Date.now();
    await this.deploy();
    // Progress by simulated day, so that a long month still shows movement.
    const bar = new ProgressBar(
      "simulating",
      this.opts.months * PERIOD_DAYS,
      process.stderr,
      5_000,
      this.opts.progress,
    );
    this.progress = (day, note) => {
      if (day <= this.progressDay) return;
      bar.tick(day - this.progressDay, note);
      this.progressDay = day;
    };
    for (let m = 0; m < this.opts.months; m++) {
      await this.playMonth(m, this.plan.month(m));
      this.progress((m + 1) * PERIOD_DAYS, `month ${m + 1}/${this.opts.months}, ${this.loans.length} loans`);
      this.opts.onMonth?.(m + 1);
    }
    bar.finish(`${this.loans.length} loans`);
    const showcase = this.opts.lendingShowcase ? await this.lendingShowcase() : undefined;
    const report = { ...(await this.report(Date.now() - started)), ...(showcase ? { lendingShowcase: showcase } : {}) };
    await this.pump.stop();
    return report;
  }

  // ---------------------------------------------------------------------------------------------
  // Set-up

  private async deploy(): Promise<void> {
    const provider = this.env.provider;
    const members = consortiumMembers(this.opts.seed, this.opts.partners, provider);
    const deployer = seededWallet(this.opts.seed, "deployer", provider);
    // The deployment pays ordinary gas; from then on the pump runs a free-gas chain.
    for (const w of [deployer, ...members.map((m) => m.wallet)]) await this.fund(w.address);
    const founders = members.map((m) => ({
      name: m.name,
      role: m.role,
      signer: m.wallet,
      encryptionKey: m.wallet.signingKey.compressedPublicKey,
    }));
    const { book, ledger } = await deployColend(deployer, founders, { lending: this.lendingParams() });
    if (!book.loanBook || !book.court) throw new Error("deployColend deployed no loan book or no court");
    this.book = book;
    this.startBlock = book.deployBlock;
    writeAddressBook(`${this.opts.out}/addresses.json`, book);
    this.quorum = Number(await ledger.quorumFor(await ledger.votingMemberCount()));

    this.pump = new BlockPump(this.env.rpc);
    await this.pump.start();
    this.pump.onMined = (tx) => this.gas.add(this.operationName(tx.to, tx.selector), tx.gasUsed);
    const chainId = BigInt(book.chainId);
    const pumped = (key: string) => new PumpedWallet(key, provider, this.pump, chainId);
    this.lead = new LeadBankNode(members[0].name, pumped(members[0].wallet.privateKey), book);
    for (const m of members.filter((x) => x.role === Role.PartnerBank)) {
      this.partners.push(new PartnerBankNode(m.name, pumped(m.wallet.privateKey), book));
    }
    const arb = members.find((x) => x.role === Role.Arbitrator)!;
    const stores = path.join(this.opts.out, "stores");
    fs.rmSync(stores, { recursive: true, force: true });
    fs.mkdirSync(stores, { recursive: true });
    // Each node's storage secret, derived from the seed (a real node keeps its own in a vault).
    const secret = (who: string): string => id(`colend.sim.store.${this.opts.seed}.${who}`);
    this.leadStore = DocumentStore.open(path.join(stores, "lead.db"), secret("lead"));
    // The lead keeps every document behind its records, for a full disclosure in a case.
    this.lead.keepDocuments(this.leadStore);
    this.arbitrator = new ArbitratorNode(
      arb.name,
      pumped(arb.wallet.privateKey),
      book,
      DocumentStore.open(path.join(stores, "arbitrator.db"), secret("arbitrator")),
      arb.wallet.privateKey,
    );
    this.consortiumSecret = keccak256(toUtf8Bytes(`colend.sim.consortium-secret.${this.opts.seed}`));
    this.indexOperations();
    await this.pump.all(
      [this.lead, ...this.partners].map((bank) => async () => {
        await bank.deposit(10n ** 15n);
        await bank.allowLoanBook(10n ** 15n);
      }),
    );
    this.t0 = Number((await provider.getBlock("latest"))!.timestamp);
    this.opts.log(
      `deployed the consortium with the lending modules: ledger ${book.ledger}, loan book ${book.loanBook}, quorum ${this.quorum} of ${this.partners.length} partners`,
    );
  }

  /**
   * The consortium's lending parameters: the defaults, except a partner exposure cap large enough
   * for the run's book. Each partner may hold at most `partnerExposureCap` of committed and
   * outstanding principal; a consortium lending 10,000 loans with six partners sets it above
   * what its plan has each partner commit (the default, 5,000,000 CNY, suits about a thousand
   * loans), or its partners would refuse funding half-way through the year.
   */
  private lendingParams(): { partnerExposureCap?: bigint } {
    const committed = new Map<number, bigint>();
    for (const a of this.plan.applications)
      for (const s of a.loan?.syndicate ?? []) committed.set(s.partner, (committed.get(s.partner) ?? 0n) + s.amount);
    const most = [...committed.values()].reduce((x, y) => (x > y ? x : y), 0n);
    if (most <= DEFAULT_LENDING_PARAMS.partnerExposureCap) return {};
    const step = 1_000_000n * CNY;
    const cap = ((most + step - 1n) / step) * step;
    this.opts.log(
      `partner exposure cap ${cap / CNY} CNY for this book (the default ${DEFAULT_LENDING_PARAMS.partnerExposureCap / CNY} CNY is below the ${most / CNY} CNY the plan has one partner commit)`,
    );
    return { partnerExposureCap: cap };
  }

  private async fund(account: string): Promise<void> {
    const hex = "0x" + (10n ** 24n).toString(16);
    try {
      await this.env.rpc.send("hardhat_setBalance", [account, hex]);
    } catch {
      await this.env.rpc.send("anvil_setBalance", [account, hex]);
    }
  }

  /** Names of the operations in the gas table: `contract.function` by address and selector. */
  private indexOperations(): void {
    const { lending } = this.lead;
    const contracts: [string, string, Interface][] = [
      ["ledger", this.book.ledger, this.lead.ledger.interface as unknown as Interface],
      ["loanBook", this.book.loanBook!, lending.loanBook.interface as unknown as Interface],
      ["registry", this.book.registry!, lending.registry.interface as unknown as Interface],
      ["token", this.book.token!, lending.token.interface as unknown as Interface],
      ["court", this.book.court!, this.arbitrator.court.interface as unknown as Interface],
    ];
    for (const [name, address, iface] of contracts) {
      iface.forEachFunction((f) => this.gasNames.set(`${address.toLowerCase()}${f.selector}`, `${name}.${f.name}`));
    }
  }

  private operationName(to?: string, selector?: string): string {
    return (to && selector && this.gasNames.get(`${to.toLowerCase()}${selector}`)) ?? "other";
  }

  /** Moves the chain's clock to `day` (from the start) at `hour`, mining an empty block there. */
  private async at(day: number, hour: number): Promise<void> {
    const time = this.t0 + day * DAY + hour * 3_600;
    if (time <= this.pump.time) return;
    this.pump.time = time;
    await this.pump.tick();
  }

  // ---------------------------------------------------------------------------------------------
  // The borrowers (the driver's only invention besides time)

  // ---------------------------------------------------------------------------------------------
  // A month, day by day, stage by stage

  private async playMonth(m: number, applications: PlannedApplication[]): Promise<void> {
    const firstDay = m * PERIOD_DAYS;
    const lastDay = firstDay + PERIOD_DAYS; // exclusive
    const inMonth = (d: number) => d >= firstDay && d < lastDay;
    const byDay = new Map<
      number,
      { apps: PlannedApplication[]; reminders: LoanAction[]; payments: LoanAction[]; defaults: LoanAction[] }
    >();
    const day = (d: number) => {
      let e = byDay.get(d);
      if (!e) byDay.set(d, (e = { apps: [], reminders: [], payments: [], defaults: [] }));
      return e;
    };
    for (const a of applications) day(a.day).apps.push(a);
    for (const loan of this.loans) {
      if (loan.closed || loan.defaulted) continue;
      for (let i = loan.next; i < loan.periods; i++) {
        const due = loan.dueDays[i];
        if (due - 2 >= lastDay) break;
        const delay = loan.plan.delays[i];
        // Reminder the day after the due date when the installment will not be paid by then.
        if ((delay === null || delay >= 1) && inMonth(due + 1)) {
          day(due + 1).reminders.push({ loan, run: () => this.remind(loan, i) });
        }
        // A reminder unanswered for a day: default (the reminder window is 24 hours).
        if (delay === null && inMonth(due + 2))
          day(due + 2).defaults.push({ loan, run: () => this.declareDefault(loan) });
        if (delay !== null && inMonth(due + delay))
          day(due + delay).payments.push({ loan, run: () => this.pay(loan, i) });
      }
    }
    for (const d of [...byDay.keys()].sort((x, y) => x - y)) {
      const work = byDay.get(d)!;
      this.progress(d, `month ${m + 1}/${this.opts.months}, ${this.loans.length} loans`);
      if (work.apps.length > 0) {
        await this.at(d, STAGE_HOUR.applications);
        await this.applicationStage(work.apps);
      }
      for (const stage of ["reminders", "payments", "defaults"] as const) {
        if (work[stage].length === 0) continue;
        await this.at(d, STAGE_HOUR[stage]);
        await this.perLoan(work[stage]);
      }
    }
    await this.at(lastDay - 1, STAGE_HOUR.monthEnd);
    await this.monthEnd(m);
  }

  /** Runs loan actions at once, one actor per loan (a loan's own actions in order). */
  private async perLoan(actions: LoanAction[]): Promise<void> {
    const byLoan = new Map<SimLoan, (() => Promise<void>)[]>();
    for (const a of actions) byLoan.set(a.loan, [...(byLoan.get(a.loan) ?? []), a.run]);
    await this.pump.all(
      [...byLoan.values()].map((runs) => async () => {
        for (const r of runs) await r();
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Stage: applications (whitelisting, origination, funding, disbursement)

  private async applicationStage(apps: PlannedApplication[]): Promise<void> {
    this.applicants += apps.length;
    const admitted = apps.filter((a): a is PlannedApplication & { loan: PlannedLoan } => a.loan !== undefined);
    this.refused += apps.length - admitted.length;
    // Whitelisting: multi-head reports and the credit decision, every applicant at once.
    const decisions = await this.pump.all(admitted.map((a) => () => this.admit(a)));
    // Origination one after the other: the lead bank numbers loans from the loan book's counter.
    const originated = [];
    for (let k = 0; k < admitted.length; k++) originated.push(await this.originate(admitted[k], decisions[k]));
    // Funding by the partners and disbursement, every loan at once.
    await this.pump.all(originated.map((loanId, k) => () => this.fundAndDisburse(admitted[k], loanId)));
    this.loans.sort((x, y) => Number(x.id - y.id));
  }

  private pseudonymOf(a: Applicant): string {
    return pseudonymOf(this.consortiumSecret, a.identity);
  }

  /** The borrower's wallet (made once: deriving a key's address costs a curve multiplication). */
  private borrowerWallet(a: Applicant): PumpedWallet {
    let wallet = this.borrowerWallets.get(a.index);
    if (!wallet) {
      const key = seededWallet(this.opts.seed, `borrower.${a.index}`, this.env.provider).privateKey;
      wallet = new PumpedWallet(key, this.env.provider, this.pump, BigInt(this.book.chainId));
      this.borrowerWallets.set(a.index, wallet);
    }
    return wallet;
  }

  private async admit(app: PlannedApplication & { loan: PlannedLoan }): Promise<string> {
    const { applicant: a, inputs } = app;
    const pseudonym = this.pseudonymOf(a);
    const account = this.borrowerWallet(a).address;
    // Multi-head data: a partner reports the applicant's loans at other institutions (endorsed).
    const exposure = inputs.outsideExposure;
    for (let k = 0; k < a.outsideLenders; k++) {
      const n = BigInt(a.outsideLenders);
      const share = k === a.outsideLenders - 1 ? exposure - (exposure / n) * BigInt(k) : exposure / n;
      const reporter = this.partners[(a.index + k) % this.partners.length];
      await reporter.reportOutsideLoan(
        { pseudonym, institution: institutionId(`Outside Bank ${k + 1}`), amount: share, active: true },
        [this.lead, ...this.partners.filter((x) => x !== reporter)],
      );
    }
    if (!this.tamperShown) {
      this.tamperShown = true;
      await this.showRefusal(pseudonym, account, inputs);
    }
    const admitted = await this.lead.admit(
      { pseudonym, account, score: inputs.score, requestedLimit: inputs.requestedLimit },
      this.partners,
    );
    if (admitted.limit !== app.loan.limit) {
      throw new Error(
        `applicant ${a.index}: the lead bank granted ${admitted.limit}, the plan expected ${app.loan.limit}`,
      );
    }
    if (a.outsideLenders > 0) this.multiHeadAdmitted++;
    return pseudonym;
  }

  private async originate(app: PlannedApplication & { loan: PlannedLoan }, pseudonym: string): Promise<bigint> {
    const { loan } = app;
    const o = await this.lead.originate(
      {
        pseudonym,
        principal: loan.principal,
        annualRateBps: loan.annualRateBps,
        periods: loan.periods,
        periodDays: PERIOD_DAYS,
        // The borrower's app signs its assent to the exact contract before the loan book takes it.
        borrower: new BorrowerClient(this.borrowerWallet(app.applicant), this.book),
      },
      this.partners,
    );
    if (o.loanId !== BigInt(loan.loanId)) throw new Error(`loan ${o.loanId} originated as planned loan ${loan.loanId}`);
    return o.loanId;
  }

  private async fundAndDisburse(app: PlannedApplication & { loan: PlannedLoan }, loanId: bigint): Promise<void> {
    const { loan } = app;
    // The partners commit their shares at once, and the borrower's bank tokenizes the borrower's
    // own money for interest and charges meanwhile; then the lead bank disburses.
    const wallet = this.borrowerWallet(app.applicant);
    this.borrowerWallets.delete(app.applicant.index);
    await this.pump.all<unknown>([
      ...loan.syndicate.map((s) => () => this.partners[s.partner].commitFunding(loanId, s.amount)),
      () => this.lead.deposit(loan.principal, wallet.address),
    ]);
    const d = await this.lead.disburse(loanId);
    this.disbursed += d.amount;
    this.monthDisbursed += d.amount;
    const firstDueDay = Math.floor((Number(d.firstDueDate) - this.t0) / DAY);
    this.loans.push({
      id: loanId,
      client: new BorrowerClient(wallet, this.book),
      plan: loan.repayment,
      periods: loan.periods,
      dueDays: Array.from({ length: loan.periods }, (_, i) => firstDueDay + i * PERIOD_DAYS),
      next: 0,
      closed: false,
      defaulted: false,
      inCase: false,
      collecting: false,
      cls: LoanClass.Normal,
    });
  }

  /** The forged-limit proposal every partner refuses (the lending reviewers recompute the decision). */
  private async showRefusal(pseudonym: string, account: string, inputs: CreditInputs): Promise<void> {
    const { proposal: p, forged } = await prepareForgedLimit(this.lead, pseudonym, account, inputs);
    try {
      await collectEndorsements(p, this.partners, this.quorum);
      throw new Error("a forged credit decision was endorsed");
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith("quorum not reached")) throw e;
    }
    this.opts.log(`refused: credit decision for ${pseudonym.slice(0, 10)}… with a forged limit of ${forged / CNY} CNY`);
    for (const partner of this.partners) {
      try {
        await partner.review(p);
      } catch (r) {
        if (!(r instanceof EndorsementRefused)) throw r;
        this.refusals.push({ kind: "CreditDecision", node: r.node, reason: r.reason });
        if (this.refusals.length <= 3) this.opts.log(`  ${r.message}`);
      }
    }
    this.opts.log(`  the lead bank proposes the limit its rule gives instead`);
  }

  // ---------------------------------------------------------------------------------------------
  // Stages: reminders, payments, defaults

  private async remind(loan: SimLoan, i: number): Promise<void> {
    if (loan.closed || loan.defaulted || loan.next > i) return;
    if ((await loan.client.dues(loan.id)).amountDue === 0n) return;
    await this.lead.remind(loan.id, `Loan ${loan.id}: installment ${i + 1} is overdue; please pay within 24 hours.`);
    this.reminders++;
  }

  /**
   * The borrower pays installment `i` (and any arrears): what is overdue, or, when nothing is
   * overdue yet (paying on or before the due date), the current installment; in two parts for a
   * borrower who pays partially; everything when it pays off early.
   */
  private async pay(loan: SimLoan, i: number): Promise<void> {
    if (loan.closed || loan.defaulted || loan.next > i) return;
    const dues = await loan.client.dues(loan.id);
    const owed = scheduledPayment(dues);
    let paid;
    if (i === loan.plan.payoffAt) {
      paid = await loan.client.payOff(loan.id);
      this.earlyPayoffs++;
    } else if (owed === 0n) {
      return;
    } else if (loan.plan.partial[i] && owed > 1n) {
      const first = await loan.client.repay(loan.id, owed / 2n);
      this.account(first.allocation);
      this.partial++;
      paid = await loan.client.repay(loan.id, owed - owed / 2n);
    } else {
      paid = await loan.client.repay(loan.id, owed);
    }
    this.account(paid.allocation);
    if (dues.daysPastDue > 0n) this.late++;
    else this.onTime++;
    loan.next = i + 1;
    if (paid.settled || i === loan.plan.payoffAt || loan.next >= loan.periods) loan.closed = true;
  }

  private account(a: {
    surcharge: bigint;
    overdueInterest: bigint;
    interest: bigint;
    principal: bigint;
    prepaid: bigint;
  }) {
    const sum = a.surcharge + a.overdueInterest + a.interest + a.principal + a.prepaid;
    this.borrowersPaid += sum;
    this.monthRepaid += sum;
  }

  private async declareDefault(loan: SimLoan): Promise<void> {
    if (loan.closed || loan.defaulted) return;
    await this.lead.declareDefault(loan.id, this.partners);
    loan.defaulted = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Stage: month end (classification, cases, the portfolio)

  private async monthEnd(m: number): Promise<void> {
    const lb = this.lead.lending.loanBook;
    const today = (this.pump.time - this.t0) / DAY;
    // Only a loan with an installment past due, or not classified normal, can change class.
    const watch = this.loans.filter((l) => !l.closed && (l.cls !== LoanClass.Normal || l.dueDays[l.next] < today));
    const toCase: { loan: SimLoan; dpd: number }[] = [];
    await this.pump.all(
      watch.map((loan) => async () => {
        const dpd = Number(await lb.daysPastDue(loan.id));
        const cls = Number(await lb.classFor(dpd)) as LoanClass;
        if (cls !== loan.cls) loan.cls = await this.lead.classify(loan.id);
        if (loan.defaulted && !loan.inCase && (await this.collect(loan)) === "arbitrable" && dpd >= 90)
          toCase.push({ loan, dpd });
      }),
    );
    await this.cureOne();
    toCase.sort((a, b) => Number(a.loan.id - b.loan.id));
    // Cases one after the other: the court numbers them from its counter.
    for (const { loan, dpd } of toCase) {
      if (this.cases.length >= this.opts.maxCases || !loan.defaulted) break;
      loan.inCase = true;
      await this.arbitrate(loan, dpd);
    }
    const [outstanding, nonPerforming] = await lb.portfolio();
    this.months.push({
      month: m + 1,
      balance: outstanding.toString(),
      nonPerforming: nonPerforming.toString(),
      nplPercent: outstanding === 0n ? 0 : Number((nonPerforming * 1_000_000n) / outstanding) / 10_000,
      repaid: this.monthRepaid.toString(),
      disbursed: this.monthDisbursed.toString(),
    });
    this.monthRepaid = 0n;
    this.monthDisbursed = 0n;
  }

  /**
   * Collection before arbitration (case study 000): once the reminder stage is over the lead bank
   * hands a defaulted loan to an outsourced agency (an endorsed CollectionStarted record); a case
   * may be filed when the collection stage is over.
   */
  private async collect(loan: SimLoan): Promise<string> {
    const stage = await this.lead.advanceCollection(loan.id, this.partners);
    if (!loan.collecting && (stage === "collection" || stage === "arbitrable")) {
      loan.collecting = true;
      this.collection.started++;
    }
    return stage;
  }

  /**
   * Once a run: the borrower of the first loan in collection pays every arrear, which cures it
   * (the loan performs again and the borrower's listing records the cure); the driver then
   * follows its plan again from the next installment.
   */
  private async cureOne(): Promise<void> {
    const loan = cureCandidate(this.opts, this.collection.cured.length, this.loans);
    if (!loan) return;
    const dues = await loan.client.dues(loan.id);
    const paid = await loan.client.repay(loan.id, dues.amountDue);
    this.account(paid.allocation);
    const info = await this.lead.lending.loanBook.loanInfo(loan.id);
    if (Number(info.status) !== LoanStatus.Active)
      throw new Error(`loan ${loan.id} was not cured by paying its arrears`);
    loan.defaulted = false;
    loan.collecting = false;
    loan.next = Number(info.cursor);
    this.late++;
    this.collection.cured.push({
      loanId: Number(loan.id),
      paid: dues.amountDue.toString(),
      daysPastDue: Number(dues.daysPastDue),
    });
    this.opts.log(
      `cured: loan ${loan.id} paid its arrears of ${dues.amountDue} after ${dues.daysPastDue} days in default and collection`,
    );
  }

  /**
   * The lead bank files a case with the arbitration court (the claim is an endorsed record that
   * freezes the loan's head) and discloses every document behind the loan's chain to the
   * arbitrator (keys wrapped to its registered key). The arbitrator opens and checks them, the
   * case's full-disclosure bundle (documents, receipts, the borrower's assent) is exported and
   * verified offline with the one verifier (`clients/evidence`), and the arbitrator rules on its
   * own reckoning (`ArbitratorNode.assess`), not on the claim's figure. The first case claims
   * collection costs the contract does not provide for (partly upheld); in the second the borrower
   * settles while the case runs (dismissed). After an award the borrower pays against it through
   * the loan book, split to the funders like any repayment.
   */
  private async arbitrate(loan: SimLoan, dpd: number): Promise<void> {
    const lb = this.lead.lending.loanBook;
    const k = this.cases.length;
    const dues = await loan.client.dues(loan.id);
    const costs = claimedCosts(this.opts, k, dues.payoff);
    const claimed = dues.payoff + costs;
    const claim = encodeDocument({
      type: "Claim",
      loanId: loan.id,
      claimant: this.lead.name,
      amountClaimed: claimed,
      payoff: dues.payoff,
      collectionCosts: costs,
      daysPastDue: dpd,
    });
    const filed = await openCase({
      bank: this.lead,
      peers: this.partners,
      loanId: loan.id,
      arbitrator: await this.arbitrator.address(),
      claim,
      store: this.leadStore,
    });
    if (settlesDuringCase(this.opts, k)) {
      // The borrower settles in full while the case runs.
      const paid = await loan.client.payOff(loan.id);
      this.account(paid.allocation);
      loan.closed = true;
    }
    const { pseudonym } = await lb.loanInfo(loan.id);
    const contentHashes = caseDocuments(this.leadStore, loan.id, pseudonym, filed.caseId);
    const disclosed = await discloseToArbitrator({
      bank: this.lead,
      store: this.leadStore,
      caseId: filed.caseId,
      contentHashes,
    });
    const review = await this.arbitrator.receiveDisclosure(disclosed.package);
    const bundle = await exportCaseBundle(this.env.provider, this.book, filed.caseId, {
      documents: this.leadStore,
      disclosures: [disclosureManifest(disclosed.package)],
    });
    const text = serializeBundle(bundle);
    const file = path.join(this.opts.out, "evidence", `loan-${loan.id}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    const offline = await verifyBundle(JSON.parse(text));
    const ok = offline.ok && review.verified;
    const entry: SimReport["cases"][number] = {
      caseId: Number(filed.caseId),
      loanId: Number(loan.id),
      claimant: this.lead.name,
      arbitrator: ARBITRATOR_NAME,
      daysPastDue: dpd,
      amountClaimed: claimed.toString(),
      amountSupported: "0",
      amountOwed: "0",
      outcome: "none",
      documents: review.documents.length,
      records: offline.records.length,
      bundle: path.relative(process.cwd(), file),
      verified: ok,
      verdict: offline.ok
        ? "not ruled: a disclosed document did not verify"
        : `not ruled: bundle failed verification: ${offline.errors[0] ?? "unknown"}`,
    };
    this.cases.push(entry);
    if (!ok) return;
    const assessment = await this.arbitrator.assess(review, claimed);
    await this.arbitrator.rule(assessment);
    entry.amountSupported = assessment.supported.toString();
    entry.amountOwed = assessment.amountOwed.toString();
    entry.outcome = OUTCOME_NAMES[assessment.outcome];
    entry.verdict = verdictLine(assessment);
    const parts = awardPayments(
      this.opts,
      assessment.outcome,
      assessment.amountOwed,
      this.arbitrator.court.interface.hasFunction("onAwardSatisfied"),
    );
    if (parts.length > 0) entry.enforcement = await this.enforce(loan, assessment.amountOwed, parts);
  }

  /**
   * The borrower pays against the award through the loan book: 40% first, then (when the court
   * closes cases on satisfaction) the rest, which closes the loan and the case. Each payment is
   * split to the funders like any repayment; the split is read from the loan book.
   */
  private async enforce(
    loan: SimLoan,
    award: bigint,
    parts: bigint[],
  ): Promise<NonNullable<SimReport["cases"][number]["enforcement"]>> {
    const lb = this.lead.lending.loanBook;
    const credited = async () =>
      new Map(
        (await lb.fundersOf(loan.id)).map((f) => [f.account.toLowerCase(), f.principalReturned + f.incomeReceived]),
      );
    const before = await credited();
    let paid = 0n;
    for (const part of parts) {
      const r = await loan.client.repay(loan.id, part);
      this.account(r.allocation);
      paid += part;
    }
    const after = await credited();
    const names = new Map(this.book.members.map((m) => [m.address.toLowerCase(), m.name]));
    const split = [...after.entries()].map(([account, total]) => ({
      funder: names.get(account) ?? account,
      amount: (total - (before.get(account) ?? 0n)).toString(),
    }));
    const info = await lb.loanInfo(loan.id);
    const collection = await lb.collectionOf(loan.id);
    if (Number(info.status) === LoanStatus.Closed) loan.closed = true;
    return {
      paid: paid.toString(),
      remaining: (award - collection.awardPaid).toString(),
      writtenOff: collection.writtenOff.toString(),
      closed: Number(info.status) === LoanStatus.Closed,
      split,
    };
  }

  /** Protection tiers, monitoring, a delinquent re-applicant and loan-use spending (clients/sim/lendingShowcase.ts). */
  private async lendingShowcase(): Promise<LendingShowcase> {
    const defaulted = this.loans.find((l) => l.defaulted);
    const app = defaulted && this.plan.applications.find((a) => a.loan && BigInt(a.loan.loanId) === defaulted.id);
    return runLendingShowcase({
      lead: this.lead,
      partners: this.partners,
      book: this.book,
      wallet: (label) =>
        new PumpedWallet(
          seededWallet(this.opts.seed, label, this.env.provider).privateKey,
          this.env.provider,
          this.pump,
          BigInt(this.book.chainId),
        ),
      consortiumSecret: this.consortiumSecret,
      store: this.leadStore,
      defaulted: defaulted && app ? { loanId: defaulted.id, score: applicantInputs(app.applicant).score } : undefined,
      log: this.opts.log,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The report, read from the contracts

  private async report(elapsedMs: number): Promise<SimReport> {
    const lb = this.lead.lending.loanBook;
    const members = this.book.members.filter((mm) => mm.role === Role.LeadBank || mm.role === Role.PartnerBank);
    const figures = await readBookFigures(
      lb,
      this.loans.map((l) => l.id),
      members.map((mm) => mm.address),
    );
    const { funders: totals, repaid, held, received } = figures;
    const roundingOutOfBounds = !figures.roundingInBounds;
    const classes = figures.classes.map((c, i) => ({ class: LOAN_CLASS_NAMES[i as LoanClass], ...c }));
    const [outstanding, nonPerforming] = await lb.portfolio();
    const records = await this.recordCounts();
    const latest = await this.env.provider.getBlockNumber();
    return {
      version: 2,
      generatedAt: new Date().toISOString(),
      source: `the contracts on chain ${this.book.chainId}: LoanBook ${this.book.loanBook}, CreditRegistry ${this.book.registry}, SettlementToken ${this.book.token}, ArbitrationCourt ${this.book.court}`,
      options: {
        loans: this.opts.loans,
        partners: this.opts.partners,
        months: this.opts.months,
        seed: this.opts.seed,
        network: this.opts.network,
      },
      chain: {
        chainId: this.book.chainId,
        ledger: this.book.ledger,
        transactions: this.pump.transactions,
        blocks: latest - this.startBlock,
      },
      consortium: this.book.members.map((mm) => ({ name: mm.name, role: ROLE_NAMES[mm.role], address: mm.address })),
      borrowers: {
        applicants: this.applicants,
        admitted: this.loans.length,
        refused: this.refused,
        multiHeadAdmitted: this.multiHeadAdmitted,
        delinquent: this.loans.filter((l) => l.defaulted).length,
      },
      loans: {
        count: this.loans.length,
        repaid,
        disbursed: this.disbursed.toString(),
        byClass: classes.map((c) => ({ class: c.class, loans: c.loans, balance: c.balance.toString() })),
        balance: outstanding.toString(),
        nonPerforming: nonPerforming.toString(),
        nplPercent: outstanding === 0n ? 0 : Number((nonPerforming * 1_000_000n) / outstanding) / 10_000,
      },
      payments: {
        onTime: this.onTime,
        late: this.late,
        partial: this.partial,
        earlyPayoffs: this.earlyPayoffs,
        reminders: this.reminders,
        borrowersPaid: this.borrowersPaid.toString(),
        fundersReceived: received.toString(),
        heldUntilSettlement: held.toString(),
        balanced: !roundingOutOfBounds && received + held === this.borrowersPaid,
      },
      funders: members.map((mm) => {
        const t = totals.get(mm.address.toLowerCase())!;
        return {
          name: mm.name,
          address: mm.address,
          funded: t.funded.toString(),
          principalReceived: t.principal.toString(),
          interestReceived: t.income.toString(),
        };
      }),
      records: { ...records, refusals: this.refusals },
      gas: this.gas.entries().map((g) => ({
        operation: g.op,
        count: g.count,
        average: g.average.toString(),
        min: g.min.toString(),
        max: g.max.toString(),
        total: g.total.toString(),
      })),
      collection: this.collection,
      provisions: this.provisionsReport(figures.provisions, members),
      cases: this.cases,
      months: this.months,
      run: { seconds: Math.round(elapsedMs / 100) / 10, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) },
      units: { token: "fen (0.01 CNY)", unitsPerCny: Number(CNY) },
    };
  }

  /** Each bank's loan-loss provisions by class and its coverage ratio, and the consortium's. */
  private provisionsReport(
    provisions: Map<string, LenderProvisions>,
    members: readonly { name: string; address: string }[],
  ): SimReport["provisions"] {
    const percent = (part: bigint, whole: bigint): number | null =>
      whole === 0n ? null : Number((part * 1_000_000n) / whole) / 10_000;
    let total = 0n;
    let nonPerforming = 0n;
    const byLender = members.map((m) => {
      const p = provisions.get(m.address.toLowerCase())!;
      total += p.total;
      nonPerforming += p.nonPerforming;
      return {
        name: m.name,
        byClass: p.provision.map((x, c) => ({
          class: LOAN_CLASS_NAMES[c as LoanClass],
          balance: p.balance[c].toString(),
          provision: x.toString(),
        })),
        total: p.total.toString(),
        nonPerforming: p.nonPerforming.toString(),
        coveragePercent: percent(p.total, p.nonPerforming),
      };
    });
    return {
      total: total.toString(),
      nonPerforming: nonPerforming.toString(),
      coveragePercent: percent(total, nonPerforming),
      byLender,
    };
  }

  /**
   * Records committed per kind and the endorsement signatures they carry, read from the ledger's
   * `RecordCommitted` logs in chunks. Only three fields are needed, so they are read straight from
   * the log (the kind is a topic; the attestation and the endorsements' length are words of the
   * data) instead of decoding every field of every log, which took a second per 700 records.
   */
  private async recordCounts(): Promise<{ byKind: Record<string, number>; total: number; endorsements: number }> {
    const ledger = this.lead.ledger;
    const latest = await this.env.provider.getBlockNumber();
    const byKind: Record<string, number> = {};
    let total = 0;
    let endorsements = 0;
    const event = eventFragment(ledger.interface, "RecordCommitted");
    // The data's head: contentHash, attrs, prev, head, attestation, issuedAt, deadline, then the
    // offset of `endorsements` (bytes), whose length is the first word at that offset.
    const names = event.fragment.inputs.filter((p) => !p.indexed).map((p) => p.name);
    if (names.join() !== "contentHash,attrs,prev,head,attestation,issuedAt,deadline,endorsements")
      throw new Error(`RecordCommitted changed (${names.join(", ")}): update recordCounts`);
    const word = (data: string, i: number) => BigInt("0x" + data.slice(2 + 64 * i, 66 + 64 * i));
    const hex = (n: number) => "0x" + n.toString(16);
    for (let from = this.startBlock; from <= latest; from += 2_000) {
      const logs = (await this.env.rpc.send("eth_getLogs", [
        {
          address: this.book.ledger,
          topics: [event.topicHash],
          fromBlock: hex(from),
          toBlock: hex(Math.min(latest, from + 1_999)),
        },
      ])) as { topics: string[]; data: string }[];
      for (const log of logs) {
        const k = kindName(log.topics[2]);
        byKind[k] = (byKind[k] ?? 0) + 1;
        total++;
        const att = Number(word(log.data, 4));
        const bytes = Number(word(log.data, Number(word(log.data, 7)) / 32));
        endorsements += att === 0 ? bytes / 64 : att === 1 ? bytes / 20 : 0;
      }
    }
    return { byKind, total, endorsements };
  }
}
