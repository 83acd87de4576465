import { decideCredit } from "../lending/decision";
import type { CreditInputs } from "../lending/decision";
import { splitBps } from "../lending/math";
import { DEFAULT_SHARES } from "../lending/params";
import {
  Applicant,
  BEHAVIOUR_WEIGHTS,
  Behaviour,
  DAY,
  PERIOD_DAYS,
  RepaymentPlan,
  UNITS_PER_CNY,
  makeApplicant,
  planRepayments,
} from "../sim/model";
import { Rng } from "../sim/rng";

/**
 * The scenario a network plays, drawn from its seed: who applies when, what each admitted borrower
 * borrows, which partners join each loan's syndicate, and how each borrower repays. It makes the
 * same draws, in the same order, as the in-process driver (`clients/sim/lendingScenario.ts`), so
 * one seed gives the same loans, classes and money in both modes. Times are offsets in seconds
 * from the scenario's start (`t0`, the chain time once the consortium is set up).
 */
export interface ScenarioSize {
  seed: string;
  loans: number;
  months: number;
  partners: number;
}

/** One applicant, in the order the lead bank receives them. */
export interface PlannedApplication {
  /** Applicant number (also the borrower's key label in the borrowers process). */
  index: number;
  applicant: Applicant;
  /** Seconds after t0 at which the borrower applies. */
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
  /** Seconds after t0 at which month `m` ends (the lead bank closes the month an hour before). */
  monthEnd(m: number): number;
}

/** The credit rule's inputs for a synthetic applicant (the lead bank's own scoring). */
export function applicantInputs(a: Applicant): CreditInputs {
  return {
    score: Math.round((a.score * 1000) / 850),
    requestedLimit: BigInt(Math.min(300_000, Math.max(500, a.monthlyIncomeCny * 3))) * UNITS_PER_CNY,
    multiHeadCount: a.outsideLenders,
    outsideExposure: BigInt(a.outsideExposureCny) * UNITS_PER_CNY,
    consortiumExposure: 0n,
    delinquent: false,
    onTimeMonths: 0,
  };
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
  const period = PERIOD_DAYS * DAY;
  const originMonths = Math.max(1, size.months - 1);
  const applications: PlannedApplication[] = [];
  const partnerIndexes = Array.from({ length: size.partners }, (_, i) => i);
  let applicants = 0;
  let loans = 0;
  for (let m = 0; m < size.months; m++) {
    const target =
      m < originMonths
        ? Math.floor((size.loans * (m + 1)) / originMonths) - Math.floor((size.loans * m) / originMonths)
        : 0;
    const month: PlannedApplication[] = [];
    for (let made = 0; made < target;) {
      const applicant = makeApplicant(rng, applicants);
      const at = m * period + rng.int(0, 27) * DAY + 3_600;
      const inputs = applicantInputs(applicant);
      if (decideCredit(inputs).approved) made++;
      month.push({ index: applicants++, applicant, at, inputs });
    }
    // Stable: same-time applications keep the order they were drawn in.
    month.sort((a, b) => a.at - b.at);
    for (const app of month) {
      const decision = decideCredit(app.inputs);
      if (!decision.approved) continue;
      const cap = decision.limit < 40_000n * UNITS_PER_CNY ? decision.limit : 40_000n * UNITS_PER_CNY;
      const hundreds = Number(cap / (100n * UNITS_PER_CNY));
      const principal = BigInt(Math.max(5, rng.int(Math.ceil(hundreds / 4), hundreds))) * 100n * UNITS_PER_CNY;
      const periods = rng.pick([5, 10, 20] as const);
      const annualRateBps = rng.int(72, 180) * 10;
      const funders = rng.sample(partnerIndexes, Math.min(size.partners, rng.int(2, 4)));
      const weights = funders.map(() => BigInt(rng.int(1, 10)));
      const forced = loans % 250 === 2;
      const behaviour: Behaviour = forced ? "default" : rng.weighted(BEHAVIOUR_WEIGHTS);
      const repayment = planRepayments(rng, behaviour, periods, forced ? 1 : undefined);
      const { partnersPart } = splitBps(principal, BigInt(DEFAULT_SHARES.leadFundingBps));
      const total = weights.reduce((x, y) => x + y, 0n);
      const amounts = weights.map((w) => (partnersPart * w) / total);
      amounts[amounts.length - 1] = partnersPart - amounts.slice(0, -1).reduce((x, y) => x + y, 0n);
      app.loan = {
        loanId: ++loans,
        principal,
        periods,
        annualRateBps,
        syndicate: funders.map((partner, k) => ({ partner, amount: amounts[k] })),
        behaviour,
        repayment,
      };
    }
    applications.push(...month);
  }
  return { ...size, applications, monthEnd: (m) => (m + 1) * period };
}

/** The planned loans by loan id. */
export function plannedLoans(plan: ScenarioPlan): Map<number, PlannedApplication & { loan: PlannedLoan }> {
  const out = new Map<number, PlannedApplication & { loan: PlannedLoan }>();
  for (const a of plan.applications)
    if (a.loan) out.set(a.loan.loanId, a as PlannedApplication & { loan: PlannedLoan });
  return out;
}
