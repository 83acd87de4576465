import { Kind, Subject, ZERO_HASH } from "../core/types";
import { BatchInclusion, batchLeafHash, verifyInclusion } from "../ledger/batch";
import { Replayed, loanStateHash } from "./model";

/**
 * A loan's evidence from one batched cycle, checkable offline: the loan's leaves with their
 * inclusion proofs, the close leaf (binding the state root and the settlement) with its proof,
 * and the loan's state leaf with its proof into the state root. The roots themselves are
 * committed on chain (`commitBatch`, majority-endorsed); an offline check against the chain's
 * `BatchCommitted` events or a bundle's batch roots closes the loop.
 */
export interface CycleLoanEvidence {
  cycleSubject: string;
  loanId: bigint;
  /** Every leaf of the loan in this cycle, in operation order. */
  leaves: BatchInclusion[];
  /** The cycle's close leaf. */
  close: BatchInclusion;
  /** The loan's state after the cycle, proven into the close leaf's state root. */
  state: { leaf: [string, string, string, string]; proof: string[] };
}

/** Collects loan `loanId`'s evidence from a replayed (committed) cycle. */
export function cycleLoanEvidence(cycleSubject: string, replayed: Replayed, loanId: bigint): CycleLoanEvidence {
  const subject = Subject.loan(loanId).toLowerCase();
  const leaves: BatchInclusion[] = [];
  for (const tree of replayed.trees) {
    for (let i = 0; i < tree.leaves.length; i++) {
      if (tree.leaves[i][0] !== subject) continue;
      leaves.push({
        batchSubject: cycleSubject,
        root: tree.root,
        leaf: tree.leaves[i],
        leafHash: tree.leafHash(i),
        proof: tree.proof(i),
      });
    }
  }
  if (leaves.length === 0) throw new Error(`loan ${loanId} has no leaf in this cycle`);
  const last = replayed.trees[replayed.trees.length - 1];
  const c = last.leaves.length - 1;
  const close = {
    batchSubject: cycleSubject,
    root: last.root,
    leaf: last.leaves[c],
    leafHash: last.leafHash(c),
    proof: last.proof(c),
  };
  const loan = replayed.book.loans.get(loanId)!;
  const tree = replayed.stateTree;
  if (!tree) throw new Error("the cycle touched no loan");
  const index = tree.leaves.findIndex((l) => l[0] === subject);
  const stateLeaf = tree.leaves[index];
  if (stateLeaf[2] !== loanStateHash(loan)) throw new Error("state tree does not hold the loan's state");
  return { cycleSubject, loanId, leaves, close, state: { leaf: stateLeaf, proof: tree.proof(index) } };
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
    if (!verifyInclusion(inc)) problems.push(`leaf ${i}: inclusion proof does not reach its root`);
    if (inc.leaf[0].toLowerCase() !== subject) problems.push(`leaf ${i}: names another subject`);
    if (inc.batchSubject !== e.cycleSubject) problems.push(`leaf ${i}: from another cycle`);
    roots.add(inc.root.toLowerCase());
  }
  if (!verifyInclusion(e.close)) problems.push("close leaf: inclusion proof does not reach its root");
  if (e.close.leaf[0].toLowerCase() !== e.cycleSubject.toLowerCase() || e.close.leaf[1] !== Kind.CycleClose) {
    problems.push("close leaf: not this cycle's close leaf");
  }
  roots.add(e.close.root.toLowerCase());
  if (committedRoots) for (const r of roots) if (!committedRoots.has(r)) problems.push(`root ${r} was not committed`);
  const stateRoot = e.close.leaf[3];
  const stateOk = verifyInclusion({
    batchSubject: e.cycleSubject,
    root: stateRoot,
    leaf: e.state.leaf,
    leafHash: batchLeafHash(e.state.leaf),
    proof: e.state.proof,
  });
  if (stateRoot === ZERO_HASH || !stateOk) problems.push("state: the loan's state does not prove into the state root");
  if (e.state.leaf[0].toLowerCase() !== subject || e.state.leaf[1] !== Kind.CycleLoanState)
    problems.push("state: not this loan's state leaf");
  const lastLeaf = e.leaves[e.leaves.length - 1];
  if (lastLeaf && lastLeaf.leaf[3].toLowerCase() !== e.state.leaf[2].toLowerCase()) {
    problems.push("state: differs from the state after the loan's last operation");
  }
  return problems;
}
