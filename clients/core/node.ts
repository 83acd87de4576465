import type { ContractTransactionReceipt, Signer, TypedDataDomain } from "ethers";
import { EvidenceLedger, EvidenceLedger__factory } from "../../typechain-types";
import { AddressBook } from "./addressBook";
import {
  Endorsement,
  EndorsementMessage,
  attrsHash,
  contentHash,
  ledgerDomain,
  newSalt,
  packSignatures,
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
export class LedgerNode {
  readonly ledger: EvidenceLedger;
  private readonly reviewers = new Map<string, Reviewer[]>();
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
    const message: EndorsementMessage = {
      ...p.record,
      proposer: p.proposer,
      issuedAt: p.issuedAt,
      deadline: p.deadline,
    };
    return signEndorsement(this.signer, this.domain(), message);
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
 * Asks peers to review a proposal until `quorum` have signed. Peers that refuse are reported;
 * if quorum cannot be reached the error lists every refusal.
 */
export async function collectEndorsements(p: Proposal, peers: LedgerNode[], quorum: number): Promise<Collected> {
  const endorsements: Endorsement[] = [];
  const refusals: EndorsementRefused[] = [];
  for (const peer of peers) {
    if (endorsements.length >= quorum) break;
    if ((await peer.address()).toLowerCase() === p.proposer.toLowerCase()) continue;
    try {
      endorsements.push(await peer.review(p));
    } catch (e) {
      if (!(e instanceof EndorsementRefused)) throw e;
      refusals.push(e);
    }
  }
  if (endorsements.length < quorum) {
    const why = refusals.map((r) => r.message).join("; ") || "not enough peers";
    throw new Error(`quorum not reached: ${endorsements.length} of ${quorum} endorsements (${why})`);
  }
  return { signatures: packSignatures(endorsements), endorsers: endorsements.map((e) => e.signer), refusals };
}

/** Reads the commit out of a receipt that emitted `RecordCommitted`. */
export function committedFrom(
  ledger: EvidenceLedger,
  receipt: ContractTransactionReceipt,
  salt: Uint8Array,
  endorsers: string[],
): Committed {
  const ledgerAddress = ledger.target.toString().toLowerCase();
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== ledgerAddress) continue;
    const parsed = ledger.interface.parseLog(log);
    if (parsed?.name !== "RecordCommitted") continue;
    return {
      subject: parsed.args.subject,
      kind: parsed.args.kind,
      contentHash: parsed.args.contentHash,
      salt,
      head: parsed.args.head,
      prev: parsed.args.prev,
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
  peers: LedgerNode[],
  args: Parameters<LedgerNode["prepare"]>[0],
  submit?: (p: Proposal, signatures: string) => Promise<ContractTransactionReceipt | null>,
): Promise<Committed & { refusals: EndorsementRefused[] }> {
  const proposal = await proposer.prepare(args);
  const quorum = Number(await proposer.ledger.quorumFor(await proposer.ledger.votingMemberCount()));
  const collected = await collectEndorsements(proposal, peers, quorum);
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
