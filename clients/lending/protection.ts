import { randomInt, timingSafeEqual } from "node:crypto";
import { keccak256 } from "ethers";
import type { Committed, Endorser, LedgerNode, Proposal } from "../core/node";
import { proposeAndCommit } from "../core/node";
import { Kind, LoanStatus, Subject } from "../core/types";
import type { DocumentStore } from "../store";
import type { BankNode, LeadBankNode } from "./bank";
import { decodeDocument, encodeDocument, sameValue } from "./documents";
import { ConsortiumSecret, pseudonymOf } from "./pseudonym";

/**
 * Dynamic transaction protection (DOMAIN.md, "During the loan"): the lead bank's node compares a
 * drawdown's device, place and phone with the borrower's usual values, as keyed pseudonyms (the
 * same HMAC under the consortium secret as borrower pseudonyms, never in clear). No deviation
 * passes; a small one needs a one-time code sent to the borrower's registered phone; a large one
 * a biometric (face or voice) check. The outcome goes into the disbursement's record: the
 * `DisbursementReceipt` document, kept in the lead's store, carries it and its hash, so the
 * record's content hash covers it. A failed check disburses nothing and writes nothing.
 */

/** What the borrower's app reports with a drawdown, in clear (used only to compute pseudonyms). */
export interface DrawdownContext {
  device: string;
  place: string;
  phone: string;
}

export const CONTEXT_FIELDS = ["device", "place", "phone"] as const;
export type ContextField = (typeof CONTEXT_FIELDS)[number];

/** A drawdown's context as keyed pseudonyms. */
export type ContextPseudonyms = Record<ContextField, string>;

/** The check a drawdown needs. */
export type ProtectionTier = "none" | "one-time code" | "biometric";

export interface ProtectionPolicy {
  /** Weight of each field that differs from the usual value. */
  weights: Record<ContextField, number>;
  /** Deviation up to which a one-time code suffices (above it: biometric). */
  smallDeviation: number;
  /** Seconds of chain time a one-time code stays valid. */
  codeLifetime: bigint;
}

/**
 * A new device or a new place alone is a small deviation (one-time code); a new phone number
 * (the code would go to a phone that may have been taken over) or any two changes is a large one.
 */
export const DEFAULT_PROTECTION_POLICY: Readonly<ProtectionPolicy> = Object.freeze({
  weights: { device: 1, place: 1, phone: 2 },
  smallDeviation: 1,
  codeLifetime: 300n,
});

/** The drawdown was stopped: nothing was disbursed and nothing recorded. */
export class ProtectionFailed extends Error {
  override readonly name = "ProtectionFailed";
}

/** The pseudonyms of a drawdown's context (domain-separated per field). */
export function contextPseudonyms(secret: ConsortiumSecret, c: DrawdownContext): ContextPseudonyms {
  const out = {} as ContextPseudonyms;
  for (const f of CONTEXT_FIELDS) {
    if (typeof c[f] !== "string" || c[f].trim() === "") throw new ProtectionFailed(`the drawdown gives no ${f}`);
    out[f] = pseudonymOf(secret, `colend.drawdown.${f}:${c[f]}`);
  }
  return out;
}

/** Which fields differ from the usual ones, and the check that calls for. */
export function protectionTier(
  usual: ContextPseudonyms,
  seen: ContextPseudonyms,
  policy: ProtectionPolicy = DEFAULT_PROTECTION_POLICY,
): { tier: ProtectionTier; deviations: ContextField[]; score: number } {
  const deviations = CONTEXT_FIELDS.filter((f) => usual[f].toLowerCase() !== seen[f].toLowerCase());
  const score = deviations.reduce((s, f) => s + policy.weights[f], 0);
  const tier: ProtectionTier = score === 0 ? "none" : score <= policy.smallDeviation ? "one-time code" : "biometric";
  return { tier, deviations, score };
}

/** Sends one-time codes by SMS to a phone known by its pseudonym (the bank's SMS gateway). */
export interface SmsGateway {
  send(phone: string, text: string): Promise<void>;
}

/** The bank's face or voice recognition: does `sample` match the template enrolled for `pseudonym`? */
export interface BiometricService {
  matches(pseudonym: string, sample: Uint8Array): Promise<boolean>;
}

/** The borrower's side of a challenged drawdown (its app). */
export interface DrawdownResponder {
  /** The one-time code the borrower read on its registered phone (undefined: none given). */
  oneTimeCode(loanId: bigint): Promise<string | undefined>;
  /** A face or voice sample (undefined: the borrower did not take the check). */
  biometricSample(loanId: bigint): Promise<Uint8Array | undefined>;
}

/** What protection found and did for one drawdown (the part of the disbursement record it adds). */
export interface ProtectionOutcome {
  loanId: bigint;
  pseudonym: string;
  /** The drawdown's device, place and phone as pseudonyms. */
  seen: ContextPseudonyms;
  deviations: ContextField[];
  tier: ProtectionTier;
  /** "passed" (no check needed, or the check succeeded). */
  result: "passed";
  /** Chain time of the check. */
  at: bigint;
}

/** keccak256 of the canonical outcome document: what the disbursement record binds. */
export function protectionHash(o: ProtectionOutcome): string {
  return keccak256(encodeDocument({ type: "DrawdownProtection", ...o }));
}

/** A protected disbursement as done. */
export interface ProtectedDisbursement {
  loanId: bigint;
  to: string;
  amount: bigint;
  outcome: ProtectionOutcome;
  protectionHash: string;
  /** The endorsed `DisbursementReceipt` record on the loan's chain (its document in the lead's store). */
  record: Committed;
}

interface Profile {
  usual: ContextPseudonyms;
}

const PROFILE_CURSOR = (pseudonym: string) => `protection.profile.${pseudonym.toLowerCase()}`;

/**
 * The lead bank's drawdown protection. Usual values are kept as pseudonyms in the lead's store
 * (they survive a restart); codes are single-use and expire.
 */
export class DrawdownGuard {
  readonly policy: ProtectionPolicy;

  constructor(
    readonly lead: LeadBankNode,
    private readonly o: {
      secret: ConsortiumSecret;
      store: DocumentStore;
      sms: SmsGateway;
      biometrics: BiometricService;
      policy?: ProtectionPolicy;
    },
  ) {
    this.policy = o.policy ?? DEFAULT_PROTECTION_POLICY;
  }

  /** Records a borrower's usual device, place and phone (at whitelisting, from its app), as pseudonyms. */
  enroll(pseudonym: string, usual: DrawdownContext): ContextPseudonyms {
    const p: Profile = { usual: contextPseudonyms(this.o.secret, usual) };
    this.o.store.setCursor(PROFILE_CURSOR(pseudonym), JSON.stringify(p));
    return p.usual;
  }

  private profile(pseudonym: string): Profile {
    const text = this.o.store.getCursor(PROFILE_CURSOR(pseudonym));
    if (!text) throw new ProtectionFailed(`no usual device, place and phone on file for borrower ${pseudonym}`);
    return JSON.parse(text) as Profile;
  }

  /** The check a drawdown in `context` by `pseudonym` needs. */
  assess(pseudonym: string, context: DrawdownContext) {
    const seen = contextPseudonyms(this.o.secret, context);
    return { seen, ...protectionTier(this.profile(pseudonym).usual, seen, this.policy) };
  }

  /**
   * Disburses loan `loanId` once the drawdown passes protection, then records the disbursement
   * with the outcome (endorsed by `peers`). Throws `ProtectionFailed` (nothing disbursed, nothing
   * recorded) for a missing or wrong code, an expired code, or a failed biometric check.
   */
  async disburse(
    loanId: bigint,
    context: DrawdownContext,
    responder: DrawdownResponder,
    peers: readonly Endorser[],
  ): Promise<ProtectedDisbursement> {
    const { loanBook } = this.lead.lending;
    const loan = await loanBook.loanInfo(loanId);
    if (Number(loan.status) !== LoanStatus.Funding) {
      throw new ProtectionFailed(`loan ${loanId} is not waiting for disbursement (status ${loan.status})`);
    }
    const pseudonym = loan.pseudonym;
    const { seen, tier, deviations } = this.assess(pseudonym, context);
    if (tier === "one-time code") await this.oneTimeCode(loanId, pseudonym, responder);
    if (tier === "biometric") {
      const sample = await responder.biometricSample(loanId);
      if (!sample || sample.length === 0) throw new ProtectionFailed(`loan ${loanId}: no biometric sample given`);
      if (!(await this.o.biometrics.matches(pseudonym, sample))) {
        throw new ProtectionFailed(`loan ${loanId}: the biometric check failed`);
      }
    }
    const outcome: ProtectionOutcome = {
      loanId,
      pseudonym,
      seen,
      deviations,
      tier,
      result: "passed",
      at: await this.lead.now(),
    };
    const hash = protectionHash(outcome);
    const d = await this.lead.disburse(loanId);
    const document = encodeDocument({
      type: "DisbursementReceipt",
      loanId,
      to: d.to,
      amount: d.amount,
      protection: { type: "DrawdownProtection", ...outcome },
      protectionHash: hash,
    });
    const record = await proposeAndCommit(this.lead, peers, {
      subject: Subject.loan(loanId),
      kind: Kind.DisbursementReceipt,
      document,
    });
    this.o.store.put({
      subject: Subject.loan(loanId),
      kind: Kind.DisbursementReceipt,
      document,
      salt: record.salt,
      contentHash: record.contentHash,
      meta: { loanId, protection: tier },
    });
    return { loanId, to: d.to, amount: d.amount, outcome, protectionHash: hash, record };
  }

  private async oneTimeCode(loanId: bigint, pseudonym: string, responder: DrawdownResponder): Promise<void> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const issuedAt = await this.lead.now();
    // To the registered phone, never to the one the request came from.
    await this.o.sms.send(
      this.profile(pseudonym).usual.phone,
      `colend: your code for drawdown of loan ${loanId} is ${code}; it expires in ${this.policy.codeLifetime / 60n} minutes`,
    );
    const answer = await responder.oneTimeCode(loanId);
    if (answer === undefined || answer.trim() === "")
      throw new ProtectionFailed(`loan ${loanId}: no one-time code given`);
    if ((await this.lead.now()) > issuedAt + this.policy.codeLifetime) {
      throw new ProtectionFailed(`loan ${loanId}: the one-time code expired`);
    }
    const a = Buffer.from(answer.trim().padEnd(6, " ").slice(0, 16));
    const b = Buffer.from(code.padEnd(6, " ").slice(0, 16));
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new ProtectionFailed(`loan ${loanId}: wrong one-time code`);
    }
  }
}

/**
 * A partner's check of a `DisbursementReceipt` before it endorses it: the loan was disbursed by
 * the proposer for the amount and to the account the receipt says, and the protection outcome is
 * consistent (its tier follows from its deviations under the consortium's policy, it passed, and
 * its hash is the one the receipt binds).
 */
export async function reviewDisbursementReceipt(p: Proposal, node: BankNode): Promise<void> {
  const doc = decodeDocument(p.document, "DisbursementReceipt");
  const loanId = BigInt(String(doc.loanId));
  if (p.record.subject.toLowerCase() !== Subject.loan(loanId).toLowerCase())
    throw new Error("record is on the wrong subject");
  const loan = await node.lending.loanBook.loanInfo(loanId);
  if (!sameValue(loan.lead, p.proposer)) throw new Error("the proposer is not the loan's lead bank");
  if (loan.disbursedAt === 0n) throw new Error(`loan ${loanId} was not disbursed`);
  if (BigInt(String(doc.amount)) !== loan.principal)
    throw new Error(`amount ${String(doc.amount)} is not the principal ${loan.principal}`);
  const prot = doc.protection as Record<string, unknown> | undefined;
  if (!prot || prot.type !== "DrawdownProtection") throw new Error("no protection outcome");
  if (!sameValue(prot.pseudonym, loan.pseudonym) || !sameValue(prot.loanId, loanId)) {
    throw new Error("the protection outcome is for another drawdown");
  }
  if (prot.result !== "passed") throw new Error("the drawdown did not pass protection");
  const deviations = prot.deviations as ContextField[];
  if (!Array.isArray(deviations) || deviations.some((f) => !CONTEXT_FIELDS.includes(f))) {
    throw new Error("malformed deviations");
  }
  const score = deviations.reduce((s, f) => s + DEFAULT_PROTECTION_POLICY.weights[f], 0);
  const tier = score === 0 ? "none" : score <= DEFAULT_PROTECTION_POLICY.smallDeviation ? "one-time code" : "biometric";
  if (prot.tier !== tier)
    throw new Error(`deviations ${deviations.join(", ") || "none"} need ${tier}, not ${String(prot.tier)}`);
  const outcome = { ...prot } as Record<string, unknown>;
  delete outcome.type;
  if (
    keccak256(encodeDocument({ type: "DrawdownProtection", ...outcome })) !== String(doc.protectionHash).toLowerCase()
  ) {
    throw new Error("the protection hash does not match the outcome");
  }
}

/** Installs the disbursement receipt check on a bank node. */
export function installProtectionReviewer(node: BankNode): void {
  node.onReview(Kind.DisbursementReceipt, (p: Proposal, _n: LedgerNode) => reviewDisbursementReceipt(p, node));
}
