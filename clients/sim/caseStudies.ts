import { Outcome } from "../arbitration";

/**
 * The court's case studies (issue 10) as the driver's borrower behaviour: which claim adds
 * collection costs, which borrower settles while its case runs, which loan in collection is
 * cured, and how a borrower pays against an award. The one plan both the in-process demo
 * (`lendingScenario.ts`) and network mode (the lead, arbitrator and borrowers processes) follow,
 * so one seed gives the same cases, awards and money in both. Every figure still comes from the
 * contracts and the role nodes; this only says who does what, and when.
 */
export interface CaseStudyOptions {
  /** The case studies are on (default). Off: cases are claimed at the payoff and nobody pays against them. */
  caseStudies?: boolean;
  /** Most arbitration cases the run opens. */
  maxCases: number;
}

const on = (o: CaseStudyOptions): boolean => o.caseStudies !== false;

/**
 * Collection costs the `k`-th case (0-based, in the court's order) claims on top of the payoff:
 * the first claim adds 5% the contract does not provide for (so the award is partly upheld).
 */
export function claimedCosts(o: CaseStudyOptions, k: number, payoff: bigint): bigint {
  return on(o) && k === 0 ? payoff / 20n : 0n;
}

/** Whether the borrower of the `k`-th case settles in full while it runs (the case is then dismissed). */
export function settlesDuringCase(o: CaseStudyOptions, k: number): boolean {
  return on(o) && k === 1;
}

/**
 * What the borrower pays against an award, in order: 40% first, then (when the court closes cases
 * on satisfaction) the rest, which closes the loan and the case. Empty: it pays nothing (case
 * studies off, or a dismissed case).
 */
export function awardPayments(o: CaseStudyOptions, outcome: Outcome, award: bigint, courtCloses: boolean): bigint[] {
  if (!on(o) || outcome === Outcome.Dismissed) return [];
  const first = (award * 2n) / 5n;
  return (courtCloses ? [first, award - first] : [first]).filter((p) => p > 0n);
}

/** A loan as the cure decision sees it. */
export interface CureCandidate {
  id: bigint;
  defaulted: boolean;
  collecting: boolean;
  inCase: boolean;
  closed: boolean;
}

/**
 * Once a run, at a month's close after collection and before cases: the borrower of the first
 * loan (by id) in collection, not in a case, pays every arrear, which cures it. Not when the run
 * may take a single case (a cured borrower who defaults again comes back). Undefined: nobody cures.
 */
export function cureCandidate<L extends CureCandidate>(
  o: CaseStudyOptions,
  curedSoFar: number,
  loans: readonly L[],
): L | undefined {
  if (!on(o) || curedSoFar > 0 || o.maxCases < 2) return undefined;
  return [...loans]
    .sort((a, b) => Number(a.id - b.id))
    .find((l) => l.defaulted && l.collecting && !l.inCase && !l.closed);
}
