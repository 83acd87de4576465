import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { StandardMerkleTreeData } from "@openzeppelin/merkle-tree/dist/standard";
import { isHexString, toBeHex } from "ethers";
import { bytes32, keccak256, keccak256Bytes } from "../core/bytes";
import { EndorsementRefused, LedgerNode, committedFrom, gatherQuorum } from "../core/node";
import type { Committed } from "../core/node";
import {
  Endorsement,
  endorsementMessage,
  nextHead,
  packSignatures,
  recordHash,
  signEndorsement,
} from "../core/records";
import { Kind, RecordInput, ZERO_HASH } from "../core/types";

/**
 * Leaf encoding of a batch: `[subject, kind, contentHash, attrs]`, hashed by OpenZeppelin's
 * StandardMerkleTree as `keccak256(keccak256(abi.encode(values)))`, sorted pairs: exactly what
 * `EvidenceLedger.verifyBatchLeaf` checks.
 */
export const BATCH_LEAF_ENCODING = ["bytes32", "bytes32", "bytes32", "bytes32"];

/** Most leaves one batch may hold (`EvidenceLedger.MAX_BATCH_LEAVES`). */
export const MAX_BATCH_LEAVES = 65_536;

/** One record carried by a batch. */
export interface BatchRecord {
  /** The chain the record is about (a loan, a borrower pseudonym, a case). */
  subject: string;
  /** Its schema (see `Kind`). */
  kind: string;
  /** keccak256(salt ‖ document) of the off-chain original. */
  contentHash: string;
  /** Hash of the kind's on-chain parameters, or `ZERO_HASH`. */
  attrs: string;
}

/** A batch leaf's values, in `BATCH_LEAF_ENCODING` order. */
export type BatchLeaf = [subject: string, kind: string, contentHash: string, attrs: string];

/** What the evidence bundle carries to prove one record was in a committed batch. */
export interface BatchInclusion {
  /** The batch chain the root was committed to. */
  batchSubject: string;
  /** The committed Merkle root (the batch record's content hash). */
  root: string;
  /** The record's leaf values: `[subject, kind, contentHash, attrs]`. */
  leaf: BatchLeaf;
  /** The leaf hash (`verifyBatchLeaf` computes it from `leaf` itself). */
  leafHash: string;
  /** Sibling hashes from the leaf up to the root. */
  proof: string[];
}

/** A built (frozen) batch: its tree and the batch record that commits it. */
export interface BuiltBatch {
  root: string;
  leafCount: number;
  /** The record endorsers sign: kind `Batch`, contentHash = root, attrs = bytes32(leafCount). */
  record: RecordInput;
}

/** What the proposer sends its peers: the batch record and every leaf, so each peer rebuilds the root. */
export interface BatchProposal {
  record: RecordInput;
  proposer: string;
  issuedAt: bigint;
  deadline: bigint;
  leaves: BatchLeaf[];
}

/** A peer's extra check of one leaf before it signs a batch (e.g. "I hold this receipt"); throw to refuse. */
export type BatchLeafReviewer = (leaf: BatchLeaf, node: LedgerNode) => Promise<void> | void;

/** A committed batch and the inclusion proof of every record in it, in the order they were added. */
export interface BatchCommitted extends Committed {
  root: string;
  leafCount: number;
  inclusions: BatchInclusion[];
}

function checkHash(value: string, field: string, index: number, allowZero: boolean): string {
  if (typeof value !== "string" || !isHexString(value, 32)) {
    throw new Error(`batch record ${index}: ${field} must be a 32-byte hex string, got ${String(value)}`);
  }
  const lower = value.toLowerCase();
  if (!allowZero && lower === ZERO_HASH) throw new Error(`batch record ${index}: ${field} must not be zero`);
  return lower;
}

/** The batch record committing `root` over `leafCount` leaves on `batchSubject`, extending `prev`. */
export function batchRecord(batchSubject: string, root: string, leafCount: number, prev: string): RecordInput {
  return { subject: batchSubject, kind: Kind.Batch, contentHash: root, attrs: toBeHex(leafCount, 32), prev };
}

/** Leaf hash of the standard tree: keccak256(keccak256(abi.encode(bytes32 ×4))), abi.encode of words being their concatenation. */
export function batchLeafHash(leaf: BatchLeaf): string {
  const words = new Uint8Array(128);
  for (let i = 0; i < 4; i++) words.set(bytes32(leaf[i]), 32 * i);
  return keccak256(keccak256Bytes(words));
}

const pair = new Uint8Array(64);

/** Sorted-pair node hash, as OpenZeppelin's MerkleProof and StandardMerkleTree (lowercase hex in and out). */
function nodeHash(a: string, b: string): string {
  pair.set(bytes32(a < b ? a : b), 0);
  pair.set(bytes32(a < b ? b : a), 32);
  return keccak256(pair);
}

/**
 * A Merkle tree laid out exactly as OpenZeppelin's `StandardMerkleTree.of(leaves, BATCH_LEAF_ENCODING)`
 * lays it out (leaves sorted by hash, complete binary tree in an array), so roots, proofs and
 * `dump()` are interchangeable with it, but about ten times faster to build and to prove from
 * (the library re-encodes every leaf through a generic ABI coder for each proof).
 */
export class BatchTree {
  private constructor(
    /** Nodes, root first (`StandardMerkleTree` layout). */
    readonly nodes: string[],
    readonly leaves: BatchLeaf[],
    /** Position in `nodes` of each leaf, by the leaf's index in `leaves`. */
    private readonly treeIndex: number[],
  ) {}

  static of(leaves: BatchLeaf[]): BatchTree {
    if (leaves.length === 0) throw new Error("a batch tree needs at least one leaf");
    const hashed = leaves.map((leaf, i) => ({ i, hash: batchLeafHash(leaf) }));
    hashed.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const nodes = new Array<string>(2 * leaves.length - 1);
    const treeIndex = new Array<number>(leaves.length);
    for (const [k, { i, hash }] of hashed.entries()) {
      nodes[nodes.length - 1 - k] = hash;
      treeIndex[i] = nodes.length - 1 - k;
    }
    for (let n = nodes.length - 1 - leaves.length; n >= 0; n--) nodes[n] = nodeHash(nodes[2 * n + 1], nodes[2 * n + 2]);
    return new BatchTree(nodes, leaves, treeIndex);
  }

  get root(): string {
    return this.nodes[0];
  }

  leafHash(index: number): string {
    return this.nodes[this.position(index)];
  }

  /** Sibling hashes from leaf `index` (in the order leaves were given) up to the root. */
  proof(index: number): string[] {
    const out: string[] = [];
    for (let n = this.position(index); n > 0; n = Math.floor((n - 1) / 2))
      out.push(this.nodes[n % 2 === 1 ? n + 1 : n - 1]);
    return out;
  }

  /** The tree in OpenZeppelin's `standard-v1` format: `StandardMerkleTree.load(tree.dump())` works. */
  dump(): StandardMerkleTreeData<BatchLeaf> {
    return {
      format: "standard-v1",
      leafEncoding: BATCH_LEAF_ENCODING,
      tree: [...this.nodes],
      values: this.leaves.map((value, i) => ({ value, treeIndex: this.treeIndex[i] })),
    };
  }

  private position(index: number): number {
    const n = this.treeIndex[index];
    if (n === undefined) throw new Error(`no leaf ${index} in a tree of ${this.leaves.length}`);
    return n;
  }
}

/** Builds the tree over `leaves` (in this order) with the ledger's leaf encoding. */
export function batchTree(leaves: BatchLeaf[]): BatchTree {
  return BatchTree.of(leaves);
}

/** Checks an inclusion proof off-chain (no ledger needed): the leaf hashes up to the root. */
export function verifyInclusion(inclusion: BatchInclusion): boolean {
  if (batchLeafHash(inclusion.leaf) !== inclusion.leafHash.toLowerCase()) return false;
  const root = inclusion.proof.reduce(
    (acc, sibling) => nodeHash(acc, sibling.toLowerCase()),
    inclusion.leafHash.toLowerCase(),
  );
  return root === inclusion.root.toLowerCase();
}

/** The same check through OpenZeppelin's library (slower; for cross-checking). */
export function verifyInclusionWithLibrary(inclusion: BatchInclusion): boolean {
  return StandardMerkleTree.verify(inclusion.root, BATCH_LEAF_ENCODING, inclusion.leaf, inclusion.proof);
}

/**
 * Accumulates records for one batch, builds its Merkle tree, has a majority of the banks endorse
 * the one batch record, commits it in one transaction and hands back each record's inclusion
 * proof. The batch uses the same quorum and signature rules as any record.
 *
 * ```ts
 * const batch = new BatchBuilder(Subject.batch(lead, "2024-06-01"));
 * for (const r of receipts) batch.add(r);
 * const { inclusions } = await batch.commit(leadNode, peers);
 * ```
 */
export class BatchBuilder {
  private readonly leaves: BatchLeaf[] = [];
  private readonly seen = new Set<string>();
  private tree?: BatchTree;

  constructor(readonly batchSubject: string) {
    checkHash(batchSubject, "batch subject", -1, false);
  }

  /** Number of records added so far. */
  get size(): number {
    return this.leaves.length;
  }

  /** Adds a record and returns its position. Rejects malformed fields, duplicates, and adds after `build`. */
  add(record: BatchRecord): number {
    if (this.tree) throw new Error("batch already built: start a new BatchBuilder for more records");
    const i = this.leaves.length;
    if (i >= MAX_BATCH_LEAVES) throw new Error(`batch is full: at most ${MAX_BATCH_LEAVES} records`);
    const leaf: BatchLeaf = [
      checkHash(record.subject, "subject", i, false),
      checkHash(record.kind, "kind", i, false),
      checkHash(record.contentHash, "contentHash", i, false),
      checkHash(record.attrs, "attrs", i, true),
    ];
    const key = leaf.join("");
    if (this.seen.has(key)) throw new Error(`batch record ${i}: duplicate of an earlier record`);
    this.seen.add(key);
    this.leaves.push(leaf);
    return i;
  }

  /** Freezes the batch and builds its tree; the record extends `prev` (the batch subject's head). */
  build(prev: string): BuiltBatch {
    if (this.leaves.length === 0) throw new Error("batch is empty: add at least one record");
    this.tree ??= batchTree(this.leaves);
    const root = this.tree.root;
    return {
      root,
      leafCount: this.leaves.length,
      record: batchRecord(this.batchSubject, root, this.leaves.length, checkHash(prev, "prev", -1, true)),
    };
  }

  /** Inclusion proofs of every record, in the order added. Needs `build` first. */
  inclusions(): BatchInclusion[] {
    const tree = this.tree;
    if (!tree) throw new Error("batch not built yet: call build() or commit() first");
    const root = tree.root;
    return this.leaves.map((leaf, i) => ({
      batchSubject: this.batchSubject,
      root,
      leaf,
      leafHash: tree.leafHash(i),
      proof: tree.proof(i),
    }));
  }

  /** The proposal peers review: the batch record and all leaves. */
  proposal(built: BuiltBatch, proposer: string, issuedAt: bigint, deadline: bigint): BatchProposal {
    return { record: built.record, proposer, issuedAt, deadline, leaves: [...this.leaves] };
  }

  /**
   * Builds the batch on the subject's current head, collects a quorum of endorsements from
   * `peers` (each rebuilds the root from the leaves before signing), commits it through
   * `proposer`'s ledger, and returns the commit with every record's inclusion proof.
   */
  async commit(
    proposer: LedgerNode,
    peers: LedgerNode[],
    opts: { issuedAt?: bigint; deadline?: bigint; reviewers?: Map<LedgerNode, BatchLeafReviewer> } = {},
  ): Promise<BatchCommitted> {
    const ledger = proposer.ledger;
    const built = this.build(await ledger.headOf(this.batchSubject));
    const issuedAt = opts.issuedAt ?? (await proposer.now());
    const deadline = opts.deadline ?? issuedAt + 3_600n;
    const proposal = this.proposal(built, await proposer.address(), issuedAt, deadline);
    const quorum = Number(await ledger.quorumFor(await ledger.votingMemberCount()));
    const collected = await collectBatchEndorsements(proposal, peers, quorum, opts.reviewers);
    const tx = await ledger.commitBatch(
      built.record.subject,
      built.root,
      built.leafCount,
      built.record.prev,
      issuedAt,
      deadline,
      collected.signatures,
    );
    const receipt = await tx.wait();
    if (!receipt) throw new Error("batch commit transaction was dropped");
    // A batch record has no salt: its content hash is the root, public by design.
    const committed = committedFrom(ledger, receipt, new Uint8Array(0), collected.endorsers);
    const expected = nextHead(built.record.prev, recordHash(built.record, proposal.proposer));
    if (committed.head !== expected) throw new Error(`batch head ${committed.head} differs from expected ${expected}`);
    return { ...committed, root: built.root, leafCount: built.leafCount, inclusions: this.inclusions() };
  }
}

/**
 * A peer's review of a batch: the root and leaf count must follow from the leaves it was sent,
 * the deadline must be ahead, and every leaf must pass the peer's own leaf check. Signs if all pass.
 */
export async function reviewBatch(
  node: LedgerNode,
  p: BatchProposal,
  leafReviewer?: BatchLeafReviewer,
): Promise<Endorsement> {
  const refuse = (reason: string): never => {
    throw new EndorsementRefused(node.name, reason);
  };
  if (p.record.kind !== Kind.Batch) refuse("not a batch record");
  if (p.leaves.length === 0 || p.leaves.length > MAX_BATCH_LEAVES) refuse(`batch of ${p.leaves.length} leaves`);
  if (BigInt(p.record.attrs) !== BigInt(p.leaves.length)) refuse("leaf count does not match the batch record");
  if (batchTree(p.leaves).root !== p.record.contentHash.toLowerCase()) refuse("root does not match the leaves");
  if (p.deadline <= (await node.now())) refuse("deadline already passed");
  if (leafReviewer) {
    for (const [i, leaf] of p.leaves.entries()) {
      try {
        await leafReviewer(leaf, node);
      } catch (e) {
        refuse(`leaf ${i}: ${(e as Error).message}`);
      }
    }
  }
  return signEndorsement(node.signer, node.domain(), endorsementMessage(p));
}

/**
 * Asks peers to review a batch until `quorum` have signed, like `collectEndorsements`: peers
 * that refuse are reported, and if quorum cannot be reached the error lists every refusal.
 */
export async function collectBatchEndorsements(
  p: BatchProposal,
  peers: LedgerNode[],
  quorum: number,
  reviewers?: Map<LedgerNode, BatchLeafReviewer>,
): Promise<{ signatures: string; endorsers: string[]; refusals: EndorsementRefused[] }> {
  const { got: endorsements, refusals } = await gatherQuorum(
    peers,
    (peer) => peer.address(),
    p.proposer,
    quorum,
    (peer) => reviewBatch(peer, p, reviewers?.get(peer)),
  );
  return { signatures: packSignatures(endorsements), endorsers: endorsements.map((e) => e.signer), refusals };
}
