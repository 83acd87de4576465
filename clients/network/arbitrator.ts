import { ArbitratorNode, CaseState, Outcome, verdictLine } from "../arbitration";
import { decodeDocument } from "../lending";
import { exportCaseBundle } from "../evidence/caseBundle";
import { disclosureManifest } from "../evidence/disclosure";
import { serializeBundle } from "../evidence/bundle";
import { verifyBundle } from "../evidence/verify";
import { DisclosurePackage, DocumentStore, parseDisclosurePackage } from "../store";
import { EndpointError, call } from "./endpoint";
import { ChainEvent, Counters, NodeContext, NodeRole, loadState, saveState } from "./runtime";

interface ArbitratorState {
  /** Disclosure packages received and not yet ruled on (they are readable only with this node's key). */
  inbox: DisclosurePackage[];
  /** Every disclosure package received, ruled on or not (what the node's console reads). */
  received?: DisclosurePackage[];
  /** Cases assigned to this arbitrator and still waiting for the claimant's disclosure. */
  assigned: string[];
  rulings: { caseId: string; loanId: string; verified: boolean; amountOwed: string; verdict: string }[];
}

const STATE = "arbitrator";

/**
 * Every disclosure package the arbitrator process at `store` received on its endpoint, as it keeps
 * them in its store (what its console, running beside it with its secrets, reads).
 */
export function receivedDisclosures(store: DocumentStore): DisclosurePackage[] {
  return loadState<Partial<ArbitratorState>>(store, STATE, {}).received ?? [];
}

/**
 * The arbitrator process: an `ArbitratorNode` that receives disclosure packages on its endpoint,
 * opens and checks them against the ledger, verifies the loan's evidence bundle with the offline
 * verifier (`clients/evidence`) and issues its award.
 */
export class ArbitratorRole implements NodeRole {
  readonly node: ArbitratorNode;
  private readonly counters: Counters;
  private readonly state: ArbitratorState;

  constructor(private readonly ctx: NodeContext) {
    this.node = new ArbitratorNode(ctx.spec.name, ctx.wallet, ctx.book, ctx.store, ctx.wallet.privateKey);
    this.counters = new Counters(ctx.store);
    this.state = loadState<ArbitratorState>(ctx.store, STATE, { inbox: [], assigned: [], rulings: [] });
  }

  private save(): void {
    saveState(this.ctx.store, STATE, this.state);
  }

  async setup(): Promise<void> {
    await this.node.checkEncryptionKey();
  }

  routes() {
    return {
      "POST /disclosure": async (body: unknown) => {
        let pkg: DisclosurePackage;
        try {
          pkg = parseDisclosurePackage(body);
        } catch (e) {
          throw new EndpointError(400, (e as Error).message);
        }
        this.state.inbox.push(pkg);
        (this.state.received ??= []).push(pkg);
        this.save();
        this.counters.add("disclosures");
        // Ruled at once: the claimant hears back when the award is issued and served (the case's
        // month closes after it, as in the demo); the inbox keeps it across a restart meanwhile.
        await this.drain();
        return this.state.rulings.find((r) => r.caseId === String(pkg.caseId)) ?? { caseId: String(pkg.caseId) };
      },
    };
  }

  async onEvent(e: ChainEvent): Promise<void> {
    if (e.name !== "CaseOpened") return;
    if ((e.args.arbitrator as string).toLowerCase() !== this.ctx.wallet.address.toLowerCase()) return;
    this.state.assigned.push(String(e.args.caseId));
    this.save();
    this.counters.add("assigned");
  }

  hasWork(): boolean {
    return this.state.inbox.length > 0;
  }

  async onTime(): Promise<void> {
    await this.drain();
  }

  private draining?: Promise<void>;

  /** Rules on the inbox in order, one package at a time, whoever asks (the endpoint or the clock). */
  private drain(): Promise<void> {
    if (!this.draining) {
      const run = async (): Promise<void> => {
        while (this.state.inbox.length > 0) {
          await this.rule(this.state.inbox[0]);
          this.state.inbox.shift();
          this.save();
        }
      };
      // Cleared after it is set (`finally` runs later), even when the inbox was empty.
      this.draining = run().finally(() => {
        this.draining = undefined;
      });
    }
    return this.draining;
  }

  private async rule(pkg: DisclosurePackage): Promise<void> {
    const caseId = BigInt(pkg.caseId);
    const info = await this.node.court.caseInfo(caseId);
    if (Number(info.state) !== CaseState.Open) return; // ruled before a restart
    const review = await this.node.receiveDisclosure(pkg);
    const claimDoc = review.documents.find((d) => d.verified && d.kindName === "CaseOpened");
    // The case's full disclosure as the offline verifier reads it (as in the demo): the loan's,
    // the case's and the borrower's credit chain, the receipts and the borrower's assent, with the
    // documents this node opened.
    const bundle = await exportCaseBundle(this.ctx.provider, this.ctx.book, caseId, {
      documents: review.documents.map((d) => ({ salt: d.salt, document: d.document })),
      disclosures: [disclosureManifest(pkg)],
    });
    const offline = await verifyBundle(JSON.parse(serializeBundle(bundle)));
    const claimed = claimDoc ? BigInt(String(decodeDocument(claimDoc.document, "Claim").amountClaimed)) : 0n;
    // The node's own reckoning from the disclosed contract, receipts and chain (as in the demo),
    // never the claim's figure.
    const verified = offline.ok && review.verified && claimDoc !== undefined;
    let owed = 0n;
    let outcome: Outcome | undefined;
    let verdict = offline.ok
      ? "not ruled: a disclosed document did not verify"
      : `not ruled: bundle failed verification: ${offline.errors[0] ?? "unknown"}`;
    if (verified) {
      const assessment = await this.node.assess(review, claimed);
      await this.node.rule(assessment);
      owed = assessment.amountOwed;
      outcome = assessment.outcome;
      verdict = verdictLine(assessment);
      this.counters.add(assessment.outcome === Outcome.Dismissed ? "dismissed" : "awards");
    } else this.counters.add("unruled");
    this.ctx.log(`case ${caseId}: ${verdict}`);
    this.state.assigned = this.state.assigned.filter((c) => c !== String(caseId));
    this.state.rulings.push({
      caseId: String(caseId),
      loanId: String(info.loanId),
      verified,
      amountOwed: owed.toString(),
      verdict,
    });
    this.save();
    // The award is served on the borrower, who pays against it as its plan says.
    if (outcome !== undefined && outcome !== Outcome.Dismissed) {
      const borrowers = this.ctx.config.nodes.find((n) => n.kind === "borrowers");
      if (borrowers)
        await call(
          borrowers.port,
          "POST",
          "/award",
          { loanId: info.loanId, caseId, outcome, amountOwed: owed },
          300_000,
        );
    }
  }

  /** What the run's summary needs from the arbitrator: its rulings. */
  report(): { rulings: ArbitratorState["rulings"] } {
    return { rulings: this.state.rulings };
  }

  wakeAt(): number | undefined {
    return undefined;
  }

  waiting(): string {
    return this.state.assigned.length > 0
      ? `disclosure for case ${this.state.assigned.join(", ")}`
      : "cases assigned to it";
  }

  processed(): Record<string, number> {
    return this.counters.all(["assigned", "disclosures", "awards", "dismissed"]);
  }
}
