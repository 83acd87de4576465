import { Rng } from "./rng";

/**
 * The simulated borrowers: who applies (what the lead bank's scoring model would see) and how each
 * borrower repays. This is the only thing the demo driver invents besides time; every decision and
 * every amount comes from the role nodes and the contracts.
 */

/** What the lead bank knows about an applicant (never on chain; only hashes of it are). */
export interface Applicant {
  index: number;
  /** Synthetic identity number; on chain only as its pseudonym. */
  identity: string;
  /** Credit score 300..850 from the lead bank's model. */
  score: number;
  /** Monthly income in CNY. */
  monthlyIncomeCny: number;
  /** Other institutions with an active loan to this person (multi-head borrowing). */
  outsideLenders: number;
  /** Their total outstanding exposure there, in CNY. */
  outsideExposureCny: number;
  /** On the consortium's delinquency list. */
  delinquent: boolean;
}

/** A synthetic applicant, reproducible from the run's generator. */
export function makeApplicant(rng: Rng, index: number): Applicant {
  const outsideLenders = Number(rng.weighted({ 0: 70, 1: 14, 2: 9, 3: 5, 4: 2 }));
  return {
    index,
    identity: `44010${String(1970 + rng.int(0, 35))}${String(rng.int(1, 12)).padStart(2, "0")}${String(rng.int(1, 28)).padStart(2, "0")}${String(rng.int(0, 9999)).padStart(4, "0")}`,
    score: Math.round(300 + 550 * Math.sqrt(rng.next())),
    monthlyIncomeCny: rng.int(30, 400) * 100,
    outsideLenders,
    outsideExposureCny: outsideLenders === 0 ? 0 : rng.int(1, 60) * 1_000,
    delinquent: false,
  };
}

/** How a simulated borrower repays. */
export type Behaviour = "onTime" | "late" | "partial" | "early" | "cured" | "default";

export const BEHAVIOUR_WEIGHTS: Record<Behaviour, number> = {
  onTime: 66,
  late: 14,
  partial: 8,
  early: 8,
  cured: 2.5,
  default: 1.5,
};

/**
 * A borrower's repayment plan: for each installment, how many days after its due date it is paid
 * (negative = early, null = never), and whether it is paid in two parts.
 */
export interface RepaymentPlan {
  delays: (number | null)[];
  partial: boolean[];
  /** Installment at which the remaining principal is paid off early, or -1. */
  payoffAt: number;
}

/** A borrower's plan; `stopAfter` forces a defaulter to stop after that many installments. */
export function planRepayments(rng: Rng, behaviour: Behaviour, periods: number, stopAfter?: number): RepaymentPlan {
  const delays: (number | null)[] = [];
  const partial: boolean[] = [];
  let payoffAt = -1;
  const drawnStop = rng.int(0, Math.max(0, Math.floor(periods / 3)));
  const stopAt = behaviour === "default" ? (stopAfter ?? drawnStop) : periods;
  const cureAt = behaviour === "cured" ? rng.int(0, Math.max(0, periods - 3)) : -1;
  if (behaviour === "early") payoffAt = rng.int(1, periods - 2);
  for (let i = 0; i < periods; i++) {
    // Up to two days early, except the first installment: a loan is never repaid in the month
    // it was disbursed, so every payment falls in a month after the loan exists.
    const early = rng.int(0, 2);
    let d: number | null = i === 0 ? 0 : -early;
    if (behaviour === "late" && rng.chance(0.35)) d = rng.chance(0.4) ? 1 : rng.int(3, 40);
    if (behaviour === "cured" && i >= cureAt && i < cureAt + 3) d = (cureAt + 2 - i) * 30 + rng.int(5, 15);
    if (i >= stopAt) d = null;
    delays.push(d);
    partial.push(behaviour === "partial" && rng.chance(0.5));
  }
  return { delays, partial, payoffAt };
}
