import type { Provider } from "ethers";
import type { AddressBook } from "../core/addressBook";
import { LOAN_CLASS_NAMES, LoanClass, LoanStatus, Role } from "../core/types";
import { lendingContracts } from "../lending";
import { formatMoney, formatTable } from "../sim/table";

/** One loan as the loan book has it at the end of a run. */
export interface LoanFigures {
  loanId: number;
  principal: string;
  periods: number;
  annualRateBps: number;
  status: string;
  class: string;
  outstanding: string;
  /** Funders' commitments: the lead first, then the partners by name (partners fund in any order). */
  funders: { name: string; funded: string }[];
}

/** What a run left on the loan book: the same figures whichever mode produced them. */
export interface BookFigures {
  loans: LoanFigures[];
  byClass: { class: string; loans: number; balance: string }[];
  repaid: number;
  balance: string;
  nonPerforming: string;
  /** Sum of every repayment's allocation (RepaymentApplied events). */
  borrowersPaid: string;
  /** Principal and income credited to the funders. */
  fundersReceived: string;
  funders: { name: string; funded: string; principalReceived: string; incomeReceived: string }[];
  cases: { caseId: number; loanId: number; awarded: boolean; amountOwed: string }[];
}

const STATUS = Object.fromEntries(
  Object.entries(LoanStatus)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => [v, k]),
);

/**
 * Reads the loan book, its events and the court after a run: every loan with its terms, class and
 * funders, the class table and the money in and out. Members are named from the address book.
 */
export async function bookFigures(provider: Provider, book: AddressBook): Promise<BookFigures> {
  const { loanBook } = lendingContracts(book, provider as never);
  const nameOf = new Map(book.members.map((m) => [m.address.toLowerCase(), m.name]));
  const banks = book.members.filter((m) => m.role === Role.LeadBank || m.role === Role.PartnerBank);
  const totals = new Map(banks.map((m) => [m.address.toLowerCase(), { funded: 0n, principal: 0n, income: 0n }]));
  const classes = [0, 1, 2, 3, 4].map(() => ({ loans: 0, balance: 0n }));
  const loans: LoanFigures[] = [];
  let repaid = 0;
  const count = Number(await loanBook.nextLoanId()) - 1;
  for (let id = 1; id <= count; id++) {
    const [info, funders, dues] = await Promise.all([loanBook.loanInfo(id), loanBook.fundersOf(id), loanBook.dues(id)]);
    for (const f of funders) {
      const t = totals.get(f.account.toLowerCase());
      if (!t) continue;
      t.funded += f.funded;
      t.principal += f.principalReturned;
      t.income += f.incomeReceived;
    }
    let cls: LoanClass = LoanClass.Normal;
    if (dues.outstanding === 0n) repaid++;
    else {
      cls = Number(await loanBook.classFor(dues.daysPastDue)) as LoanClass;
      classes[cls].loans++;
      classes[cls].balance += dues.outstanding;
    }
    loans.push({
      loanId: id,
      principal: info.principal.toString(),
      periods: Number(info.periods),
      annualRateBps: Number(info.annualRateBps),
      status: STATUS[Number(info.status)] ?? String(info.status),
      class: dues.outstanding === 0n ? "repaid" : LOAN_CLASS_NAMES[cls],
      outstanding: dues.outstanding.toString(),
      funders: leadFirst(
        funders.map((f) => ({ name: nameOf.get(f.account.toLowerCase()) ?? f.account, funded: f.funded.toString() })),
      ),
    });
  }
  let paid = 0n;
  for (const e of await loanBook.queryFilter(loanBook.filters.RepaymentApplied(), book.deployBlock)) {
    const a = e.args.allocation;
    paid += a.surcharge + a.overdueInterest + a.interest + a.principal + a.prepaid;
  }
  const received = [...totals.values()].reduce((s, t) => s + t.principal + t.income, 0n);
  const [outstanding, nonPerforming] = await loanBook.portfolio();
  const cases: BookFigures["cases"] = [];
  if (book.court) {
    const { ArbitrationCourt__factory } = await import("../../typechain-types");
    const court = ArbitrationCourt__factory.connect(book.court, provider);
    const next = Number(await court.nextCaseId());
    for (let c = 1; c < next; c++) {
      const info = await court.caseInfo(c);
      cases.push({
        caseId: c,
        loanId: Number(info.loanId),
        awarded: Number(info.state) === 2,
        amountOwed: info.amountOwed.toString(),
      });
    }
  }
  return {
    loans,
    byClass: classes.map((c, i) => ({
      class: LOAN_CLASS_NAMES[i as LoanClass],
      loans: c.loans,
      balance: c.balance.toString(),
    })),
    repaid,
    balance: outstanding.toString(),
    nonPerforming: nonPerforming.toString(),
    borrowersPaid: paid.toString(),
    fundersReceived: received.toString(),
    funders: banks.map((m) => {
      const t = totals.get(m.address.toLowerCase())!;
      return {
        name: m.name,
        funded: t.funded.toString(),
        principalReceived: t.principal.toString(),
        incomeReceived: t.income.toString(),
      };
    }),
    cases,
  };
}

/** The lead's entry (first on the loan book) first, then the partners by name. */
function leadFirst<T extends { name: string }>(list: T[]): T[] {
  const [lead, ...partners] = list;
  return lead ? [lead, ...partners.sort((x, y) => x.name.localeCompare(y.name))] : [];
}

/** The figures as a short text report (CNY, 2 decimals). */
export function formatFigures(f: BookFigures): string {
  const cny = (s: string): string => formatMoney(BigInt(s), 2);
  const lines = [
    `loans ${f.loans.length}, repaid ${f.repaid}; balance ${cny(f.balance)} CNY, non-performing ${cny(f.nonPerforming)} CNY`,
    `borrowers paid ${cny(f.borrowersPaid)} CNY; funders received ${cny(f.fundersReceived)} CNY (${f.borrowersPaid === f.fundersReceived ? "balanced to the unit" : "NOT BALANCED"})`,
    "",
    formatTable(
      [{ header: "class" }, { header: "loans", align: "right" }, { header: "balance (CNY)", align: "right" }],
      f.byClass.map((c) => [c.class, String(c.loans), cny(c.balance)]),
    ),
    "",
    formatTable(
      [
        { header: "funder" },
        { header: "funded (CNY)", align: "right" },
        { header: "principal back", align: "right" },
        { header: "income", align: "right" },
      ],
      f.funders.map((x) => [x.name, cny(x.funded), cny(x.principalReceived), cny(x.incomeReceived)]),
    ),
  ];
  for (const c of f.cases)
    lines.push(`case ${c.caseId} on loan ${c.loanId}: ${c.awarded ? `award, ${cny(c.amountOwed)} CNY owed` : "open"}`);
  return lines.join("\n");
}
