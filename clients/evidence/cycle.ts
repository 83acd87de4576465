import { Subject } from "../core/types";
import type { BatchInclusion, BatchLeaf } from "../ledger/batch";
import { CycleLoanEvidence, verifyCycleLoanEvidence } from "../cycle/evidence";
import type { EvidenceBundle } from "./bundle";
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

/** One cycle's evidence of one loan as the bundle carries it (`loanId` a decimal string). */
export interface CycleEvidenceEntry {
  cycleSubject: string;
  loanId: string;
  leaves: BatchInclusion[];
  close: BatchInclusion;
  state: { leaf: BatchLeaf; proof: string[] };
}

/** A bundle with cycle evidence. */
export type CycleBundle = EvidenceBundle & { cycles?: CycleEvidenceEntry[] };

/** Most cycle entries in one bundle, and most leaves of one loan in one cycle. */
export const CYCLE_LIMITS = { entries: 10_000, leaves: 1_024, proofSteps: 64 } as const;

/** The bundle form of a loan's evidence from one cycle. */
export function cycleEntry(e: CycleLoanEvidence): CycleEvidenceEntry {
  return {
    cycleSubject: e.cycleSubject,
    loanId: e.loanId.toString(),
    leaves: e.leaves.map((l) => ({ ...l, proof: [...l.proof] })),
    close: { ...e.close, proof: [...e.close.proof] },
    state: { leaf: e.state.leaf, proof: [...e.state.proof] },
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
    const evidence: CycleLoanEvidence = { ...e, loanId, state: { leaf: e.state.leaf, proof: e.state.proof } };
    for (const p of verifyCycleLoanEvidence(evidence, committed)) {
      problems.push(
        `${label}: ${p.replace(/was not committed$/, "is not a verified batch root of the cycle in this bundle")}`,
      );
    }
  });
  return problems;
}
