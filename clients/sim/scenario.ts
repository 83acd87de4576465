import fs from "node:fs";
import path from "node:path";
import type { Provider, Wallet } from "ethers";
import { deployColend } from "../deploy";
import type { AddressBook } from "../core/addressBook";
import { writeAddressBook } from "../core/addressBook";
import { EndorsementRefused, LedgerNode, Proposal, RecordAttrs, collectEndorsements } from "../core/node";
import { attrsHash, contentHash, nextHead, recordHash } from "./records";
import { ChainCheck, verifyChain } from "./verify";
import { Kind, KindName, LOAN_CLASS_NAMES, LoanClass, ROLE_NAMES, Role, Subject, ZERO_HASH } from "../core/types";
import type { EvidenceLedger } from "../../typechain-types";
import { RpcLike, SimChain } from "./chain";
import { ARBITRATOR_NAME, SharedView, consortiumMembers, partnerNode, seededWallet } from "./consortium";
import {
  Applicant,
  BEHAVIOUR_WEIGHTS,
  Behaviour,
  DAY,
  Installment,
  LEAD_FUNDING_BPS,
  LEAD_INTEREST_BPS,
  MAX_DRAWDOWN,
  MAX_LIMIT,
  PERIOD,
  RepaymentPlan,
  UNITS_PER_CNY,
  classOf,
  decideCredit,
  installmentOf,
  makeApplicant,
  overdueCharge,
  planRepayments,
  borrowerSubject,
  pseudonymOf,
  scheduleOf,
  splitByWeights,
} from "./model";
import { ProgressBar } from "./progress";
import { Rng } from "./rng";
import type { SimReport } from "./report";

export interface ScenarioOptions {
  loans: number;
  partners: number;
  months: number;
  seed: string;
  /** Output directory (report, chart, evidence bundles, address book). */
  out: string;
  /** Network name shown in the report. */
  network: string;
  /** Most arbitration cases to open. */
  maxCases: number;
  progress: boolean;
  log: (line: string) => void;
}

/** Where the chain and its JSON-RPC are. */
export interface SimEnv {
  provider: Provider;
  rpc: RpcLike;
}

interface Loan {
  id: number;
  pseudonym: string;
  subject: string;
  principal: bigint;
  rateBps: bigint;
  periods: number;
  schedule: Installment[];
  disbursedAt: number;
  /** Funder indexes into `funders` (0 = lead), their funding and interest weights. */
  funderIdx: number[];
  fundingWeights: bigint[];
  interestWeights: bigint[];
  behaviour: Behaviour;
  plan: RepaymentPlan;
  /** Next unpaid installment. */
  next: number;
  /** Principal of installment `next` paid so far (partial payments). */
  paidOfNext: bigint;
  outstanding: bigint;
  closed: boolean;
  cls: LoanClass;
  defaultNoticed: boolean;
  caseId?: number;
  /** Original documents kept by the lead bank for loans that may go to arbitration. */
  documents?: { kind: string; contentHash: string; salt: string; document: string }[];
}

interface Funder {
  name: string;
  wallet: Wallet;
  funded: bigint;
  principalBack: bigint;
  interestBack: bigint;
}

interface DayEvent {
  time: number;
  order: number;
  run: () => Promise<void>;
}

/** A proposal that failed to reach quorum because members refused it. */
export class ProposalRefused extends Error {
  constructor(
    readonly kind: string,
    readonly refusals: EndorsementRefused[],
  ) {
    super(`${kind} proposal refused: ${refusals.map((r) => r.message).join("; ")}`);
    this.name = "ProposalRefused";
  }
}

/**
 * The consortium simulation: deploys the ledger, then plays a seeded, reproducible scenario over
 * simulated months. Every off-chain fact enters the ledger only after a quorum of partner nodes
 * has checked and signed it.
 */
export class Scenario {
  private readonly rng: Rng;
  private chain!: SimChain;
  private book!: AddressBook;
  private ledger!: EvidenceLedger;
  private lead!: LedgerNode;
  private leadWallet!: Wallet;
  private peers: LedgerNode[] = [];
  private quorum = 0;
  private peerCursor = 0;
  private readonly view = new SharedView();
  private readonly heads = new Map<string, string>();
  private readonly loans: Loan[] = [];
  private readonly funders: Funder[] = [];
  private t0 = 0;
  private applicants = 0;
  private readonly refusedApplicants: string[] = [];
  private nextCaseId = 1;
  private tamperShown = false;

  // Figures for the report.
  private readonly records = new Map<string, number>();
  private endorsements = 0;
  private readonly refusals: { kind: string; node: string; reason: string }[] = [];
  private borrowersPaid = 0n;
  private disbursed = 0n;
  private readonly monthly: SimReport["months"] = [];
  private readonly cases: SimReport["cases"] = [];
  private multiHeadAdmitted = 0;
  private reminders = 0;
  private earlyPayoffs = 0;
  private partialPayments = 0;
  private latePayments = 0;
  private onTimePayments = 0;

  constructor(
    private readonly env: SimEnv,
    private readonly opts: ScenarioOptions,
  ) {
    this.rng = new Rng(opts.seed);
  }

  /** Runs the whole scenario and returns the report. */
  async run(): Promise<SimReport> {
    const started = Date.now();
    await this.deploy();
    this.chain = await SimChain.open(this.env.rpc, this.env.provider);
    this.t0 = this.chain.now();
    const bar = new ProgressBar("simulating", this.opts.months * 30, process.stderr, 5_000, this.opts.progress);
    // Loans are originated through the run (a growing book), leaving the last month for repayments.
    const originMonths = Math.max(1, this.opts.months - 1);
    for (let m = 0; m < this.opts.months; m++) {
      const target =
        Math.floor((this.opts.loans * (m + 1)) / originMonths) - Math.floor((this.opts.loans * m) / originMonths);
      await this.playMonth(m, m < originMonths ? target : 0, bar);
      if (process.env.COLEND_SIM_MEMORY) {
        const u = process.memoryUsage();
        this.opts.log(
          `month ${m + 1}: rss ${Math.round(u.rss / 1e6)} MB, heap ${Math.round(u.heapUsed / 1e6)} MB, external ${Math.round(u.external / 1e6)} MB`,
        );
      }
    }
    bar.finish(`${this.loans.length} loans, ${this.chain.txCount} transactions`);
    await this.chain.close();
    return this.report(Date.now() - started);
  }

  // ------------------------------------------------------------------ setup

  private async deploy(): Promise<void> {
    const members = consortiumMembers(this.opts.seed, this.opts.partners, this.env.provider);
    const deployer = seededWallet(this.opts.seed, "deployer", this.env.provider);
    const rich = 10n ** 24n;
    for (const w of [deployer, ...members.map((m) => m.wallet)]) await this.fundGas(w.address, rich);
    const founders = members.map((m) => ({
      name: m.name,
      role: m.role,
      signer: m.wallet,
      encryptionKey: m.wallet.signingKey.compressedPublicKey,
    }));
    const { book, ledger } = await deployColend(deployer, founders);
    this.book = book;
    this.ledger = ledger;
    writeAddressBook(path.join(this.opts.out, "addresses.json"), book);
    this.leadWallet = members[0].wallet;
    this.lead = new LedgerNode(members[0].name, members[0].wallet, book);
    for (const m of members.filter((x) => x.role === Role.PartnerBank)) {
      this.peers.push(partnerNode(m.name, m.wallet, book, this.view));
    }
    for (const m of members.filter((x) => x.role === Role.LeadBank || x.role === Role.PartnerBank)) {
      this.funders.push({ name: m.name, wallet: m.wallet, funded: 0n, principalBack: 0n, interestBack: 0n });
    }
    this.quorum = Number(await ledger.quorumFor(await ledger.votingMemberCount()));
    this.opts.log(
      `deployed the consortium: ledger ${book.ledger}, ${members.length} members, quorum ${this.quorum} of ${this.peers.length} partners`,
    );
  }

  private async fundGas(account: string, wei: bigint): Promise<void> {
    const hex = "0x" + wei.toString(16);
    try {
      await this.env.rpc.send("hardhat_setBalance", [account, hex]);
    } catch {
      await this.env.rpc.send("anvil_setBalance", [account, hex]);
    }
  }

  // ------------------------------------------------------------------ endorsed records

  private peersInTurn(): LedgerNode[] {
    // Spread the reviewing work: start with a different partner each time.
    const n = this.peers.length;
    const start = this.peerCursor++ % n;
    return [...this.peers.slice(start), ...this.peers.slice(0, start)];
  }

  /**
   * Puts a record to the partners: each checks the document and signs, or refuses; with a quorum
   * of signatures the lead bank commits it. Throws `ProposalRefused` without a quorum.
   */
  private async endorsed(
    kind: KindName,
    subject: string,
    doc: object,
    attrs?: RecordAttrs,
    keep?: Loan,
  ): Promise<string> {
    const document = new TextEncoder().encode(JSON.stringify(doc));
    const salt = this.rng.bytes32();
    const prev = this.heads.get(subject) ?? ZERO_HASH;
    const record = {
      subject,
      kind: Kind[kind],
      contentHash: contentHash(document, salt),
      attrs: attrs ? attrsHash(attrs.types, attrs.values) : ZERO_HASH,
      prev,
    };
    const proposal: Proposal = {
      record,
      proposer: this.leadWallet.address,
      issuedAt: BigInt(this.chain.now()),
      deadline: BigInt(this.chain.now() + DAY),
      document,
      salt,
      attrs,
    };
    let collected;
    try {
      collected = await collectEndorsements(proposal, this.peersInTurn(), this.quorum);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith("quorum not reached")) throw e;
      // collectEndorsements reports refusals only in its message; ask again to collect them.
      const refusals: EndorsementRefused[] = [];
      for (const peer of this.peers) {
        try {
          await peer.review(proposal);
        } catch (r) {
          if (r instanceof EndorsementRefused) refusals.push(r);
        }
      }
      for (const r of refusals) this.refusals.push({ kind, node: r.node, reason: r.reason });
      throw new ProposalRefused(kind, refusals);
    }
    for (const r of collected.refusals) this.refusals.push({ kind, node: r.node, reason: r.reason });
    const data = this.ledger.interface.encodeFunctionData("commit", [
      record,
      proposal.issuedAt,
      proposal.deadline,
      collected.signatures,
    ]);
    await this.chain.send(this.leadWallet, this.book.ledger, data, `record ${kind}`);
    this.heads.set(subject, nextHead(prev, recordHash(record, this.leadWallet.address)));
    this.records.set(kind, (this.records.get(kind) ?? 0) + 1);
    this.endorsements += collected.endorsers.length;
    if (keep?.documents) {
      keep.documents.push({
        kind,
        contentHash: record.contentHash,
        salt: Buffer.from(salt).toString("hex"),
        document: Buffer.from(document).toString("utf8"),
      });
    }
    return record.contentHash;
  }

  // ------------------------------------------------------------------ one month

  private async playMonth(m: number, newLoans: number, bar: ProgressBar): Promise<void> {
    const monthStart = this.t0 + m * PERIOD;
    const monthEnd = monthStart + PERIOD;
    const events: DayEvent[] = [];
    let order = 0;
    const at = (time: number, run: () => Promise<void>): void => {
      events.push({ time, order: order++, run });
    };

    // New borrowers apply through the month; those admitted draw down.
    for (let made = 0; made < newLoans;) {
      const applicant = makeApplicant(this.rng, this.applicants++);
      const day = this.rng.int(0, 27);
      const time = monthStart + day * DAY + 3_600;
      const decision = decideCredit(applicant);
      if (decision.approved) made++;
      at(time, () => this.apply(applicant, time));
    }

    // Installments, reminders and default notices falling in this month.
    for (const loan of this.loans) {
      if (loan.closed) continue;
      for (let i = loan.next; i < loan.periods; i++) {
        const due = loan.disbursedAt + (i + 1) * PERIOD;
        if (due - 2 * DAY >= monthEnd) break;
        const delay = loan.plan.delays[i];
        const payAt = delay === null ? Infinity : due + delay * DAY;
        if (payAt > due + DAY && due + DAY >= monthStart && due + DAY < monthEnd) {
          at(due + DAY, () => this.remind(loan, i, due));
        }
        if (payAt > due + 2 * DAY && due + 2 * DAY >= monthStart && due + 2 * DAY < monthEnd) {
          at(due + 2 * DAY, () => this.noticeDefault(loan, i, due));
        }
        if (payAt >= monthStart && payAt < monthEnd) {
          const partialFirst = loan.plan.partial[i] ? Math.min(payAt, due) : undefined;
          if (partialFirst !== undefined && partialFirst >= monthStart) {
            at(partialFirst, () => this.pay(loan, i, partialFirst, "half"));
            const second = payAt + this.rng.int(5, 20) * DAY;
            if (second < monthEnd) at(second, () => this.pay(loan, i, second, "rest"));
            else loan.plan.delays[i] = Math.floor((second - due) / DAY);
          } else {
            at(payAt, () => this.pay(loan, i, payAt, "all"));
          }
        }
      }
    }

    events.sort((a, b) => a.time - b.time || a.order - b.order);
    let lastDay = Math.floor((monthStart - this.t0) / DAY);
    for (const e of events) {
      const day = Math.floor((e.time - this.t0) / DAY);
      await this.chain.advanceTo(e.time);
      await e.run();
      if (day > lastDay) {
        bar.tick(day - lastDay, `month ${m + 1}/${this.opts.months}`);
        lastDay = day;
      }
    }
    await this.chain.advanceTo(monthEnd - 3_600);
    await this.closeMonth(m, monthEnd - 3_600);
    await this.chain.advanceTo(monthEnd);
    const endDay = Math.floor((monthEnd - this.t0) / DAY);
    bar.tick(Math.max(0, endDay - lastDay), `month ${m + 1}/${this.opts.months}`);
  }

  private async apply(a: Applicant, time: number): Promise<void> {
    const pseudonym = pseudonymOf(`colend.sim.consortium-secret.${this.opts.seed}`, a.identity);
    a.delinquent = this.view.delinquent.has(pseudonym);
    this.view.bureau.set(pseudonym, { outsideLenders: a.outsideLenders, outsideExposureCny: a.outsideExposureCny });
    const decision = decideCredit(a);
    const borrower = borrowerSubject(pseudonym);
    const { index: _i, identity: _id, ...inputs } = a;
    const docFor = (limit: bigint) => ({
      type: "CreditDecision",
      pseudonym,
      inputs,
      approved: decision.approved,
      limit: limit.toString(),
      reason: decision.reason,
      decidedAt: time,
    });
    const attrsFor = (limit: bigint): RecordAttrs => ({
      types: ["bytes32", "bool", "uint256"],
      values: [pseudonym, decision.approved, limit],
    });
    if (decision.approved && !this.tamperShown) {
      // A bank employee colluding with the borrower raises the limit in the decision document.
      // The partners recompute the decision from the shared data and refuse to sign it.
      this.tamperShown = true;
      const forged = decision.limit * 3n > MAX_LIMIT ? MAX_LIMIT : decision.limit * 3n;
      try {
        await this.endorsed("CreditDecision", borrower, docFor(forged), attrsFor(forged));
        throw new Error("a tampered credit decision was endorsed");
      } catch (e) {
        if (!(e instanceof ProposalRefused)) throw e;
        this.opts.log(
          `refused: credit decision for ${pseudonym.slice(0, 10)}… with a forged limit of ${forged / UNITS_PER_CNY} CNY`,
        );
        for (const r of e.refusals.slice(0, 3)) this.opts.log(`  ${r.message}`);
        if (e.refusals.length > 3) this.opts.log(`  … and ${e.refusals.length - 3} more partners refused`);
        this.opts.log(
          `  the lead bank re-proposes with the limit its model gave: ${decision.limit / UNITS_PER_CNY} CNY`,
        );
      }
    }
    await this.endorsed("CreditDecision", borrower, docFor(decision.limit), attrsFor(decision.limit));
    if (!decision.approved) {
      this.refusedApplicants.push(decision.reason);
      return;
    }
    this.view.limits.set(pseudonym, decision.limit);
    if (a.outsideLenders > 0) this.multiHeadAdmitted++;
    await this.originate(pseudonym, decision.limit, time);
  }

  private async originate(pseudonym: string, limit: bigint, time: number): Promise<void> {
    const rng = this.rng;
    const cap = limit < MAX_DRAWDOWN ? limit : MAX_DRAWDOWN;
    const hundreds = Number(cap / (100n * UNITS_PER_CNY));
    const principal = BigInt(Math.max(5, rng.int(Math.ceil(hundreds / 4), hundreds))) * 100n * UNITS_PER_CNY;
    const amount = principal > cap ? cap : principal;
    const periods = rng.pick([5, 10, 20] as const);
    const rateBps = BigInt(rng.int(72, 180) * 10);
    // Lead funds 20%; two to four partners split the other 80% by commitment.
    const lead = (amount * LEAD_FUNDING_BPS) / 10_000n;
    const partnerIdx = rng
      .sample(this.funders.map((_, i) => i).slice(1), Math.min(this.funders.length - 1, rng.int(2, 4)))
      .sort((x, y) => x - y);
    const partnerAmounts = splitByWeights(
      amount - lead,
      partnerIdx.map(() => BigInt(rng.int(1, 10))),
    );
    const funderIdx = [0, ...partnerIdx];
    const fundingWeights = [lead, ...partnerAmounts];
    const partnersTotal = amount - lead;
    const interestWeights = [
      LEAD_INTEREST_BPS * partnersTotal,
      ...partnerAmounts.map((a) => (10_000n - LEAD_INTEREST_BPS) * a),
    ];
    const id = this.loans.length + 1;
    // The third loan (and every 250th after it) defaults early, so even a small run has a case.
    const forced = id % 250 === 3;
    const drawn = rng.weighted(BEHAVIOUR_WEIGHTS);
    const behaviour: Behaviour = forced ? "default" : drawn;
    const loan: Loan = {
      id,
      pseudonym,
      subject: Subject.loan(id),
      principal: amount,
      rateBps,
      periods,
      schedule: scheduleOf(amount, rateBps, periods),
      disbursedAt: time,
      funderIdx,
      fundingWeights,
      interestWeights,
      behaviour,
      plan: planRepayments(rng, behaviour, periods, forced ? 1 : undefined),
      next: 0,
      paidOfNext: 0n,
      outstanding: amount,
      closed: false,
      cls: LoanClass.Normal,
      defaultNoticed: false,
      documents: behaviour === "default" ? [] : undefined,
    };
    await this.endorsed(
      "LoanContract",
      loan.subject,
      {
        type: "LoanContract",
        loanId: id,
        pseudonym,
        principal: amount.toString(),
        rateBps: Number(rateBps),
        periods,
        periodSeconds: PERIOD,
        installment: installmentOf(amount, rateBps, periods).toString(),
        funders: funderIdx.map((f, k) => ({
          address: this.funders[f].wallet.address,
          amount: fundingWeights[k].toString(),
        })),
        leadInterestBps: Number(LEAD_INTEREST_BPS),
        signedAt: time,
      },
      {
        types: ["uint256", "bytes32", "uint256", "uint256", "uint256"],
        values: [id, pseudonym, amount, rateBps, periods],
      },
      loan,
    );
    this.view.outstanding.set(pseudonym, (this.view.outstanding.get(pseudonym) ?? 0n) + amount);
    funderIdx.forEach((f, k) => (this.funders[f].funded += fundingWeights[k]));
    await this.endorsed(
      "DisbursementReceipt",
      loan.subject,
      { type: "DisbursementReceipt", loanId: id, amount: amount.toString(), to: pseudonym, at: time },
      undefined,
      loan,
    );
    this.disbursed += amount;
    this.monthAcc.disbursed += amount;
    this.loans.push(loan);
  }

  private monthAcc = { repaid: 0n, disbursed: 0n };

  private async pay(loan: Loan, i: number, time: number, part: "all" | "half" | "rest"): Promise<void> {
    if (loan.closed || loan.next !== i) return;
    const inst = loan.schedule[i];
    const due = loan.disbursedAt + (i + 1) * PERIOD;
    const daysLate = Math.max(0, Math.floor((time - due) / DAY));
    let principal: bigint;
    let interest: bigint;
    if (part === "half") {
      principal = inst.principal / 2n;
      interest = inst.interest;
      this.partialPayments++;
    } else if (part === "rest") {
      principal = inst.principal - loan.paidOfNext;
      interest = 0n;
    } else {
      principal = inst.principal;
      interest = inst.interest;
    }
    const overdue = overdueCharge(principal + interest, loan.rateBps, daysLate);
    // Early payoff: the remaining principal of later installments, without their interest.
    let payoff = 0n;
    if (part === "all" && i === loan.plan.payoffAt) {
      for (let k = i + 1; k < loan.periods; k++) payoff += loan.schedule[k].principal;
      this.earlyPayoffs++;
    }
    const principalTotal = principal + payoff;
    const interestTotal = interest + overdue.interest + overdue.surcharge;
    const amount = principalTotal + interestTotal;
    const principalSplit = splitByWeights(principalTotal, loan.fundingWeights);
    const interestSplit = splitByWeights(interestTotal, loan.interestWeights);
    const split = principalSplit.map((p, k) => p + interestSplit[k]);
    await this.endorsed(
      "RepaymentReceipt",
      loan.subject,
      {
        type: "RepaymentReceipt",
        loanId: loan.id,
        installment: i,
        part,
        amount: amount.toString(),
        principal: principalTotal.toString(),
        interest: interest.toString(),
        overdueInterest: overdue.interest.toString(),
        surcharge: overdue.surcharge.toString(),
        daysLate,
        split: split.map(String),
        paidAt: time,
      },
      { types: ["uint256", "uint256", "uint256"], values: [loan.id, i, amount] },
      loan,
    );
    loan.funderIdx.forEach((f, k) => {
      this.funders[f].principalBack += principalSplit[k];
      this.funders[f].interestBack += interestSplit[k];
    });
    this.borrowersPaid += amount;
    this.monthAcc.repaid += amount;
    loan.outstanding -= principalTotal;
    this.view.outstanding.set(loan.pseudonym, (this.view.outstanding.get(loan.pseudonym) ?? 0n) - principalTotal);
    if (part === "half") {
      loan.paidOfNext = principal;
      return;
    }
    if (part === "all") {
      if (daysLate > 0) this.latePayments++;
      else this.onTimePayments++;
    }
    loan.paidOfNext = 0n;
    loan.next = payoff > 0n ? loan.periods : i + 1;
    if (loan.next >= loan.periods) loan.closed = true;
  }

  private async remind(loan: Loan, i: number, due: number): Promise<void> {
    if (loan.closed || loan.next > i) return;
    this.reminders++;
    await this.endorsed(
      "Reminder",
      loan.subject,
      { type: "Reminder", loanId: loan.id, installment: i, dueAt: due, channel: "app+sms", answerWithinHours: 24 },
      undefined,
      loan,
    );
  }

  private async noticeDefault(loan: Loan, i: number, due: number): Promise<void> {
    if (loan.closed || loan.next > i) return;
    if (!loan.defaultNoticed) {
      loan.defaultNoticed = true;
      this.view.delinquent.add(loan.pseudonym);
    }
    await this.endorsed(
      "DefaultNotice",
      loan.subject,
      { type: "DefaultNotice", loanId: loan.id, pseudonym: loan.pseudonym, installment: i, dueAt: due, listed: true },
      { types: ["uint256", "bytes32", "uint256"], values: [loan.id, loan.pseudonym, i] },
      loan,
    );
  }

  /** Days past due of the oldest unpaid installment at `time`. */
  private daysPastDue(loan: Loan, time: number): number {
    if (loan.closed || loan.next >= loan.periods) return 0;
    const due = loan.disbursedAt + (loan.next + 1) * PERIOD;
    return time > due ? Math.floor((time - due) / DAY) : 0;
  }

  private async closeMonth(m: number, time: number): Promise<void> {
    const byClass = [0n, 0n, 0n, 0n, 0n];
    for (const loan of this.loans) {
      if (loan.closed) continue;
      const dpd = this.daysPastDue(loan, time);
      const cls = classOf(dpd) as LoanClass;
      if (cls !== loan.cls) {
        loan.cls = cls;
        await this.endorsed(
          "Classified",
          loan.subject,
          { type: "Classified", loanId: loan.id, class: LOAN_CLASS_NAMES[cls], daysPastDue: dpd, at: time },
          { types: ["uint256", "uint8"], values: [loan.id, cls] },
          loan,
        );
      }
      byClass[cls] += loan.outstanding;
      if (dpd >= 90 && loan.caseId === undefined && this.cases.length < this.opts.maxCases) {
        await this.openCase(loan, dpd, time);
      }
    }
    await this.chain.mine(time);
    const total = byClass.reduce((a, b) => a + b, 0n);
    const npl = byClass[2] + byClass[3] + byClass[4];
    this.monthly.push({
      month: m + 1,
      balance: total.toString(),
      nonPerforming: npl.toString(),
      nplPercent: total === 0n ? 0 : Number((npl * 1_000_000n) / total) / 10_000,
      repaid: this.monthAcc.repaid.toString(),
      disbursed: this.monthAcc.disbursed.toString(),
    });
    this.monthAcc = { repaid: 0n, disbursed: 0n };
  }

  // ------------------------------------------------------------------ arbitration (ledger-only until the court lands)

  private async openCase(loan: Loan, dpd: number, time: number): Promise<void> {
    const caseId = this.nextCaseId++;
    loan.caseId = caseId;
    const frozenHead = this.heads.get(loan.subject) ?? ZERO_HASH;
    let owed = loan.outstanding;
    for (let k = loan.next; k < loan.periods; k++) {
      const due = loan.disbursedAt + (k + 1) * PERIOD;
      if (due > time) break;
      const days = Math.floor((time - due) / DAY);
      const c = overdueCharge(loan.schedule[k].principal + loan.schedule[k].interest, loan.rateBps, days);
      owed += loan.schedule[k].interest + c.interest + c.surcharge;
    }
    const caseSubject = Subject.arbitrationCase(caseId);
    await this.endorsed(
      "CaseOpened",
      caseSubject,
      {
        type: "CaseOpened",
        caseId,
        loanId: loan.id,
        arbitrator: ARBITRATOR_NAME,
        frozenHead,
        claimed: owed.toString(),
        daysPastDue: dpd,
      },
      { types: ["uint256", "uint256", "bytes32"], values: [caseId, loan.id, frozenHead] },
    );
    const manifest = (loan.documents ?? []).map((d) => d.contentHash);
    await this.endorsed("CaseStatement", caseSubject, {
      type: "Disclosure",
      caseId,
      loanId: loan.id,
      documents: manifest,
    });
    await this.chain.mine(time);
    const check = await this.verifyLoanChain(loan, frozenHead);
    const file = path.join(this.opts.out, "evidence", `loan-${loan.id}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          format: "colend.sim.interim-bundle",
          note: "interim bundle written by the simulator until the evidence exporter lands",
          chainId: this.book.chainId,
          ledger: this.book.ledger,
          loanId: loan.id,
          caseId,
          frozenHead,
          records: check.records,
          documents: loan.documents ?? [],
        },
        null,
        2,
      ),
    );
    // The arbitrator checks the chain against the disclosed originals and rules.
    const verdict = check.ok ? "award: borrower owes the claimed amount" : `dismissed: ${check.problem}`;
    this.cases.push({
      caseId,
      loanId: loan.id,
      claimant: this.funders[0].name,
      arbitrator: ARBITRATOR_NAME,
      daysPastDue: dpd,
      amountOwed: owed.toString(),
      records: check.records.length,
      bundle: path.relative(process.cwd(), file),
      verified: check.ok,
      verdict,
    });
  }

  /** The arbitrator's check of a loan's chain up to the frozen head, with the disclosed documents. */
  private async verifyLoanChain(loan: Loan, frozenHead: string): Promise<ChainCheck> {
    const voting = new Set(this.funders.map((f) => f.wallet.address.toLowerCase()));
    return verifyChain({
      ledger: this.ledger,
      fromBlock: this.book.deployBlock,
      subject: loan.subject,
      frozenHead,
      quorum: this.quorum,
      domain: this.lead.domain(),
      isVoting: (a) => voting.has(a.toLowerCase()),
      documents: new Map(
        (loan.documents ?? []).map((d) => [
          d.contentHash,
          { salt: Buffer.from(d.salt, "hex"), document: Buffer.from(d.document, "utf8") },
        ]),
      ),
    });
  }

  // ------------------------------------------------------------------ report

  private report(elapsedMs: number): SimReport {
    const byClass = LOAN_CLASS_NAMES;
    const classes = [0, 1, 2, 3, 4].map((c) => ({ class: byClass[c as LoanClass], loans: 0, balance: 0n }));
    let repaidLoans = 0;
    for (const loan of this.loans) {
      if (loan.closed) {
        repaidLoans++;
        continue;
      }
      classes[loan.cls].loans++;
      classes[loan.cls].balance += loan.outstanding;
    }
    const total = classes.reduce((a, c) => a + c.balance, 0n);
    const npl = classes[2].balance + classes[3].balance + classes[4].balance;
    const received = this.funders.reduce((a, f) => a + f.principalBack + f.interestBack, 0n);
    const usage = process.resourceUsage();
    return {
      version: 1,
      generatedAt: new Date().toISOString(),
      options: {
        loans: this.opts.loans,
        partners: this.opts.partners,
        months: this.opts.months,
        seed: this.opts.seed,
        network: this.opts.network,
        engine: "ledger",
      },
      chain: {
        chainId: this.book.chainId,
        ledger: this.book.ledger,
        transactions: this.chain.txCount,
        blocks: this.chain.blocks,
      },
      consortium: this.book.members.map((m) => ({ name: m.name, role: ROLE_NAMES[m.role], address: m.address })),
      borrowers: {
        applicants: this.applicants,
        admitted: this.loans.length,
        refused: this.refusedApplicants.length,
        multiHeadAdmitted: this.multiHeadAdmitted,
        delinquent: this.view.delinquent.size,
      },
      loans: {
        count: this.loans.length,
        repaid: repaidLoans,
        disbursed: this.disbursed.toString(),
        byClass: classes.map((c) => ({ class: c.class, loans: c.loans, balance: c.balance.toString() })),
        balance: total.toString(),
        nonPerforming: npl.toString(),
        nplPercent: total === 0n ? 0 : Number((npl * 1_000_000n) / total) / 10_000,
      },
      payments: {
        onTime: this.onTimePayments,
        late: this.latePayments,
        partial: this.partialPayments,
        earlyPayoffs: this.earlyPayoffs,
        reminders: this.reminders,
        borrowersPaid: this.borrowersPaid.toString(),
        fundersReceived: received.toString(),
        balanced: received === this.borrowersPaid,
      },
      funders: this.funders.map((f) => ({
        name: f.name,
        address: f.wallet.address,
        funded: f.funded.toString(),
        principalReceived: f.principalBack.toString(),
        interestReceived: f.interestBack.toString(),
      })),
      records: {
        byKind: Object.fromEntries([...this.records.entries()].sort(([a], [b]) => a.localeCompare(b))),
        total: [...this.records.values()].reduce((a, b) => a + b, 0),
        endorsements: this.endorsements,
        refusals: this.refusals,
      },
      gas: this.chain.gas.entries().map((g) => ({
        operation: g.op,
        count: g.count,
        average: g.average.toString(),
        min: g.min.toString(),
        max: g.max.toString(),
        total: g.total.toString(),
      })),
      cases: this.cases,
      months: this.monthly,
      run: {
        seconds: Math.round(elapsedMs / 100) / 10,
        peakRssMb: Math.round(usage.maxRSS / 1024),
      },
      units: { token: "fen (0.01 CNY)", unitsPerCny: Number(UNITS_PER_CNY) },
    };
  }
}
