import { EndorsementRefused } from "../core/node";
import { LoanStatus } from "../core/types";
import { PartnerBankNode } from "../lending";
import { installCaseReviewers } from "../arbitration";
import { parseProposal } from "./endpoint";
import { plannedLoans } from "./plan";
import { ChainEvent, Counters, NodeContext, NodeRole } from "./runtime";

/** What every bank tokenizes for itself at its first start (settlement money for its loans). */
export const BANK_FLOAT = 10n ** 15n;

/**
 * A partner bank process: a `PartnerBankNode` that endorses what its own reviewers accept, keeps
 * every document it endorsed in its encrypted store, and funds the loans whose syndicate it is in
 * once its own checks of the originated loan pass.
 */
export class PartnerRole implements NodeRole {
  readonly node: PartnerBankNode;
  private readonly counters: Counters;
  private readonly index: number;
  private readonly planned;
  private lastRefusal = "";

  constructor(private readonly ctx: NodeContext) {
    this.node = new PartnerBankNode(ctx.spec.name, ctx.wallet, ctx.book);
    installCaseReviewers(this.node);
    this.counters = new Counters(ctx.store);
    this.index = Number(ctx.spec.id.replace(/^partner-/, "")) - 1;
    this.planned = plannedLoans(ctx.plan);
  }

  async setup(): Promise<void> {
    if ((await this.node.balance()) === 0n) await this.node.deposit(BANK_FLOAT);
    await this.node.allowLoanBook(BANK_FLOAT);
  }

  routes() {
    return {
      "POST /endorse": async (body: unknown) => {
        const p = parseProposal(body);
        try {
          const signature = await this.node.endorse(p);
          this.ctx.store.put({
            subject: p.record.subject,
            kind: p.record.kind,
            document: p.document,
            salt: p.salt,
            contentHash: p.record.contentHash,
            meta: { proposer: p.proposer },
          });
          this.counters.add("endorsed");
          return { signature };
        } catch (e) {
          if (e instanceof EndorsementRefused) {
            this.counters.add("refused");
            this.lastRefusal = e.reason;
            this.ctx.log(`refused: ${e.reason}`);
          }
          throw e;
        }
      },
    };
  }

  async onEvent(e: ChainEvent): Promise<void> {
    if (e.name !== "LoanOriginated") return;
    const loanId = e.args.loanId as bigint;
    const planned = this.planned.get(Number(loanId));
    const share = planned?.loan.syndicate.find((s) => s.partner === this.index);
    if (!planned || !share) return;
    const { loanBook, registry } = this.node.lending;
    const loan = await loanBook.loanInfo(loanId);
    const me = (await this.node.address()).toLowerCase();
    // Already in (a restart after the commitment was mined but before the cursor moved).
    if ((await loanBook.fundersOf(loanId)).some((f) => f.account.toLowerCase() === me && f.funded > 0n)) return;
    // Own checks: the loan on chain is the one agreed, still funding, for a borrower in good standing.
    const refuse = (why: string): void => {
      this.counters.add("fundingDeclined");
      this.ctx.log(`not funding loan ${loanId}: ${why}`);
    };
    if (Number(loan.status) !== LoanStatus.Funding) return refuse(`status ${loan.status}`);
    if (loan.principal !== planned.loan.principal) return refuse(`principal ${loan.principal} is not the agreed one`);
    if (!(await registry.canBorrow(loan.pseudonym))) return refuse("the borrower may not borrow");
    if (loan.principal - loan.funded < share.amount) return refuse("less left to fund than our share");
    await this.node.commitFunding(loanId, share.amount);
    this.counters.add("funded");
  }

  async onTime(): Promise<void> {}

  wakeAt(): number | undefined {
    return undefined;
  }

  hasWork(): boolean {
    return false;
  }

  waiting(): string {
    return this.lastRefusal
      ? `proposals and loans to fund (last refusal: ${this.lastRefusal})`
      : "proposals and loans to fund";
  }

  processed(): Record<string, number> {
    return this.counters.all(["endorsed", "refused", "funded", "fundingDeclined"]);
  }
}
