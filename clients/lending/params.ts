import type { ILoanBook } from "../../typechain-types/contracts/lending/LoanBook";

/** One CNY in settlement-token units (fen). */
export const CNY = 100n;

/** `yuan` CNY in token units. */
export function cny(yuan: number | bigint): bigint {
  if (typeof yuan === "number" && !Number.isSafeInteger(yuan)) throw new RangeError(`not a whole CNY amount: ${yuan}`);
  return BigInt(yuan) * CNY;
}

/** Loan lengths the consortium offers. */
export const ALLOWED_PERIODS = [5, 10, 20] as const;

/** Default shares of a loan: the lead funds 20% and takes 30% of the interest. */
export const DEFAULT_SHARES = { leadFundingBps: 2_000, leadInterestBps: 3_000 } as const;

/**
 * The consortium's lending rules, fixed at deployment: credit-limit bounds (registry) and the
 * loan book's `Params`. Amounts in token units, periods in seconds or days as named.
 */
export interface LendingParams {
  /** Smallest credit limit (default 500 CNY). */
  minCreditLimit: bigint;
  /** Largest credit limit (default 300,000 CNY). */
  maxCreditLimit: bigint;
  /** Smallest loan (default 100 CNY). */
  minDrawdown: bigint;
  /** Largest single drawdown (default 40,000 CNY). */
  maxDrawdown: bigint;
  /** Each partner's committed plus outstanding principal, at most (default 5,000,000 CNY). */
  partnerExposureCap: bigint;
  /** Seconds a reminder must go unanswered before default may be declared (default 24 h). */
  reminderWindow: number;
  /** Highest annual rate in basis points (default 2,400 = 24%). */
  maxRateBps: number;
  /** Longest period in days (default 92). */
  maxPeriodDays: number;
  /** Lead bank's funding share, at least (default 10%). */
  minLeadFundingBps: number;
  /** Partners' funding share, at least (default 50%): the partners really share the risk. */
  partnerFundingFloorBps: number;
  /** Lead bank's interest share, at most (default 50%). */
  maxLeadInterestBps: number;
  /** Surcharge on overdue interest (default 50%). */
  surchargeBps: number;
  /** Days past due from which a loan is special mention (default 1). */
  specialMentionDays: number;
  /** ... substandard (default 60, tightened from 90 in 2019). */
  substandardDays: number;
  /** ... doubtful (default 90). */
  doubtfulDays: number;
  /** ... loss (default 180). */
  lossDays: number;
  /** Funders per loan, the lead included (default 20). */
  maxFunders: number;
  /** Days after the reminder before a defaulted loan may go to outsourced collection (default 30). */
  reminderStageDays: number;
  /** Days of outsourced collection before a case may be filed (default 30). */
  collectionStageDays: number;
  /** Loan-loss provision rates by class, basis points (defaults 0 / 2% / 25% / 50% / 100%). */
  provisionNormalBps: number;
  provisionSpecialMentionBps: number;
  provisionSubstandardBps: number;
  provisionDoubtfulBps: number;
  provisionLossBps: number;
}

export const DEFAULT_LENDING_PARAMS: Readonly<LendingParams> = Object.freeze({
  minCreditLimit: cny(500),
  maxCreditLimit: cny(300_000),
  minDrawdown: cny(100),
  maxDrawdown: cny(40_000),
  partnerExposureCap: cny(5_000_000),
  reminderWindow: 24 * 3_600,
  maxRateBps: 2_400,
  maxPeriodDays: 92,
  minLeadFundingBps: 1_000,
  partnerFundingFloorBps: 5_000,
  maxLeadInterestBps: 5_000,
  surchargeBps: 5_000,
  specialMentionDays: 1,
  substandardDays: 60,
  doubtfulDays: 90,
  lossDays: 180,
  maxFunders: 20,
  reminderStageDays: 30,
  collectionStageDays: 30,
  provisionNormalBps: 0,
  provisionSpecialMentionBps: 200,
  provisionSubstandardBps: 2_500,
  provisionDoubtfulBps: 5_000,
  provisionLossBps: 10_000,
});

/** Defaults overridden by `overrides`. */
export function lendingParams(overrides: Partial<LendingParams> = {}): LendingParams {
  return { ...DEFAULT_LENDING_PARAMS, ...overrides };
}

/** The fields of the loan book's constructor `Params`, in order. */
export const LOAN_BOOK_PARAM_KEYS = [
  "minDrawdown",
  "maxDrawdown",
  "partnerExposureCap",
  "reminderWindow",
  "maxRateBps",
  "maxPeriodDays",
  "minLeadFundingBps",
  "partnerFundingFloorBps",
  "maxLeadInterestBps",
  "surchargeBps",
  "specialMentionDays",
  "substandardDays",
  "doubtfulDays",
  "lossDays",
  "maxFunders",
  "reminderStageDays",
  "collectionStageDays",
  "provisionNormalBps",
  "provisionSpecialMentionBps",
  "provisionSubstandardBps",
  "provisionDoubtfulBps",
  "provisionLossBps",
] as const;
export type LoanBookParamKey = (typeof LOAN_BOOK_PARAM_KEYS)[number];

/** The loan book's parameters picked out of any object that has them (`LendingParams`, `params()`). */
export function pickLoanBookParams<T>(source: Record<LoanBookParamKey, T>): Record<LoanBookParamKey, T> {
  return Object.fromEntries(LOAN_BOOK_PARAM_KEYS.map((k) => [k, source[k]])) as Record<LoanBookParamKey, T>;
}

/** The loan book's constructor `Params` from `LendingParams`. */
export function loanBookParams(p: LendingParams): ILoanBook.ParamsStruct {
  return pickLoanBookParams<bigint | number>(p);
}
