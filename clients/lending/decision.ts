import { cny } from "./params";

/**
 * The credit decision rule (贷前). Multi-head borrowing is an input, not a verdict: a borrower
 * with loans elsewhere gets a smaller limit, and at many institutions only a small amount with a
 * record of on-time repayment; a listed (delinquent) borrower needs a much stronger case and gets
 * a much smaller limit. Partner banks run the same function on the inputs the lead bank attached
 * to its decision record, after checking the registry-derived inputs against the chain.
 */

/** What the decision is made on. */
export interface CreditInputs {
  /** Scoring-model output, 0..1000. */
  score: number;
  /** Limit asked for (or proposed by the lead bank), token units. */
  requestedLimit: bigint;
  /** Distinct institutions with an active loan to the borrower (registry `multiHead.institutions`). */
  multiHeadCount: number;
  /** Outstanding principal at institutions outside the consortium (registry `multiHead.outsideExposure`). */
  outsideExposure: bigint;
  /** Outstanding principal of the consortium's own loans to the borrower (registry `multiHead.consortiumExposure`; default 0). */
  consortiumExposure?: bigint;
  /** Whether the borrower was ever listed delinquent (失信名单). */
  delinquent: boolean;
  /** Consecutive months of on-time repayment on record (0 if none). */
  onTimeMonths: number;
}

/** The policy's numbers. */
export interface CreditPolicy {
  minLimit: bigint;
  maxLimit: bigint;
  /** Scores below this are declined. */
  minScore: number;
  /** Score at which the full limit range opens. */
  topScore: number;
  /** From this many institutions on, only a small limit with an on-time record. */
  heavyMultiHead: number;
  /** The small limit a heavily multi-headed borrower can still get. */
  smallLimit: bigint;
  /** Months of on-time repayment that make a small amount acceptable despite multi-head. */
  onTimeMonthsForSmall: number;
  /** Total exposure (elsewhere plus this limit) at most this multiple of the score-based limit. */
  exposureMultiple: bigint;
  /** Delinquent borrowers: minimum score, on-time months since, and the limit cap. */
  delinquentMinScore: number;
  delinquentOnTimeMonths: number;
  delinquentMaxLimit: bigint;
}

export const DEFAULT_CREDIT_POLICY: Readonly<CreditPolicy> = Object.freeze({
  minLimit: cny(500),
  maxLimit: cny(300_000),
  minScore: 600,
  topScore: 1_000,
  heavyMultiHead: 4,
  smallLimit: cny(5_000),
  onTimeMonthsForSmall: 6,
  exposureMultiple: 2n,
  delinquentMinScore: 750,
  delinquentOnTimeMonths: 12,
  delinquentMaxLimit: cny(10_000),
});

/** Outcome of a decision. */
export interface CreditDecision {
  approved: boolean;
  /** Limit granted (0 when declined), token units. */
  limit: bigint;
  /** Which branch of the rule applied. */
  tier: "standard" | "multi-head" | "small" | "delinquent" | "declined";
  /** Why, in words, for the decision record. */
  reasons: string[];
}

function checkInputs(i: CreditInputs): void {
  if (!Number.isInteger(i.score) || i.score < 0 || i.score > 1_000) throw new RangeError(`score must be 0..1000`);
  if (!Number.isInteger(i.multiHeadCount) || i.multiHeadCount < 0) throw new RangeError("multiHeadCount must be >= 0");
  if (!Number.isInteger(i.onTimeMonths) || i.onTimeMonths < 0) throw new RangeError("onTimeMonths must be >= 0");
  if (i.requestedLimit <= 0n) throw new RangeError("requestedLimit must be positive");
  if (i.outsideExposure < 0n) throw new RangeError("outsideExposure must be >= 0");
  if ((i.consortiumExposure ?? 0n) < 0n) throw new RangeError("consortiumExposure must be >= 0");
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Decides whether to whitelist a borrower and with what limit. */
export function decideCredit(inputs: CreditInputs, policy: CreditPolicy = DEFAULT_CREDIT_POLICY): CreditDecision {
  checkInputs(inputs);
  const reasons: string[] = [];
  const decline = (why: string): CreditDecision => ({
    approved: false,
    limit: 0n,
    tier: "declined",
    reasons: [...reasons, why],
  });
  if (inputs.score < policy.minScore) return decline(`score ${inputs.score} below ${policy.minScore}`);

  // Score-based limit: the bottom of the range at minScore, the top at topScore.
  const span = BigInt(Math.min(inputs.score, policy.topScore) - policy.minScore);
  const range = BigInt(policy.topScore - policy.minScore);
  const base = policy.minLimit + ((policy.maxLimit - policy.minLimit) * span) / range;
  let limit = min(base, inputs.requestedLimit);
  let tier: CreditDecision["tier"] = "standard";
  reasons.push(`score ${inputs.score}: score-based limit ${base}`);

  if (inputs.multiHeadCount >= 2) {
    tier = "multi-head";
    reasons.push(`borrowing at ${inputs.multiHeadCount} institutions`);
    if (inputs.multiHeadCount >= policy.heavyMultiHead) {
      if (inputs.onTimeMonths < policy.onTimeMonthsForSmall) {
        return decline(`${inputs.multiHeadCount} institutions and under ${policy.onTimeMonthsForSmall} months on time`);
      }
      tier = "small";
      limit = min(limit, policy.smallLimit);
      reasons.push(`small amount only, ${inputs.onTimeMonths} months repaid on time`);
    } else {
      limit = min(limit, base / BigInt(inputs.multiHeadCount));
    }
    const exposure = inputs.outsideExposure + (inputs.consortiumExposure ?? 0n);
    const room = base * policy.exposureMultiple - exposure;
    if (room <= 0n) return decline(`exposure ${exposure} leaves no room`);
    limit = min(limit, room);
  }

  if (inputs.delinquent) {
    tier = "delinquent";
    reasons.push("listed delinquent");
    if (inputs.score < policy.delinquentMinScore) {
      return decline(`delinquent with score under ${policy.delinquentMinScore}`);
    }
    if (inputs.onTimeMonths < policy.delinquentOnTimeMonths) {
      return decline(`delinquent with under ${policy.delinquentOnTimeMonths} months on time since`);
    }
    if (inputs.multiHeadCount >= 2) return decline("delinquent and borrowing at several institutions");
    limit = min(limit, min(base / 5n, policy.delinquentMaxLimit));
  }

  if (limit < policy.minLimit) return decline(`limit ${limit} below the minimum ${policy.minLimit}`);
  return { approved: true, limit, tier, reasons };
}
