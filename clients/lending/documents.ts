import { AbiCoder, keccak256, toUtf8Bytes, toUtf8String } from "ethers";
import type { RecordAttrs } from "../core/node";

/**
 * The off-chain originals behind lending records, and the on-chain parameters (attrs) each kind
 * binds. A document is canonical JSON (keys sorted, bigints as decimal strings), so a peer that
 * receives it can check it hashes to the record's content hash and says what the attrs say.
 * Documents carry pseudonyms and terms only: no names or identity numbers.
 */

/** ABI types of each endorsed kind's attrs, exactly as the contracts hash them. */
export const ATTR_TYPES = {
  /** (pseudonym, account, limit) */
  CreditDecision: ["bytes32", "address", "uint256"],
  /** (pseudonym) */
  CreditClosed: ["bytes32"],
  /** (pseudonym, institution, amount, active) */
  OutsideLoan: ["bytes32", "bytes32", "uint256", "bool"],
  /** (loanId, borrower, pseudonym, principal, annualRateBps, periods, periodDays, leadFundingBps, leadInterestBps, useCategory) */
  LoanContract: [
    "uint256",
    "address",
    "bytes32",
    "uint256",
    "uint256",
    "uint256",
    "uint256",
    "uint256",
    "uint256",
    "bytes32",
  ],
  /** (loanId, installment, remindedAt) */
  DefaultNotice: ["uint256", "uint256", "uint256"],
  /** (loanId, agency, remindedAt) */
  CollectionStarted: ["uint256", "bytes32", "uint256"],
} as const;

/** ABI types of each on-chain fact's attrs (contentHash = keccak256(abi.encode(module, subject, seq))). */
export const FACT_ATTR_TYPES = {
  LoanFunded: ["address", "uint256"], // (funder, amount)
  FundingWithdrawn: ["address", "uint256"], // (funder, amount)
  LoanCancelled: ["address", "uint256"], // (lead, refunded)
  LoanDisbursed: ["address", "uint256", "bool"], // (to, amount, viaUseAccount)
  Repayment: ["address", "uint256", "uint256", "uint256", "uint256", "uint256", "uint256"], // (payer, amount, surcharge, overdueInterest, interest, principal, prepaid)
  Reminder: ["uint256", "bytes32"], // (installment, noticeHash)
  Classified: ["uint8", "uint8", "uint256"], // (from, to, daysPastDue)
  LoanSpend: ["address", "uint256", "bytes32", "bytes32"], // (payee, amount, purposeHash, category)
  DelinquencyListed: ["bytes32", "uint256", "uint32"], // (pseudonym, loanId, listings)
  DefaultCured: ["uint256", "uint256"], // (loanId, installment now current)
  DelinquencyCured: ["bytes32", "uint256", "uint32"], // (pseudonym, loanId, listings so far)
  AwardSatisfied: ["uint256", "uint256", "uint256"], // (caseId, paid against the award, principal written off)
} as const;

const coder = AbiCoder.defaultAbiCoder();

/** Content hash the lending modules give their fact number `seq` on `subject`. */
export function factContentHash(module: string, subject: string, seq: bigint | number): string {
  return keccak256(coder.encode(["address", "bytes32", "uint256"], [module, subject, seq]));
}

/** Attrs of a CreditDecision record. */
export function creditDecisionAttrs(pseudonym: string, account: string, limit: bigint): RecordAttrs {
  return { types: ATTR_TYPES.CreditDecision, values: [pseudonym, account, limit] };
}

/** Attrs of a CreditClosed record. */
export function creditClosedAttrs(pseudonym: string): RecordAttrs {
  return { types: ATTR_TYPES.CreditClosed, values: [pseudonym] };
}

/** Attrs of an OutsideLoan record. */
export function outsideLoanAttrs(pseudonym: string, institution: string, amount: bigint, active: boolean): RecordAttrs {
  return { types: ATTR_TYPES.OutsideLoan, values: [pseudonym, institution, amount, active] };
}

/** The money terms of a loan: amount, rate, schedule and the lead bank's shares. */
export interface MoneyTerms {
  principal: bigint;
  annualRateBps: bigint;
  periods: bigint;
  periodDays: bigint;
  leadFundingBps: bigint;
  leadInterestBps: bigint;
}

/** Loan terms as the loan book takes them (`ILoanBook.LoanTerms`). */
export interface LoanTermsInput extends MoneyTerms {
  pseudonym: string;
  useCategory: string;
}

/** Attrs of a LoanContract record: keccak256(abi.encode(loanId, borrower, terms)). */
export function loanContractAttrs(loanId: bigint, borrower: string, t: LoanTermsInput): RecordAttrs {
  return {
    types: ATTR_TYPES.LoanContract,
    values: [
      loanId,
      borrower,
      t.pseudonym,
      t.principal,
      t.annualRateBps,
      t.periods,
      t.periodDays,
      t.leadFundingBps,
      t.leadInterestBps,
      t.useCategory,
    ],
  };
}

/** Attrs of a DefaultNotice record. */
export function defaultNoticeAttrs(loanId: bigint, installment: bigint, remindedAt: bigint): RecordAttrs {
  return { types: ATTR_TYPES.DefaultNotice, values: [loanId, installment, remindedAt] };
}

/** Attrs of a CollectionStarted record. */
export function collectionStartedAttrs(loanId: bigint, agency: string, remindedAt: bigint): RecordAttrs {
  return { types: ATTR_TYPES.CollectionStarted, values: [loanId, agency, remindedAt] };
}

/** A collection agency's identifier on chain: the hash of its name. */
export function agencyId(name: string): string {
  return keccak256(toUtf8Bytes(`colend.agency.${name}`));
}

type Canonical = string | number | boolean | null | Canonical[] | { [key: string]: Canonical };

function canonical(value: unknown): Canonical {
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`document holds a non-finite number: ${value}`);
    return value;
  }
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === "object") {
    const out: { [key: string]: Canonical } = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  throw new Error(`document holds an unsupported value: ${String(value)}`);
}

/** Canonical JSON bytes of a document (keys sorted, bigints as decimal strings). */
export function encodeDocument(doc: { type: string } & Record<string, unknown>): Uint8Array {
  return toUtf8Bytes(JSON.stringify(canonical(doc)));
}

/** Parses a document and checks its type. Values stay as JSON gives them (bigints as strings). */
export function decodeDocument(bytes: Uint8Array, type: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(toUtf8String(bytes));
  } catch (e) {
    throw new Error(`document is not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || (doc as { type?: unknown }).type !== type) {
    throw new Error(`document is not a ${type}`);
  }
  return doc as Record<string, unknown>;
}

/** Normalizes an attrs value for comparison with a document field. */
export function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : String(v));
  return norm(a) === norm(b);
}
