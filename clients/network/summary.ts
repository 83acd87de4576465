import type { Provider } from "ethers";
import type { AddressBook } from "../core/addressBook";
import { LOAN_CLASS_NAMES, LoanClass, Role, kindName } from "../core/types";
import { lendingContracts, readBookFigures } from "../lending";
import { EvidenceLedger__factory } from "../../typechain-types";
import type { ScenarioSummary } from "../sim/summary";
import { formatMoney, formatTable } from "../sim/table";
import { NetworkConfig, nodeDir } from "./config";
import type { CaseRecord } from "./lead";
import type { MonthRow } from "../sim/report";
import { readStatus } from "./runtime";

/**
 * The run's summary in network mode, in the shape the in-process demo's report gives
 * (`summarize` in clients/sim/summary.ts), so the two compare with a deep equality. Money, loans
 * and records are read from the contracts; the counts only a node knows (applications, payments
 * on time or late, reminders, month rows, cases and rulings) from the nodes' status files.
 */
export async function networkSummary(
  dir: string,
  config: NetworkConfig,
  provider: Provider,
  book: AddressBook,
): Promise<ScenarioSummary> {
  const status = (id: string) => {
    const s = readStatus(nodeDir(dir, id));
    if (!s) throw new Error(`node ${id} has written no status in ${nodeDir(dir, id)}`);
    return s;
  };
  const lead = status("lead");
  const borrowers = status("borrowers");
  const arbitrator = status("arbitrator");
  const leadReport = lead.report as { months: MonthRow[]; cases: CaseRecord[] };
  const rulings = (
    arbitrator.report as { rulings: { caseId: string; verified: boolean; amountOwed: string; verdict: string }[] }
  ).rulings;

  const { loanBook } = lendingContracts(book, provider as never);
  const banks = book.members.filter((m) => m.role === Role.LeadBank || m.role === Role.PartnerBank);
  const count = Number(await loanBook.nextLoanId()) - 1;
  const figures = await readBookFigures(
    loanBook,
    Array.from({ length: count }, (_, k) => BigInt(k + 1)),
    banks.map((m) => m.address),
    100,
  );
  const { funders: totals, classes, repaid, held, received } = figures;
  const roundingOutOfBounds = !figures.roundingInBounds;
  let paid = 0n;
  let disbursed = 0n;
  const byKind: Record<string, number> = {};
  const ledger = EvidenceLedger__factory.connect(book.ledger, provider);
  const head = await provider.getBlockNumber();
  for (let from = book.deployBlock; from <= head; from += 2_000) {
    const range = [from, Math.min(head, from + 1_999)] as const;
    for (const e of await loanBook.queryFilter(loanBook.filters.RepaymentApplied(), ...range)) {
      const a = e.args.allocation;
      paid += a.surcharge + a.overdueInterest + a.interest + a.principal + a.prepaid;
    }
    for (const e of await loanBook.queryFilter(loanBook.filters.LoanDisbursed(), ...range)) disbursed += e.args.amount;
    for (const e of await ledger.queryFilter(ledger.filters.RecordCommitted(), ...range)) {
      const k = kindName(e.args.kind);
      byKind[k] = (byKind[k] ?? 0) + 1;
    }
  }
  const [outstanding, nonPerforming] = await loanBook.portfolio();
  const counts = { ...lead.processed, ...borrowers.processed };
  return {
    seed: config.scenario.seed,
    loans: config.scenario.loans,
    partners: config.scenario.partners,
    months: config.scenario.months,
    borrowers: {
      applicants: lead.processed.applications ?? 0,
      admitted: lead.processed.originated ?? 0,
      refused: lead.processed.declined ?? 0,
      multiHeadAdmitted: lead.processed.multiHeadAdmitted ?? 0,
      // Loans in default now: a cured loan counts again only if it defaulted again.
      delinquent: (lead.processed.defaults ?? 0) - (lead.processed.cured ?? 0),
    },
    portfolio: {
      count,
      repaid,
      disbursed: disbursed.toString(),
      balance: outstanding.toString(),
      nonPerforming: nonPerforming.toString(),
      byClass: classes.map((c, i) => ({
        class: LOAN_CLASS_NAMES[i as LoanClass],
        loans: c.loans,
        balance: c.balance.toString(),
      })),
    },
    payments: {
      onTime: counts.onTime ?? 0,
      late: counts.late ?? 0,
      partial: counts.partial ?? 0,
      earlyPayoffs: counts.payoffs ?? 0,
      reminders: lead.processed.reminders ?? 0,
      borrowersPaid: paid.toString(),
      fundersReceived: received.toString(),
      heldUntilSettlement: held.toString(),
      balanced: !roundingOutOfBounds && received + held === paid,
    },
    funders: banks.map((m) => {
      const t = totals.get(m.address.toLowerCase())!;
      return {
        name: m.name,
        funded: t.funded.toString(),
        principalReceived: t.principal.toString(),
        interestReceived: t.income.toString(),
      };
    }),
    recordsByKind: Object.fromEntries(Object.entries(byKind).sort(([a], [b]) => a.localeCompare(b))),
    cases: leadReport.cases.map((c) => {
      const ruling = rulings.find((r) => Number(r.caseId) === c.caseId);
      return {
        loanId: c.loanId,
        daysPastDue: c.daysPastDue,
        // What the award says is owed (nothing for a dismissed or unruled case), not the claim.
        amountOwed: ruling?.amountOwed ?? "0",
        verified: ruling?.verified ?? false,
        verdict: ruling?.verdict ?? "no ruling yet",
      };
    }),
    byMonth: leadReport.months,
  };
}

/** The summary as a short text report (CNY, 2 decimals). */
export function formatSummary(s: ScenarioSummary): string {
  const cny = (v: string): string => formatMoney(BigInt(v), 2);
  const p = s.portfolio;
  const lines = [
    `${s.loans} loans over ${s.months} months, ${s.partners} partners, seed "${s.seed}"`,
    `applicants ${s.borrowers.applicants}: admitted ${s.borrowers.admitted}, refused ${s.borrowers.refused}, multi-head admitted ${s.borrowers.multiHeadAdmitted}, delinquent ${s.borrowers.delinquent}`,
    `loans ${p.count}, repaid ${p.repaid}; disbursed ${cny(p.disbursed)} CNY; balance ${cny(p.balance)} CNY, non-performing ${cny(p.nonPerforming)} CNY`,
    `payments: ${s.payments.onTime} on time, ${s.payments.late} late, ${s.payments.partial} partial, ${s.payments.earlyPayoffs} early payoffs; ${s.payments.reminders} reminders`,
    `borrowers paid ${cny(s.payments.borrowersPaid)} CNY; funders received ${cny(s.payments.fundersReceived)} CNY (${s.payments.balanced ? "balanced to the unit" : "NOT BALANCED"})`,
    "",
    formatTable(
      [{ header: "class" }, { header: "loans", align: "right" }, { header: "balance (CNY)", align: "right" }],
      p.byClass.map((c) => [c.class, String(c.loans), cny(c.balance)]),
    ),
    "",
    formatTable(
      [
        { header: "funder" },
        { header: "funded (CNY)", align: "right" },
        { header: "principal back", align: "right" },
        { header: "interest", align: "right" },
      ],
      s.funders.map((x) => [x.name, cny(x.funded), cny(x.principalReceived), cny(x.interestReceived)]),
    ),
  ];
  for (const c of s.cases)
    lines.push(`case on loan ${c.loanId} (${c.daysPastDue} days past due, ${cny(c.amountOwed)} CNY): ${c.verdict}`);
  return lines.join("\n");
}
