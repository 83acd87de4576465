import { BaseContract, ContractTransactionReceipt, Signer, encodeBytes32String } from "ethers";
import { eventFragment, rawLogs } from "../core/receipts";
import { AddressBook } from "../core/addressBook";
import { Committed, Endorser, LedgerNode, proposeAndCommit } from "../core/node";
import { contentHash, newSalt } from "../core/records";
import { Kind, LoanClass, LoanStatus, Subject, ZERO_HASH } from "../core/types";
import { LoanBookAllowance } from "./allowance";
import { Assent, Assenter } from "./assent";
import { LendingContracts, lendingContracts } from "./contracts";
import { CreditDecision, CreditInputs, decideCredit } from "./decision";
import {
  LoanTermsInput,
  agencyId,
  collectionStartedAttrs,
  creditClosedAttrs,
  creditDecisionAttrs,
  defaultNoticeAttrs,
  encodeDocument,
  loanContractAttrs,
  outsideLoanAttrs,
} from "./documents";
import { DAY } from "./loanModel";
import { ScheduleRow, installment, schedule, splitBps } from "./math";
import { DEFAULT_SHARES, pickLoanBookParams } from "./params";
import { installLendingReviewers } from "./reviewers";
import type { DocumentStore } from "../store/documentStore";

/** The loan book's parameters as bigints (the fields of `LOAN_BOOK_PARAM_KEYS`). */
export interface LoanParams {
  minDrawdown: bigint;
  maxDrawdown: bigint;
  partnerExposureCap: bigint;
  reminderWindow: bigint;
  maxRateBps: bigint;
  maxPeriodDays: bigint;
  minLeadFundingBps: bigint;
  partnerFundingFloorBps: bigint;
  maxLeadInterestBps: bigint;
  surchargeBps: bigint;
  specialMentionDays: bigint;
  substandardDays: bigint;
  doubtfulDays: bigint;
  lossDays: bigint;
  maxFunders: bigint;
  reminderStageDays: bigint;
  collectionStageDays: bigint;
  provisionNormalBps: bigint;
  provisionSpecialMentionBps: bigint;
  provisionSubstandardBps: bigint;
  provisionDoubtfulBps: bigint;
  provisionLossBps: bigint;
}

/** A lender's book across all loans. */
export interface LenderPosition {
  escrow: bigint;
  outstanding: bigint;
  nonPerforming: bigint;
  claimable: bigint;
}

/** A payee category for restricted loan-use accounts, from a short name ("building-materials"). */
export function useCategory(name: string): string {
  return encodeBytes32String(name);
}

/** The named events `contract` emitted in `receipt`, decoded. */
export function eventsOf(contract: BaseContract, receipt: ContractTransactionReceipt | null, name: string) {
  if (!receipt) throw new Error("transaction was dropped");
  const address = contract.target.toString().toLowerCase();
  const event = eventFragment(contract.interface, name);
  const out = [];
  // The receipt's raw logs, matched by topic: decoding every log of a receipt against the whole
  // ABI (what `receipt.logs` of a contract receipt does) costs a keccak per event per log.
  for (const log of rawLogs(receipt)) {
    if (log.address.toLowerCase() !== address || log.topics[0] !== event.topicHash) continue;
    out.push(contract.interface.decodeEventLog(event.fragment, log.data, log.topics));
  }
  return out;
}

function firstEvent(contract: BaseContract, receipt: ContractTransactionReceipt | null, name: string) {
  const [event] = eventsOf(contract, receipt, name);
  if (!event) throw new Error(`transaction emitted no ${name}`);
  return event;
}

/**
 * A bank's node: a ledger member with the lending contracts, the checks it runs before endorsing
 * lending records, and what every bank does (hold and move settlement money, report outside loans,
 * claim repayments).
 */
export class BankNode extends LedgerNode {
  readonly lending: LendingContracts;
  private paramsCache?: LoanParams;
  /** The loan book's allowance over this bank's tokens. */
  protected readonly allowance: LoanBookAllowance;

  constructor(name: string, signer: Signer, book: AddressBook) {
    super(name, signer, book);
    this.lending = lendingContracts(book, signer);
    this.allowance = new LoanBookAllowance(this.lending, () => this.address());
    installLendingReviewers(this);
  }

  /** The loan book's parameters (read once). */
  async loanParams(): Promise<LoanParams> {
    if (!this.paramsCache) {
      const p = await this.lending.loanBook.params();
      this.paramsCache = pickLoanBookParams<bigint>(p);
    }
    return this.paramsCache;
  }

  /** Tokenizes `amount` of a deposit this bank holds, crediting `to` (default: itself). Returns `to`'s balance. */
  async deposit(amount: bigint, to?: string): Promise<bigint> {
    const account = to ?? (await this.address());
    await (await this.lending.token.deposit(account, amount)).wait();
    return this.lending.token.balanceOf(account);
  }

  /** Turns `amount` of this bank's tokens back into a deposit. Returns the balance left. */
  async redeem(amount: bigint): Promise<bigint> {
    await (await this.lending.token.redeem(amount)).wait();
    return this.balance();
  }

  /** This bank's settlement-token balance. */
  async balance(): Promise<bigint> {
    return this.lending.token.balanceOf(await this.address());
  }

  /** Lets the loan book take at least `amount` from this bank. */
  async allowLoanBook(amount: bigint): Promise<void> {
    await this.allowance.ensure(amount);
  }

  /** Claims every repayment credited to this bank; returns what was paid (0 if nothing was due). */
  async claim(): Promise<bigint> {
    const position = await this.position();
    if (position.claimable === 0n) return 0n;
    const receipt = await (await this.lending.loanBook.claim()).wait();
    return firstEvent(this.lending.loanBook, receipt, "Claimed").amount as bigint;
  }

  /** This bank's book: escrow, outstanding principal, non-performing part, claimable. */
  async position(): Promise<LenderPosition> {
    const p = await this.lending.loanBook.lenderPosition(await this.address());
    return { escrow: p.escrow, outstanding: p.outstanding, nonPerforming: p.nonPerforming, claimable: p.claimable };
  }

  /**
   * Reports a borrower's loan at an institution outside the consortium (or that it ended), as a
   * record endorsed by `peers`. Returns the borrower's multi-head picture afterwards.
   */
  async reportOutsideLoan(
    args: { pseudonym: string; institution: string; amount: bigint; active: boolean; source?: string },
    peers: readonly Endorser[],
  ): Promise<{ institutions: bigint; exposure: bigint; record: Committed }> {
    const { registry } = this.lending;
    const attrs = outsideLoanAttrs(args.pseudonym, args.institution, args.amount, args.active);
    const document = encodeDocument({
      type: "OutsideLoan",
      pseudonym: args.pseudonym,
      institution: args.institution,
      amount: args.amount,
      active: args.active,
      source: args.source ?? "shared credit data",
    });
    const record = await proposeAndCommit(
      this,
      peers,
      { subject: Subject.borrower(args.pseudonym), kind: Kind.OutsideLoan, document, attrs },
      async (p, sigs) =>
        (
          await registry.reportOutsideLoan(
            args.pseudonym,
            args.institution,
            args.amount,
            args.active,
            p.record,
            p.issuedAt,
            p.deadline,
            sigs,
          )
        ).wait(),
    );
    const head = await registry.multiHead(args.pseudonym);
    return { institutions: head.institutions, exposure: head.exposure, record };
  }
}

/** What a lead bank decides a borrower on; the registry supplies the multi-head and delinquency inputs. */
export interface AdmissionParams {
  pseudonym: string;
  /** The borrower's account. */
  account: string;
  score: number;
  onTimeMonths?: number;
  /** Limit asked for, token units. */
  requestedLimit: bigint;
  /** What prompted a re-evaluation (kept in the decision document), e.g. "new outside loans". */
  trigger?: string;
}

/** What a lead bank proposes for a loan. */
export interface OriginationParams {
  pseudonym: string;
  principal: bigint;
  annualRateBps: number | bigint;
  periods: 5 | 10 | 20;
  periodDays: number | bigint;
  /** Lead's funding share (default 2,000 = 20%). */
  leadFundingBps?: number | bigint;
  /** Lead's interest share (default 3,000 = 30%). */
  leadInterestBps?: number | bigint;
  /** Disburse into the restricted loan-use account, spendable with payees of this category. */
  useCategory?: string;
  /** The borrower's client that assents to the contract (default: the one connected for its account). */
  borrower?: Assenter;
}

/** A loan as originated. */
export interface Originated {
  /** The contract document (its salt is `record.salt`): the lead keeps it for a later disclosure. */
  document: Uint8Array;
  /** The borrower's signed assent the loan book verified. */
  assent: Assent;
  loanId: bigint;
  borrower: string;
  leadAmount: bigint;
  partnersAmount: bigint;
  installment: bigint;
  schedule: ScheduleRow[];
  record: Committed;
}

/** A credit decision as recorded. */
export interface Admitted {
  pseudonym: string;
  account: string;
  limit: bigint;
  decision: CreditDecision;
  /** The decision document (its salt is `record.salt`), kept for a later disclosure. */
  document: Uint8Array;
  record: Committed;
}

/** The lead bank (W bank): admits borrowers, originates and disburses loans, collects. */
export class LeadBankNode extends BankNode {
  /** Borrowers' clients (their apps), by account: asked for assent when a loan is originated to them. */
  private readonly borrowers = new Map<string, Assenter>();
  /** Where this bank keeps the originals behind its records, for a later full disclosure. */
  private documents?: DocumentStore;

  /**
   * Keeps every document behind this bank's lending records from now on (credit decisions, loan
   * contracts, reminders, default notices, collection steps) in `store`, so that a case can
   * disclose all of them (`clients/arbitration` `fullDisclosure`).
   */
  keepDocuments(store: DocumentStore): void {
    this.documents = store;
  }

  private keep(subject: string, kind: string, document: Uint8Array, salt: Uint8Array, loanId?: bigint): void {
    this.documents?.put({ subject, kind, document, salt, meta: loanId === undefined ? {} : { loanId } });
  }

  /** Connects a borrower's client: loans to its account are originated only with its signed assent. */
  async connectBorrower(client: Assenter): Promise<void> {
    this.borrowers.set((await client.address()).toLowerCase(), client);
  }

  /**
   * The credit rule's inputs for `a`: the lead's score and on-time record, and from the registry
   * the multi-head picture and whether the borrower is listed delinquent.
   */
  async decisionInputs(a: AdmissionParams): Promise<CreditInputs> {
    const { registry } = this.lending;
    const head = await registry.multiHead(a.pseudonym);
    return {
      score: a.score,
      onTimeMonths: a.onTimeMonths ?? 0,
      requestedLimit: a.requestedLimit,
      multiHeadCount: Number(head.institutions),
      outsideExposure: head.outsideExposure,
      consortiumExposure: head.consortiumExposure,
      delinquent: await registry.isDelinquent(a.pseudonym),
    };
  }

  private async decide(a: AdmissionParams, peers: readonly Endorser[], reevaluation: boolean): Promise<Admitted> {
    const { registry } = this.lending;
    const inputs = await this.decisionInputs(a);
    const decision = decideCredit(inputs);
    if (!decision.approved) throw new Error(`credit declined: ${decision.reasons.join("; ")}`);
    const document = encodeDocument({
      type: "CreditDecision",
      pseudonym: a.pseudonym,
      account: a.account,
      limit: decision.limit,
      inputs: { ...inputs },
      tier: decision.tier,
      reasons: decision.reasons,
      ...(a.trigger ? { trigger: a.trigger } : {}),
    });
    const record = await proposeAndCommit(
      this,
      peers,
      {
        subject: Subject.borrower(a.pseudonym),
        kind: Kind.CreditDecision,
        document,
        attrs: creditDecisionAttrs(a.pseudonym, a.account, decision.limit),
      },
      async (p, sigs) =>
        (reevaluation
          ? await registry.reevaluate(a.pseudonym, decision.limit, p.record, p.issuedAt, p.deadline, sigs)
          : await registry.whitelist(a.pseudonym, a.account, decision.limit, p.record, p.issuedAt, p.deadline, sigs)
        ).wait(),
    );
    this.keep(record.subject, Kind.CreditDecision, document, record.salt);
    return { pseudonym: a.pseudonym, account: a.account, limit: decision.limit, decision, document, record };
  }

  /** Scores a borrower with `decideCredit` and, if approved, whitelists it with the limit granted. */
  async admit(a: AdmissionParams, peers: readonly Endorser[]): Promise<Admitted> {
    return this.decide(a, peers, false);
  }

  /** Re-decides a borrower's line (new limit; reopens a closed line; re-admits a listed borrower). */
  async reevaluate(a: AdmissionParams, peers: readonly Endorser[]): Promise<Admitted> {
    return this.decide(a, peers, true);
  }

  /** Closes a borrower's line. */
  async closeLine(pseudonym: string, reason: string, peers: readonly Endorser[]): Promise<Committed> {
    const { registry } = this.lending;
    return proposeAndCommit(
      this,
      peers,
      {
        subject: Subject.borrower(pseudonym),
        kind: Kind.CreditClosed,
        document: encodeDocument({ type: "CreditClosed", pseudonym, reason }),
        attrs: creditClosedAttrs(pseudonym),
      },
      async (p, sigs) => (await registry.close(pseudonym, p.record, p.issuedAt, p.deadline, sigs)).wait(),
    );
  }

  /** Originates a loan, escrowing this bank's funding share. */
  async originate(o: OriginationParams, peers: readonly Endorser[]): Promise<Originated> {
    const { registry, loanBook } = this.lending;
    const line = await registry.creditLine(o.pseudonym);
    const loanId = await loanBook.nextLoanId();
    const terms: LoanTermsInput = {
      pseudonym: o.pseudonym,
      principal: o.principal,
      annualRateBps: BigInt(o.annualRateBps),
      periods: BigInt(o.periods),
      periodDays: BigInt(o.periodDays),
      leadFundingBps: BigInt(o.leadFundingBps ?? DEFAULT_SHARES.leadFundingBps),
      leadInterestBps: BigInt(o.leadInterestBps ?? DEFAULT_SHARES.leadInterestBps),
      useCategory: o.useCategory ?? ZERO_HASH,
    };
    const { leadPart, partnersPart } = splitBps(terms.principal, terms.leadFundingBps);
    const amount = installment(terms.principal, terms.annualRateBps, terms.periods, terms.periodDays);
    const rows = schedule(terms.principal, terms.annualRateBps, terms.periods, terms.periodDays);
    const document = encodeDocument({
      type: "LoanContract",
      loanId,
      borrower: line.account,
      ...terms,
      installment: amount,
      schedule: rows.map((r) => ({ principal: r.principal, interest: r.interest })),
    });
    const borrower = o.borrower ?? this.borrowers.get(line.account.toLowerCase());
    if (!borrower) {
      throw new Error(`no way to ask borrower ${line.account} for its assent: connectBorrower its client first`);
    }
    const loanBookAddress = await loanBook.getAddress();
    let assent: Assent | undefined;
    const record = await proposeAndCommit(
      this,
      peers,
      {
        subject: Subject.loan(loanId),
        kind: Kind.LoanContract,
        document,
        attrs: loanContractAttrs(loanId, line.account, terms),
      },
      async (p, sigs) => {
        // The borrower accepts exactly what the peers endorsed before the loan book sees it.
        assent = await borrower.assent({
          chainId: BigInt(this.book.chainId),
          loanBook: loanBookAddress,
          loanId,
          terms,
          termsHash: p.record.attrs,
          contractHash: p.record.contentHash,
          document: p.document,
          salt: p.salt,
          now: BigInt((await this.signer.provider!.getBlock("latest"))!.timestamp),
        });
        return this.allowance.pay(leadPart, async () =>
          (await loanBook.originate(terms, p.record, p.issuedAt, p.deadline, sigs, assent!)).wait(),
        );
      },
    );
    this.keep(record.subject, Kind.LoanContract, document, record.salt, loanId);
    return {
      assent: assent!,
      document,
      loanId,
      borrower: line.account,
      leadAmount: leadPart,
      partnersAmount: partnersPart,
      installment: amount,
      schedule: rows,
      record,
    };
  }

  /** Disburses a fully funded loan. */
  async disburse(loanId: bigint): Promise<{ loanId: bigint; to: string; amount: bigint; firstDueDate: bigint }> {
    const { loanBook } = this.lending;
    const receipt = await (await loanBook.disburse(loanId)).wait();
    const e = firstEvent(loanBook, receipt, "LoanDisbursed");
    return { loanId, to: e.to, amount: e.amount, firstDueDate: e.firstDueDate };
  }

  /** Cancels a loan before disbursement; returns this bank's refunded share. */
  async cancel(loanId: bigint): Promise<bigint> {
    const { loanBook } = this.lending;
    const before = await this.balance();
    await (await loanBook.cancel(loanId)).wait();
    return (await this.balance()) - before;
  }

  /** Records a reminder of the oldest missed installment; the notice text stays off chain. */
  async remind(
    loanId: bigint,
    notice: string,
  ): Promise<{ installment: bigint; noticeHash: string; salt: Uint8Array; document: Uint8Array; remindedAt: bigint }> {
    const { loanBook } = this.lending;
    const salt = newSalt();
    const document = new TextEncoder().encode(notice);
    const noticeHash = contentHash(document, salt);
    const receipt = await (await loanBook.remind(loanId, noticeHash)).wait();
    const e = firstEvent(loanBook, receipt, "ReminderRecorded");
    this.keep(Subject.loan(loanId), Kind.Reminder, document, salt, loanId);
    return { installment: e.installment, noticeHash, salt, document, remindedAt: e.remindedAt };
  }

  /** Declares default once the reminder went unanswered; the borrower is listed delinquent. */
  async declareDefault(
    loanId: bigint,
    peers: readonly Endorser[],
  ): Promise<{ installment: bigint; record: Committed; document: Uint8Array }> {
    const { loanBook } = this.lending;
    const loan = await loanBook.loanInfo(loanId);
    const dues = await loanBook.dues(loanId);
    const installmentIndex = loan.remindedInstallment;
    const document = encodeDocument({
      type: "DefaultNotice",
      loanId,
      installment: installmentIndex,
      remindedAt: loan.remindedAt,
      daysPastDue: dues.daysPastDue,
      amountDue: dues.amountDue,
    });
    const record = await proposeAndCommit(
      this,
      peers,
      {
        subject: Subject.loan(loanId),
        kind: Kind.DefaultNotice,
        document,
        attrs: defaultNoticeAttrs(loanId, installmentIndex, loan.remindedAt),
      },
      async (p, sigs) => (await loanBook.declareDefault(loanId, p.record, p.issuedAt, p.deadline, sigs)).wait(),
    );
    this.keep(record.subject, Kind.DefaultNotice, document, record.salt, loanId);
    return { installment: installmentIndex, record, document };
  }

  /**
   * Hands a defaulted loan to outsourced collection (agency `agency`, by name) once the reminder
   * stage is over: an endorsed CollectionStarted record on the loan's chain. A case may be filed
   * `collectionStageDays` later. Returns the record and when arbitration may start.
   */
  async startCollection(
    loanId: bigint,
    agency: string,
    peers: readonly Endorser[],
  ): Promise<{ record: Committed; document: Uint8Array; arbitrableFrom: bigint }> {
    const { loanBook } = this.lending;
    const loan = await loanBook.loanInfo(loanId);
    const dues = await loanBook.dues(loanId);
    const id = agencyId(agency);
    const document = encodeDocument({
      type: "CollectionStarted",
      loanId,
      agency: id,
      agencyName: agency,
      remindedAt: loan.remindedAt,
      daysPastDue: dues.daysPastDue,
      amountDue: dues.amountDue,
      payoff: dues.payoff,
    });
    let receipt: ContractTransactionReceipt | null = null;
    const record = await proposeAndCommit(
      this,
      peers,
      {
        subject: Subject.loan(loanId),
        kind: Kind.CollectionStarted,
        document,
        attrs: collectionStartedAttrs(loanId, id, loan.remindedAt),
      },
      async (p, sigs) => {
        receipt = await (await loanBook.startCollection(loanId, id, p.record, p.issuedAt, p.deadline, sigs)).wait();
        return receipt;
      },
    );
    const e = firstEvent(loanBook, receipt, "CollectionStarted");
    this.keep(record.subject, Kind.CollectionStarted, document, record.salt, loanId);
    return { record, document, arbitrableFrom: e.arbitrableFrom as bigint };
  }

  /**
   * Moves a defaulted loan through collection as far as the chain's clock allows: once the
   * reminder stage is over it hands the loan to `agency` (an endorsed CollectionStarted record);
   * once the collection stage is over the loan may go to arbitration. Returns the stage it is in
   * ("not in default" for a loan never defaulted, cured, or already in a case).
   */
  async advanceCollection(
    loanId: bigint,
    peers: readonly Endorser[],
    agency = "Pearl River Collections",
  ): Promise<"not in default" | "reminders" | "collection" | "arbitrable"> {
    const { loanBook } = this.lending;
    const params = await this.loanParams();
    const now = await this.now();
    let c = await loanBook.collectionOf(loanId);
    if (c.startedAt === 0n) {
      const loan = await loanBook.loanInfo(loanId);
      if (Number(loan.status) !== LoanStatus.Defaulted) return "not in default";
      if (now < loan.remindedAt + params.reminderStageDays * DAY) return "reminders";
      await this.startCollection(loanId, agency, peers);
      c = await loanBook.collectionOf(loanId);
    }
    return (await this.now()) >= c.startedAt + params.collectionStageDays * DAY ? "arbitrable" : "collection";
  }

  /** Reclassifies a loan by its days past due; returns its class. */
  async classify(loanId: bigint): Promise<LoanClass> {
    const { loanBook } = this.lending;
    await (await loanBook.classify(loanId)).wait();
    return Number((await loanBook.loanInfo(loanId)).class_) as LoanClass;
  }

  /** Approves `payee` for restricted loan-use accounts in `category` (0 revokes). */
  async approvePayee(payee: string, category: string): Promise<void> {
    await (await this.lending.loanUse.approvePayee(payee, category)).wait();
  }
}

/** A partner bank: co-funds loans and checks every record before endorsing it. */
export class PartnerBankNode extends BankNode {
  /** Escrows `amount` (default: all that is left) towards loan `loanId`'s partner share. */
  async commitFunding(
    loanId: bigint,
    amount?: bigint,
  ): Promise<{ loanId: bigint; amount: bigint; totalFunded: bigint; remaining: bigint }> {
    const { loanBook } = this.lending;
    const loan = await loanBook.loanInfo(loanId);
    const value = amount ?? loan.principal - loan.funded;
    const receipt = await this.allowance.pay(value, async () => (await loanBook.commitFunding(loanId, value)).wait());
    const e = firstEvent(loanBook, receipt, "LoanFunded");
    return { loanId, amount: e.amount, totalFunded: e.totalFunded, remaining: loan.principal - e.totalFunded };
  }

  /** Takes back `amount` (default: all) of this bank's commitment to loan `loanId`. */
  async withdrawCommitment(loanId: bigint, amount?: bigint): Promise<{ amount: bigint; totalFunded: bigint }> {
    const { loanBook } = this.lending;
    let value = amount;
    if (value === undefined) {
      const me = (await this.address()).toLowerCase();
      const mine = (await loanBook.fundersOf(loanId)).find((f) => f.account.toLowerCase() === me);
      value = mine?.funded ?? 0n;
    }
    const receipt = await (await loanBook.withdrawCommitment(loanId, value)).wait();
    const e = firstEvent(loanBook, receipt, "FundingWithdrawn");
    return { amount: e.amount, totalFunded: e.totalFunded };
  }
}
