import type { ContractTransactionReceipt, Signer, TypedDataDomain } from "ethers";
import { EvidenceLedger, EvidenceLedger__factory } from "../../typechain-types";
import { AddressBook } from "./addressBook";
import { eventFragment, rawLogs } from "./receipts";
import {
  Endorsement,
  endorsementMessage,
  attrsHash,
  contentHash,
  ledgerDomain,
  newSalt,
  packSignatures,
  recoverEndorser,
  signEndorsement,
} from "./records";
import { RecordInput, ZERO_HASH, kindName } from "./types";

/** The kind-specific on-chain parameters of a record, in ABI form. */
export interface RecordAttrs {
  types: readonly string[];
  values: readonly unknown[];
}

/** What a proposer sends its peers to review: the record, and the original it stands for. */
export interface Proposal {
  record: RecordInput;
  proposer: string;
  /** When the endorsers sign (the latest block time when the proposal was prepared). */
  issuedAt: bigint;
  deadline: bigint;
  /** The original document (peers check it hashes to `record.contentHash`). */
  document: Uint8Array;
  salt: Uint8Array;
  /** Decoded parameters behind `record.attrs`, if the kind has any. */
  attrs?: RecordAttrs;
}

/** A peer's check of a proposal failed: it will not sign. */
export class EndorsementRefused extends Error {
  constructor(
    readonly node: string,
    readonly reason: string,
  ) {
    super(`${node} refused to endorse: ${reason}`);
    this.name = "EndorsementRefused";
  }
}

/**
 * Anything a proposer can ask for an endorsement: a member node in this process (`LedgerNode`) or
 * a remote one (network mode sends the proposal, with its document, to another node's process).
 * `endorse` resolves to the member's 64-byte compact EIP-712 signature of the proposal, or rejects
 * with `EndorsementRefused` (the member's reason) when its checks fail.
 */
export interface Endorser {
  readonly name: string;
  address(): Promise<string>;
  endorse(p: Proposal): Promise<string>;
}

/** What a node decided on one proposal it was asked to endorse (kept in its review log). */
export interface ReviewDecision {
  /** When it decided, milliseconds since the epoch. */
  at: number;
  subject: string;
  kind: string;
  contentHash: string;
  proposer: string;
  signed: boolean;
  /** Why it refused, or "checks passed". */
  reason: string;
}

/** How many review decisions a node keeps (the oldest are dropped first). */
export const REVIEW_LOG_SIZE = 1_000;

/** A kind-specific check a node runs before it signs; throw (any Error) to refuse. */
export type Reviewer = (proposal: Proposal, node: LedgerNode) => Promise<void> | void;

/** What happened when a record was committed. */
export interface Committed {
  subject: string;
  kind: string;
  contentHash: string;
  salt: Uint8Array;
  head: string;
  prev: string;
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
  endorsers: string[];
}

/**
 * A member node: a signer, the consortium's contracts, and the checks it runs before it
 * endorses anything. Role classes (lead bank, partner bank, arbitrator) extend it.
 */
export class LedgerNode implements Endorser {
  readonly ledger: EvidenceLedger;
  private readonly reviewers = new Map<string, Reviewer[]>();
  private readonly reviewLog: ReviewDecision[] = [];
  private domainCache?: TypedDataDomain;
  private addressCache?: string;

  constructor(
    readonly name: string,
    readonly signer: Signer,
    readonly book: AddressBook,
  ) {
    this.ledger = EvidenceLedger__factory.connect(book.ledger, signer);
  }

  async address(): Promise<string> {
    this.addressCache ??= await this.signer.getAddress();
    return this.addressCache;
  }

  domain(): TypedDataDomain {
    this.domainCache ??= ledgerDomain(BigInt(this.book.chainId), this.book.ledger);
    return this.domainCache;
  }

  /** Adds a check this node runs on every proposal of `kind` before signing it. */
  onReview(kind: string, reviewer: Reviewer): this {
    const list = this.reviewers.get(kind) ?? [];
    list.push(reviewer);
    this.reviewers.set(kind, list);
    return this;
  }

  /**
   * Checks a proposal and, if every check passes, signs it. The generic checks (the document
   * hashes to the content hash, the attributes hash matches, the deadline is ahead, the record
   * extends the subject's current head) run for every kind; then the kind's own reviewers.
   */
  async review(p: Proposal): Promise<Endorsement> {
    const decided = (signed: boolean, reason: string): void => {
      const { subject, kind, contentHash } = p.record;
      this.reviewLog.push({ at: Date.now(), subject, kind, contentHash, proposer: p.proposer, signed, reason });
      if (this.reviewLog.length > REVIEW_LOG_SIZE) this.reviewLog.shift();
    };
    try {
      const endorsement = await this.checkAndSign(p);
      decided(true, "checks passed");
      return endorsement;
    } catch (e) {
      if (e instanceof EndorsementRefused) decided(false, e.reason);
      throw e;
    }
  }

  /** The decisions this node took on proposals it reviewed, oldest first (the last `REVIEW_LOG_SIZE`). */
  reviewDecisions(): readonly ReviewDecision[] {
    return this.reviewLog;
  }

  /** Puts decisions a previous run of this node saved in front of its log (a restarted process). */
  restoreReviewDecisions(saved: readonly ReviewDecision[]): void {
    this.reviewLog.unshift(...saved);
    if (this.reviewLog.length > REVIEW_LOG_SIZE) this.reviewLog.splice(0, this.reviewLog.length - REVIEW_LOG_SIZE);
  }

  private async checkAndSign(p: Proposal): Promise<Endorsement> {
    const refuse = (reason: string): never => {
      throw new EndorsementRefused(this.name, reason);
    };
    if (contentHash(p.document, p.salt) !== p.record.contentHash) refuse("document does not match the content hash");
    const expectedAttrs = p.attrs ? attrsHash(p.attrs.types, p.attrs.values) : ZERO_HASH;
    if (expectedAttrs !== p.record.attrs) refuse("parameters do not match the attributes hash");
    for (const reviewer of this.reviewers.get(p.record.kind) ?? []) {
      try {
        await reviewer(p, this);
      } catch (e) {
        refuse(`${kindName(p.record.kind)}: ${(e as Error).message}`);
      }
    }
    return signEndorsement(this.signer, this.domain(), endorsementMessage(p));
  }

  /** `Endorser`: reviews the proposal and returns the compact signature (or refuses). */
  async endorse(p: Proposal): Promise<string> {
    return (await this.review(p)).signature;
  }

  /**
   * Builds a proposal for a new record on `subject`, extending its current head.
   */
  async prepare(args: {
    subject: string;
    kind: string;
    document: Uint8Array;
    attrs?: RecordAttrs;
    issuedAt?: bigint;
    deadline?: bigint;
    salt?: Uint8Array;
  }): Promise<Proposal> {
    const salt = args.salt ?? newSalt();
    const prev = await this.ledger.headOf(args.subject);
    const issuedAt = args.issuedAt ?? (await this.now());
    const deadline = args.deadline ?? issuedAt + 3_600n;
    const record: RecordInput = {
      subject: args.subject,
      kind: args.kind,
      contentHash: contentHash(args.document, salt),
      attrs: args.attrs ? attrsHash(args.attrs.types, args.attrs.values) : ZERO_HASH,
      prev,
    };
    return {
      record,
      proposer: await this.address(),
      issuedAt,
      deadline,
      document: args.document,
      salt,
      attrs: args.attrs,
    };
  }

  /** Latest block timestamp, in seconds. */
  async now(): Promise<bigint> {
    const block = await this.signer.provider!.getBlock("latest");
    return BigInt(block!.timestamp);
  }
}

/** Outcome of asking peers to endorse. */
export interface Collected {
  signatures: string;
  endorsers: string[];
  refusals: EndorsementRefused[];
}

/**
 * Asks peers to endorse a proposal until `quorum` have signed. Requests go out in rounds: each
 * round asks as many of the next peers, in order, as signatures are still missing, all at once
 * (so remote endorsers work in parallel). Peers that refuse are reported; if quorum cannot be
 * reached the error lists every refusal. A signature from an endorser that is not a node of this
 * process is checked when `domain` (the ledger's EIP-712 domain) is given: it must recover to the
 * address the endorser claims, or it counts as a refusal.
 */
export async function collectEndorsements(
  p: Proposal,
  peers: readonly Endorser[],
  quorum: number,
  domain?: TypedDataDomain,
): Promise<Collected> {
  const { got: endorsements, refusals } = await gatherQuorum(
    peers,
    (peer) => peer.address(),
    p.proposer,
    quorum,
    (peer) => endorseChecked(peer, p, domain),
  );
  return { signatures: packSignatures(endorsements), endorsers: endorsements.map((e) => e.signer), refusals };
}

/**
 * Asks `peers` (the proposer and repeated accounts left out) in rounds of as many as are still
 * needed, until `quorum` of them answered; a peer that refuses (`EndorsementRefused`) is counted
 * with its reason and the next one asked. Throws `<failure>: N of Q endorsements (reasons)` if the
 * peers run out first; any other error is thrown as it is. Answers come in the peers' order.
 */
export async function gatherQuorum<P, T>(
  peers: readonly P[],
  addressOf: (peer: P) => Promise<string>,
  proposer: string,
  quorum: number,
  ask: (peer: P) => Promise<T>,
  failure = "quorum not reached",
): Promise<{ got: T[]; refusals: EndorsementRefused[] }> {
  const got: T[] = [];
  const refusals: EndorsementRefused[] = [];
  const queue: P[] = [];
  const seen = new Set<string>([proposer.toLowerCase()]);
  for (const peer of peers) {
    const address = (await addressOf(peer)).toLowerCase();
    if (seen.has(address)) continue;
    seen.add(address);
    queue.push(peer);
  }
  let next = 0;
  while (got.length < quorum && next < queue.length) {
    const round = queue.slice(next, next + quorum - got.length);
    next += round.length;
    const results = await Promise.allSettled(round.map(ask));
    for (const r of results) {
      if (r.status === "fulfilled") got.push(r.value);
      else if (r.reason instanceof EndorsementRefused) refusals.push(r.reason);
      else throw r.reason;
    }
  }
  if (got.length < quorum) {
    const why = refusals.map((r) => r.message).join("; ") || "not enough peers";
    throw new Error(`${failure}: ${got.length} of ${quorum} endorsements (${why})`);
  }
  return { got, refusals };
}

/** One peer's endorsement; a remote endorser's signature must recover to its address under `domain`. */
async function endorseChecked(peer: Endorser, p: Proposal, domain?: TypedDataDomain): Promise<Endorsement> {
  const signer = await peer.address();
  const signature = await peer.endorse(p);
  if (peer instanceof LedgerNode || !domain) return { signer, signature };
  let recovered = "";
  try {
    recovered = recoverEndorser(domain, endorsementMessage(p), signature);
  } catch {
    // not a signature at all: reported below
  }
  if (recovered.toLowerCase() !== signer.toLowerCase()) {
    throw new EndorsementRefused(peer.name, `its signature does not recover to its address ${signer}`);
  }
  return { signer, signature };
}

/** Reads the commit out of a receipt that emitted `RecordCommitted`. */
export function committedFrom(
  ledger: EvidenceLedger,
  receipt: ContractTransactionReceipt,
  salt: Uint8Array,
  endorsers: string[],
): Committed {
  const ledgerAddress = ledger.target.toString().toLowerCase();
  const event = eventFragment(ledger.interface, "RecordCommitted");
  for (const log of rawLogs(receipt)) {
    if (log.address.toLowerCase() !== ledgerAddress || log.topics[0] !== event.topicHash) continue;
    const args = ledger.interface.decodeEventLog(event.fragment, log.data, log.topics);
    return {
      subject: args.subject,
      kind: args.kind,
      contentHash: args.contentHash,
      salt,
      head: args.head,
      prev: args.prev,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      endorsers,
    };
  }
  throw new Error(`transaction ${receipt.hash} committed no record`);
}

/**
 * Proposes a record, collects a quorum of endorsements from `peers`, and commits it in one
 * transaction through `submit` (the ledger's `commit` by default, or a module's function).
 */
export async function proposeAndCommit(
  proposer: LedgerNode,
  peers: readonly Endorser[],
  args: Parameters<LedgerNode["prepare"]>[0],
  submit?: (p: Proposal, signatures: string) => Promise<ContractTransactionReceipt | null>,
): Promise<Committed & { refusals: EndorsementRefused[] }> {
  const proposal = await proposer.prepare(args);
  const quorum = Number(await proposer.ledger.quorumFor(await proposer.ledger.votingMemberCount()));
  const collected = await collectEndorsements(proposal, peers, quorum, proposer.domain());
  const send =
    submit ??
    (async (p: Proposal, sigs: string) =>
      (await proposer.ledger.commit(p.record, p.issuedAt, p.deadline, sigs)).wait());
  const receipt = await send(proposal, collected.signatures);
  if (!receipt) throw new Error("commit transaction was dropped");
  return {
    ...committedFrom(proposer.ledger, receipt, proposal.salt, collected.endorsers),
    refusals: collected.refusals,
  };
}
