import type { Signer } from "ethers";
import { SigningKey, getAddress } from "ethers";
import { ArbitrationCourt, ILoanBook__factory } from "../../typechain-types";
import { AddressBook } from "../core/addressBook";
import { LedgerNode } from "../core/node";
import { contentHash, newSalt } from "../core/records";
import { Kind, Subject, kindName } from "../core/types";
import {
  DisclosureError,
  DisclosurePackage,
  DocumentStore,
  manifestHash,
  openDisclosure,
  parseDisclosurePackage,
} from "../store";
import { LoanModel } from "../lending/loanModel";
import { decodeDocument, encodeDocument } from "../lending/documents";
import { courtOf } from "./claimant";

/** Mirror of `IArbitrationCourt.CaseState`. */
export enum CaseState {
  None = 0,
  Open = 1,
  Awarded = 2,
  Closed = 3,
}

/** Mirror of `IArbitrationCourt.Outcome`. */
export enum Outcome {
  None = 0,
  Upheld = 1,
  PartlyUpheld = 2,
  Dismissed = 3,
}

export const OUTCOME_NAMES: Record<Outcome, string> = {
  [Outcome.None]: "none",
  [Outcome.Upheld]: "upheld",
  [Outcome.PartlyUpheld]: "partly upheld",
  [Outcome.Dismissed]: "dismissed",
};

/**
 * An assessment in one line, for reports and logs: the outcome, the amount awarded, what was
 * claimed and what the evidence supports (units of the settlement token). It names no time, so
 * the same ruling reads the same whichever process made it.
 */
export function verdictLine(a: Pick<Assessment, "outcome" | "amountOwed" | "claimed" | "supported">): string {
  return `${OUTCOME_NAMES[a.outcome]}: ${a.amountOwed} units awarded of ${a.claimed} claimed; the evidence supports ${a.supported}`;
}

/**
 * The arbitrator's own reckoning of a case: what the verified loan contract and the loan's
 * disbursement and repayments on the chain say the borrower owes at `at`, and the ruling on the
 * claim that follows from it.
 */
export interface Assessment {
  caseId: bigint;
  loanId: bigint;
  claimed: bigint;
  /** What the evidence supports: the payoff at `at` by the money library, 0 if the contract is unproven. */
  supported: bigint;
  outcome: Outcome;
  /** The amount to award: the claim if supported in full, else what is supported (0 on dismissal). */
  amountOwed: bigint;
  /** Why, in words (goes into the award document). */
  reasons: string[];
  at: bigint;
}

/** A case assigned to this arbitrator, as filed and as it stands. */
export interface AssignedCase {
  caseId: bigint;
  loanId: bigint;
  claimant: string;
  state: CaseState;
  frozenHead: string;
  claimHash: string;
  openedBlock: number;
  txHash: string;
  awardHash: string;
  amountOwed: bigint;
}

/** The arbitrator's finding on one disclosed document. */
export interface DocumentVerdict {
  contentHash: string;
  subject: string;
  kind: string;
  /** Readable kind name. */
  kindName: string;
  /** True when the document hashes to its content hash, a record with that hash is on its subject's
   *  chain, and (for the loan's chain) that record is at or before the head frozen at filing. */
  verified: boolean;
  /** Why it is not verified. */
  problem?: string;
  /** Position of its record in the subject's chain, from 0. */
  index?: number;
  blockNumber?: number;
  txHash?: string;
  document: Uint8Array;
  /** The salt the document's content hash was made with. */
  salt: Uint8Array;
}

/** What the arbitrator made of a disclosure package. */
export interface DisclosureReview {
  caseId: bigint;
  manifestHash: string;
  documents: DocumentVerdict[];
  /** Every document verified. */
  verified: boolean;
}

/** An award as issued. */
export interface IssuedAward {
  caseId: bigint;
  awardHash: string;
  salt: Uint8Array;
  amountOwed: bigint;
  outcome: Outcome;
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

interface ChainEntry {
  contentHash: string;
  head: string;
  blockNumber: number;
  txHash: string;
}

/**
 * An arbitration commission's node: it finds the cases assigned to it, opens the documents a
 * claimant disclosed to it with its private encryption key, checks each against the ledger, keeps
 * them in its own encrypted store, and issues awards.
 */
export class ArbitratorNode extends LedgerNode {
  readonly court: ArbitrationCourt;
  private readonly encryptionKey: SigningKey;

  /**
   * @param store this node's document store
   * @param encryptionPrivateKey private key of the encryption key registered for this member
   */
  constructor(
    name: string,
    signer: Signer,
    book: AddressBook,
    readonly store: DocumentStore,
    encryptionPrivateKey: string,
  ) {
    super(name, signer, book);
    this.court = courtOf(this);
    this.encryptionKey = new SigningKey(encryptionPrivateKey);
  }

  /** Fails unless this node's private key matches the encryption key registered on the ledger. */
  async checkEncryptionKey(): Promise<void> {
    const registered = (await this.ledger.encryptionKeyOf(await this.address())).toLowerCase();
    if (registered !== this.encryptionKey.compressedPublicKey.toLowerCase()) {
      throw new Error(
        `${this.name}: private encryption key does not match the registered key ${registered || "(none)"}`,
      );
    }
  }

  /** The cases assigned to this arbitrator, oldest first (from `CaseOpened` events). */
  async assignedCases(): Promise<AssignedCase[]> {
    const me = await this.address();
    const events = await this.court.queryFilter(
      this.court.filters.CaseOpened(undefined, undefined, me),
      this.book.deployBlock,
    );
    const cases: AssignedCase[] = [];
    for (const e of events) {
      const info = await this.court.caseInfo(e.args.caseId);
      cases.push({
        caseId: e.args.caseId,
        loanId: e.args.loanId,
        claimant: e.args.claimant,
        state: Number(info.state) as CaseState,
        frozenHead: e.args.frozenHead,
        claimHash: e.args.claimHash,
        openedBlock: e.blockNumber,
        txHash: e.transactionHash,
        awardHash: info.awardHash,
        amountOwed: info.amountOwed,
      });
    }
    return cases;
  }

  /**
   * Opens a disclosure package addressed to this arbitrator, checks that its manifest was recorded on
   * the case chain by the claimant, and checks every document against the ledger. Documents that
   * open are kept in this node's store, verified or not (the verdict says which).
   */
  async receiveDisclosure(input: DisclosurePackage | unknown): Promise<DisclosureReview> {
    const pkg = parseDisclosurePackage(input);
    const me = await this.address();
    const caseId = BigInt(pkg.caseId);
    if (pkg.chainId !== this.book.chainId)
      throw new DisclosureError(`package is for chain ${pkg.chainId}, not ${this.book.chainId}`);
    if (getAddress(pkg.court) !== getAddress(await this.court.getAddress())) {
      throw new DisclosureError(`package is for court ${pkg.court}, not this consortium's`);
    }
    if (getAddress(pkg.arbitrator) !== getAddress(me))
      throw new DisclosureError(`package is addressed to ${pkg.arbitrator}, not ${me}`);
    await this.checkEncryptionKey();
    const info = await this.court.caseInfo(caseId);
    if (getAddress(info.arbitrator) !== getAddress(me)) {
      throw new DisclosureError(`case ${caseId} is assigned to ${info.arbitrator}, not ${me}`);
    }
    const hash = manifestHash(pkg);
    const recorded = await this.court.queryFilter(
      this.court.filters.EvidenceDisclosed(caseId, me),
      this.book.deployBlock,
    );
    if (!recorded.some((e) => e.args.manifestHash === hash)) {
      throw new DisclosureError(`manifest ${hash} of case ${caseId} was never recorded on chain`);
    }

    const opened = openDisclosure(pkg, this.encryptionKey.privateKey);
    const loanSubject = Subject.loan(info.loanId);
    const chains = new Map<string, ChainEntry[]>();
    const documents: DocumentVerdict[] = [];
    for (const doc of opened) {
      let chain = chains.get(doc.subject);
      if (!chain) chains.set(doc.subject, (chain = await this.chainOf(doc.subject)));
      const verdict: DocumentVerdict = { ...doc, kindName: kindName(doc.kind), verified: false };
      const index = chain.findIndex((r) => r.contentHash === doc.contentHash);
      if (contentHash(doc.document, doc.salt) !== doc.contentHash) {
        verdict.problem = "document does not hash to its content hash";
      } else if (index < 0) {
        // A reminder's notice stands behind the Reminder fact whose attrs bind its hash.
        const reminder =
          doc.kind === Kind.Reminder && doc.subject === loanSubject
            ? await this.reminderWith(info.loanId, doc.contentHash)
            : undefined;
        if (!reminder) verdict.problem = "no record with this content hash on its subject's chain";
        else if (reminder.blockNumber > Number(info.openedBlock)) verdict.problem = "recorded after the case was filed";
        else {
          Object.assign(verdict, { blockNumber: reminder.blockNumber, txHash: reminder.transactionHash });
          verdict.verified = true;
        }
      } else {
        Object.assign(verdict, { index, blockNumber: chain[index].blockNumber, txHash: chain[index].txHash });
        const frozenAt = chain.findIndex((r) => r.head === info.frozenHead);
        if (doc.subject === loanSubject && index > frozenAt) verdict.problem = "recorded after the case was filed";
        else verdict.verified = true;
      }
      documents.push(verdict);
      this.store.put({
        subject: doc.subject,
        kind: doc.kind,
        document: doc.document,
        salt: doc.salt,
        meta: { caseId, disclosedBy: info.claimant, manifestHash: hash },
      });
    }
    return { caseId, manifestHash: hash, documents, verified: documents.every((d) => d.verified) };
  }

  /**
   * Works out what the borrower owes on case `caseId` from the evidence, not from the claim: the
   * loan contract must be among the verified documents of `review`; its terms, the disbursement
   * time and every repayment on the loan book's chain are replayed with the money library
   * (`LoanModel`) to the latest block. A claim at or below that is upheld; above it, partly upheld
   * for what is supported; with no verified contract, or nothing owed, it is dismissed.
   */
  async assess(review: DisclosureReview, claimed: bigint): Promise<Assessment> {
    const info = await this.court.caseInfo(review.caseId);
    const loanId = info.loanId;
    const at = BigInt((await this.signer.provider!.getBlock("latest"))!.timestamp);
    const reasons: string[] = [];
    const base = { caseId: review.caseId, loanId, claimed, at, reasons };
    const dismiss = (why: string): Assessment => {
      reasons.push(why);
      return { ...base, supported: 0n, outcome: Outcome.Dismissed, amountOwed: 0n };
    };
    if (claimed <= 0n) return dismiss("the claim asks for nothing");
    const contract = review.documents.find(
      (d) => d.verified && d.kind === Kind.LoanContract && d.subject === Subject.loan(loanId),
    );
    if (!contract) return dismiss("no loan contract was disclosed that verifies against the loan's chain");
    const loanBook = this.lendingBook();
    const doc = decodeDocument(contract.document, "LoanContract");
    const model = new LoanModel(
      {
        principal: BigInt(doc.principal as string),
        annualRateBps: BigInt(doc.annualRateBps as string),
        periods: Number(doc.periods),
        periodDays: BigInt(doc.periodDays as string),
        leadInterestBps: BigInt(doc.leadInterestBps as string),
      },
      (await loanBook.params()).surchargeBps,
    );
    const [disbursed] = await loanBook.queryFilter(loanBook.filters.LoanDisbursed(loanId), this.book.deployBlock);
    if (!disbursed) return dismiss("the loan was never disbursed");
    const funders = await loanBook.fundersOf(loanId);
    model.disburse(
      BigInt((await disbursed.getBlock()).timestamp),
      funders.map((f) => ({ account: f.account, funded: f.funded })),
    );
    const repayments = await loanBook.queryFilter(loanBook.filters.RepaymentApplied(loanId), this.book.deployBlock);
    for (const r of repayments) model.repay(r.args.amount, BigInt((await r.getBlock()).timestamp));
    reasons.push(
      `contract ${contract.contentHash} verified: ${doc.principal} units at ${doc.annualRateBps} bps over ` +
        `${doc.periods} periods of ${doc.periodDays} days`,
      `${repayments.length} repayments on the chain, ${model.totalRepaid} units in all`,
    );
    const supported = model.outstanding === 0n ? 0n : model.dues(at).payoff;
    reasons.push(`owed at ${at} by the money library: ${supported} units; claimed ${claimed}`);
    if (supported === 0n) return dismiss("the evidence shows nothing owed");
    if (claimed <= supported) return { ...base, supported, outcome: Outcome.Upheld, amountOwed: claimed };
    reasons.push(`the claim exceeds what the evidence supports by ${claimed - supported} units`);
    return { ...base, supported, outcome: Outcome.PartlyUpheld, amountOwed: supported };
  }

  /** Issues the award an assessment came to, with a reasoned award document. */
  async rule(a: Assessment): Promise<IssuedAward> {
    const document = encodeDocument({
      type: "Award",
      caseId: a.caseId,
      loanId: a.loanId,
      outcome: OUTCOME_NAMES[a.outcome],
      amountClaimed: a.claimed,
      amountSupported: a.supported,
      amountOwed: a.amountOwed,
      assessedAt: a.at,
      reasons: a.reasons,
    });
    return this.issueAward(a.caseId, document, a.amountOwed, a.outcome);
  }

  private lendingBook() {
    if (!this.book.loanBook) throw new Error("the address book has no loan book");
    return ILoanBook__factory.connect(this.book.loanBook, this.signer);
  }

  /**
   * Rules on case `caseId`: keeps the award document in this node's store and puts its salted hash,
   * the outcome and the amount owed on the case and loan chains. `outcome` defaults to upheld for
   * an amount and dismissed for none.
   */
  async issueAward(
    caseId: bigint,
    awardDocument: Uint8Array,
    amountOwed: bigint,
    outcome: Outcome = amountOwed > 0n ? Outcome.Upheld : Outcome.Dismissed,
  ): Promise<IssuedAward> {
    const me = await this.address();
    const info = await this.court.caseInfo(caseId);
    if (Number(info.state) !== CaseState.Open) throw new Error(`case ${caseId} is not open`);
    if (getAddress(info.arbitrator) !== getAddress(me))
      throw new Error(`case ${caseId} is assigned to ${info.arbitrator}, not ${me}`);
    if (amountOwed < 0n) throw new Error("amount owed must not be negative");
    const salt = newSalt();
    const awardHash = this.store.put({
      subject: Subject.arbitrationCase(caseId),
      kind: Kind.Award,
      document: awardDocument,
      salt,
      meta: { caseId, loanId: info.loanId, amountOwed },
    });
    const receipt = await (await this.court.issueAward(caseId, awardHash, outcome, amountOwed)).wait();
    return {
      caseId,
      awardHash,
      salt,
      amountOwed,
      outcome,
      txHash: receipt!.hash,
      blockNumber: receipt!.blockNumber,
      gasUsed: receipt!.gasUsed,
    };
  }

  /** The loan book's reminder of loan `loanId` whose notice hashes to `noticeHash`, if any. */
  private async reminderWith(loanId: bigint, noticeHash: string) {
    const loanBook = this.lendingBook();
    const events = await loanBook.queryFilter(loanBook.filters.ReminderRecorded(loanId), this.book.deployBlock);
    return events.find((e) => e.args.noticeHash.toLowerCase() === noticeHash.toLowerCase());
  }

  /** Every record of `subject`'s chain, in order, from `RecordCommitted` logs. */
  private async chainOf(subject: string): Promise<ChainEntry[]> {
    const events = await this.ledger.queryFilter(this.ledger.filters.RecordCommitted(subject), this.book.deployBlock);
    return events.map((e) => ({
      contentHash: e.args.contentHash,
      head: e.args.head,
      blockNumber: e.blockNumber,
      txHash: e.transactionHash,
    }));
  }
}
