import type { LedgerNode, Proposal } from "../core/node";
import { Kind, LoanStatus, Subject } from "../core/types";
import type { BankNode, LoanParams } from "./bank";
import { decideCredit } from "./decision";
import { decodeDocument, sameValue } from "./documents";
import type { MoneyTerms } from "./documents";
import { ALLOWED_PERIODS } from "./params";
import { reviewDisbursementReceipt } from "./protection";

/**
 * The checks a bank runs before it endorses a lending record, beyond the generic ones (the
 * document hashes to the content hash, the parameters hash to the attrs). A failed check throws,
 * and the bank refuses to sign: a lead bank cannot put a wrong limit, an unlisted borrower or
 * out-of-bounds terms on chain without a majority of its peers signing off on them.
 */

function fail(reason: string): never {
  throw new Error(reason);
}

/** The document's `fields` must say what the attrs say, in order. */
function matchAttrs(p: Proposal, doc: Record<string, unknown>, fields: string[]): readonly unknown[] {
  const values = p.attrs?.values ?? fail("no parameters attached");
  if (values.length !== fields.length) fail("parameters do not fit the kind");
  fields.forEach((field, i) => {
    if (!sameValue(doc[field], values[i]))
      fail(`document ${field} ${String(doc[field])} != attrs ${String(values[i])}`);
  });
  return values;
}

function expectSubject(p: Proposal, subject: string): void {
  if (p.record.subject.toLowerCase() !== subject.toLowerCase()) fail("record is on the wrong subject");
}

async function creditDecision(p: Proposal, node: BankNode): Promise<void> {
  const doc = decodeDocument(p.document, "CreditDecision");
  const [pseudonym, account, limit] = matchAttrs(p, doc, ["pseudonym", "account", "limit"]) as [string, string, bigint];
  expectSubject(p, Subject.borrower(pseudonym));
  const { registry } = node.lending;
  const [minLimit, maxLimit] = await registry.limitBounds();
  if (limit < minLimit || limit > maxLimit) fail(`limit ${limit} outside ${minLimit}..${maxLimit}`);
  const line = await registry.creditLine(pseudonym);
  if (line.state === 0n) {
    const owner = await registry.pseudonymOf(account);
    if (BigInt(owner) !== 0n) fail(`account ${account} already belongs to another borrower`);
  } else {
    if (!sameValue(line.lead, p.proposer)) fail("the proposer does not hold this borrower's line");
    if (!sameValue(line.account, account)) fail("the account differs from the borrower's account");
  }
  const inputs = doc.inputs as Record<string, unknown> | undefined;
  if (!inputs) fail("decision inputs missing");
  const head = await registry.multiHead(pseudonym);
  if (BigInt(String(inputs.multiHeadCount)) !== head.institutions) {
    fail(`multi-head count ${String(inputs.multiHeadCount)} differs from the registry's ${head.institutions}`);
  }
  if (BigInt(String(inputs.outsideExposure)) !== head.outsideExposure) {
    fail(`outside exposure ${String(inputs.outsideExposure)} differs from the registry's ${head.outsideExposure}`);
  }
  if (BigInt(String(inputs.consortiumExposure ?? 0)) !== head.consortiumExposure) {
    fail(
      `consortium exposure ${String(inputs.consortiumExposure)} differs from the registry's ${head.consortiumExposure}`,
    );
  }
  const delinquent = await registry.isDelinquent(pseudonym);
  if (Boolean(inputs.delinquent) !== delinquent) fail("delinquency flag differs from the registry");
  const decision = decideCredit({
    score: Number(inputs.score),
    onTimeMonths: Number(inputs.onTimeMonths),
    requestedLimit: limit,
    multiHeadCount: Number(head.institutions),
    outsideExposure: head.outsideExposure,
    consortiumExposure: head.consortiumExposure,
    delinquent,
  });
  if (!decision.approved) fail(`the decision rule declines: ${decision.reasons.join("; ")}`);
  if (decision.limit < limit) fail(`limit ${limit} above the ${decision.limit} the decision rule allows`);
}

async function creditClosed(p: Proposal, node: BankNode): Promise<void> {
  const doc = decodeDocument(p.document, "CreditClosed");
  const [pseudonym] = matchAttrs(p, doc, ["pseudonym"]) as [string];
  expectSubject(p, Subject.borrower(pseudonym));
  const line = await node.lending.registry.creditLine(pseudonym);
  if (line.state !== 1n) fail("the line is not active");
  if (!sameValue(line.lead, p.proposer)) fail("the proposer does not hold this borrower's line");
}

async function outsideLoan(p: Proposal, node: BankNode): Promise<void> {
  const doc = decodeDocument(p.document, "OutsideLoan");
  const [pseudonym, institution, amount, active] = matchAttrs(p, doc, [
    "pseudonym",
    "institution",
    "amount",
    "active",
  ]) as [string, string, bigint, boolean];
  expectSubject(p, Subject.borrower(pseudonym));
  if (BigInt(institution) === 0n) fail("no institution");
  if (active && amount === 0n) fail("an active loan with no amount");
  if (!active) {
    if (amount !== 0n) fail("a closed loan with an amount");
    const known = await node.lending.registry.outsideLoan(pseudonym, institution);
    if (!known.active) fail("closing an outside loan that is not on record");
  }
}

async function loanContract(p: Proposal, node: BankNode): Promise<void> {
  const doc = decodeDocument(p.document, "LoanContract");
  const [loanId, borrower, pseudonym, principal, rate, periods, periodDays, leadFundingBps, leadInterestBps] =
    matchAttrs(p, doc, [
      "loanId",
      "borrower",
      "pseudonym",
      "principal",
      "annualRateBps",
      "periods",
      "periodDays",
      "leadFundingBps",
      "leadInterestBps",
      "useCategory",
    ]) as [bigint, string, string, bigint, bigint, bigint, bigint, bigint, bigint, string];
  expectSubject(p, Subject.loan(loanId));
  const { registry, loanBook } = node.lending;
  if (loanId !== (await loanBook.nextLoanId())) fail(`loan id ${loanId} is not the next one`);
  if (!(await registry.canBorrow(pseudonym))) fail("the borrower is not whitelisted, closed, or listed since");
  const line = await registry.creditLine(pseudonym);
  if (!sameValue(line.lead, p.proposer)) fail("the proposer does not hold this borrower's line");
  if (!sameValue(line.account, borrower)) fail("the borrower account differs from the registry");
  const committed = await loanBook.committedPrincipal(pseudonym);
  if (committed + principal > line.limit)
    fail(`principal ${principal} exceeds the room left (${line.limit - committed})`);
  const breach = loanTermsBreach(
    { principal, annualRateBps: rate, periods, periodDays, leadFundingBps, leadInterestBps },
    await node.loanParams(),
  );
  if (breach) fail(breach.reason);
}

/** The consortium's bounds a loan's terms must keep, as the loan book's parameters give them. */
export type TermsBounds = Pick<
  LoanParams,
  | "minDrawdown"
  | "maxDrawdown"
  | "maxPeriodDays"
  | "maxRateBps"
  | "minLeadFundingBps"
  | "partnerFundingFloorBps"
  | "maxLeadInterestBps"
>;

/**
 * The first bound a loan's terms break (drawdown, periods, period, rate, funding and interest
 * shares), with the rule's name, or undefined. Used by the per-loan reviewers and the batched
 * cycle's checker alike.
 */
export function loanTermsBreach(
  t: MoneyTerms,
  params: TermsBounds,
): { rule: "limit" | "terms" | "shares"; reason: string } | undefined {
  if (t.principal < params.minDrawdown || t.principal > params.maxDrawdown) {
    return { rule: "limit", reason: `principal ${t.principal} outside ${params.minDrawdown}..${params.maxDrawdown}` };
  }
  if (!ALLOWED_PERIODS.includes(Number(t.periods) as 5 | 10 | 20)) {
    return { rule: "terms", reason: `${t.periods} periods (5, 10 or 20 only)` };
  }
  if (t.periodDays === 0n || t.periodDays > params.maxPeriodDays) {
    return { rule: "terms", reason: `period of ${t.periodDays} days` };
  }
  if (t.annualRateBps > params.maxRateBps) {
    return { rule: "terms", reason: `rate ${t.annualRateBps} bps above ${params.maxRateBps}` };
  }
  if (t.leadFundingBps < params.minLeadFundingBps || t.leadFundingBps > 10_000n - params.partnerFundingFloorBps) {
    return { rule: "shares", reason: `lead funding share ${t.leadFundingBps} bps outside the consortium's bounds` };
  }
  if (t.leadInterestBps > params.maxLeadInterestBps) {
    return { rule: "shares", reason: `lead interest share ${t.leadInterestBps} bps too high` };
  }
  return undefined;
}

async function defaultNotice(p: Proposal, node: BankNode): Promise<void> {
  const doc = decodeDocument(p.document, "DefaultNotice");
  const [loanId, installment, remindedAt] = matchAttrs(p, doc, ["loanId", "installment", "remindedAt"]) as [
    bigint,
    bigint,
    bigint,
  ];
  expectSubject(p, Subject.loan(loanId));
  const loan = await node.lending.loanBook.loanInfo(loanId);
  if (!sameValue(loan.lead, p.proposer)) fail("the proposer is not the loan's lead bank");
  if (Number(loan.status) !== LoanStatus.Active) fail(`the loan is not active (status ${loan.status})`);
  if (loan.remindedAt !== remindedAt || loan.remindedInstallment !== installment) fail("no such reminder on chain");
  if (loan.cursor > installment) fail("the reminded installment was paid");
  const params = await node.loanParams();
  if ((await node.now()) < remindedAt + params.reminderWindow) fail("the reminder window has not passed");
}

async function collectionStarted(p: Proposal, node: BankNode): Promise<void> {
  const doc = decodeDocument(p.document, "CollectionStarted");
  const [loanId, , remindedAt] = matchAttrs(p, doc, ["loanId", "agency", "remindedAt"]) as [bigint, string, bigint];
  expectSubject(p, Subject.loan(loanId));
  const { loanBook } = node.lending;
  const loan = await loanBook.loanInfo(loanId);
  if (!sameValue(loan.lead, p.proposer)) fail("the proposer is not the loan's lead bank");
  if (Number(loan.status) !== LoanStatus.Defaulted) fail(`the loan is not in default (status ${loan.status})`);
  if (loan.remindedAt !== remindedAt) fail("no such reminder on chain");
  if ((await loanBook.collectionOf(loanId)).startedAt !== 0n) fail("collection already started");
  // The reviewer checks the arrears itself, not only the status the lead bank set.
  if ((await loanBook.daysPastDue(loanId)) === 0n) fail("the loan has no arrears (0 days past due)");
  const params = await node.loanParams();
  if ((await node.now()) < remindedAt + params.reminderStageDays * 86_400n) fail("the reminder stage is not over");
}

/** Installs the lending checks on `node`. */
export function installLendingReviewers(node: BankNode): void {
  const as = (f: (p: Proposal, n: BankNode) => Promise<void>) => (p: Proposal, _n: LedgerNode) => f(p, node);
  node
    .onReview(Kind.CreditDecision, as(creditDecision))
    .onReview(Kind.CreditClosed, as(creditClosed))
    .onReview(Kind.OutsideLoan, as(outsideLoan))
    .onReview(Kind.LoanContract, as(loanContract))
    .onReview(Kind.DefaultNotice, as(defaultNotice))
    .onReview(Kind.DisbursementReceipt, as(reviewDisbursementReceipt))
    .onReview(Kind.CollectionStarted, as(collectionStarted));
}
