import fs from "node:fs";
import path from "node:path";
import { nplChart } from "./svg";
import { formatInt, formatMoney, formatPercent, formatTable } from "./table";
import { LendingShowcase, formatShowcase } from "./lendingShowcase";

/** One simulated month of the report (and of network mode's lead bank): the chart's data. */
export interface MonthRow {
  month: number;
  balance: string;
  nonPerforming: string;
  nplPercent: number;
  repaid: string;
  disbursed: string;
}

/**
 * What a simulation run reports; written as `report.json`. Every amount is a decimal string of
 * settlement-token units (fen: 0.01 CNY), so nothing is lost to floating point.
 * The keys are documented in docs/DEMO.md.
 */
export interface SimReport {
  version: 2;
  generatedAt: string;
  /** Where the figures come from: the contracts, by address. */
  source: string;
  options: {
    loans: number;
    partners: number;
    months: number;
    seed: string;
    network: string;
  };
  chain: { chainId: string; ledger: string; transactions: number; blocks: number };
  consortium: { name: string; role: string; address: string }[];
  borrowers: { applicants: number; admitted: number; refused: number; multiHeadAdmitted: number; delinquent: number };
  loans: {
    count: number;
    repaid: number;
    disbursed: string;
    byClass: { class: string; loans: number; balance: string }[];
    balance: string;
    nonPerforming: string;
    nplPercent: number;
  };
  payments: {
    onTime: number;
    late: number;
    partial: number;
    earlyPayoffs: number;
    reminders: number;
    borrowersPaid: string;
    fundersReceived: string;
    /** Units paid but not yet credited to a funder (each funder's credit is a floor of its share). */
    heldUntilSettlement: string;
    balanced: boolean;
  };
  funders: { name: string; address: string; funded: string; principalReceived: string; interestReceived: string }[];
  records: {
    byKind: Record<string, number>;
    total: number;
    endorsements: number;
    refusals: { kind: string; node: string; reason: string }[];
  };
  gas: { operation: string; count: number; average: string; min: string; max: string; total: string }[];
  /** Collection before arbitration: loans handed to outsourced collection, and loans cured after default. */
  collection: { started: number; cured: { loanId: number; paid: string; daysPastDue: number }[] };
  /** Loan-loss provisions by class at the consortium's rates, and coverage of the non-performing balance. */
  provisions: {
    total: string;
    nonPerforming: string;
    /** Provisions over the non-performing balance, percent (null when nothing is non-performing). */
    coveragePercent: number | null;
    byLender: {
      name: string;
      byClass: { class: string; balance: string; provision: string }[];
      total: string;
      nonPerforming: string;
      coveragePercent: number | null;
    }[];
  };
  cases: {
    caseId: number;
    loanId: number;
    claimant: string;
    arbitrator: string;
    daysPastDue: number;
    /** What the claim asked for. */
    amountClaimed: string;
    /** What the arbitrator's own reckoning from the disclosed evidence supports. */
    amountSupported: string;
    /** The award. */
    amountOwed: string;
    /** "upheld", "partly upheld", "dismissed" (or "none" when not ruled). */
    outcome: string;
    /** Documents disclosed to the arbitrator (every one behind the loan's chain). */
    documents: number;
    records: number;
    bundle: string;
    verified: boolean;
    verdict: string;
    /** Payments against the award through the loan book, and how they were split to the funders. */
    enforcement?: {
      paid: string;
      remaining: string;
      writtenOff: string;
      closed: boolean;
      split: { funder: string; amount: string }[];
    };
  }[];
  months: MonthRow[];
  /** Drawdown protection, monitoring, a delinquent re-applicant, loan-use spending (docs/DEMO.md). */
  lendingShowcase?: LendingShowcase;
  /** Wall time and peak resident memory of the simulator (and of a private anvil, if one ran). */
  run: { seconds: number; peakRssMb: number; chainPeakRssMb?: number };
  units: { token: string; unitsPerCny: number };
}

const DECIMALS = 2;
const cny = (units: string | bigint): string => formatMoney(BigInt(units), DECIMALS);

/** The report as aligned plain-text tables. */
export function formatReport(r: SimReport): string {
  const out: string[] = [];
  const section = (title: string): void => {
    out.push("", title, "=".repeat(title.length));
  };
  out.push(
    `colend consortium simulation — seed "${r.options.seed}", ${r.options.loans} loans, ${r.options.months} months, ` +
      `network ${r.options.network}`,
    `every figure below is read from ${r.source}`,
  );

  section("Consortium");
  out.push(
    formatTable(
      [{ header: "member" }, { header: "role" }, { header: "address" }],
      r.consortium.map((m) => [m.name, m.role, m.address]),
    ),
  );

  section("Borrowers and loans");
  out.push(
    `  applicants ${formatInt(r.borrowers.applicants)}, admitted ${formatInt(r.borrowers.admitted)}, refused ${formatInt(r.borrowers.refused)}` +
      ` (multi-head borrowers admitted on their record: ${formatInt(r.borrowers.multiHeadAdmitted)}); on the delinquency list: ${formatInt(r.borrowers.delinquent)}`,
    `  disbursed ${cny(r.loans.disbursed)} CNY in ${formatInt(r.loans.count)} loans; ${formatInt(r.loans.repaid)} fully repaid`,
    `  payments: ${formatInt(r.payments.onTime)} on time, ${formatInt(r.payments.late)} late, ${formatInt(r.payments.partial)} partial, ` +
      `${formatInt(r.payments.earlyPayoffs)} early payoffs; ${formatInt(r.payments.reminders)} reminders sent`,
    "",
  );
  out.push(
    formatTable(
      [
        { header: "class" },
        { header: "loans", align: "right" },
        { header: "balance (CNY)", align: "right" },
        { header: "share", align: "right" },
      ],
      [
        ...r.loans.byClass.map((c) => [
          c.class,
          formatInt(c.loans),
          cny(c.balance),
          formatPercent(BigInt(c.balance), BigInt(r.loans.balance)),
        ]),
        ["total outstanding", formatInt(r.loans.byClass.reduce((a, c) => a + c.loans, 0)), cny(r.loans.balance), ""],
      ],
    ),
  );
  out.push(
    `  NPL ratio (substandard + doubtful + loss over outstanding balance): ${formatPercent(BigInt(r.loans.nonPerforming), BigInt(r.loans.balance))}`,
    `  loan-loss provisions ${cny(r.provisions.total)} CNY; provision coverage (provisions over non-performing balance): ` +
      (r.provisions.coveragePercent === null
        ? "n/a (nothing non-performing)"
        : `${r.provisions.coveragePercent.toFixed(2)}%`),
    `  collection: ${formatInt(r.collection.started)} loans handed to outsourced collection; ` +
      `${formatInt(r.collection.cured.length)} cured after default` +
      r.collection.cured
        .map((c) => ` (loan ${c.loanId}: paid ${cny(c.paid)} CNY of arrears after ${c.daysPastDue} days)`)
        .join(""),
  );

  section("Loan-loss provisions by lender (rates 0 / 2 / 25 / 50 / 100%)");
  out.push(
    formatTable(
      [
        { header: "lender" },
        ...r.provisions.byLender[0].byClass.map((c) => ({ header: c.class, align: "right" as const })),
        { header: "provisions (CNY)", align: "right" },
        { header: "non-performing", align: "right" },
        { header: "coverage", align: "right" },
      ],
      r.provisions.byLender.map((l) => [
        l.name,
        ...l.byClass.map((c) => cny(c.provision)),
        cny(l.total),
        cny(l.nonPerforming),
        l.coveragePercent === null ? "n/a" : `${l.coveragePercent.toFixed(2)}%`,
      ]),
    ),
  );

  section("Funders (20/80 funding, 30/70 interest)");
  const funded = r.funders.reduce((a, f) => a + BigInt(f.funded), 0n);
  const interest = r.funders.reduce((a, f) => a + BigInt(f.interestReceived), 0n);
  const principal = r.funders.reduce((a, f) => a + BigInt(f.principalReceived), 0n);
  const lead = r.funders[0];
  const rows = r.funders.map((f) => [
    f.name,
    cny(f.funded),
    formatPercent(BigInt(f.funded), funded),
    cny(f.principalReceived),
    cny(f.interestReceived),
    formatPercent(BigInt(f.interestReceived), interest),
  ]);
  const partnerFunded = funded - BigInt(lead.funded);
  const partnerInterest = interest - BigInt(lead.interestReceived);
  rows.push(
    [
      "all partners",
      cny(partnerFunded),
      formatPercent(partnerFunded, funded),
      cny(principal - BigInt(lead.principalReceived)),
      cny(partnerInterest),
      formatPercent(partnerInterest, interest),
    ],
    ["total", cny(funded), "", cny(principal), cny(interest), ""],
  );
  out.push(
    formatTable(
      [
        { header: "funder" },
        { header: "funded (CNY)", align: "right" },
        { header: "share", align: "right" },
        { header: "principal back", align: "right" },
        { header: "interest back", align: "right" },
        { header: "share", align: "right" },
      ],
      rows,
    ),
  );
  out.push(
    `  borrowers paid ${cny(r.payments.borrowersPaid)} CNY; funders received ${cny(r.payments.fundersReceived)} CNY` +
      ` + ${cny(r.payments.heldUntilSettlement)} CNY held for rounding until settlement: ` +
      (r.payments.balanced ? "equal to the unit" : "MISMATCH"),
  );

  section("Records and endorsements");
  out.push(
    formatTable(
      [{ header: "kind" }, { header: "records", align: "right" }],
      Object.entries(r.records.byKind).map(([k, n]) => [k, formatInt(n)]),
    ),
  );
  out.push(
    `  ${formatInt(r.records.total)} records, ${formatInt(r.records.endorsements)} endorsement signatures checked on chain; ` +
      `${formatInt(r.records.refusals.length)} refusals by partner nodes`,
  );
  for (const f of r.records.refusals.slice(0, 4)) out.push(`    ${f.node} refused: ${f.reason}`);

  section("Gas per operation (from receipts)");
  out.push(
    formatTable(
      [
        { header: "operation" },
        { header: "count", align: "right" },
        { header: "avg gas", align: "right" },
        { header: "min", align: "right" },
        { header: "max", align: "right" },
      ],
      r.gas.map((g) => [
        g.operation,
        formatInt(g.count),
        formatInt(BigInt(g.average)),
        formatInt(BigInt(g.min)),
        formatInt(BigInt(g.max)),
      ]),
    ),
  );

  section("Arbitration cases");
  if (r.cases.length === 0) out.push("  none (no loan reached 90 days past due in the simulated period)");
  else
    out.push(
      formatTable(
        [
          { header: "case", align: "right" },
          { header: "loan", align: "right" },
          { header: "days overdue", align: "right" },
          { header: "claimed (CNY)", align: "right" },
          { header: "supported", align: "right" },
          { header: "award", align: "right" },
          { header: "outcome" },
          { header: "docs", align: "right" },
          { header: "records", align: "right" },
          { header: "bundle" },
          { header: "verified" },
          { header: "verdict" },
        ],
        r.cases.map((c) => [
          String(c.caseId),
          String(c.loanId),
          String(c.daysPastDue),
          cny(c.amountClaimed),
          cny(c.amountSupported),
          cny(c.amountOwed),
          c.outcome,
          String(c.documents),
          String(c.records),
          c.bundle,
          c.verified ? "yes" : "NO",
          c.verdict,
        ]),
      ),
    );

  for (const c of r.cases.filter((x) => x.enforcement)) {
    const e = c.enforcement!;
    out.push(
      `  case ${c.caseId}: ${cny(e.paid)} CNY paid against the award through the loan book, split ` +
        e.split.map((x) => `${x.funder} ${cny(x.amount)}`).join(", ") +
        (e.closed
          ? `; award satisfied, case closed (${cny(e.writtenOff)} CNY of principal written off)`
          : `; ${cny(e.remaining)} CNY of the award left`),
    );
  }

  if (r.lendingShowcase) out.push(...formatShowcase(r.lendingShowcase));

  section("Run");
  out.push(
    `  ${formatInt(r.chain.transactions)} transactions in ${formatInt(r.chain.blocks)} blocks on chain ${r.chain.chainId}; ` +
      `${r.run.seconds}s, peak memory ${r.run.peakRssMb} MB` +
      (r.run.chainPeakRssMb !== undefined ? ` (+ anvil ${r.run.chainPeakRssMb} MB)` : ""),
  );
  return out.join("\n") + "\n";
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n";
}

/** Writes report.json and npl.svg into `dir`; returns their paths. */
export function writeReport(dir: string, r: SimReport): { json: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, "report.json");
  const svg = path.join(dir, "npl.svg");
  fs.writeFileSync(json, toJson(r));
  const perCny = r.units.unitsPerCny;
  fs.writeFileSync(
    svg,
    nplChart(
      r.months.map((m) => ({
        label: `M${m.month}`,
        nplPercent: m.nplPercent,
        repaidCny: Number(BigInt(m.repaid) / BigInt(perCny)),
        disbursedCny: Number(BigInt(m.disbursed) / BigInt(perCny)),
      })),
      `NPL ratio and cash flows — ${r.options.loans} loans, seed "${r.options.seed}"`,
    ),
  );
  return { json, svg };
}
