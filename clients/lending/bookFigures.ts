import type { LoanBook } from "../../typechain-types";

/** One funder's money over the loans read. */
export interface FunderTotals {
  funded: bigint;
  principal: bigint;
  income: bigint;
}

/** A lender's loan-loss provisions as the loan book states them (`provisionsOf`). */
export interface LenderProvisions {
  /** Outstanding principal by class (index = `LoanClass`). */
  balance: bigint[];
  /** Provision by class at the consortium's rates. */
  provision: bigint[];
  total: bigint;
  nonPerforming: bigint;
  /** Provisions over the non-performing balance, basis points (0 when nothing is non-performing). */
  coverageBps: bigint;
}

/** What the loan book says about a set of loans, read once for the demo's and network mode's reports. */
export interface BookFigures {
  /** By funder account (lower case): what it funded and what it was credited. */
  funders: Map<string, FunderTotals>;
  /** Open loans and their balance by class (index = `LoanClass`). */
  classes: { loans: number; balance: bigint }[];
  /** Loans with nothing outstanding. */
  repaid: number;
  /** Principal and income credited to the funders. */
  received: bigint;
  /**
   * Units paid into open loans and not yet credited: each funder is credited the floor of its
   * share of everything paid so far, and the units those floors leave wait in the loan book until
   * the next repayment or the settlement pays them out exactly (docs/MONEY.md).
   */
  held: bigint;
  /** Whether every loan's held units stayed within the rounding bound (under two per funder). */
  roundingInBounds: boolean;
  /** Each funder's loan-loss provisions (account lower case), read from the loan book. */
  provisions: Map<string, LenderProvisions>;
}

/** Reads `loanIds` from the loan book, `batch` loans at a time; `funders` are the banks' accounts. */
export async function readBookFigures(
  loanBook: LoanBook,
  loanIds: readonly bigint[],
  funders: readonly string[],
  batch = 200,
): Promise<BookFigures> {
  const totals = new Map<string, FunderTotals>(
    funders.map((a) => [a.toLowerCase(), { funded: 0n, principal: 0n, income: 0n }]),
  );
  const classes = [0, 1, 2, 3, 4].map(() => ({ loans: 0, balance: 0n }));
  let repaid = 0;
  let held = 0n;
  let roundingInBounds = true;
  for (let k = 0; k < loanIds.length; k += batch) {
    const read = await Promise.all(
      loanIds.slice(k, k + batch).map(async (id) => {
        const [fs, d, info] = await Promise.all([loanBook.fundersOf(id), loanBook.dues(id), loanBook.loanInfo(id)]);
        const cls = d.outstanding === 0n ? -1 : Number(await loanBook.classFor(d.daysPastDue));
        return { fs, outstanding: d.outstanding, cls, paid: info.totalRepaid };
      }),
    );
    for (const r of read) {
      let credited = 0n;
      for (const f of r.fs) {
        credited += f.principalReturned + f.incomeReceived;
        const t = totals.get(f.account.toLowerCase());
        if (!t) throw new Error(`loan book funder ${f.account} is not one of the banks read`);
        t.funded += f.funded;
        t.principal += f.principalReturned;
        t.income += f.incomeReceived;
      }
      const waiting = r.paid - credited;
      if (waiting < 0n || waiting >= BigInt(r.fs.length) * 2n) roundingInBounds = false;
      held += waiting;
      if (r.cls < 0) repaid++;
      else {
        classes[r.cls].loans++;
        classes[r.cls].balance += r.outstanding;
      }
    }
  }
  const received = [...totals.values()].reduce((a, t) => a + t.principal + t.income, 0n);
  const provisions = new Map<string, LenderProvisions>();
  for (const account of totals.keys()) provisions.set(account, await readProvisions(loanBook, account));
  return { funders: totals, classes, repaid, received, held, roundingInBounds, provisions };
}

/**
 * `account`'s loan-loss provisions as the loan book states them (`provisionsOf`: its outstanding
 * principal by class at the consortium's provision rates), at `blockTag` (default: now).
 */
export async function readProvisions(
  loanBook: LoanBook,
  account: string,
  blockTag?: number,
): Promise<LenderProvisions> {
  const p = await loanBook.provisionsOf(account, blockTag === undefined ? {} : { blockTag });
  return {
    balance: [...p.balance],
    provision: [...p.provision],
    total: p.total,
    nonPerforming: p.nonPerforming,
    coverageBps: p.coverageBps,
  };
}

/** The consortium's provision rate of each loan class (index = `LoanClass`), basis points. */
export function provisionRates(p: {
  provisionNormalBps: bigint;
  provisionSpecialMentionBps: bigint;
  provisionSubstandardBps: bigint;
  provisionDoubtfulBps: bigint;
  provisionLossBps: bigint;
}): bigint[] {
  return [
    p.provisionNormalBps,
    p.provisionSpecialMentionBps,
    p.provisionSubstandardBps,
    p.provisionDoubtfulBps,
    p.provisionLossBps,
  ];
}
