/**
 * Money math, mirrored bit for bit from contracts/lending/AnnuityMath.sol and SplitMath.sol.
 *
 * Amounts are bigint units of the settlement token: 2 decimals, 1 unit = 1 fen = 0.01 CNY.
 * Every function returns exactly what the Solidity library returns, and throws where it reverts
 * (`TermsDoNotAmortizeError` for `TermsDoNotAmortize`, `RowOutOfRangeError`, `InvalidWeightsError`,
 * `InvalidBpsError`, and `RangeError` where Solidity would panic on an overflow). Rules and a
 * worked example: docs/MONEY.md.
 */

/** Basis points in 100%. */
export const BPS = 10_000n;
/** Day count: daily rate = annual rate / 360 (Chinese practice, docs/MONEY.md). */
export const DAYS_PER_YEAR = 360n;
/** Denominator of every rate fraction: BPS * DAYS_PER_YEAR. */
export const RATE_DENOMINATOR = BPS * DAYS_PER_YEAR;
/** Extra fixed-point digits used for (1 + r)^n - 1. */
export const PRECISION = 10n ** 40n;
/** Fixed-point scale of (1 + r)^n - 1; a multiple of RATE_DENOMINATOR so r is exact. */
export const SCALE = RATE_DENOMINATOR * PRECISION;
/** Largest principal accepted (units). */
export const MAX_PRINCIPAL = 10n ** 36n;
/** Largest annual rate accepted, in basis points (360% a year). */
export const MAX_RATE_BPS = 36_000n;
/** Most periods accepted. */
export const MAX_PERIODS = 3_650n;
/** Longest period accepted, in days. */
export const MAX_PERIOD_DAYS = 3_660n;
/** Largest accepted (1 + r)^n - 1. */
export const MAX_GROWTH = 10n ** 12n;
/** Default overdue surcharge: 50% of the overdue interest. */
export const DEFAULT_SURCHARGE_BPS = 5_000n;
/** One more than the largest uint256. */
const UINT256_LIMIT = 1n << 256n;

/** An integer argument: bigint, or a safe integer number. */
export type IntLike = bigint | number;

/** Loan terms, as the Solidity library takes them. */
export interface LoanTerms {
  principal: IntLike; // units (fen)
  annualRateBps: IntLike; // annual rate in basis points
  periods: IntLike; // number of installments
  periodDays: IntLike; // days per period
}

/** One row of a repayment schedule. `rows[k]` is Solidity's `scheduleRow(..., k)`. */
export interface ScheduleRow {
  period: number; // 1-based period number (row k has period k + 1)
  principal: bigint; // principal repaid in this period
  interest: bigint; // interest paid in this period
  payment: bigint; // principal + interest
  balanceAfter: bigint; // principal still owed after this period
}

/**
 * Mirror of `TermsDoNotAmortize(principal, annualRateBps, periods, periodDays)` (contracts/common/Errors.sol),
 * which AnnuityMath reverts with. Terms outside the consortium's bounds are another error, the loan
 * book's `TermsOutOfBounds(periods, periodDays, annualRateBps)`.
 */
export class TermsDoNotAmortizeError extends Error {
  override readonly name = "TermsDoNotAmortize";
  constructor(
    readonly principal: bigint,
    readonly annualRateBps: bigint,
    readonly periods: bigint,
    readonly periodDays: bigint,
    reason: string,
  ) {
    super(
      `TermsDoNotAmortize(principal=${principal}, annualRateBps=${annualRateBps}, periods=${periods}, ` +
        `periodDays=${periodDays}): ${reason}`,
    );
  }
}

/** Mirror of `AnnuityMath.RowOutOfRange(k, periods)`. */
export class RowOutOfRangeError extends Error {
  override readonly name = "RowOutOfRange";
  constructor(
    readonly k: bigint,
    readonly periods: bigint,
  ) {
    super(`RowOutOfRange(k=${k}, periods=${periods}): a schedule of ${periods} rows has rows 0..${periods - 1n}`);
  }
}

/** Mirror of `SplitMath.InvalidWeights(count, totalWeight)`. */
export class InvalidWeightsError extends Error {
  override readonly name = "InvalidWeights";
  constructor(
    readonly count: bigint,
    readonly totalWeight: bigint,
  ) {
    super(`InvalidWeights(count=${count}, totalWeight=${totalWeight}): weights must be non-empty with a positive sum`);
  }
}

/** Mirror of `SplitMath.InvalidBps(bps)`. */
export class InvalidBpsError extends Error {
  override readonly name = "InvalidBps";
  constructor(readonly bps: bigint) {
    super(`InvalidBps(bps=${bps}): a basis-point share must be at most ${BPS}`);
  }
}

/** Converts to a uint256 bigint, or throws a RangeError naming the argument. */
function uint(value: IntLike, name: string): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(`${name} must be an integer, got ${value}`);
  }
  const v = BigInt(value);
  if (v < 0n || v >= UINT256_LIMIT) throw new RangeError(`${name} must be a uint256, got ${v}`);
  return v;
}

/** Solidity's checked multiplication: throws where it would panic (0x11). */
function mul(a: bigint, b: bigint, what: string): bigint {
  const p = a * b;
  if (p >= UINT256_LIMIT) throw new RangeError(`${what} overflows uint256`);
  return p;
}

/** OpenZeppelin `Math.mulDiv` (floor): throws where it would panic. */
function mulDiv(x: bigint, y: bigint, d: bigint, what: string): bigint {
  const q = (x * y) / d;
  if (q >= UINT256_LIMIT) throw new RangeError(`${what} overflows uint256`);
  return q;
}

/** Ceiling of a / b for a >= 0, b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

/** Interest owed for one period on `balance`: floor(balance * annualRateBps * periodDays / (BPS * DAYS_PER_YEAR)). */
export function periodInterest(balance: IntLike, annualRateBps: IntLike, periodDays: IntLike): bigint {
  const b = uint(balance, "balance");
  const rate = uint(annualRateBps, "annualRateBps");
  const days = uint(periodDays, "periodDays");
  return mulDiv(b, mul(rate, days, "annualRateBps * periodDays"), RATE_DENOMINATOR, "periodInterest");
}

/** Overdue (penalty) interest for `daysLate` days on `amountDue`: floor(amountDue * annualRateBps * daysLate / (BPS * DAYS_PER_YEAR)). */
export function overdueInterest(amountDue: IntLike, annualRateBps: IntLike, daysLate: IntLike): bigint {
  const due = uint(amountDue, "amountDue");
  const rate = uint(annualRateBps, "annualRateBps");
  const late = uint(daysLate, "daysLate");
  return mulDiv(due, mul(rate, late, "annualRateBps * daysLate"), RATE_DENOMINATOR, "overdueInterest");
}

/** Overdue surcharge: floor(overdueInterest * surchargeBps / BPS) (default 5_000 = 50%). */
export function surcharge(overdueInterestAmount: IntLike, surchargeBps: IntLike = DEFAULT_SURCHARGE_BPS): bigint {
  return mulDiv(uint(overdueInterestAmount, "overdueInterest"), uint(surchargeBps, "surchargeBps"), BPS, "surcharge");
}

interface Terms {
  principal: bigint;
  rate: bigint;
  periods: bigint;
  days: bigint;
}

function terms(principal: IntLike, annualRateBps: IntLike, periods: IntLike, periodDays: IntLike): Terms {
  return {
    principal: uint(principal, "principal"),
    rate: uint(annualRateBps, "annualRateBps"),
    periods: uint(periods, "periods"),
    days: uint(periodDays, "periodDays"),
  };
}

function invalid(t: Terms, reason: string): TermsDoNotAmortizeError {
  return new TermsDoNotAmortizeError(t.principal, t.rate, t.periods, t.days, reason);
}

/** (1 + r)^n - 1 at SCALE, rounding every product down; 0 if above MAX_GROWTH (as `_growth`). */
function growth(rate: bigint, n: bigint): bigint {
  const limit = MAX_GROWTH * SCALE;
  let acc = 0n;
  let base = rate;
  for (;;) {
    if ((n & 1n) === 1n) {
      acc = acc + base + (acc * base) / SCALE;
      if (acc > limit) return 0n;
    }
    n >>= 1n;
    if (n === 0n) return acc;
    base = 2n * base + (base * base) / SCALE;
    if (base > limit) return 0n;
  }
}

/** The installment before the amortization check (as `_installment`). */
function rawInstallment(t: Terms): bigint {
  if (t.principal === 0n) throw invalid(t, "principal must be positive");
  if (t.principal > MAX_PRINCIPAL) throw invalid(t, `principal must be at most ${MAX_PRINCIPAL}`);
  if (t.rate > MAX_RATE_BPS) throw invalid(t, `annualRateBps must be at most ${MAX_RATE_BPS}`);
  if (t.periods === 0n) throw invalid(t, "periods must be positive");
  if (t.periods > MAX_PERIODS) throw invalid(t, `periods must be at most ${MAX_PERIODS}`);
  if (t.days === 0n) throw invalid(t, "periodDays must be positive");
  if (t.days > MAX_PERIOD_DAYS) throw invalid(t, `periodDays must be at most ${MAX_PERIOD_DAYS}`);
  if (t.rate === 0n) return ceilDiv(t.principal, t.periods);
  const numerator = t.rate * t.days;
  const g = growth(numerator * PRECISION, t.periods);
  if (g === 0n) throw invalid(t, `(1 + r)^n - 1 exceeds ${MAX_GROWTH}`);
  return ceilDiv(t.principal * numerator * (SCALE + g), RATE_DENOMINATOR * g);
}

/** Walks the whole schedule (as `_walk`), throwing if it does not amortize. */
function walk(t: Terms, amount: bigint): ScheduleRow[] {
  const rows: ScheduleRow[] = [];
  let balance = t.principal;
  for (let i = 0n; i < t.periods; i++) {
    const interest = mulDiv(balance, t.rate * t.days, RATE_DENOMINATOR, "periodInterest");
    let part = balance;
    if (i + 1n < t.periods) {
      if (interest >= amount || amount - interest >= balance) {
        throw invalid(t, `the schedule repays the whole principal before its last row (row ${i})`);
      }
      part = amount - interest;
    }
    balance -= part;
    rows.push({ period: Number(i) + 1, principal: part, interest, payment: part + interest, balanceAfter: balance });
  }
  return rows;
}

/** Equal installment (principal + interest) for every period but the last, rounded up to the unit. */
export function installment(principal: IntLike, annualRateBps: IntLike, periods: IntLike, periodDays: IntLike): bigint {
  const t = terms(principal, annualRateBps, periods, periodDays);
  const amount = rawInstallment(t);
  walk(t, amount);
  return amount;
}

/** The whole schedule, one row per period; the last row takes the remaining balance. */
export function schedule(
  principal: IntLike,
  annualRateBps: IntLike,
  periods: IntLike,
  periodDays: IntLike,
): ScheduleRow[] {
  const t = terms(principal, annualRateBps, periods, periodDays);
  return walk(t, rawInstallment(t));
}

/** Row k (0-based) of the schedule: as Solidity's `scheduleRow`. */
export function scheduleRow(
  principal: IntLike,
  annualRateBps: IntLike,
  periods: IntLike,
  periodDays: IntLike,
  k: IntLike,
): ScheduleRow {
  const t = terms(principal, annualRateBps, periods, periodDays);
  const amount = rawInstallment(t);
  const row = uint(k, "k");
  if (row >= t.periods) throw new RowOutOfRangeError(row, t.periods);
  return walk(t, amount)[Number(row)];
}

/** `installment` and `schedule` of a `LoanTerms` object. */
export function amortize(loan: LoanTerms): { installment: bigint; rows: ScheduleRow[] } {
  const t = terms(loan.principal, loan.annualRateBps, loan.periods, loan.periodDays);
  const amount = rawInstallment(t);
  return { installment: amount, rows: walk(t, amount) };
}

/**
 * Splits `amount` in proportion to `weights`: each part is floor(amount * w_i / sum(w)), and the
 * remainder units go one each to the largest fractional remainders (ties: lowest index).
 */
export function splitByWeights(amount: IntLike, weights: readonly IntLike[]): bigint[] {
  const a = uint(amount, "amount");
  const w = weights.map((x, i) => uint(x, `weights[${i}]`));
  let total = 0n;
  for (const x of w) {
    total += x;
    if (total >= UINT256_LIMIT) throw new RangeError("sum of weights overflows uint256");
  }
  if (total === 0n) throw new InvalidWeightsError(BigInt(w.length), total);
  const parts = w.map((x) => (a * x) / total);
  const remainders = w.map((x) => (a * x) % total);
  let left = a - parts.reduce((s, p) => s + p, 0n);
  for (; left > 0n; left--) {
    let best = 0;
    for (let i = 1; i < w.length; i++) if (remainders[i] > remainders[best]) best = i;
    parts[best] += 1n;
    remainders[best] = 0n;
  }
  return parts;
}

/** Splits `amount` into (leadPart, partnersPart) with leadPart = floor(amount * leadBps / 10_000). */
export function splitBps(amount: IntLike, leadBps: IntLike): { leadPart: bigint; partnersPart: bigint } {
  const a = uint(amount, "amount");
  const bps = uint(leadBps, "leadBps");
  if (bps > BPS) throw new InvalidBpsError(bps);
  const leadPart = (a * bps) / BPS;
  return { leadPart, partnersPart: a - leadPart };
}

/** Formats fen as CNY for display: 123456789n → "¥1,234,567.89", -5n → "-¥0.05". */
export function formatCny(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const yuan = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fen = (abs % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}¥${yuan}.${fen}`;
}

/** Parses a CNY amount ("1,234.56", "¥10000", "0.5") into fen; throws on more than 2 decimals. */
export function parseCny(text: string): bigint {
  const m = /^\s*(-)?¥?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (m === null) throw new RangeError(`not a CNY amount with at most 2 decimals: ${JSON.stringify(text)}`);
  const units = BigInt(m[2].replace(/,/g, "")) * 100n + BigInt((m[3] ?? "").padEnd(2, "0"));
  return m[1] === undefined ? units : -units;
}
