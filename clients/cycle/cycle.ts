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
import type { RecordInput } from "../core/types";
import { BatchInclusion, batchRecord } from "../ledger/batch";
import type { CycleLoanView } from "../arbitration/claimant";
import { recoverAssents } from "./assents";
import type { ContractTransactionReceipt } from "ethers";
import type { CycleSettlement } from "../../typechain-types";
import {
  CycleBook,
  CycleOp,
  CycleProposal,
  CycleRuleError,
  Replayed,
  Settlement,
  chunksHash,
  replayCycle,
} from "./model";

/**
 * The lead bank's cycle assembler and the partners' cycle checker (docs/CYCLE.md). Both are
 * helpers the existing role nodes use (`LeadBankNode`, `PartnerBankNode`): the lead replays its
 * own operations on its book to get the leaves, state commitment and net settlement; every
 * partner replays them on its own book, and only if everything matches signs the cycle's batch
 * records. The batches go through the ledger's ordinary `commitBatch` with a majority's
 * signatures; `settleCycle` then executes the net settlement once against the closing root.
 */

/** A cycle assembled by the lead: the proposal its peers check, and its own replay. */
export interface AssembledCycle {
  proposal: CycleProposal;
  replayed: Replayed;
}

/** The lead bank assembles a cycle of `ops` on `book` (which it keeps unchanged until commit). */
export function assembleCycle(
  book: CycleBook,
  cycle: { cycleSubject: string; start: bigint; end: bigint; ops: CycleOp[]; chunkSize?: number },
): AssembledCycle {
  const chunkSize = cycle.chunkSize ?? 65_536;
  const replayed = replayCycle(book, { ...cycle, chunkSize });
  return {
    proposal: {
      cycleSubject: cycle.cycleSubject,
      start: cycle.start,
      end: cycle.end,
      ops: cycle.ops,
      stateRoot: replayed.stateRoot,
      settlement: replayed.settlement,
      chunkSize,
    },
    replayed,
  };
}

function sameSettlement(a: Settlement, b: Settlement): string | undefined {
  if (a.accounts.length !== b.accounts.length) return `${a.accounts.length} funders, expected ${b.accounts.length}`;
  const sum = a.nets.reduce((s, n) => s + n, 0n);
  if (sum !== 0n) return `the nets add up to ${sum}, not 0`;
  for (let i = 0; i < a.accounts.length; i++) {
    if (a.accounts[i].toLowerCase() !== b.accounts[i])
      return `funder ${i} is ${a.accounts[i]}, expected ${b.accounts[i]}`;
    if (a.nets[i] !== b.nets[i]) return `net of ${b.accounts[i]} is ${a.nets[i]}, the leaves give ${b.nets[i]}`;
  }
  return undefined;
}

/**
 * A partner's check of a cycle: replays every leaf with the same rules and money library (limits,
 * shares, schedules, the borrower's signature, every partner's exposure), then compares the
 * state commitment and the net settlement. Throws `CycleRuleError` naming the leaf and the rule;
 * the close leaf's index is `ops.length`.
 */
export function checkCycle(book: CycleBook, p: CycleProposal, signers?: Map<number, string>): Replayed {
  const replayed = replayCycle(book, p, signers);
  const close = p.ops.length;
  if (replayed.stateRoot !== p.stateRoot.toLowerCase()) {
    throw new CycleRuleError(
      close,
      "state commitment",
      `proposed ${p.stateRoot}, the replay gives ${replayed.stateRoot}`,
    );
  }
  const wrong = sameSettlement(p.settlement, replayed.settlement);
  if (wrong) throw new CycleRuleError(close, "settlement", wrong);
  return replayed;
}

/** The batch records of a cycle, chained from `prev` (the cycle subject's head), and the head after. */
export function cycleRecords(
  cycleSubject: string,
  replayed: Replayed,
  prev: string,
  proposer: string,
): { records: RecordInput[]; head: string } {
  const records: RecordInput[] = [];
  let head = prev;
  for (const tree of replayed.trees) {
    const record = batchRecord(cycleSubject, tree.root, tree.leaves.length, head);
    records.push(record);
    head = nextHead(head, recordHash(record, proposer));
  }
  return { records, head };
}

/** What the lead sends its peers to endorse a cycle. */
export interface CycleEndorsementRequest {
  proposal: CycleProposal;
  proposer: string;
  /** The cycle subject's head the first batch extends. */
  prev: string;
  /** When the endorsers sign (the ledger requires issuedAt <= block time <= deadline). */
  issuedAt: bigint;
  deadline: bigint;
}

/** A partner's endorsement of a cycle: one signature per batch record, and its replay to keep. */
export interface CycleEndorsement {
  signer: string;
  signatures: string[];
  replayed: Replayed;
}

/**
 * A partner node checks a cycle and, if it passes, signs every batch record of it. A refusal is
 * an `EndorsementRefused` whose reason names the leaf and the rule.
 */
export async function endorseCycle(
  node: LedgerNode,
  book: CycleBook,
  req: CycleEndorsementRequest,
  opts: { threads?: number } = {},
): Promise<CycleEndorsement> {
  let replayed: Replayed;
  try {
    const signers = opts.threads ? await recoverAssents(book.config, req.proposal.ops, opts.threads) : undefined;
    replayed = checkCycle(book, req.proposal, signers);
  } catch (e) {
    if (e instanceof CycleRuleError) throw new EndorsementRefused(node.name, e.message);
    throw e;
  }
  if (req.deadline <= (await node.now())) throw new EndorsementRefused(node.name, "deadline already passed");
  const { records } = cycleRecords(req.proposal.cycleSubject, replayed, req.prev, req.proposer);
  const signatures: string[] = [];
  for (const record of records) {
    const message = endorsementMessage({ ...req, record });
    signatures.push((await signEndorsement(node.signer, node.domain(), message)).signature);
  }
  return { signer: await node.address(), signatures, replayed };
}

/** A committed cycle: its batch commits, the closing root, and the inclusion proof of the close leaf. */
export interface CommittedCycle {
  batches: Committed[];
  roots: string[];
  closeRoot: string;
  closeProof: string[];
  endorsers: string[];
  refusals: EndorsementRefused[];
  replayed: Replayed;
}

/**
 * The lead bank runs a cycle end to end: asks `peers` (each with its own book) to check and sign
 * until a majority has, commits every batch through `commitBatch`, and adopts the new book state
 * in every node that endorsed (and in the lead's). Throws if the majority is not reached, with
 * every refusal's reason.
 */
export async function commitCycle(
  lead: { node: LedgerNode; book: CycleBook },
  peers: { node: LedgerNode; book: CycleBook }[],
  assembled: AssembledCycle,
  /** `threads`: worker threads each partner recovers the borrowers' assents on (0: none). */
  opts: { issuedAt?: bigint; deadline?: bigint; threads?: number } = {},
): Promise<CommittedCycle & { books: Map<LedgerNode, CycleBook> }> {
  const ledger = lead.node.ledger;
  const { proposal, replayed } = assembled;
  const proposer = await lead.node.address();
  const prev = await ledger.headOf(proposal.cycleSubject);
  const issuedAt = opts.issuedAt ?? (await lead.node.now());
  const deadline = opts.deadline ?? issuedAt + 3_600n;
  const quorum = Number(await ledger.quorumFor(await ledger.votingMemberCount()));
  const req: CycleEndorsementRequest = { proposal, proposer, prev, issuedAt, deadline };
  const { got: answers, refusals } = await gatherQuorum(
    peers,
    (peer) => peer.node.address(),
    proposer,
    quorum,
    async (peer) => ({ node: peer.node, e: await endorseCycle(peer.node, peer.book, req, { threads: opts.threads }) }),
    "cycle not endorsed",
  );
  const got = answers.map((a) => a.e);
  const books = new Map<LedgerNode, CycleBook>(answers.map((a) => [a.node, a.e.replayed.book]));
  const { records, head } = cycleRecords(proposal.cycleSubject, replayed, prev, proposer);
  const batches: Committed[] = [];
  for (const [k, record] of records.entries()) {
    const endorsements: Endorsement[] = got.map((g) => ({ signer: g.signer, signature: g.signatures[k] }));
    const tx = await ledger.commitBatch(
      record.subject,
      record.contentHash,
      BigInt(record.attrs),
      record.prev,
      issuedAt,
      deadline,
      packSignatures(endorsements),
    );
    const receipt = await tx.wait();
    if (!receipt) throw new Error("cycle batch transaction was dropped");
    batches.push(
      committedFrom(
        ledger,
        receipt,
        new Uint8Array(0),
        endorsements.map((e) => e.signer),
      ),
    );
  }
  if ((await ledger.headOf(proposal.cycleSubject)) !== head) throw new Error("cycle chain ends at an unexpected head");
  books.set(lead.node, replayed.book);
  const last = replayed.trees[replayed.trees.length - 1];
  return {
    batches,
    roots: replayed.trees.map((t) => t.root),
    closeRoot: last.root,
    closeProof: last.proof(last.leaves.length - 1),
    endorsers: got.map((g) => g.signer),
    refusals,
    replayed,
    books,
  };
}

/**
 * Moves the cycle's money once: the net settlement of a committed cycle, executed by the
 * settlement contract against the endorsed close root (the earlier roots' chunks hash and the
 * close leaf's proof prove the nets and the state root it was committed with).
 */
export async function settleCycle(
  settlement: CycleSettlement,
  cycleSubject: string,
  proposal: CycleProposal,
  committed: CommittedCycle,
): Promise<ContractTransactionReceipt> {
  const { settlement: s, stateRoot } = proposal;
  const tx = await settlement.settle(
    cycleSubject,
    committed.closeRoot,
    stateRoot,
    chunksHash(committed.roots.slice(0, -1)),
    s.accounts,
    s.nets,
    committed.closeProof,
  );
  return (await tx.wait())!;
}

/** Every leaf of a committed cycle with its inclusion proof, in operation order (the close leaf last). */
export function cycleInclusions(cycleSubject: string, replayed: Replayed): BatchInclusion[] {
  const out: BatchInclusion[] = [];
  for (const tree of replayed.trees) {
    for (let i = 0; i < tree.leaves.length; i++) {
      out.push({
        batchSubject: cycleSubject,
        root: tree.root,
        leaf: tree.leaves[i],
        leafHash: tree.leafHash(i),
        proof: tree.proof(i),
      });
    }
  }
  return out;
}

/**
 * A bank's view of its batched-path loans for reviewing a claim (`installCaseReviewers`): each
 * loan's status and funders in the book `book()` returns (the node's current book).
 */
export function cycleLoanView(book: () => CycleBook): CycleLoanView {
  return {
    loan(loanId: bigint) {
      const l = book().loans.get(loanId);
      return l && { status: l.status, funders: l.funding.map((f) => f.account) };
    },
  };
}
