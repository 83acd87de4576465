import fs from "node:fs";
import path from "node:path";
import { Interface, id } from "ethers";
import type { Provider, Wallet } from "ethers";
import { deployColend } from "../deploy";
import type { AddressBook } from "../core/addressBook";
import { writeAddressBook } from "../core/addressBook";
import { EndorsementRefused, LedgerNode, collectEndorsements } from "../core/node";
import { Kind, LOAN_CLASS_NAMES, LoanClass, ROLE_NAMES, Role, Subject, kindName } from "../core/types";
import {
  BorrowerClient,
  LeadBankNode,
  PartnerBankNode,
  creditDecisionAttrs,
  decideCredit as decideLending,
  encodeDocument,
  institutionId,
} from "../lending";
import { GasMeter } from "./gas";
import type { RpcLike } from "./chain";
import { ArbitratorNode, discloseToArbitrator, openCase } from "../arbitration";
import { DocumentStore } from "../store";
import { exportLoanBundle } from "../evidence/export";
import { serializeBundle } from "../evidence/bundle";
import { verifyBundle } from "../evidence/verify";
import { ARBITRATOR_NAME, consortiumMembers, seededWallet } from "./consortium";
import { verifyChain } from "./verify";
import {
  Applicant,
  BEHAVIOUR_WEIGHTS,
  Behaviour,
  DAY,
  PERIOD_DAYS,
  RepaymentPlan,
  UNITS_PER_CNY,
  makeApplicant,
  planRepayments,
  pseudonymOf,
} from "./model";
import { ProgressBar } from "./progress";
import { Rng } from "./rng";
import type { SimReport } from "./report";
import type { ScenarioOptions, SimEnv } from "./scenario";

interface OnChainLoan {
  id: bigint;
  client: BorrowerClient;
  behaviour: Behaviour;
  plan: RepaymentPlan;
  periods: number;
  firstDue: number;
  next: number;
  closed: boolean;
  defaulted: boolean;
  inCase?: boolean;
  cls: LoanClass;
}

/**
 * The scenario on the lending contracts: whitelisting in the credit registry, origination with an
 * endorsed loan contract, partners' funding commitments in settlement tokens, disbursement,
 * repayments computed and split by the loan book, reminders, defaults and classification, all
 * through the lending clients (each call waits for its transaction, so Hardhat automines).
 */
export class LendingScenario {
  private readonly rng: Rng;
  private book!: AddressBook;
  private lead!: LeadBankNode;
  private partners: PartnerBankNode[] = [];
  private arbitrator!: ArbitratorNode;
  private leadStore!: DocumentStore;
  private quorum = 0;
  private readonly loans: OnChainLoan[] = [];
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

  constructor(
    private readonly env: SimEnv,
    private readonly opts: ScenarioOptions,
  ) {
    this.rng = new Rng(opts.seed);
  }

  private async rpc(method: string, params: unknown[]): Promise<unknown> {
    return (this.env.rpc as RpcLike).send(method, params);
  }

  private async fund(account: string): Promise<void> {
    const hex = "0x" + (10n ** 24n).toString(16);
    try {
      await this.rpc("hardhat_setBalance", [account, hex]);
    } catch {
      await this.rpc("anvil_setBalance", [account, hex]);
    }
  }

  private async now(): Promise<number> {
    return (await this.env.provider.getBlock("latest"))!.timestamp;
  }

  /** Moves the chain's clock to `time` (no-op if it is already there). */
  private async advanceTo(time: number): Promise<void> {
    if (time <= (await this.now())) return;
    await this.rpc("evm_setNextBlockTimestamp", [time]);
    await this.rpc("evm_mine", []);
  }

  async run(): Promise<SimReport> {
    const started = Date.now();
    await this.deploy();
    this.t0 = await this.now();
    const bar = new ProgressBar("simulating", this.opts.months, process.stderr, 5_000, this.opts.progress);
    const originMonths = Math.max(1, this.opts.months - 1);
    for (let m = 0; m < this.opts.months; m++) {
      const target =
        m < originMonths
          ? Math.floor((this.opts.loans * (m + 1)) / originMonths) - Math.floor((this.opts.loans * m) / originMonths)
          : 0;
      await this.playMonth(m, target);
      bar.tick(1, `month ${m + 1}/${this.opts.months}`);
    }
    bar.finish(`${this.loans.length} loans`);
    return this.report(Date.now() - started);
  }

  private async deploy(): Promise<void> {
    const provider = this.env.provider as Provider;
    const members = consortiumMembers(this.opts.seed, this.opts.partners, provider);
    const deployer = seededWallet(this.opts.seed, "deployer", provider);
    for (const w of [deployer, ...members.map((m) => m.wallet)]) await this.fund(w.address);
    const founders = members.map((m) => ({
      name: m.name,
      role: m.role,
      signer: m.wallet,
      encryptionKey: m.wallet.signingKey.compressedPublicKey,
    }));
    const { book, ledger } = await deployColend(deployer, founders);
    if (!book.loanBook) throw new Error("deployColend deployed no loan book");
    this.book = book;
    this.startBlock = book.deployBlock;
    writeAddressBook(`${this.opts.out}/addresses.json`, book);
    this.lead = new LeadBankNode(members[0].name, members[0].wallet, book);
    for (const m of members.filter((x) => x.role === Role.PartnerBank)) {
      this.partners.push(new PartnerBankNode(m.name, m.wallet, book));
    }
    if (!book.court) throw new Error("deployColend deployed no arbitration court");
    const arb = members.find((x) => x.role === Role.Arbitrator)!;
    const stores = path.join(this.opts.out, "stores");
    fs.rmSync(stores, { recursive: true, force: true });
    fs.mkdirSync(stores, { recursive: true });
    // Each node's storage secret, derived from the seed (a real node keeps its own in a vault).
    const secret = (who: string): string => id(`colend.sim.store.${this.opts.seed}.${who}`);
    this.leadStore = DocumentStore.open(path.join(stores, "lead.db"), secret("lead"));
    this.arbitrator = new ArbitratorNode(
      arb.name,
      arb.wallet,
      book,
      DocumentStore.open(path.join(stores, "arbitrator.db"), secret("arbitrator")),
      arb.wallet.privateKey,
    );
    for (const bank of [this.lead, ...this.partners]) {
      await bank.deposit(10n ** 15n);
      await bank.allowLoanBook(10n ** 15n);
    }
    this.quorum = Number(await ledger.quorumFor(await ledger.votingMemberCount()));
    this.opts.log(
      `deployed the consortium with the lending modules: ledger ${book.ledger}, loan book ${book.loanBook}, quorum ${this.quorum} of ${this.partners.length} partners`,
    );
  }

  private async playMonth(m: number, newLoans: number): Promise<void> {
    const monthStart = this.t0 + m * PERIOD_DAYS * DAY;
    const monthEnd = monthStart + PERIOD_DAYS * DAY;
    type Ev = { time: number; order: number; run: () => Promise<void> };
    const events: Ev[] = [];
    let order = 0;
    const at = (time: number, run: () => Promise<void>): void => {
      events.push({ time, order: order++, run });
    };
    for (let made = 0; made < newLoans;) {
      const a = makeApplicant(this.rng, this.applicants++);
      const time = monthStart + this.rng.int(0, 27) * DAY + 3_600;
      const ok = this.admissible(a);
      if (ok) made++;
      at(time, () => this.apply(a, time));
    }
    for (const loan of this.loans) {
      if (loan.closed) continue;
      for (let i = loan.next; i < loan.periods; i++) {
        const due = loan.firstDue + i * PERIOD_DAYS * DAY;
        if (due - 2 * DAY >= monthEnd) break;
        const delay = loan.plan.delays[i];
        const payAt = delay === null ? Infinity : due + Math.max(0, delay) * DAY + 3_600;
        if (payAt > due + DAY && due + DAY >= monthStart && due + DAY < monthEnd)
          at(due + DAY, () => this.remind(loan, i));
        if (delay === null && due + 2 * DAY + 60 >= monthStart && due + 2 * DAY + 60 < monthEnd) {
          at(due + 2 * DAY + 60, () => this.declareDefault(loan));
        }
        if (payAt >= monthStart && payAt < monthEnd) at(payAt, () => this.pay(loan, i));
      }
    }
    events.sort((a, b) => a.time - b.time || a.order - b.order);
    for (const e of events) {
      await this.advanceTo(e.time);
      await e.run();
    }
    await this.advanceTo(monthEnd - 3_600);
    await this.closeMonth(m);
  }

  private admissible(a: Applicant): boolean {
    return decideLending(this.inputs(a)).approved;
  }

  private inputs(a: Applicant) {
    return {
      score: Math.round((a.score * 1000) / 850),
      requestedLimit: BigInt(Math.min(300_000, Math.max(500, a.monthlyIncomeCny * 3))) * UNITS_PER_CNY,
      multiHeadCount: a.outsideLenders,
      outsideExposure: BigInt(a.outsideExposureCny) * UNITS_PER_CNY,
      consortiumExposure: 0n,
      delinquent: false,
      onTimeMonths: 0,
    };
  }

  private async apply(a: Applicant, time: number): Promise<void> {
    const pseudonym = pseudonymOf(`colend.sim.consortium-secret.${this.opts.seed}`, a.identity);
    const wallet = seededWallet(this.opts.seed, `borrower.${a.index}`, this.env.provider as Provider);
    const inputs = this.inputs(a);
    const decision = decideLending(inputs);
    if (!decision.approved) {
      this.refused++;
      return;
    }
    await this.fund(wallet.address);
    // Multi-head data: a partner reports the applicant's loans at other institutions (endorsed).
    const exposure = BigInt(a.outsideExposureCny) * UNITS_PER_CNY;
    for (let k = 0; k < a.outsideLenders; k++) {
      const share =
        k === a.outsideLenders - 1
          ? exposure - (exposure / BigInt(a.outsideLenders)) * BigInt(k)
          : exposure / BigInt(a.outsideLenders);
      const reporter = this.partners[(a.index + k) % this.partners.length];
      await reporter.reportOutsideLoan(
        { pseudonym, institution: institutionId(`Outside Bank ${k + 1}`), amount: share, active: true },
        [this.lead, ...this.partners.filter((x) => x !== reporter)],
      );
    }
    if (!this.tamperShown) {
      this.tamperShown = true;
      await this.showRefusal(pseudonym, wallet.address, decision.limit, inputs);
    }
    const admitted = await this.lead.admit(
      { pseudonym, account: wallet.address, score: inputs.score, requestedLimit: inputs.requestedLimit },
      this.partners,
    );
    if (a.outsideLenders > 0) this.multiHeadAdmitted++;
    const cap = admitted.limit < 40_000n * UNITS_PER_CNY ? admitted.limit : 40_000n * UNITS_PER_CNY;
    const hundreds = Number(cap / (100n * UNITS_PER_CNY));
    const principal = BigInt(Math.max(5, this.rng.int(Math.ceil(hundreds / 4), hundreds))) * 100n * UNITS_PER_CNY;
    const periods = this.rng.pick([5, 10, 20] as const);
    const rate = this.rng.int(72, 180) * 10;
    // The borrower's app signs its assent to the exact contract before the loan book takes it.
    const client = new BorrowerClient(wallet as Wallet, this.book);
    const o = await this.lead.originate(
      { pseudonym, principal, annualRateBps: rate, periods, periodDays: PERIOD_DAYS, borrower: client },
      this.partners,
    );
    const funders = this.rng.sample(this.partners, Math.min(this.partners.length, this.rng.int(2, 4)));
    const weights = funders.map(() => BigInt(this.rng.int(1, 10)));
    const total = weights.reduce((x, y) => x + y, 0n);
    for (let k = 0; k < funders.length; k++) {
      const amount = k === funders.length - 1 ? undefined : (o.partnersAmount * weights[k]) / total;
      await funders[k].commitFunding(o.loanId, amount);
    }
    const d = await this.lead.disburse(o.loanId);
    // The borrower's own money for interest and charges, tokenized by its bank.
    await this.lead.deposit(principal, wallet.address);
    this.disbursed += principal;
    this.monthDisbursed += principal;
    const behaviour: Behaviour = this.loans.length % 250 === 2 ? "default" : this.rng.weighted(BEHAVIOUR_WEIGHTS);
    this.loans.push({
      id: o.loanId,
      client,
      behaviour,
      plan: planRepayments(
        this.rng,
        behaviour,
        periods,
        behaviour === "default" && this.loans.length % 250 === 2 ? 1 : undefined,
      ),
      periods,
      firstDue: Number(d.firstDueDate),
      next: 0,
      closed: false,
      defaulted: false,
      cls: LoanClass.Normal,
    });
    void time;
  }

  /** The forged-limit proposal every partner refuses (the lending reviewers recompute the decision). */
  private async showRefusal(
    pseudonym: string,
    account: string,
    limit: bigint,
    inputs: ReturnType<LendingScenario["inputs"]>,
  ): Promise<void> {
    // A bank employee colluding with the borrower writes a limit above what the rule allows.
    const allowed = decideLending({ ...inputs, requestedLimit: 300_000n * UNITS_PER_CNY }).limit;
    const forged = allowed + 100n * UNITS_PER_CNY;
    const p = await this.lead.prepare({
      subject: Subject.borrower(pseudonym),
      kind: Kind.CreditDecision,
      document: encodeDocument({
        type: "CreditDecision",
        pseudonym,
        account,
        limit: forged,
        inputs: { ...inputs },
        tier: "forged",
        reasons: [],
      }),
      attrs: creditDecisionAttrs(pseudonym, account, forged),
    });
    try {
      await collectEndorsements(p, this.partners as LedgerNode[], this.quorum);
      throw new Error("a forged credit decision was endorsed");
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith("quorum not reached")) throw e;
    }
    this.opts.log(
      `refused: credit decision for ${pseudonym.slice(0, 10)}… with a forged limit of ${forged / UNITS_PER_CNY} CNY`,
    );
    for (const partner of this.partners) {
      try {
        await partner.review(p);
      } catch (r) {
        if (!(r instanceof EndorsementRefused)) throw r;
        this.refusals.push({ kind: "CreditDecision", node: r.node, reason: r.reason });
        if (this.refusals.length <= 3) this.opts.log(`  ${r.message}`);
      }
    }
    this.opts.log(`  the lead bank re-proposes with the limit its model gave: ${limit / UNITS_PER_CNY} CNY`);
  }

  private async pay(loan: OnChainLoan, i: number): Promise<void> {
    if (loan.closed || loan.defaulted || loan.next > i) return;
    const dues = await loan.client.dues(loan.id);
    let paid;
    if (i === loan.plan.payoffAt) {
      paid = await loan.client.payOff(loan.id);
      this.earlyPayoffs++;
    } else if (dues.amountDue === 0n) {
      return;
    } else if (loan.plan.partial[i]) {
      const half = dues.amountDue / 2n;
      const first = await loan.client.repay(loan.id, half > 0n ? half : dues.amountDue);
      this.account(first.allocation);
      this.partial++;
      const rest = (await loan.client.dues(loan.id)).amountDue;
      paid = rest > 0n ? await loan.client.repay(loan.id, rest) : first;
      if (paid === first) paid = undefined;
    } else {
      paid = await loan.client.repay(loan.id, dues.amountDue);
    }
    if (paid) this.account(paid.allocation);
    if (dues.daysPastDue > 0n) this.late++;
    else this.onTime++;
    loan.next = i + 1;
    if (paid?.settled || i === loan.plan.payoffAt || loan.next >= loan.periods) loan.closed = true;
  }

  private account(a: {
    surcharge: bigint;
    overdueInterest: bigint;
    interest: bigint;
    principal: bigint;
    prepaid: bigint;
  }): void {
    const sum = a.surcharge + a.overdueInterest + a.interest + a.principal + a.prepaid;
    this.borrowersPaid += sum;
    this.monthRepaid += sum;
  }

  private async remind(loan: OnChainLoan, i: number): Promise<void> {
    if (loan.closed || loan.defaulted || loan.next > i) return;
    if ((await loan.client.dues(loan.id)).amountDue === 0n) return;
    await this.lead.remind(loan.id, `Loan ${loan.id}: installment ${i + 1} is overdue; please pay within 24 hours.`);
    this.reminders++;
  }

  private async declareDefault(loan: OnChainLoan): Promise<void> {
    if (loan.closed || loan.defaulted) return;
    await this.lead.declareDefault(loan.id, this.partners);
    loan.defaulted = true;
  }

  private async closeMonth(m: number): Promise<void> {
    const lb = this.lead.lending.loanBook;
    for (const loan of this.loans) {
      if (loan.closed) continue;
      const dpd = Number(await lb.daysPastDue(loan.id));
      const cls = Number(await lb.classFor(dpd)) as LoanClass;
      if (cls !== loan.cls) {
        await this.lead.classify(loan.id);
        loan.cls = cls;
      }
      if (dpd >= 90 && loan.defaulted && !loan.inCase && this.cases.length < this.opts.maxCases) {
        loan.inCase = true;
        await this.openCase(loan, dpd);
      }
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
   * The lead bank files a case with the arbitration court (the claim is an endorsed record that
   * freezes the loan's head), discloses the claim to the arbitrator (document key wrapped to the
   * arbitrator's registered key), and the arbitrator checks the disclosure and the loan's evidence
   * chain up to the frozen head, then issues its award, which lists the borrower as delinquent.
   */
  private async openCase(loan: OnChainLoan, dpd: number): Promise<void> {
    const dues = await loan.client.dues(loan.id);
    const claim = encodeDocument({
      type: "Claim",
      loanId: loan.id,
      claimant: this.lead.name,
      amountClaimed: dues.payoff,
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
    const disclosed = await discloseToArbitrator({
      bank: this.lead,
      store: this.leadStore,
      caseId: filed.caseId,
      contentHashes: [filed.claim.contentHash],
    });
    const review = await this.arbitrator.receiveDisclosure(disclosed.package);
    const voting = new Set(
      this.book.members
        .filter((mm) => mm.role === Role.LeadBank || mm.role === Role.PartnerBank)
        .map((mm) => mm.address.toLowerCase()),
    );
    const check = await verifyChain({
      ledger: this.lead.ledger,
      fromBlock: this.startBlock,
      subject: Subject.loan(loan.id),
      frozenHead: filed.frozenHead,
      quorum: this.quorum,
      domain: this.lead.domain(),
      isVoting: (a) => voting.has(a.toLowerCase()),
    });
    const documentsOk = review.verified;
    let ok = check.ok && documentsOk;
    let verdict = `dismissed: ${check.problem ?? "a disclosed document did not verify"}`;
    if (ok) {
      await this.arbitrator.issueAward(
        filed.caseId,
        encodeDocument({ type: "Award", caseId: filed.caseId, loanId: loan.id, amountOwed: dues.payoff }),
        dues.payoff,
      );
      verdict = "award: borrower owes the claimed amount";
    }
    // The evidence bundle of the case, as `npx colend verify` reads it, checked offline.
    const bundle = await exportLoanBundle(
      this.env.provider,
      this.book,
      { loanId: loan.id },
      { caseId: filed.caseId, documents: [{ salt: filed.claim.salt, document: claim }] },
    );
    const text = serializeBundle(bundle);
    const file = path.join(this.opts.out, "evidence", `loan-${loan.id}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    const offline = await verifyBundle(JSON.parse(text));
    if (!offline.ok) {
      ok = false;
      verdict = `bundle failed verification: ${offline.errors[0] ?? "unknown"}`;
    }
    this.cases.push({
      caseId: Number(filed.caseId),
      loanId: Number(loan.id),
      claimant: this.lead.name,
      arbitrator: ARBITRATOR_NAME,
      daysPastDue: dpd,
      amountOwed: dues.payoff.toString(),
      records: check.records.length,
      bundle: path.relative(process.cwd(), file),
      verified: ok,
      verdict,
    });
  }

  /** Gas per operation, from every receipt since the deployment (read once, at the end). */
  private async gasByOperation(): Promise<GasMeter> {
    const meter = new GasMeter();
    const { lending } = this.lead;
    const ifaces: [string, string, Interface][] = [
      ["ledger", this.book.ledger, this.lead.ledger.interface as unknown as Interface],
      ["loanBook", this.book.loanBook!, lending.loanBook.interface as unknown as Interface],
      ["registry", this.book.registry!, lending.registry.interface as unknown as Interface],
      ["token", this.book.token!, lending.token.interface as unknown as Interface],
      ["court", this.book.court!, this.arbitrator.court.interface as unknown as Interface],
    ];
    const latest = await this.env.provider.getBlockNumber();
    for (let b = this.startBlock; b <= latest; b++) {
      const block = await this.env.provider.getBlock(b);
      for (const hash of block?.transactions ?? []) {
        const tx = await this.env.provider.getTransaction(hash);
        const r = await this.env.provider.getTransactionReceipt(hash);
        if (!tx || !r || !tx.to) continue;
        const entry = ifaces.find(([, addr]) => addr.toLowerCase() === tx.to!.toLowerCase());
        const name = entry ? `${entry[0]}.${entry[2].parseTransaction({ data: tx.data })?.name ?? "?"}` : "other";
        meter.add(name, r.gasUsed);
      }
    }
    return meter;
  }

  private async report(elapsedMs: number): Promise<SimReport> {
    const lb = this.lead.lending.loanBook;
    const members = this.book.members.filter((mm) => mm.role === Role.LeadBank || mm.role === Role.PartnerBank);
    const totals = new Map(members.map((mm) => [mm.address.toLowerCase(), { funded: 0n, principal: 0n, income: 0n }]));
    const classes = [0, 1, 2, 3, 4].map((c) => ({ class: LOAN_CLASS_NAMES[c as LoanClass], loans: 0, balance: 0n }));
    let repaid = 0;
    for (const loan of this.loans) {
      for (const f of await lb.fundersOf(loan.id)) {
        const t = totals.get(f.account.toLowerCase())!;
        t.funded += f.funded;
        t.principal += f.principalReturned;
        t.income += f.incomeReceived;
      }
      const d = await lb.dues(loan.id);
      if (d.outstanding === 0n) {
        repaid++;
        continue;
      }
      const cls = Number(await lb.classFor(d.daysPastDue));
      classes[cls].loans++;
      classes[cls].balance += d.outstanding;
    }
    const received = [...totals.values()].reduce((a, t) => a + t.principal + t.income, 0n);
    const [outstanding, nonPerforming] = await lb.portfolio();
    const gas = await this.gasByOperation();
    const ledger = this.lead.ledger;
    const committed = await ledger.queryFilter(ledger.filters.RecordCommitted(), this.startBlock);
    const byKind: Record<string, number> = {};
    let endorsements = 0;
    for (const e of committed) {
      const k = kindName(e.args.kind);
      byKind[k] = (byKind[k] ?? 0) + 1;
      const att = Number(e.args.attestation);
      const bytes = (e.args.endorsements.length - 2) / 2;
      endorsements += att === 0 ? bytes / 64 : att === 1 ? bytes / 20 : 0;
    }
    return {
      version: 1,
      generatedAt: new Date().toISOString(),
      options: {
        loans: this.opts.loans,
        partners: this.opts.partners,
        months: this.opts.months,
        seed: this.opts.seed,
        network: this.opts.network,
        engine: "lending",
      },
      chain: {
        chainId: this.book.chainId,
        ledger: this.book.ledger,
        transactions: gas.entries().reduce((a, g) => a + g.count, 0),
        blocks: (await this.env.provider.getBlockNumber()) - this.startBlock,
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
        balanced: received === this.borrowersPaid,
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
      records: { byKind, total: committed.length, endorsements, refusals: this.refusals },
      gas: gas.entries().map((g) => ({
        operation: g.op,
        count: g.count,
        average: g.average.toString(),
        min: g.min.toString(),
        max: g.max.toString(),
        total: g.total.toString(),
      })),
      cases: this.cases,
      months: this.months,
      run: { seconds: Math.round(elapsedMs / 100) / 10, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) },
      units: { token: "fen (0.01 CNY)", unitsPerCny: Number(UNITS_PER_CNY) },
    };
  }
}
