import { AbiCoder, Signature, SigningKey, concat, toBeHex, toUtf8Bytes, zeroPadValue } from "ethers";
import { bytes32Hex, hexBytes, keccak256, keccak256Bytes, uint256Hex } from "../core/bytes";
import { recoverSigner } from "../core/recover";
import { CYCLE_LOAN_ID_BASE, CycleLoanState, cycleLoanStateHash } from "../evidence/cycle";
import { Kind, LoanClass, Subject, ZERO_HASH } from "../core/types";
import { BatchLeaf, BatchTree } from "../ledger/batch";
import type { MoneyTerms } from "../lending/documents";
import { LoanModel, classFor } from "../lending/loanModel";
import { installment, splitBps, splitByWeights } from "../lending/math";
import { LendingParams, pickLoanBookParams } from "../lending/params";
import { TermsBounds, loanTermsBreach } from "../lending/reviewers";

/**
 * The batched lending cycle (docs/CYCLE.md): a cycle's operations are the leaves of Merkle
 * batches, closed by one leaf that commits the loan book's state after the cycle and the net
 * settlement per funder. The same `CycleBook.apply` is run by the lead bank to assemble a cycle
 * and by every partner to replay it, with the one money library (`clients/lending/math.ts`,
 * `loanModel.ts`).
 */

const coder = AbiCoder.defaultAbiCoder();

/** A cycle's consortium-wide settings, known to every node. */
export interface CycleConfig {
  /** The consortium's lending rules (limits, rates, shares, exposure cap, classification). */
  params: LendingParams;
  /** The lead bank (the hub of the net settlement; funder 0 of every loan). */
  lead: string;
  /** The partners and their agreed shares of every loan's partner part (weights, e.g. bps). */
  partners: { account: string; weight: bigint }[];
  /** Borrower assent domain: the chain and the ledger. */
  chainId: bigint;
  ledger: string;
}

export type CycleOp =
  | { type: "whitelist"; pseudonym: string; account: string; limit: bigint }
  | (NewLoan & {
      type: "originate";
      /** The installment the lead computed (checked against the schedule). */
      installment: bigint;
      /** The borrower's EIP-712 `LoanAssent` signature (64-byte compact). */
      assent: string;
    })
  | {
      type: "fund";
      loanId: bigint;
      /** Lead first; by the agreed shares, or by `syndicate` when given. */
      funders: { account: string; amount: bigint }[];
      /**
       * The loan's own syndicate, if it has one: the partners (consortium partners, each once)
       * that fund the partners' part, split by these weights (`syndicateFunding`).
       */
      syndicate?: Syndicate;
    }
  | { type: "disburse"; loanId: bigint; at: bigint }
  | { type: "repay"; loanId: bigint; amount: bigint; at: bigint }
  | { type: "remind"; loanId: bigint; installment: bigint; at: bigint }
  | { type: "classify"; loanId: bigint; loanClass: LoanClass; at: bigint }
  /** The reminded installment went unanswered past the reminder window: the loan is in default. */
  | { type: "default"; loanId: bigint; at: bigint };

/** The cycle's net settlement: funder 0 is the lead (the hub); a positive net is paid to the funder. */
export interface Settlement {
  accounts: string[];
  nets: bigint[];
}

/** Everything partners need to replay and endorse a cycle. */
export interface CycleProposal {
  cycleSubject: string;
  /** The cycle window: every timed operation lies in [start, end]. */
  start: bigint;
  end: bigint;
  ops: CycleOp[];
  stateRoot: string;
  settlement: Settlement;
  /** Leaves per batch (the last batch also holds the close leaf). */
  chunkSize: number;
}

/** A rule a cycle broke: `index` is the leaf (operation) index, or `ops.length` for the close leaf. */
export class CycleRuleError extends Error {
  override readonly name = "CycleRuleError";
  constructor(
    readonly index: number,
    readonly rule: string,
    detail: string,
  ) {
    super(`leaf ${index}: ${rule}: ${detail}`);
  }
}

class RuleBreak extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

function fail(rule: string, message: string): never {
  throw new RuleBreak(rule, message);
}

// ------------------------------------------------------------------ borrower assent

/** EIP-712 type the borrower signs to accept a loan's terms (domain: colend/1, chain, ledger). */
export const LOAN_ASSENT_TYPE =
  "LoanAssent(bytes32 pseudonym,uint256 loanId,uint256 principal,uint256 annualRateBps,uint256 periods,uint256 periodDays,uint256 leadFundingBps,uint256 leadInterestBps)";
const ASSENT_TYPEHASH = keccak256(toUtf8Bytes(LOAN_ASSENT_TYPE));
const DOMAIN_TYPEHASH = keccak256(
  toUtf8Bytes("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
);

const domainCache = new Map<string, string>();
function domainSeparator(chainId: bigint, ledger: string): string {
  const key = `${chainId}:${ledger.toLowerCase()}`;
  let d = domainCache.get(key);
  if (!d) {
    d = keccak256(
      concat([
        DOMAIN_TYPEHASH,
        keccak256(toUtf8Bytes("colend")),
        keccak256(toUtf8Bytes("1")),
        toBeHex(chainId, 32),
        zeroPadValue(ledger, 32),
      ]),
    );
    domainCache.set(key, d);
  }
  return d;
}

type AssentTerms = Pick<
  Extract<CycleOp, { type: "originate" }>,
  | "pseudonym"
  | "loanId"
  | "principal"
  | "annualRateBps"
  | "periods"
  | "periodDays"
  | "leadFundingBps"
  | "leadInterestBps"
>;

/** The EIP-712 digest of a borrower's assent to `t` (same as `signTypedData` with `LOAN_ASSENT_TYPE`). */
export function assentDigest(config: Pick<CycleConfig, "chainId" | "ledger">, t: AssentTerms): string {
  // the struct's words as one hex string (no per-word byte arrays: hashed once per origination by every node)
  const struct = keccak256Bytes(
    Buffer.from(
      ASSENT_TYPEHASH.slice(2) +
        Buffer.from(hexBytes(t.pseudonym)).toString("hex") +
        uint256Hex(t.loanId) +
        uint256Hex(t.principal) +
        uint256Hex(t.annualRateBps) +
        uint256Hex(t.periods) +
        uint256Hex(t.periodDays) +
        uint256Hex(t.leadFundingBps) +
        uint256Hex(t.leadInterestBps),
      "hex",
    ),
  );
  const outer = Buffer.alloc(66);
  outer[0] = 0x19;
  outer[1] = 0x01;
  outer.write(bytes32Hex(domainSeparator(config.chainId, config.ledger)), 2, "hex");
  outer.set(struct, 34);
  return keccak256(outer);
}

/** The borrower's compact assent signature (what a borrower client signs). */
export function signAssent(key: SigningKey, config: Pick<CycleConfig, "chainId" | "ledger">, t: AssentTerms): string {
  return Signature.from(key.sign(assentDigest(config, t))).compactSerialized;
}

// ------------------------------------------------------------------ leaves

/** The batch subject of a lead bank's cycle labelled `label` (a day, by default). */
export function cycleSubject(lead: string, label: string): string {
  return Subject.batch(lead, `cycle:${label}`);
}

function json(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

/** A loan's state as the state commitment holds it (`CycleLoanState`, clients/evidence/cycle.ts). */
export function cycleLoanState(loan: CycleLoan): CycleLoanState {
  const m = loan.model;
  return {
    loanId: loan.loanId,
    pseudonym: loan.pseudonym,
    borrower: loan.borrower,
    status: loan.status,
    loanClass: loan.loanClass,
    outstanding: m.outstanding,
    cursor: BigInt(m.cursor),
    cursorPaid: m.cursorPaid,
    overdueInterest: m.overdueInterest,
    surcharge: m.surcharge,
    totalRepaid: m.totalRepaid,
    disbursedAt: m.disbursedAt,
    remindedInstallment: loan.remindedInstallment,
    remindedAt: loan.remindedAt,
    defaultedAt: loan.defaultedAt,
    payoffAtDefault: loan.payoffAtDefault,
    // before disbursement the model has no funders yet: nothing returned, nothing received
    funders: loan.funding.map((f, i) => ({
      account: f.account,
      funded: f.amount,
      principalReturned: m.funders[i]?.principalReturned ?? 0n,
      incomeReceived: m.funders[i]?.incomeReceived ?? 0n,
    })),
  };
}

/** Hash of one loan's state (the state commitment's leaf value): terms, balances, funders. */
export function loanStateHash(loan: CycleLoan): string {
  return cycleLoanStateHash(cycleLoanState(loan));
}

/** Leaf of operation `index` of the cycle on `subject`: [loan or borrower subject, kind, content, state after]. */
function opLeaf(cycle: string, index: number, op: CycleOp, attrs: string): BatchLeaf {
  const opHash = keccak256(Buffer.from(json(op), "utf8"));
  const content = keccak256(Buffer.from(bytes32Hex(cycle) + uint256Hex(index) + opHash.slice(2), "hex"));
  switch (op.type) {
    case "whitelist":
      return [Subject.borrower(op.pseudonym), Kind.CycleWhitelist, content, attrs];
    case "originate":
      return [Subject.loan(op.loanId), Kind.CycleOrigination, content, attrs];
    case "fund":
      return [Subject.loan(op.loanId), Kind.CycleFunding, content, attrs];
    case "disburse":
      return [Subject.loan(op.loanId), Kind.CycleDisbursement, content, attrs];
    case "repay":
      return [Subject.loan(op.loanId), Kind.CycleRepayment, content, attrs];
    case "remind":
      return [Subject.loan(op.loanId), Kind.CycleReminder, content, attrs];
    case "classify":
      return [Subject.loan(op.loanId), Kind.CycleClassification, content, attrs];
    case "default":
      return [Subject.loan(op.loanId), Kind.CycleDefault, content, attrs];
  }
}

/** keccak256(abi.encode(address[] accounts, int256[] nets)): what `CycleSettlement.settle` recomputes. */
export function settlementHash(s: Settlement): string {
  return keccak256(coder.encode(["address[]", "int256[]"], [s.accounts, s.nets]));
}

/** keccak256(abi.encode(bytes32[] roots)) of the cycle's batches before the closing one. */
export function chunksHash(roots: string[]): string {
  return keccak256(coder.encode(["bytes32[]"], [roots]));
}

/** The close leaf: [cycle subject, CycleClose, keccak256(settlementHash ‖ chunksHash), state root]. */
export function closeLeaf(cycle: string, s: Settlement, earlierRoots: string[], stateRoot: string): BatchLeaf {
  return [
    cycle,
    Kind.CycleClose,
    keccak256(coder.encode(["bytes32", "bytes32"], [settlementHash(s), chunksHash(earlierRoots)])),
    stateRoot,
  ];
}

/** The state commitment: Merkle root over [loan subject, CycleLoanState, state hash, 0] of every loan the cycle touched. */
export function stateTree(loans: CycleLoan[]): BatchTree | undefined {
  if (loans.length === 0) return undefined;
  const sorted = [...loans].sort((a, b) => (a.loanId < b.loanId ? -1 : a.loanId > b.loanId ? 1 : 0));
  return BatchTree.of(sorted.map((l) => [Subject.loan(l.loanId), Kind.CycleLoanState, loanStateHash(l), ZERO_HASH]));
}

// ------------------------------------------------------------------ the lead's operations

/**
 * A loan's funding by the agreed shares: the lead's part is `leadFundingBps` of the principal,
 * the partners split the rest by their agreed weights (`splitByWeights`, exact to the unit);
 * funders with a zero part are left out. Lead first, accounts lowercase.
 */
export function agreedFunding(
  config: CycleConfig,
  principal: bigint,
  leadFundingBps: bigint,
): { account: string; amount: bigint }[] {
  const { leadPart, partnersPart } = splitBps(principal, leadFundingBps);
  const parts = splitByWeights(
    partnersPart,
    config.partners.map((x) => x.weight),
  );
  return [
    { account: config.lead.toLowerCase(), amount: leadPart },
    ...config.partners.map((x, i) => ({ account: x.account.toLowerCase(), amount: parts[i] })),
  ].filter((f) => f.amount > 0n);
}

/** A loan's own syndicate: which partners fund the partners' part, and by what weights. */
export type Syndicate = { account: string; weight: bigint }[];

/**
 * A loan's funding by its own syndicate (as the per-loan path's partners commit it): the lead's
 * part is `leadFundingBps` of the principal, the syndicate's partners split the rest by their
 * weights (`splitByWeights`, in the syndicate's order). Throws naming the problem if a member is
 * not a partner of the consortium, appears twice, or has no positive weight.
 */
export function syndicateFunding(
  config: CycleConfig,
  principal: bigint,
  leadFundingBps: bigint,
  syndicate: Syndicate,
): { account: string; amount: bigint }[] {
  if (!Array.isArray(syndicate) || syndicate.length === 0 || syndicate.length > config.partners.length)
    fail("shares", `a syndicate has 1 to ${config.partners.length} partners`);
  const partners = new Set(config.partners.map((x) => x.account.toLowerCase()));
  const seen = new Set<string>();
  for (const m of syndicate) {
    const a = String(m.account).toLowerCase();
    if (!partners.has(a)) fail("shares", `syndicate member ${m.account} is not a partner of the consortium`);
    if (seen.has(a)) fail("shares", `syndicate member ${m.account} appears twice`);
    if (typeof m.weight !== "bigint" || m.weight <= 0n)
      fail("shares", `syndicate member ${m.account} has no positive weight`);
    seen.add(a);
  }
  const { leadPart, partnersPart } = splitBps(principal, leadFundingBps);
  const parts = splitByWeights(
    partnersPart,
    syndicate.map((x) => x.weight),
  );
  return [
    { account: config.lead.toLowerCase(), amount: leadPart },
    ...syndicate.map((x, i) => ({ account: x.account.toLowerCase(), amount: parts[i] })),
  ].filter((f) => f.amount > 0n);
}

/** The terms of a new loan as the lead offers them. */
export interface NewLoan extends MoneyTerms {
  loanId: bigint;
  pseudonym: string;
}

/**
 * The lead's operations opening a loan the borrower assented to: originate, fund by the agreed
 * shares (or by the loan's own `syndicate`), disburse at `at`.
 */
export function openLoanOps(
  config: CycleConfig,
  loan: NewLoan,
  assent: string,
  at: bigint,
  syndicate?: Syndicate,
): CycleOp[] {
  const fund: CycleOp = syndicate
    ? {
        type: "fund",
        loanId: loan.loanId,
        funders: syndicateFunding(config, loan.principal, loan.leadFundingBps, syndicate),
        syndicate,
      }
    : { type: "fund", loanId: loan.loanId, funders: agreedFunding(config, loan.principal, loan.leadFundingBps) };
  return [
    {
      type: "originate",
      ...loan,
      installment: installment(loan.principal, loan.annualRateBps, loan.periods, loan.periodDays),
      assent,
    },
    fund,
    { type: "disburse", loanId: loan.loanId, at },
  ];
}

// ------------------------------------------------------------------ the book

/** Status of a loan on the batched path (values as `LoanStatus`). */
export enum CycleLoanStatus {
  Funding = 1,
  Active = 2,
  Repaid = 3,
  /** The reminded installment went unanswered past the reminder window; final on this path (docs/CYCLE.md). */
  Defaulted = 4,
}

/** A loan as the cycle book keeps it. */
export interface CycleLoan {
  loanId: bigint;
  pseudonym: string;
  borrower: string;
  status: CycleLoanStatus;
  loanClass: LoanClass;
  remindedInstallment: bigint;
  /** When the last reminder was sent (0: none). */
  remindedAt: bigint;
  /** When the loan was declared in default (0: not in default). */
  defaultedAt: bigint;
  /** What the borrower owed at the default (its payoff then): the court's bound on an award. */
  payoffAtDefault: bigint;
  /** The lead's agreed funding share of this loan, bps. */
  leadFundingBps: bigint;
  /** Funding allocations (lead first); empty until funded. */
  funding: { account: string; amount: bigint }[];
  model: LoanModel;
}

interface CreditLine {
  account: string;
  limit: bigint;
}

/**
 * The loan book of the batched path as a node keeps it off chain. `fork()` gives a working copy
 * that shares unchanged loans (copy on write), so a node can replay a cycle and keep or drop it.
 */
export class CycleBook {
  lines = new Map<string, CreditLine>();
  loans = new Map<bigint, CycleLoan>();
  /** Each partner's committed plus outstanding principal. */
  exposure = new Map<string, bigint>();
  /** Outstanding principal per borrower pseudonym (against its credit limit). */
  drawn = new Map<string, bigint>();
  private owned = new Set<bigint>();

  /** The loan book's bounds on terms, as bigints. */
  readonly bounds: TermsBounds;

  constructor(readonly config: CycleConfig) {
    const p = pickLoanBookParams<bigint | number>(config.params);
    this.bounds = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, BigInt(v)])) as unknown as TermsBounds;
  }

  fork(): CycleBook {
    const b = new CycleBook(this.config);
    b.lines = new Map(this.lines);
    b.loans = new Map(this.loans);
    b.exposure = new Map(this.exposure);
    b.drawn = new Map(this.drawn);
    return b;
  }

  private mutable(loanId: bigint): CycleLoan {
    const loan = this.loans.get(loanId) ?? fail("unknown loan", `no loan ${loanId}`);
    if (this.owned.has(loanId)) return loan;
    const copy: CycleLoan = { ...loan, funding: [...loan.funding], model: loan.model.clone() };
    this.loans.set(loanId, copy);
    this.owned.add(loanId);
    return copy;
  }

  private inWindow(at: bigint, window: { start: bigint; end: bigint }): void {
    if (at < window.start || at > window.end)
      fail("time", `at ${at} is outside the cycle [${window.start}, ${window.end}]`);
  }

  /**
   * Applies one operation with the consortium's rules. Adds each funder's money movement to
   * `flows` (positive: the funder receives) and returns the leaf's attrs (the state after it).
   * Throws a rule break naming the rule.
   */
  apply(
    op: CycleOp,
    window: { start: bigint; end: bigint },
    flows: Map<string, bigint>,
    /** The assent's signer if already recovered (`recoverAssents`); recovered here otherwise. */
    recovered?: string,
  ): string {
    const p = this.config.params;
    const add = (account: string, amount: bigint) => {
      const k = account.toLowerCase();
      flows.set(k, (flows.get(k) ?? 0n) + amount);
    };
    switch (op.type) {
      case "whitelist": {
        if (op.limit < p.minCreditLimit || op.limit > p.maxCreditLimit) {
          fail("limit", `credit limit ${op.limit} outside [${p.minCreditLimit}, ${p.maxCreditLimit}]`);
        }
        this.lines.set(op.pseudonym, { account: op.account.toLowerCase(), limit: op.limit });
        return keccak256(concat([zeroPadValue(op.account, 32), toBeHex(op.limit, 32)]));
      }
      case "originate": {
        const line = this.lines.get(op.pseudonym) ?? fail("whitelist", `borrower ${op.pseudonym} is not whitelisted`);
        if (op.loanId < CYCLE_LOAN_ID_BASE)
          fail("loan id", `loan ${op.loanId} is below the batched path's ids (from 2^64: CYCLE_LOAN_ID_BASE)`);
        if (this.loans.has(op.loanId)) fail("loan id", `loan ${op.loanId} exists already`);
        const breach = loanTermsBreach(op, this.bounds);
        if (breach) fail(breach.rule, breach.reason);
        const drawn = this.drawn.get(op.pseudonym) ?? 0n;
        if (drawn + op.principal > line.limit) {
          fail("limit", `principal ${op.principal} plus ${drawn} drawn exceeds the credit limit ${line.limit}`);
        }
        const expected = installment(op.principal, op.annualRateBps, op.periods, op.periodDays);
        if (op.installment !== expected)
          fail("schedule", `installment ${op.installment} != ${expected} from the terms`);
        let signer = recovered;
        if (signer === undefined) {
          try {
            signer = recoverSigner(assentDigest(this.config, op), op.assent);
          } catch {
            signer = "";
          }
        }
        if (signer === "") fail("assent", "the borrower's assent signature is malformed");
        if (signer !== line.account) fail("assent", `assent signed by ${signer}, not the borrower ${line.account}`);
        const loan: CycleLoan = {
          loanId: op.loanId,
          pseudonym: op.pseudonym,
          borrower: line.account,
          status: CycleLoanStatus.Funding,
          loanClass: LoanClass.Normal,
          remindedInstallment: 0n,
          remindedAt: 0n,
          defaultedAt: 0n,
          payoffAtDefault: 0n,
          leadFundingBps: op.leadFundingBps,
          funding: [],
          model: new LoanModel(
            {
              principal: op.principal,
              annualRateBps: op.annualRateBps,
              periods: Number(op.periods),
              periodDays: op.periodDays,
              leadInterestBps: op.leadInterestBps,
            },
            BigInt(p.surchargeBps),
          ),
        };
        this.loans.set(op.loanId, loan);
        this.owned.add(op.loanId);
        this.drawn.set(op.pseudonym, drawn + op.principal);
        return loanStateHash(loan);
      }
      case "fund": {
        const loan = this.mutable(op.loanId);
        if (loan.status !== CycleLoanStatus.Funding || loan.funding.length > 0)
          fail("state", `loan ${op.loanId} is not awaiting funding`);
        const { principal } = loan.model.terms;
        const expected = op.syndicate
          ? syndicateFunding(this.config, principal, loan.leadFundingBps, op.syndicate)
          : agreedFunding(this.config, principal, loan.leadFundingBps);
        const by = op.syndicate ? "the syndicate's weights" : "the agreed shares";
        if (op.funders.length !== expected.length)
          fail("shares", `${op.funders.length} funders, ${by} give ${expected.length}`);
        for (const [i, f] of op.funders.entries()) {
          const e = expected[i];
          if (f.account.toLowerCase() !== e.account || f.amount !== e.amount) {
            fail("shares", `funder ${i} (${f.account}) funds ${f.amount}; ${by} give ${e.amount} from ${e.account}`);
          }
        }
        for (const f of expected.slice(1)) {
          const after = (this.exposure.get(f.account) ?? 0n) + f.amount;
          if (after > p.partnerExposureCap)
            fail("exposure", `partner ${f.account} would hold ${after} > cap ${p.partnerExposureCap}`);
          this.exposure.set(f.account, after);
        }
        for (const f of expected) add(f.account, -f.amount);
        loan.funding = expected;
        return loanStateHash(loan);
      }
      case "disburse": {
        this.inWindow(op.at, window);
        const loan = this.mutable(op.loanId);
        if (loan.status !== CycleLoanStatus.Funding || loan.funding.length === 0)
          fail("state", `loan ${op.loanId} is not funded`);
        loan.model.disburse(
          op.at,
          loan.funding.map((f) => ({ account: f.account, funded: f.amount })),
        );
        loan.status = CycleLoanStatus.Active;
        // The lead pays the borrower out of the funders' money (no interbank flow).
        return loanStateHash(loan);
      }
      case "repay": {
        this.inWindow(op.at, window);
        const loan = this.mutable(op.loanId);
        if (loan.status !== CycleLoanStatus.Active) fail("state", `loan ${op.loanId} is not being repaid`);
        if (op.at < loan.model.disbursedAt) fail("time", `repayment before disbursement`);
        let r;
        try {
          r = loan.model.repay(op.amount, op.at);
        } catch (e) {
          fail("amount", (e as Error).message);
        }
        for (const [i, f] of loan.model.funders.entries()) {
          add(f.account, r.principalParts[i] + r.incomeParts[i]);
          if (i > 0)
            this.exposure.set(
              f.account.toLowerCase(),
              (this.exposure.get(f.account.toLowerCase()) ?? 0n) - r.principalParts[i],
            );
        }
        // The borrower's money arrives at the lead, which pays every funder its share.
        add(this.config.lead, -op.amount);
        const principal = r.allocation.principal + r.allocation.prepaid;
        this.drawn.set(loan.pseudonym, (this.drawn.get(loan.pseudonym) ?? 0n) - principal);
        if (r.settled) loan.status = CycleLoanStatus.Repaid;
        return loanStateHash(loan);
      }
      case "remind": {
        this.inWindow(op.at, window);
        const loan = this.mutable(op.loanId);
        if (loan.status !== CycleLoanStatus.Active) fail("state", `loan ${op.loanId} is not being repaid`);
        if (loan.model.daysPastDue(op.at) === 0n)
          fail("schedule", `loan ${op.loanId} has no missed installment at ${op.at}`);
        if (op.installment !== BigInt(loan.model.cursor)) {
          fail("schedule", `reminder for installment ${op.installment}; the oldest missed is ${loan.model.cursor}`);
        }
        loan.remindedInstallment = op.installment;
        loan.remindedAt = op.at;
        return loanStateHash(loan);
      }
      case "default": {
        // As the per-loan book's declareDefault: an unanswered reminder, past the reminder window.
        this.inWindow(op.at, window);
        const loan = this.mutable(op.loanId);
        if (loan.status !== CycleLoanStatus.Active) fail("state", `loan ${op.loanId} is not being repaid`);
        if (loan.remindedAt === 0n || BigInt(loan.model.cursor) > loan.remindedInstallment)
          fail("schedule", `loan ${op.loanId} has no unanswered reminder`);
        const earliest = loan.remindedAt + BigInt(p.reminderWindow);
        if (op.at < earliest) fail("time", `default at ${op.at} before the reminder window ends at ${earliest}`);
        loan.status = CycleLoanStatus.Defaulted;
        loan.defaultedAt = op.at;
        loan.payoffAtDefault = loan.model.dues(op.at).payoff;
        return loanStateHash(loan);
      }
      case "classify": {
        this.inWindow(op.at, window);
        const loan = this.mutable(op.loanId);
        if (loan.status !== CycleLoanStatus.Active) fail("state", `loan ${op.loanId} is not being repaid`);
        const expected = classFor(loan.model.daysPastDue(op.at), {
          specialMentionDays: BigInt(p.specialMentionDays),
          substandardDays: BigInt(p.substandardDays),
          doubtfulDays: BigInt(p.doubtfulDays),
          lossDays: BigInt(p.lossDays),
        });
        if (op.loanClass !== expected) fail("classification", `class ${op.loanClass}; days past due give ${expected}`);
        loan.loanClass = expected;
        return loanStateHash(loan);
      }
    }
  }
}

// ------------------------------------------------------------------ replay

/** What replaying a cycle gives: the leaves, the state commitment, the net settlement, the new book. */
export interface Replayed {
  book: CycleBook;
  /** Leaves by batch; the close leaf is the last leaf of the last batch. */
  chunks: BatchLeaf[][];
  trees: BatchTree[];
  stateRoot: string;
  /** The state commitment's tree (absent when the cycle touched no loan). */
  stateTree?: BatchTree;
  settlement: Settlement;
}

/** The net settlement from the flows: partners in config order, then the lead (hub) first with minus their sum. */
export function netSettlement(config: CycleConfig, flows: Map<string, bigint>): Settlement {
  const accounts = [config.lead.toLowerCase(), ...config.partners.map((x) => x.account.toLowerCase())];
  const nets = accounts.map((a) => flows.get(a) ?? 0n);
  nets[0] = -nets.slice(1).reduce((s, n) => s + n, 0n);
  return { accounts, nets };
}

/**
 * Replays `ops` on a fork of `book` with the consortium's rules and returns the cycle's leaves,
 * state root and settlement. A rule break throws `CycleRuleError` naming the leaf.
 */
export function replayCycle(
  book: CycleBook,
  cycle: { cycleSubject: string; start: bigint; end: bigint; ops: CycleOp[]; chunkSize: number },
  /** Assent signers recovered ahead (`recoverAssents`), by operation index. */
  signers?: Map<number, string>,
): Replayed {
  if (!Number.isInteger(cycle.chunkSize) || cycle.chunkSize < 2 || cycle.chunkSize > 65_536) {
    throw new Error(`chunk size ${cycle.chunkSize} must be between 2 and 65,536 leaves`);
  }
  const work = book.fork();
  const flows = new Map<string, bigint>();
  const touched = new Set<bigint>();
  const leaves: BatchLeaf[] = [];
  for (const [i, op] of cycle.ops.entries()) {
    try {
      const attrs = work.apply(op, cycle, flows, signers?.get(i));
      leaves.push(opLeaf(cycle.cycleSubject, i, op, attrs));
      if (op.type !== "whitelist") touched.add(op.loanId);
    } catch (e) {
      if (e instanceof RuleBreak) throw new CycleRuleError(i, e.rule, e.message);
      if (e instanceof Error) throw new CycleRuleError(i, "malformed", e.message);
      throw e;
    }
  }
  const tree = stateTree([...touched].map((id) => work.loans.get(id)!));
  const stateRoot = tree?.root ?? ZERO_HASH;
  const settlement = netSettlement(book.config, flows);
  const chunks: BatchLeaf[][] = [];
  for (let k = 0; k < leaves.length; k += cycle.chunkSize) chunks.push(leaves.slice(k, k + cycle.chunkSize));
  if (chunks.length === 0 || chunks[chunks.length - 1].length === cycle.chunkSize) chunks.push([]);
  const trees = chunks.slice(0, -1).map((c) => BatchTree.of(c));
  const last = chunks[chunks.length - 1];
  last.push(
    closeLeaf(
      cycle.cycleSubject,
      settlement,
      trees.map((t) => t.root),
      stateRoot,
    ),
  );
  trees.push(BatchTree.of(last));
  return { book: work, chunks, trees, stateRoot, stateTree: tree, settlement };
}
