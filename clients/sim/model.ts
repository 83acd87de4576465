/**
 * Network mode's interim model (clients/network/roles.ts and config.ts still use it): a credit rule
 * in CNY, a pseudonym function and copied constants. The demo does not use it: it runs on the
 * lending clients (clients/lending) and the contracts. Delete this file when network mode runs on
 * the role nodes (issue 9, branch `network`).
 */
import { createHmac } from "node:crypto";
import { AbiCoder, keccak256 } from "ethers";
import { installment, overdueInterest, schedule, splitByWeights as splitWeights, surcharge } from "../lending/math";
import { Applicant } from "./borrowers";

export { Applicant, BEHAVIOUR_WEIGHTS, Behaviour, RepaymentPlan, makeApplicant, planRepayments } from "./borrowers";

/** Settlement-token units per CNY (2 decimals: 1 unit = 1 fen). */
export const UNITS_PER_CNY = 100n;
export const DAY = 86_400;
/** One repayment period: a 30-day month. */
export const PERIOD = 30 * DAY; // keep equal to PERIOD_DAYS days
/** Credit limits and single drawdowns (DOMAIN.md "Credit and admission"). */
export const MIN_LIMIT = 500n * UNITS_PER_CNY;
export const MAX_LIMIT = 300_000n * UNITS_PER_CNY;
export const MAX_DRAWDOWN = 40_000n * UNITS_PER_CNY;
/** Funding 20% lead / 80% partners; interest 30% lead / 70% partners (basis points). */
export const LEAD_FUNDING_BPS = 2_000n;
export const LEAD_INTEREST_BPS = 3_000n;
/** Overdue surcharge: 50% of the interest accrued while overdue. */
export const SURCHARGE_BPS = 5_000n;
/** Days past due at which a loan becomes special mention, substandard, doubtful, loss. */
export const CLASS_THRESHOLDS = [1, 60, 90, 180] as const;

/** The outcome of scoring an application. */
export interface CreditDecision {
  approved: boolean;
  /** Credit limit in token units (0 if refused). */
  limit: bigint;
  reason: string;
}

/**
 * The lead bank's decision function: score, income and multi-head exposure decide, and the same
 * inputs let every partner recompute it. Multi-head borrowing is an input, not a rejection:
 * small outside exposure with a good score still gets a (smaller) limit.
 */
export function decideCredit(a: Applicant): CreditDecision {
  const minScore = a.delinquent ? 700 : 560;
  if (a.score < minScore) return { approved: false, limit: 0n, reason: `score ${a.score} below ${minScore}` };
  if (a.outsideLenders >= 3 && a.outsideExposureCny > 3 * a.monthlyIncomeCny) {
    return { approved: false, limit: 0n, reason: `multi-head: ${a.outsideLenders} lenders, exposure too high` };
  }
  // Limit: a multiple of income growing with the score, cut by outside exposure.
  const multiple = 1 + (a.score - 560) / 58; // 1x at 560, 6x at 850
  let cny = Math.floor(a.monthlyIncomeCny * multiple) - Math.floor(a.outsideExposureCny / 2);
  if (a.outsideLenders > 0) cny = Math.floor(cny / (1 + a.outsideLenders));
  cny = Math.floor(cny / 100) * 100;
  if (cny < 500) return { approved: false, limit: 0n, reason: "limit would be under 500 CNY" };
  const limit = BigInt(Math.min(cny, 300_000)) * UNITS_PER_CNY;
  return {
    approved: true,
    limit,
    reason: a.outsideLenders > 0 ? `multi-head (${a.outsideLenders}) admitted on record` : "ok",
  };
}

/** Borrower pseudonym: HMAC-SHA256 of the identity under the consortium secret. */
export function pseudonymOf(secret: string, identity: string): string {
  return "0x" + createHmac("sha256", secret).update(identity).digest("hex");
}

/** Days per repayment period. */
export const PERIOD_DAYS = 30;

/** Equal installment (等额本息) for `principal` at `rateBps` a year over `periods` 30-day periods. */
export function installmentOf(principal: bigint, rateBps: bigint, periods: number): bigint {
  return installment(principal, rateBps, periods, PERIOD_DAYS);
}

/** One installment: principal and interest parts. */
export interface Installment {
  principal: bigint;
  interest: bigint;
}

/** The full annuity schedule (the lending library's, bit-exact with the contracts'). */
export function scheduleOf(principal: bigint, rateBps: bigint, periods: number): Installment[] {
  return schedule(principal, rateBps, periods, PERIOD_DAYS).map((r) => ({
    principal: r.principal,
    interest: r.interest,
  }));
}

/** Overdue interest and the 50% surcharge on it, for `amount` paid `days` late at `rateBps` a year. */
export function overdueCharge(amount: bigint, rateBps: bigint, days: number): { interest: bigint; surcharge: bigint } {
  if (days <= 0) return { interest: 0n, surcharge: 0n };
  const interest = overdueInterest(amount, rateBps, days);
  return { interest, surcharge: surcharge(interest, SURCHARGE_BPS) };
}

/** Splits `amount` in proportion to `weights`, exactly (largest remainders get the leftover units). */
export function splitByWeights(amount: bigint, weights: readonly bigint[]): bigint[] {
  return splitWeights(amount, weights);
}

/** Five-category class from days past due. */
export function classOf(daysPastDue: number): number {
  let c = 0;
  for (const t of CLASS_THRESHOLDS) if (daysPastDue >= t) c++;
  return c;
}

/** Subject of a borrower's chain (credit decisions), by pseudonym. */
export function borrowerSubject(pseudonym: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["string", "bytes32"], ["colend.borrower", pseudonym]));
}
