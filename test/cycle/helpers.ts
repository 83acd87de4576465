import { SigningKey, Wallet, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { CycleBook, CycleConfig, CycleOp, NewLoan, openLoanOps, signAssent } from "../../clients/cycle/model";
import { CYCLE_LOAN_ID_BASE } from "../../clients/evidence/cycle";
import { DEFAULT_LENDING_PARAMS, LendingParams, cny } from "../../clients/lending/params";

/** Deterministic key number `i` of `label` (test keys only). */
export function testKey(label: string, i: number): SigningKey {
  return new SigningKey(keccak256(toUtf8Bytes(`colend.test.cycle.${label}.${i}`)));
}

/** A borrower of the batched path: pseudonym, key (its account signs the assent). */
export interface TestBorrower {
  pseudonym: string;
  key: SigningKey;
  account: string;
}

export function borrower(i: number): TestBorrower {
  const key = testKey("borrower", i);
  return {
    pseudonym: keccak256(toUtf8Bytes(`colend.test.cycle.pseudonym.${i}`)),
    key,
    account: new Wallet(key).address.toLowerCase(),
  };
}

/** Agreed partner weights of the test consortium (sum 10,000). */
export const WEIGHTS = [3_000n, 2_500n, 2_000n, 1_500n, 1_000n];

export function config(
  lead: string,
  partners: string[],
  ledger: string,
  chainId = 31_337n,
  params: Partial<LendingParams> = {},
): CycleConfig {
  return {
    params: { ...DEFAULT_LENDING_PARAMS, ...params },
    lead,
    partners: partners.map((account, i) => ({ account, weight: WEIGHTS[i % WEIGHTS.length] })),
    chainId,
    ledger,
  };
}

/** An off-chain config with made-up addresses (1 lead, `partners` partners). */
export function offlineConfig(partners = 4, params: Partial<LendingParams> = {}): CycleConfig {
  const addr = (label: string, i: number) => new Wallet(testKey(label, i)).address.toLowerCase();
  return config(
    addr("lead", 0),
    Array.from({ length: partners }, (_, i) => addr("partner", i)),
    addr("ledger", 0),
    31_337n,
    params,
  );
}

/** Terms of loan `loanId` for borrower `b`: 10,000–49,000 CNY... kept inside the drawdown cap. */
export function terms(loanId: bigint, b: TestBorrower, overrides: Partial<NewLoan> = {}): NewLoan {
  // terms as drawn from the loan's number within the batched path's ids
  const k = loanId >= CYCLE_LOAN_ID_BASE ? loanId - CYCLE_LOAN_ID_BASE : loanId;
  return {
    loanId,
    pseudonym: b.pseudonym,
    principal: cny(1_000) + BigInt(Number(k % 37n)) * cny(311) + 17n,
    annualRateBps: 1_200n + (k % 5n) * 100n,
    periods: 10n,
    periodDays: 30n,
    leadFundingBps: 2_000n,
    leadInterestBps: 3_000n,
    ...overrides,
  };
}

/** Operations of a first cycle: whitelist `count` borrowers, open one loan each (ids from `firstId`). */
export function openingOps(
  cfg: CycleConfig,
  count: number,
  at: bigint,
  firstId = FIRST_LOAN,
  overrides: (i: number) => Partial<NewLoan> = () => ({}),
): { ops: CycleOp[]; loans: NewLoan[] } {
  const ops: CycleOp[] = [];
  const loans: NewLoan[] = [];
  for (let i = 0; i < count; i++) {
    const b = borrower(i);
    const t = terms(firstId + BigInt(i), b, overrides(i));
    loans.push(t);
    ops.push({ type: "whitelist", pseudonym: b.pseudonym, account: b.account, limit: cny(100_000) });
    ops.push(...openLoanOps(cfg, t, signAssent(b.key, cfg, t), at));
  }
  return { ops, loans };
}

/** Each partner's own book: identical starting state. */
export function books(cfg: CycleConfig, n: number): CycleBook[] {
  return Array.from({ length: n }, () => new CycleBook(cfg));
}

/** A loan's funders as the loan book keeps them, in the cycle book's shape (to compare the two paths). */
export async function fundersOnChain(
  loanBook: {
    fundersOf(
      loanId: bigint,
    ): Promise<{ account: string; funded: bigint; principalReturned: bigint; incomeReceived: bigint }[]>;
  },
  loanId: bigint,
) {
  return (await loanBook.fundersOf(loanId)).map((f) => ({
    account: f.account.toLowerCase(),
    funded: f.funded,
    principalReturned: f.principalReturned,
    incomeReceived: f.incomeReceived,
  }));
}

export const DAY = 86_400n;
/** The first batched-path loan id (ids start at `CYCLE_LOAN_ID_BASE`, 2^64). */
export const FIRST_LOAN = CYCLE_LOAN_ID_BASE + 1n;
export const T0 = 1_800_000_000n;
export { toBeHex };
