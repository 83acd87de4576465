import { CNY } from "../lending/params";
import { decideCredit } from "../lending/decision";
import type { CreditInputs } from "../lending/decision";
import { splitBps, splitByWeights } from "../lending/math";
import { DEFAULT_SHARES } from "../lending/params";
import { Applicant, BEHAVIOUR_WEIGHTS, Behaviour, RepaymentPlan, makeApplicant, planRepayments } from "./borrowers";
import { Rng } from "./rng";

/**
 * The scenario a run plays, drawn from its seed before anything happens: who applies on which
 * day, what each admitted borrower borrows, which partners fund each loan, and how each borrower
 * repays. The in-process demo (`lendingScenario.ts`) and network mode both play this plan, so one
 * seed gives the same loans, classes and money in both. Everything else (decisions, amounts owed,
 * splits, classes) comes from the role nodes and the contracts.
 */

export const DAY = 86_400;
/** Days of a repayment period and of a simulated month. */
export const PERIOD_DAYS = 30;
/** Largest single drawdown a borrower asks for, CNY (the loan book's own cap is a parameter). */
export const DRAWDOWN_CNY = 40_000n;
/** The lead bank's credit committee meets every seventh day: applications are decided on days 0, 7, 14, 21 of a month. */
export const INTAKE_EVERY_DAYS = 7;

/**
 * The hour of day at which each lifecycle stage runs. Within a day the stages run in this order:
 * applications (whitelisting, origination, funding, disbursement), reminders, payments, defaults;
 * the month closes (classification, cases, the portfolio) on its last day.
 */
export const STAGE_HOUR = { applications: 1, reminders: 8, payments: 9, defaults: 10, monthEnd: 23 } as const;

export interface ScenarioSize {
  seed: string;
  loans: number;
  months: number;
  partners: number;
}

/** One applicant, in the order the lead bank receives them. */
export interface PlannedApplication {
  /** Applicant number (also the label of the borrower's key). */
  index: number;
  applicant: Applicant;
  /** Day (from the scenario's start) on which the application is decided. */
  day: number;
  /** Seconds after the start at which the application stage of that day runs. */
  at: number;
  /** The credit rule's inputs as the lead bank scores them. */
  inputs: CreditInputs;
  /** Set when the credit rule admits the applicant: the loan it takes. */
  loan?: PlannedLoan;
}

/** An admitted applicant's loan. */
export interface PlannedLoan {
  /** Loan id on the loan book (loans are originated in this order, from 1). */
  loanId: number;
  /** The credit limit the rule grants (the lead bank's decision must say the same). */
  limit: bigint;
  principal: bigint;
  periods: 5 | 10 | 20;
  annualRateBps: number;
  /** Partner indexes (0-based) of the syndicate and what each commits, in token units. */
  syndicate: { partner: number; amount: bigint }[];
  behaviour: Behaviour;
  repayment: RepaymentPlan;
}

export interface ScenarioPlan extends ScenarioSize {
  applications: PlannedApplication[];
  /** The applications of month `m` (0-based), in the order they are decided. */
  month(m: number): PlannedApplication[];
  /** Seconds after the start at which month `m` closes. */
  monthEnd(m: number): number;
}

/** The credit rule's inputs for a synthetic applicant (the lead bank's own scoring). */
export function applicantInputs(a: Applicant): CreditInputs {
  return {
    score: Math.round((a.score * 1000) / 850),
    requestedLimit: BigInt(Math.min(300_000, Math.max(500, a.monthlyIncomeCny * 3))) * CNY,
    multiHeadCount: a.outsideLenders,
    outsideExposure: BigInt(a.outsideExposureCny) * CNY,
    consortiumExposure: 0n,
    delinquent: false,
    onTimeMonths: 0,
  };
}

/** Loans originated in month `m` of `months`: spread evenly over every month but the last. */
export function loansInMonth(loans: number, months: number, m: number): number {
  const originMonths = Math.max(1, months - 1);
  return m < originMonths ? Math.floor((loans * (m + 1)) / originMonths) - Math.floor((loans * m) / originMonths) : 0;
}

/** Draws the whole scenario of `size` from its seed. */
export function scenarioPlan(size: ScenarioSize): ScenarioPlan {
  if (!Number.isSafeInteger(size.loans) || size.loans < 1)
    throw new Error(`loans must be at least 1, got ${size.loans}`);
  if (!Number.isSafeInteger(size.months) || size.months < 1)
    throw new Error(`months must be at least 1, got ${size.months}`);
  if (!Number.isSafeInteger(size.partners) || size.partners < 2)
    throw new Error(`partners must be at least 2, got ${size.partners}`);
  const rng = new Rng(size.seed);
  const partnerIndexes = Array.from({ length: size.partners }, (_, i) => i);
  const byMonth: PlannedApplication[][] = [];
  let applicants = 0;
  let admitted = 0;
  let loanId = 0;
  for (let m = 0; m < size.months; m++) {
    const target = loansInMonth(size.loans, size.months, m);
    const month: PlannedApplication[] = [];
    for (let made = 0; made < target;) {
      const applicant = makeApplicant(rng, applicants);
      const day = m * PERIOD_DAYS + INTAKE_EVERY_DAYS * rng.int(0, 3);
      const inputs = applicantInputs(applicant);
      const app: PlannedApplication = {
        index: applicants++,
        applicant,
        day,
        at: day * DAY + STAGE_HOUR.applications * 3_600,
        inputs,
      };
      const decision = decideCredit(inputs);
      if (decision.approved) {
        made++;
        const cap = decision.limit < DRAWDOWN_CNY * CNY ? decision.limit : DRAWDOWN_CNY * CNY;
        const hundreds = Number(cap / (100n * CNY));
        const lo = Math.ceil(hundreds / 4);
        const principal = BigInt(Math.max(5, rng.int(lo, hundreds))) * 100n * CNY;
        const periods = rng.pick([5, 10, 20] as const);
        const annualRateBps = rng.int(72, 180) * 10;
        const funders = rng.sample(partnerIndexes, Math.min(size.partners, rng.int(2, 4)));
        const weights = funders.map(() => BigInt(rng.int(1, 10)));
        // Every 250th loan (from the third) defaults after its first installment: a short run
        // still shows a default, a case and an award.
        const forced = admitted++ % 250 === 2;
        const behaviour: Behaviour = forced ? "default" : rng.weighted(BEHAVIOUR_WEIGHTS);
        const repayment = planRepayments(rng, behaviour, periods, forced ? 1 : undefined);
        const { partnersPart } = splitBps(principal, BigInt(DEFAULT_SHARES.leadFundingBps));
        const amounts = splitByWeights(partnersPart, weights);
        app.loan = {
          loanId: 0,
          limit: decision.limit,
          principal,
          periods,
          annualRateBps,
          syndicate: funders.map((partner, k) => ({ partner, amount: amounts[k] })),
          behaviour,
          repayment,
        };
      }
      month.push(app);
    }
    // Decided day by day; on one day, in the order drawn (a stable sort). Loans are numbered so.
    month.sort((a, b) => a.day - b.day);
    for (const app of month) if (app.loan) app.loan.loanId = ++loanId;
    byMonth.push(month);
  }
  return {
    ...size,
    applications: byMonth.flat(),
    month: (m) => byMonth[m] ?? [],
    monthEnd: (m) => (m + 1) * PERIOD_DAYS * DAY - 3_600,
  };
}

/** The planned loans by loan id. */
export function plannedLoans(plan: ScenarioPlan): Map<number, PlannedApplication & { loan: PlannedLoan }> {
  const out = new Map<number, PlannedApplication & { loan: PlannedLoan }>();
  for (const a of plan.applications)
    if (a.loan) out.set(a.loan.loanId, a as PlannedApplication & { loan: PlannedLoan });
  return out;
}
