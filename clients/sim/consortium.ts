import { AbiCoder, Wallet, keccak256 } from "ethers";
import type { Provider } from "ethers";
import { LedgerNode } from "../core/node";
import type { AddressBook } from "../core/addressBook";
import { Kind, Role } from "../core/types";
import {
  Applicant,
  LEAD_FUNDING_BPS,
  LEAD_INTEREST_BPS,
  MAX_DRAWDOWN,
  MAX_LIMIT,
  MIN_LIMIT,
  decideCredit,
  installmentOf,
} from "./model";

const coder = AbiCoder.defaultAbiCoder();

/** Names of the simulated institutions (fictional). */
export const LEAD_NAME = "W Bank (lead)";
const PARTNER_NAMES = [
  "Pearl River Rural Bank",
  "Harbour City Commercial Bank",
  "Lotus Savings Bank",
  "North Gate Bank",
  "Jade Mountain Bank",
  "Silk Road City Bank",
  "East Lake Rural Bank",
  "Twin Rivers Bank",
  "Golden Bay Bank",
  "Red Cliff Bank",
];
export const ARBITRATOR_NAME = "Guangzhou Arbitration Commission";
export const REGULATOR_NAME = "Regulator (observer)";

export function partnerName(i: number): string {
  return i < PARTNER_NAMES.length ? PARTNER_NAMES[i] : `Partner Bank ${i + 1}`;
}

/** A deterministic wallet for a run: the same seed gives the same accounts. */
export function seededWallet(seed: string, label: string, provider: Provider): Wallet {
  return new Wallet(keccak256(coder.encode(["string", "string"], [`colend.sim.${seed}`, label])), provider);
}

/** One founding member of the simulated consortium. */
export interface SimMember {
  name: string;
  role: Role;
  wallet: Wallet;
}

export function consortiumMembers(seed: string, partners: number, provider: Provider): SimMember[] {
  const out: SimMember[] = [{ name: LEAD_NAME, role: Role.LeadBank, wallet: seededWallet(seed, "lead", provider) }];
  for (let i = 0; i < partners; i++) {
    out.push({ name: partnerName(i), role: Role.PartnerBank, wallet: seededWallet(seed, `partner.${i}`, provider) });
  }
  out.push({ name: ARBITRATOR_NAME, role: Role.Arbitrator, wallet: seededWallet(seed, "arbitrator", provider) });
  out.push({ name: REGULATOR_NAME, role: Role.Regulator, wallet: seededWallet(seed, "regulator", provider) });
  return out;
}

/**
 * What the consortium's members share off chain: the inter-institution data used to detect
 * multi-head borrowing, and the decisions and loans they have endorsed. Every partner checks a
 * proposal against it before signing.
 */
export class SharedView {
  /** Outside lenders and exposure per pseudonym, as reported among institutions. */
  readonly bureau = new Map<string, { outsideLenders: number; outsideExposureCny: number }>();
  /** Committed credit limits per pseudonym. */
  readonly limits = new Map<string, bigint>();
  /** Outstanding principal per pseudonym. */
  readonly outstanding = new Map<string, bigint>();
  /** Delinquency list (pseudonyms). */
  readonly delinquent = new Set<string>();
}

interface CreditDecisionDoc {
  pseudonym: string;
  inputs: Omit<Applicant, "index" | "identity">;
  approved: boolean;
  limit: string;
}

interface LoanContractDoc {
  loanId: number;
  pseudonym: string;
  principal: string;
  rateBps: number;
  periods: number;
  installment: string;
  funders: { address: string; amount: string }[];
  leadInterestBps: number;
}

interface RepaymentDoc {
  loanId: number;
  amount: string;
  principal: string;
  interest: string;
  overdueInterest: string;
  surcharge: string;
  split: string[];
}

function parseDoc<T>(bytes: Uint8Array): T {
  try {
    return JSON.parse(Buffer.from(bytes).toString("utf8")) as T;
  } catch {
    throw new Error("document is not valid JSON");
  }
}

/**
 * A partner bank's node: before it signs, it re-checks the data behind each record against what
 * it knows (the shared bureau data, the committed limits, the money rules).
 */
export function partnerNode(name: string, wallet: Wallet, book: AddressBook, view: SharedView): LedgerNode {
  const node = new LedgerNode(name, wallet, book);
  node.onReview(Kind.CreditDecision, (p) => {
    const doc = parseDoc<CreditDecisionDoc>(p.document);
    const shared = view.bureau.get(doc.pseudonym);
    if (!shared) throw new Error(`unknown applicant ${doc.pseudonym.slice(0, 10)}`);
    if (
      shared.outsideLenders !== doc.inputs.outsideLenders ||
      shared.outsideExposureCny !== doc.inputs.outsideExposureCny
    ) {
      throw new Error("multi-head data differs from the shared bureau data");
    }
    if (doc.inputs.delinquent !== view.delinquent.has(doc.pseudonym)) throw new Error("delinquency flag is wrong");
    const expected = decideCredit({ index: 0, identity: "", ...doc.inputs });
    if (expected.approved !== doc.approved)
      throw new Error(`decision should be ${expected.approved ? "approve" : "refuse"}`);
    const limit = BigInt(doc.limit);
    if (limit !== expected.limit) {
      throw new Error(
        `credit limit ${limit / 100n} CNY does not follow from the inputs (expected ${expected.limit / 100n} CNY)`,
      );
    }
    if (doc.approved && (limit < MIN_LIMIT || limit > MAX_LIMIT)) throw new Error(`limit ${limit} outside bounds`);
  });
  node.onReview(Kind.LoanContract, (p) => {
    const doc = parseDoc<LoanContractDoc>(p.document);
    const principal = BigInt(doc.principal);
    const limit = view.limits.get(doc.pseudonym);
    if (limit === undefined) throw new Error("borrower is not whitelisted");
    if (principal <= 0n || principal > MAX_DRAWDOWN)
      throw new Error(`drawdown ${principal} outside (0, ${MAX_DRAWDOWN}]`);
    const outstanding = view.outstanding.get(doc.pseudonym) ?? 0n;
    if (outstanding + principal > limit) throw new Error(`drawdown exceeds the credit limit`);
    if (![5, 10, 20].includes(doc.periods)) throw new Error(`periods must be 5, 10 or 20`);
    if (BigInt(doc.installment) !== installmentOf(principal, BigInt(doc.rateBps), doc.periods)) {
      throw new Error("installment is not the annuity of the terms");
    }
    const funded = doc.funders.reduce((a, f) => a + BigInt(f.amount), 0n);
    if (funded !== principal) throw new Error(`funding ${funded} does not equal principal ${principal}`);
    if (BigInt(doc.funders[0].amount) !== (principal * LEAD_FUNDING_BPS) / 10_000n)
      throw new Error("lead share is not 20%");
    if (BigInt(doc.leadInterestBps) !== LEAD_INTEREST_BPS) throw new Error("lead interest share is not 30%");
  });
  node.onReview(Kind.RepaymentReceipt, (p) => {
    const doc = parseDoc<RepaymentDoc>(p.document);
    const parts = BigInt(doc.principal) + BigInt(doc.interest) + BigInt(doc.overdueInterest) + BigInt(doc.surcharge);
    if (parts !== BigInt(doc.amount)) throw new Error("receipt parts do not add up to the amount");
    const split = doc.split.reduce((a, s) => a + BigInt(s), 0n);
    if (split !== BigInt(doc.amount)) throw new Error("split to funders does not add up to the amount");
  });
  return node;
}
