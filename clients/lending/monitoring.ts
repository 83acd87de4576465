import type { Committed, Endorser } from "../core/node";
import type { Admitted, LeadBankNode } from "./bank";
import { CreditDecision, decideCredit } from "./decision";

/**
 * Monitoring after the loan (贷后, case study 000): the lead bank re-evaluates a borrower's line
 * when its account changes materially (new loans elsewhere, reported to the registry as endorsed
 * OutsideLoan records), when the scoring model is updated, and on a fixed schedule. The decision
 * is the one credit rule (`decideCredit`, through the lead's own admission path, so partners
 * check it as any decision): a lower limit cuts the line, a decline closes it. Monitoring never
 * raises a limit; that takes a new application.
 */

/** What prompts a re-evaluation. */
export type MonitoringTrigger = "new outside loans" | "scoring model updated" | "scheduled review";

/** The lead's scoring of a borrower now (its model's output and on-time record). */
export type Scoring = (pseudonym: string) => Promise<{ score: number; onTimeMonths: number }>;

/** What a re-evaluation did. */
export interface Reevaluation {
  pseudonym: string;
  trigger: MonitoringTrigger;
  action: "unchanged" | "limit cut" | "line closed";
  limitBefore: bigint;
  limitAfter: bigint;
  decision: CreditDecision;
  /** The endorsed CreditDecision (cut) or CreditClosed (closed) record. */
  record?: Committed;
}

/** The registry's multi-head picture a line was last decided on. */
interface Seen {
  institutions: bigint;
  outsideExposure: bigint;
}

/** The lead bank's monitor of its open lines. */
export class LoanMonitor {
  private cursor: number;
  private readonly seen = new Map<string, Seen>();

  /**
   * @param fromBlock the first block whose outside-loan reports count as new
   */
  constructor(
    readonly lead: LeadBankNode,
    private readonly peers: readonly Endorser[],
    private readonly scoring: Scoring,
    fromBlock = 0,
  ) {
    this.cursor = fromBlock;
  }

  /**
   * Reads the outside-loan reports since the last scan and re-evaluates every borrower of this
   * lead with an open loan whose multi-head picture changed (one re-evaluation per borrower).
   */
  async scan(): Promise<Reevaluation[]> {
    const { registry } = this.lead.lending;
    const latest = await this.lead.signer.provider!.getBlockNumber();
    if (latest < this.cursor) return [];
    const events = await registry.queryFilter(registry.filters.OutsideLoanReported(), this.cursor, latest);
    this.cursor = latest + 1;
    const me = (await this.lead.address()).toLowerCase();
    const out: Reevaluation[] = [];
    for (const pseudonym of [...new Set(events.map((e) => e.args.pseudonym))]) {
      const line = await registry.creditLine(pseudonym);
      if (line.lead.toLowerCase() !== me || line.state !== 1n) continue; // not ours, or not open
      const head = await registry.multiHead(pseudonym);
      if (head.consortiumExposure === 0n) continue; // no open loan: the next application decides
      const before = this.seen.get(pseudonym);
      if (before && before.institutions === head.institutions && before.outsideExposure === head.outsideExposure) {
        continue; // reported again, nothing material changed
      }
      out.push(await this.reevaluate(pseudonym, "new outside loans"));
    }
    return out;
  }

  /** Re-evaluates one borrower's line now (a scheduled review, a model update, or new outside loans). */
  async reevaluate(pseudonym: string, trigger: MonitoringTrigger): Promise<Reevaluation> {
    const { registry } = this.lead.lending;
    const line = await registry.creditLine(pseudonym);
    if (line.state !== 1n) throw new Error(`borrower ${pseudonym} has no open line to re-evaluate`);
    const { score, onTimeMonths } = await this.scoring(pseudonym);
    const params = { pseudonym, account: line.account, score, onTimeMonths, requestedLimit: line.limit, trigger };
    // The one credit rule on the registry's inputs, asked for no more than the current limit.
    const decision = decideCredit(await this.lead.decisionInputs(params));
    const head = await registry.multiHead(pseudonym);
    this.seen.set(pseudonym, { institutions: head.institutions, outsideExposure: head.outsideExposure });
    const base = { pseudonym, trigger, limitBefore: line.limit, decision };
    if (!decision.approved) {
      const record = await this.lead.closeLine(pseudonym, `${trigger}: ${decision.reasons.join("; ")}`, this.peers);
      return { ...base, action: "line closed", limitAfter: 0n, record };
    }
    if (decision.limit >= line.limit) return { ...base, action: "unchanged", limitAfter: line.limit };
    const admitted: Admitted = await this.lead.reevaluate(params, this.peers);
    return { ...base, action: "limit cut", limitAfter: admitted.limit, record: admitted.record };
  }
}
