import type { SimReport } from "./report";

/**
 * What two runs of the same scenario must agree on, whatever ran them (the demo in one process,
 * network mode as one process per node) and whatever their keys and addresses: the borrowers, the
 * loans and their classes, every money figure, the records by kind and the cases. Times, gas,
 * blocks, transaction counts and addresses are left out (they depend on how the run was carried).
 * Amounts are decimal strings of token units, as in the report.
 */
export interface ScenarioSummary {
  seed: string;
  loans: number;
  partners: number;
  months: number;
  borrowers: SimReport["borrowers"];
  portfolio: {
    count: number;
    repaid: number;
    disbursed: string;
    balance: string;
    nonPerforming: string;
    byClass: { class: string; loans: number; balance: string }[];
  };
  payments: SimReport["payments"];
  /** By funder name: what each funded and got back. */
  funders: { name: string; funded: string; principalReceived: string; interestReceived: string }[];
  recordsByKind: Record<string, number>;
  cases: { loanId: number; daysPastDue: number; amountOwed: string; verified: boolean; verdict: string }[];
  /** Month by month: balance, non-performing, repaid, disbursed. */
  byMonth: SimReport["months"];
}

/** The comparable part of a report (see `ScenarioSummary`); compare two with a deep equality. */
export function summarize(r: SimReport): ScenarioSummary {
  return {
    seed: r.options.seed,
    loans: r.options.loans,
    partners: r.options.partners,
    months: r.options.months,
    borrowers: { ...r.borrowers },
    portfolio: {
      count: r.loans.count,
      repaid: r.loans.repaid,
      disbursed: r.loans.disbursed,
      balance: r.loans.balance,
      nonPerforming: r.loans.nonPerforming,
      byClass: r.loans.byClass.map((c) => ({ ...c })),
    },
    payments: { ...r.payments },
    funders: r.funders.map((f) => ({
      name: f.name,
      funded: f.funded,
      principalReceived: f.principalReceived,
      interestReceived: f.interestReceived,
    })),
    recordsByKind: Object.fromEntries(Object.entries(r.records.byKind).sort(([a], [b]) => a.localeCompare(b))),
    cases: r.cases.map((c) => ({
      loanId: c.loanId,
      daysPastDue: c.daysPastDue,
      amountOwed: c.amountOwed,
      verified: c.verified,
      verdict: c.verdict,
    })),
    byMonth: r.months.map((m) => ({ ...m })),
  };
}
