import { bytes32Hex, keccak256, uint256Hex } from "../core/bytes";
import { Kind, LoanStatus, Subject, ZERO_HASH } from "../core/types";
import type { BatchInclusion, BatchLeaf } from "../ledger/batch";
import type { EvidenceBundle } from "./bundle";
import { batchLeafHash, processProof } from "./hashing";
import type { BatchProofInput } from "./export";
import type { RecordVerdict } from "./verify";

/**
 * Evidence of the batched lending cycle (docs/CYCLE.md) in a loan's bundle, checked by
 * `verifyBundle` (`npx colend verify`) through one hook.
 *
 * The loan's leaves of each cycle travel twice: as ordinary batched records (`batched`, each proven
 * into a committed, majority-endorsed batch root in `batches`, which the verifier already checks),
 * and in the bundle's `cycles` section, one entry per cycle the loan took part in: its leaves,
 * the cycle's close leaf (binding the state root and the net settlement) and the loan's state leaf
 * with its proof into that state root. `checkCycleEvidence` checks each entry with the cycle's own
 * offline check (`verifyCycleLoanEvidence`) against the batch roots the bundle proves committed.
 */

// ------------------------------------------------------------------ a loan's committed state

/**
 * Batched-path loan ids start here (2^64), so they never meet the per-loan `LoanBook`'s sequential
 * ids on the shared loan subject `Subject.loan(id)`: `CycleBook` refuses an origination below it
 * and the court opens batched-path cases only above it (`CYCLE_LOAN_ID_BASE` in ArbitrationCourt).
 */
export const CYCLE_LOAN_ID_BASE = 1n << 64n;

/**
 * A loan's state as the cycle's state commitment holds it. Its hash (the state leaf's content)
 * is keccak256 of its 32-byte words (`cycleLoanStateWords`): the 17 head words in this order,
 * then the funders' accounts, their funded amounts, principal returned and income received
 * (`funderCount` each). The arbitration court reads the same words (docs/CYCLE.md).
 */
export interface CycleLoanState {
  loanId: bigint;
  pseudonym: string;
  /** The borrower's account (who signed the assent; who may respond to a case). */
  borrower: string;
  /** `LoanStatus` value: Funding 1, Active 2, Repaid 3, Defaulted 4. */
  status: number;
  loanClass: number;
  outstanding: bigint;
  cursor: bigint;
  cursorPaid: bigint;
  overdueInterest: bigint;
  surcharge: bigint;
  totalRepaid: bigint;
  disbursedAt: bigint;
  remindedInstallment: bigint;
  /** When the last reminder was sent (0: none). */
  remindedAt: bigint;
  /** When the loan was declared in default (0: not in default). */
  defaultedAt: bigint;
  /** Everything the borrower owed at the default (`dues(defaultedAt).payoff`; 0 otherwise). */
  payoffAtDefault: bigint;
  /** Funders, lead first (empty until funded); per funder what it funded and has received back. */
  funders: { account: string; funded: bigint; principalReturned: bigint; incomeReceived: bigint }[];
}

/** Words before the funders' lists; word 16 is the funder count. */
export const CYCLE_STATE_HEAD_WORDS = 17;

function addressWord(a: string): string {
  if (typeof a !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(a)) throw new TypeError(`not an address: ${a}`);
  return "000000000000000000000000" + a.slice(2).toLowerCase();
}

/** The state's words as one hex string without 0x (hot: every operation on every node). */
export function cycleLoanStateHex(s: CycleLoanState): string {
  let hex =
    uint256Hex(s.loanId) +
    bytes32Hex(s.pseudonym) +
    addressWord(s.borrower) +
    uint256Hex(s.status) +
    uint256Hex(s.loanClass) +
    uint256Hex(s.outstanding) +
    uint256Hex(s.cursor) +
    uint256Hex(s.cursorPaid) +
    uint256Hex(s.overdueInterest) +
    uint256Hex(s.surcharge) +
    uint256Hex(s.totalRepaid) +
    uint256Hex(s.disbursedAt) +
    uint256Hex(s.remindedInstallment) +
    uint256Hex(s.remindedAt) +
    uint256Hex(s.defaultedAt) +
    uint256Hex(s.payoffAtDefault) +
    uint256Hex(s.funders.length);
  for (const f of s.funders) hex += addressWord(f.account);
  for (const f of s.funders) hex += uint256Hex(f.funded);
  for (const f of s.funders) hex += uint256Hex(f.principalReturned);
  for (const f of s.funders) hex += uint256Hex(f.incomeReceived);
  return hex;
}

/** The state's 32-byte words (what the court takes and the bundle carries). */
export function cycleLoanStateWords(s: CycleLoanState): string[] {
  const hex = cycleLoanStateHex(s);
  const words: string[] = [];
  for (let k = 0; k < hex.length; k += 64) words.push("0x" + hex.slice(k, k + 64));
  return words;
}

/** keccak256 of the state's words: the content of its state leaf. */
export function cycleLoanStateHash(s: CycleLoanState): string {
  return keccak256(Buffer.from(cycleLoanStateHex(s), "hex"));
}

/** keccak256 of the words as given (the state leaf's content they claim). */
export function cycleStateWordsHash(words: readonly string[]): string {
  return keccak256(Buffer.from(words.map(bytes32Hex).join(""), "hex"));
}

/** Reads a state from its words; throws naming what is malformed. */
export function decodeCycleLoanState(words: readonly string[]): CycleLoanState {
  const HEAD = CYCLE_STATE_HEAD_WORDS;
  if (!Array.isArray(words) || words.length < HEAD) throw new Error(`state: expected at least ${HEAD} words`);
  const w = words.map((x, i) => {
    try {
      return BigInt("0x" + bytes32Hex(x));
    } catch {
      throw new Error(`state: word ${i} is not a 32-byte hex value`);
    }
  });
  const n = w[16];
  if (BigInt(words.length) !== BigInt(HEAD) + 4n * n)
    throw new Error(`state: ${words.length} words do not hold ${n} funders (${HEAD} + 4 × ${n} expected)`);
  const address = (v: bigint, i: number) => {
    if (v >> 160n !== 0n) throw new Error(`state: word ${i} is not an address`);
    return "0x" + v.toString(16).padStart(40, "0");
  };
  const small = (v: bigint, i: number) => {
    if (v > 255n) throw new Error(`state: word ${i} is out of range`);
    return Number(v);
  };
  const k = Number(n);
  return {
    loanId: w[0],
    pseudonym: words[1].toLowerCase(),
    borrower: address(w[2], 2),
    status: small(w[3], 3),
    loanClass: small(w[4], 4),
    outstanding: w[5],
    cursor: w[6],
    cursorPaid: w[7],
    overdueInterest: w[8],
    surcharge: w[9],
    totalRepaid: w[10],
    disbursedAt: w[11],
    remindedInstallment: w[12],
    remindedAt: w[13],
    defaultedAt: w[14],
    payoffAtDefault: w[15],
    funders: Array.from({ length: k }, (_, i) => ({
      account: address(w[HEAD + i], HEAD + i),
      funded: w[HEAD + k + i],
      principalReturned: w[HEAD + 2 * k + i],
      incomeReceived: w[HEAD + 3 * k + i],
    })),
  };
}

/** Whether the state is a default the court may hear (status Defaulted). */
export function isCycleDefault(s: CycleLoanState): boolean {
  return s.status === LoanStatus.Defaulted;
}

/**
 * A loan's evidence from one batched cycle, checkable offline: the loan's leaves with their
 * inclusion proofs, the close leaf (binding the state root and the settlement) with its proof,
 * and the loan's state leaf with its proof into the state root. The roots themselves are
 * committed on chain (`commitBatch`, majority-endorsed); a bundle's verified batch roots (or the
 * chain's `BatchCommitted` events) close the loop. Collected by `cycleLoanEvidence`
 * (clients/cycle/evidence.ts).
 */
export interface CycleLoanEvidence {
  cycleSubject: string;
  loanId: bigint;
  /** Every leaf of the loan in this cycle, in operation order. */
  leaves: BatchInclusion[];
  /** The cycle's close leaf. */
  close: BatchInclusion;
  /**
   * The loan's state after the cycle, proven into the close leaf's state root, with its words
   * (`cycleLoanStateWords`: they hash to the leaf's content, so the reader sees every balance).
   */
  state: { leaf: BatchLeaf; proof: string[]; words: string[] };
}

const asRecordLeaf = (l: BatchLeaf) => ({ subject: l[0], kind: l[1], contentHash: l[2], attrs: l[3] });

/** The leaf hashes to `leafHash` and its proof reaches `root` (this verifier's own hashing). */
function proves(inc: { leaf: BatchLeaf; leafHash: string; root: string; proof: readonly string[] }): boolean {
  const hash = batchLeafHash(asRecordLeaf(inc.leaf)).toLowerCase();
  return hash === inc.leafHash.toLowerCase() && processProof(hash, inc.proof).toLowerCase() === inc.root.toLowerCase();
}

/**
 * Checks a loan's cycle evidence offline; returns the problems found (empty: it verifies).
 * Every leaf must prove into a root of the cycle, name the loan and lie in the cycle; the close
 * leaf must prove into the last root; the loan's state leaf must prove into the close leaf's
 * state root and equal the state after the loan's last operation in the cycle.
 */
export function verifyCycleLoanEvidence(e: CycleLoanEvidence, committedRoots?: Set<string>): string[] {
  const problems: string[] = [];
  const subject = Subject.loan(e.loanId).toLowerCase();
  const roots = new Set<string>();
  for (const [i, inc] of e.leaves.entries()) {
    if (!proves(inc)) problems.push(`leaf ${i}: inclusion proof does not reach its root`);
    if (inc.leaf[0].toLowerCase() !== subject) problems.push(`leaf ${i}: names another subject`);
    if (inc.batchSubject !== e.cycleSubject) problems.push(`leaf ${i}: from another cycle`);
    roots.add(inc.root.toLowerCase());
  }
  if (!proves(e.close)) problems.push("close leaf: inclusion proof does not reach its root");
  if (e.close.leaf[0].toLowerCase() !== e.cycleSubject.toLowerCase() || e.close.leaf[1] !== Kind.CycleClose) {
    problems.push("close leaf: not this cycle's close leaf");
  }
  roots.add(e.close.root.toLowerCase());
  if (committedRoots) for (const r of roots) if (!committedRoots.has(r)) problems.push(`root ${r} was not committed`);
  const stateRoot = e.close.leaf[3];
  const stateHash = batchLeafHash(asRecordLeaf(e.state.leaf));
  const stateOk = processProof(stateHash, e.state.proof).toLowerCase() === stateRoot.toLowerCase();
  if (stateRoot === ZERO_HASH || !stateOk) problems.push("state: the loan's state does not prove into the state root");
  if (e.state.leaf[0].toLowerCase() !== subject || e.state.leaf[1] !== Kind.CycleLoanState)
    problems.push("state: not this loan's state leaf");
  let words: CycleLoanState | undefined;
  try {
    words = decodeCycleLoanState(e.state.words);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (words && cycleStateWordsHash(e.state.words).toLowerCase() !== e.state.leaf[2].toLowerCase())
    problems.push("state: the words do not hash to the state leaf");
  if (words && words.loanId !== e.loanId) problems.push(`state: the words are loan ${words.loanId}'s`);
  const lastLeaf = e.leaves[e.leaves.length - 1];
  if (lastLeaf && lastLeaf.leaf[3].toLowerCase() !== e.state.leaf[2].toLowerCase()) {
    problems.push("state: differs from the state after the loan's last operation");
  }
  return problems;
}

/** One cycle's evidence of one loan as the bundle carries it (`loanId` a decimal string). */
export interface CycleEvidenceEntry {
  cycleSubject: string;
  loanId: string;
  leaves: BatchInclusion[];
  close: BatchInclusion;
  state: { leaf: BatchLeaf; proof: string[]; words: string[] };
}

/** A bundle with cycle evidence. */
export type CycleBundle = EvidenceBundle & { cycles?: CycleEvidenceEntry[] };

/** Most cycle entries in one bundle, and most leaves of one loan in one cycle. */
export const CYCLE_LIMITS = { entries: 10_000, leaves: 1_024, proofSteps: 64, stateWords: 1_041 } as const;

/** The bundle form of a loan's evidence from one cycle. */
export function cycleEntry(e: CycleLoanEvidence): CycleEvidenceEntry {
  return {
    cycleSubject: e.cycleSubject,
    loanId: e.loanId.toString(),
    leaves: e.leaves.map((l) => ({ ...l, proof: [...l.proof] })),
    close: { ...e.close, proof: [...e.close.proof] },
    state: { leaf: e.state.leaf, proof: [...e.state.proof], words: [...e.state.words] },
  };
}

/** The loan's cycle leaves as `exportLoanBundle`'s `batchProofs` (they bring their batch roots into the bundle). */
export function cycleBatchProofs(evidence: readonly CycleLoanEvidence[]): BatchProofInput[] {
  return evidence.flatMap((e) =>
    e.leaves.map((l) => ({
      batchSubject: e.cycleSubject,
      root: l.root,
      leaf: { subject: l.leaf[0], kind: l.leaf[1], contentHash: l.leaf[2], attrs: l.leaf[3] },
      proof: l.proof,
    })),
  );
}

/** `bundle` with the loan's cycle evidence added (export it with `batchProofs: cycleBatchProofs(evidence)`). */
export function withCycleEvidence(bundle: EvidenceBundle, evidence: readonly CycleLoanEvidence[]): CycleBundle {
  return { ...bundle, cycles: evidence.map(cycleEntry) };
}

const HASH = /^0x[0-9a-fA-F]{64}$/;

function shapeProblem(x: unknown, p: string): string | undefined {
  const isHash = (h: unknown) => typeof h === "string" && HASH.test(h);
  const isLeaf = (l: unknown) => Array.isArray(l) && l.length === 4 && l.every(isHash);
  const isProof = (q: unknown) => Array.isArray(q) && q.length <= CYCLE_LIMITS.proofSteps && q.every(isHash);
  const isInclusion = (i: unknown) => {
    const o = i as Partial<BatchInclusion> | null;
    return (
      typeof o === "object" &&
      o !== null &&
      isHash(o.batchSubject) &&
      isHash(o.root) &&
      isLeaf(o.leaf) &&
      isHash(o.leafHash) &&
      isProof(o.proof)
    );
  };
  const e = x as Partial<CycleEvidenceEntry> | null;
  if (typeof e !== "object" || e === null) return `${p}: not an object`;
  if (!isHash(e.cycleSubject)) return `${p}.cycleSubject: not a 32-byte hash`;
  if (typeof e.loanId !== "string" || !/^[1-9][0-9]{0,77}$/.test(e.loanId)) return `${p}.loanId: not a loan id`;
  if (!Array.isArray(e.leaves) || e.leaves.length === 0 || e.leaves.length > CYCLE_LIMITS.leaves)
    return `${p}.leaves: expected 1 to ${CYCLE_LIMITS.leaves} leaves`;
  const bad = e.leaves.findIndex((l) => !isInclusion(l));
  if (bad >= 0) return `${p}.leaves[${bad}]: not a leaf with its inclusion proof`;
  if (!isInclusion(e.close)) return `${p}.close: not a leaf with its inclusion proof`;
  if (typeof e.state !== "object" || e.state === null || !isLeaf(e.state.leaf) || !isProof(e.state.proof))
    return `${p}.state: not a state leaf with its proof`;
  if (!Array.isArray(e.state.words) || e.state.words.length > CYCLE_LIMITS.stateWords || !e.state.words.every(isHash))
    return `${p}.state.words: expected at most ${CYCLE_LIMITS.stateWords} 32-byte words`;
  return undefined;
}

/**
 * The problems of a bundle's cycle evidence (none: it verifies, or there is none). `rows` are the
 * verifier's verdicts: a cycle's roots count as committed only where the bundle's `batches` hold
 * the root's batch record on the cycle's subject and that record verified (majority-endorsed).
 */
export function checkCycleEvidence(bundle: EvidenceBundle, rows: readonly RecordVerdict[]): string[] {
  const cycles = (bundle as CycleBundle).cycles;
  if (cycles === undefined) return [];
  if (!Array.isArray(cycles) || cycles.length > CYCLE_LIMITS.entries)
    return [`malformed bundle: cycles: expected a list of at most ${CYCLE_LIMITS.entries} entries`];
  const verified = new Set<string>();
  for (const b of bundle.batches) {
    const s = b.subject.toLowerCase();
    const row = rows.find((r) => r.chain === "batch" && r.subject === s && r.index === b.record.index);
    if (row && row.reasons.length === 0) verified.add(`${s}:${b.record.contentHash.toLowerCase()}`);
  }
  const subjects = new Set(bundle.subjects.map((c) => c.subject.toLowerCase()));
  const problems: string[] = [];
  cycles.forEach((x, i) => {
    const malformed = shapeProblem(x, `cycles[${i}]`);
    if (malformed) return problems.push(`malformed bundle: ${malformed}`);
    const e = x as CycleEvidenceEntry;
    const cycle = e.cycleSubject.toLowerCase();
    const label = `cycles[${i}] (loan ${e.loanId}, cycle ${cycle.slice(0, 10)}…)`;
    const loanId = BigInt(e.loanId);
    if (!subjects.has(Subject.loan(loanId).toLowerCase()))
      problems.push(`${label}: loan ${e.loanId} is not a chain of this bundle`);
    const committed = new Set(
      [...verified].filter((k) => k.startsWith(`${cycle}:`)).map((k) => k.slice(cycle.length + 1)),
    );
    const evidence: CycleLoanEvidence = {
      ...e,
      loanId,
      state: { leaf: e.state.leaf, proof: e.state.proof, words: e.state.words },
    };
    for (const p of verifyCycleLoanEvidence(evidence, committed)) {
      problems.push(
        `${label}: ${p.replace(/was not committed$/, "is not a verified batch root of the cycle in this bundle")}`,
      );
    }
  });
  return problems;
}
