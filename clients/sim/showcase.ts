import type { LedgerNode, Proposal } from "../core/node";
import { Kind, Subject } from "../core/types";
import { CNY, CreditInputs, creditDecisionAttrs, decideCredit, encodeDocument } from "../lending";

/**
 * The attack both the demo and network mode show: a bank employee colluding with a borrower
 * proposes a credit decision whose limit is above what the decision rule allows. Every partner's
 * reviewers recompute the decision and refuse to sign it.
 */
export async function prepareForgedLimit(
  lead: LedgerNode,
  pseudonym: string,
  account: string,
  inputs: CreditInputs,
): Promise<{ proposal: Proposal; forged: bigint }> {
  const allowed = decideCredit({ ...inputs, requestedLimit: 300_000n * CNY }).limit;
  const forged = allowed + 100n * CNY;
  const proposal = await lead.prepare({
    subject: Subject.borrower(pseudonym),
    kind: Kind.CreditDecision,
    document: encodeDocument({
      type: "CreditDecision",
      pseudonym,
      account,
      limit: forged,
      inputs: { ...inputs },
      tier: "forged",
      reasons: [],
    }),
    attrs: creditDecisionAttrs(pseudonym, account, forged),
  });
  return { proposal, forged };
}
