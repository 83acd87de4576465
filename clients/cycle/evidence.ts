import { Subject } from "../core/types";
import { type CycleLoanEvidence, cycleLoanStateWords } from "../evidence/cycle";
import type { BatchInclusion } from "../ledger/batch";
import { Replayed, cycleLoanState, loanStateHash } from "./model";

export type { CycleLoanEvidence } from "../evidence/cycle";

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
  return {
    cycleSubject,
    loanId,
    leaves,
    close,
    state: { leaf: stateLeaf, proof: tree.proof(index), words: cycleLoanStateWords(cycleLoanState(loan)) },
  };
}

/** The offline check lives with the evidence verifier (it must not load the node code). */
export { verifyCycleLoanEvidence } from "../evidence/cycle";
