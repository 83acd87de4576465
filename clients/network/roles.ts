import { Interface, JsonRpcProvider, Wallet, hexlify } from "ethers";
import { EvidenceLedger, EvidenceLedger__factory } from "../../typechain-types";
import type { AddressBook } from "../core/addressBook";
import { EndorsementRefused, LedgerNode, RecordAttrs } from "../core/node";
import { attrsHash, contentHash, recordHash } from "../core/records";
import { Kind, KindName, ProposalState, RecordInput, Role, Subject, ZERO_HASH, kindName } from "../core/types";
import { SharedView, partnerNode } from "../sim/consortium";
import {
  LEAD_FUNDING_BPS,
  LEAD_INTEREST_BPS,
  PERIOD,
  UNITS_PER_CNY,
  borrowerSubject,
  decideCredit,
  installmentOf,
} from "../sim/model";
import { verifyChain } from "../sim/verify";
import type { NetworkConfig, NodeSpec } from "./config";
import { openEnvelope, sealEnvelope } from "./envelope";
import { NodeStore } from "./store";
import { TxSender } from "./tx";
import { EventWatcher, WatchedEvent } from "./watcher";

/** What every node process has: its key, the chain, its own store. */
export interface NodeContext {
  config: NetworkConfig;
  spec: NodeSpec;
  book: AddressBook;
  provider: JsonRpcProvider;
  wallet: Wallet;
  store: NodeStore;
  log: (line: string) => void;
}

/** A node's behaviour: `tick` runs every poll interval. */
export interface NodeRole {
  tick(): Promise<void>;
}

function ledgerOf(ctx: NodeContext): EvidenceLedger {
  return EvidenceLedger__factory.connect(ctx.book.ledger, ctx.wallet);
}

function watcherOf(ctx: NodeContext): EventWatcher {
  return new EventWatcher({
    provider: ctx.provider,
    store: ctx.store,
    sources: [{ address: ctx.book.ledger, iface: EvidenceLedger__factory.createInterface() as unknown as Interface }],
    startBlock: ctx.book.deployBlock,
    confirmations: ctx.config.confirmations,
  });
}

/** Binds an envelope to the ledger, subject and content. */
export function envelopeContext(ledger: string, subject: string, contentHash: string): string {
  return `${ledger.toLowerCase()}:${subject}:${contentHash}`;
}

/** The payload of an envelope: the original document, its salt, the decoded attributes. */
interface Payload {
  salt: string;
  document: string;
  attrs?: { types: string[]; values: unknown[] };
}

// ---------------------------------------------------------------------------- lead bank

interface Step {
  label: string;
  kind: KindName;
  subject: string;
  doc: object;
  attrs?: RecordAttrs;
  /** A forged record the partners must refuse. */
  forged?: boolean;
  /** The arbitrator can read this record's document too. */
  forArbitrator?: boolean;
}

interface PendingProposal {
  id: string;
  step: number;
  record: RecordInput;
  deadline: string;
}

/** The lead bank's workload: each borrower is admitted, draws down and repays; one defaults and goes to arbitration. */
function leadPlan(config: NetworkConfig): Step[] {
  const steps: Step[] = [];
  config.borrowers.forEach((b, i) => {
    const { index: _index, identity: _identity, ...inputs } = b.applicant;
    const decision = decideCredit(b.applicant);
    if (!decision.approved) throw new Error(`network borrower ${b.id} would be refused: ${decision.reason}`);
    const decisionStep = (limit: bigint, forged: boolean): Step => ({
      label: `credit decision for ${b.id}${forged ? " (forged limit)" : ""}`,
      kind: "CreditDecision",
      subject: borrowerSubject(b.pseudonym),
      doc: {
        type: "CreditDecision",
        pseudonym: b.pseudonym,
        inputs,
        approved: true,
        limit: limit.toString(),
        reason: decision.reason,
      },
      attrs: { types: ["bytes32", "bool", "uint256"], values: [b.pseudonym, true, limit] },
      forged,
    });
    if (i === 0) steps.push(decisionStep(decision.limit * 3n, true));
    steps.push(decisionStep(decision.limit, false));
    const loan = Subject.loan(b.loanId);
    const cap = 40_000n * UNITS_PER_CNY;
    const principal = ((decision.limit < cap ? decision.limit : cap) / 2n / 10_000n) * 10_000n || 50_000n;
    const rateBps = 1_080n;
    const lead = (principal * LEAD_FUNDING_BPS) / 10_000n;
    const partners = config.nodes.filter((n) => n.role === Role.PartnerBank).slice(0, 2);
    const half = (principal - lead) / 2n;
    steps.push({
      label: `loan contract ${b.loanId}`,
      kind: "LoanContract",
      subject: loan,
      doc: {
        type: "LoanContract",
        loanId: b.loanId,
        pseudonym: b.pseudonym,
        principal: principal.toString(),
        rateBps: Number(rateBps),
        periods: 5,
        periodSeconds: PERIOD,
        installment: installmentOf(principal, rateBps, 5).toString(),
        funders: [
          { address: new Wallet(config.nodes[0].privateKey).address, amount: lead.toString() },
          { address: new Wallet(partners[0].privateKey).address, amount: half.toString() },
          { address: new Wallet(partners[1].privateKey).address, amount: (principal - lead - half).toString() },
        ],
        leadInterestBps: Number(LEAD_INTEREST_BPS),
      },
      attrs: {
        types: ["uint256", "bytes32", "uint256", "uint256", "uint256"],
        values: [b.loanId, b.pseudonym, principal, rateBps, 5],
      },
    });
    steps.push({
      label: `disbursement ${b.loanId}`,
      kind: "DisbursementReceipt",
      subject: loan,
      doc: { type: "DisbursementReceipt", loanId: b.loanId, amount: principal.toString(), to: b.pseudonym },
    });
    const last = i === config.borrowers.length - 1 && config.borrowers.length > 1;
    if (!last) {
      const amount = installmentOf(principal, rateBps, 5);
      steps.push({
        label: `repayment 1 of loan ${b.loanId}`,
        kind: "RepaymentReceipt",
        subject: loan,
        doc: {
          type: "RepaymentReceipt",
          loanId: b.loanId,
          installment: 0,
          amount: amount.toString(),
          principal: amount.toString(),
          interest: "0",
          overdueInterest: "0",
          surcharge: "0",
          split: [amount.toString()],
        },
        attrs: { types: ["uint256", "uint256", "uint256"], values: [b.loanId, 0, amount] },
      });
    } else {
      steps.push(
        {
          label: `reminder for loan ${b.loanId}`,
          kind: "Reminder",
          subject: loan,
          doc: { type: "Reminder", loanId: b.loanId, installment: 0, channel: "app+sms", answerWithinHours: 24 },
        },
        {
          label: `default notice for loan ${b.loanId}`,
          kind: "DefaultNotice",
          subject: loan,
          doc: { type: "DefaultNotice", loanId: b.loanId, pseudonym: b.pseudonym, installment: 0, listed: true },
          attrs: { types: ["uint256", "bytes32", "uint256"], values: [b.loanId, b.pseudonym, 0] },
        },
        {
          label: `case 1 on loan ${b.loanId}`,
          kind: "CaseOpened",
          subject: Subject.arbitrationCase(1),
          doc: { type: "CaseOpened", caseId: 1, loanId: b.loanId, frozenHead: "<loan head>" },
          attrs: undefined,
          forArbitrator: true,
        },
      );
    }
  });
  return steps;
}

/**
 * The lead bank process: proposes its records one at a time on the voting path (`propose`), with
 * the document in an envelope only members can open, and moves on once the partners' votes commit
 * it. Its position in the plan and the open proposal live in its store, so a restart resumes.
 */
export class LeadRole implements NodeRole {
  private readonly ledger: EvidenceLedger;
  private readonly sender: TxSender;
  private readonly plan: Step[];

  constructor(private readonly ctx: NodeContext) {
    this.ledger = ledgerOf(ctx);
    this.sender = new TxSender(ctx.wallet, ctx.provider, ctx.config.confirmations);
    this.plan = leadPlan(ctx.config);
  }

  async tick(): Promise<void> {
    const { store, log } = this.ctx;
    // The lead follows its proposals through views; its cursor shows how far it has looked.
    store.setCursor(await this.ctx.provider.getBlockNumber());
    const step = Number(store.get("step") ?? "0");
    const pendingText = store.get("pending");
    if (pendingText) {
      const pending = JSON.parse(pendingText) as PendingProposal;
      const info = await this.ledger.proposalInfo(pending.id);
      const state = Number(info.state) as ProposalState;
      const s = this.plan[pending.step];
      if (state === ProposalState.Open) {
        const now = (await this.ctx.provider.getBlock("latest"))!.timestamp;
        if (now > Number(pending.deadline))
          await this.sender.send(
            this.ctx.book.ledger,
            this.ledger.interface.encodeFunctionData("expire", [pending.id]),
          );
        return;
      }
      if (state === ProposalState.Committed) {
        const [endorsers] = await this.ledger.proposalVoters(pending.id);
        log(`committed: ${s.label} (${endorsers.length} endorsements)`);
        store.logAction(null, "committed", s.label);
        store.atomically(() => {
          store.set("step", String(pending.step + 1));
          store.set("pending", "");
        });
        return;
      }
      if (state === ProposalState.Rejected) {
        if (s.forged) {
          const [, objectors] = await this.ledger.proposalVoters(pending.id);
          log(
            `refused by the partners (${objectors.length} objections): ${s.label}; going on with the corrected record`,
          );
          store.logAction(null, "refused", s.label);
          store.atomically(() => {
            store.set("step", String(pending.step + 1));
            store.set("pending", "");
          });
        } else {
          log(`rejected: ${s.label}; proposing again`);
          store.set("pending", "");
        }
        return;
      }
      // None: the proposal transaction never landed (e.g. stopped before it was mined): send again.
      store.set("pending", "");
      return;
    }
    if (step >= this.plan.length) {
      if (store.get("done") !== "1") {
        store.set("done", "1");
        log(`workload done: ${this.plan.length} proposals`);
      }
      return;
    }
    await this.propose(step);
  }

  private async propose(step: number): Promise<void> {
    const { store, log, book } = this.ctx;
    const s = this.plan[step];
    let doc = s.doc as Record<string, unknown>;
    if (s.kind === "CaseOpened") {
      const loanSubject = Subject.loan(Number(doc.loanId));
      doc = { ...doc, frozenHead: await this.ledger.headOf(loanSubject) };
    }
    const document = new TextEncoder().encode(JSON.stringify(doc));
    const salt = crypto.getRandomValues(new Uint8Array(32));
    const record: RecordInput = {
      subject: s.subject,
      kind: Kind[s.kind],
      contentHash: contentHash(document, salt),
      attrs: s.attrs ? attrsHash(s.attrs.types, s.attrs.values) : ZERO_HASH,
      prev: await this.ledger.headOf(s.subject),
    };
    const now = (await this.ctx.provider.getBlock("latest"))!.timestamp;
    const deadline = BigInt(now + 3_600);
    const recipients = this.ctx.config.nodes
      .filter((n) => n.role === Role.PartnerBank || (s.forArbitrator && n.role === Role.Arbitrator))
      .map((n) => new Wallet(n.privateKey).signingKey.compressedPublicKey);
    const payload: Payload = {
      salt: hexlify(salt),
      document: Buffer.from(document).toString("utf8"),
      attrs: s.attrs
        ? { types: [...s.attrs.types], values: s.attrs.values.map((v) => (typeof v === "bigint" ? v.toString() : v)) }
        : undefined,
    };
    const envelope = sealEnvelope(
      new TextEncoder().encode(JSON.stringify(payload)),
      recipients,
      envelopeContext(book.ledger, record.subject, record.contentHash),
    );
    const id = recordHash(record, this.ctx.wallet.address);
    const pending: PendingProposal = { id, step, record, deadline: deadline.toString() };
    store.atomically(() => {
      store.set("pending", JSON.stringify(pending));
      store.putDocument(record.contentHash, record.subject, s.kind, hexlify(salt), payload.document);
    });
    const data = this.ledger.interface.encodeFunctionData("propose", [record, deadline]) + envelope;
    const receipt = await this.sender.send(book.ledger, data, 1_500_000n);
    if (receipt.status !== 1) {
      log(`proposal of ${s.label} reverted; will retry`);
      store.set("pending", "");
      return;
    }
    log(`proposed: ${s.label} (${kindName(record.kind)}) in block ${receipt.blockNumber}`);
    store.logAction(null, "proposed", s.label);
  }
}

// ---------------------------------------------------------------------------- partner bank

/**
 * A partner bank process: watches proposals, opens each document envelope, checks the data like
 * the in-process partner nodes do, and votes `endorse` or `object` on chain, once per proposal.
 */
export class PartnerRole implements NodeRole {
  private readonly ledger: EvidenceLedger;
  private readonly sender: TxSender;
  private readonly watcher: EventWatcher;
  private readonly view = new SharedView();
  private readonly node: LedgerNode;

  constructor(private readonly ctx: NodeContext) {
    this.ledger = ledgerOf(ctx);
    this.sender = new TxSender(ctx.wallet, ctx.provider, ctx.config.confirmations);
    this.watcher = watcherOf(ctx);
    // Inter-institution data every member holds (multi-head detection), and what this node learned.
    for (const b of ctx.config.borrowers) {
      this.view.bureau.set(b.pseudonym, {
        outsideLenders: b.applicant.outsideLenders,
        outsideExposureCny: b.applicant.outsideExposureCny,
      });
      const limit = ctx.store.get(`limit:${b.pseudonym}`);
      if (limit) this.view.limits.set(b.pseudonym, BigInt(limit));
      const out = ctx.store.get(`outstanding:${b.pseudonym}`);
      if (out) this.view.outstanding.set(b.pseudonym, BigInt(out));
    }
    this.node = partnerNode(ctx.spec.name, ctx.wallet, ctx.book, this.view);
  }

  async tick(): Promise<void> {
    await this.watcher.poll((e) => this.handle(e));
  }

  private async handle(e: WatchedEvent): Promise<void> {
    if (e.name !== "RecordProposed") return;
    const { store, log, book } = this.ctx;
    const a = e.args;
    if (a.proposer.toLowerCase() === this.ctx.wallet.address.toLowerCase()) return;
    const record: RecordInput = {
      subject: a.subject,
      kind: a.kind,
      contentHash: a.contentHash,
      attrs: a.attrs,
      prev: a.prev,
    };
    let verdict: { endorse: boolean; reason: string };
    let payload: Payload | undefined;
    try {
      const tx = await this.ctx.provider.getTransaction(e.log.transactionHash);
      const plain = openEnvelope(
        tx!.data,
        this.ctx.wallet.privateKey,
        envelopeContext(book.ledger, record.subject, record.contentHash),
      );
      payload = JSON.parse(Buffer.from(plain).toString("utf8")) as Payload;
      await this.node.review({
        record,
        proposer: a.proposer,
        issuedAt: 0n, // the voting path has no signature window: the vote is the endorsement
        deadline: a.deadline,
        document: new TextEncoder().encode(payload.document),
        salt: Buffer.from(payload.salt.slice(2), "hex"),
        attrs: payload.attrs,
      });
      verdict = { endorse: true, reason: "checks passed" };
    } catch (err) {
      verdict = { endorse: false, reason: err instanceof EndorsementRefused ? err.reason : (err as Error).message };
    }
    if (verdict.endorse && payload) this.learn(record.kind, payload);
    const info = await this.ledger.proposalInfo(a.id);
    const me = this.ctx.wallet.address.toLowerCase();
    const [endorsers, objectors] = await this.ledger.proposalVoters(a.id);
    const voted = [...endorsers, ...objectors].some((x) => x.toLowerCase() === me);
    if (Number(info.state) !== ProposalState.Open || voted) {
      log(`skip ${kindName(a.kind)} ${a.id.slice(0, 10)}: ${voted ? "already voted" : "no longer open"}`);
      return;
    }
    const fn = verdict.endorse ? "endorse" : "object";
    const data = verdict.endorse
      ? this.ledger.interface.encodeFunctionData("endorse", [a.id])
      : this.ledger.interface.encodeFunctionData("object", [a.id]);
    const receipt = await this.sender.send(book.ledger, data, 800_000n);
    if (receipt.status !== 1) {
      log(`${fn} ${a.id.slice(0, 10)} reverted: the proposal was settled before this vote`);
      store.logAction(e.id, `${fn}-late`, a.id);
      return;
    }
    log(`${verdict.endorse ? "endorsed" : "objected to"} ${kindName(a.kind)} ${a.id.slice(0, 10)}: ${verdict.reason}`);
    store.logAction(e.id, fn, `${a.id} ${verdict.reason}`);
  }

  /** Keeps what an endorsed document says that later checks need (limits, outstanding principal). */
  private learn(kind: string, payload: Payload): void {
    const doc = JSON.parse(payload.document) as { pseudonym?: string; limit?: string; principal?: string };
    if (!doc.pseudonym) return;
    if (kind === Kind.CreditDecision && doc.limit) {
      this.view.limits.set(doc.pseudonym, BigInt(doc.limit));
      this.ctx.store.set(`limit:${doc.pseudonym}`, doc.limit);
    }
    if (kind === Kind.LoanContract && doc.principal) {
      const out = (this.view.outstanding.get(doc.pseudonym) ?? 0n) + BigInt(doc.principal);
      this.view.outstanding.set(doc.pseudonym, out);
      this.ctx.store.set(`outstanding:${doc.pseudonym}`, out.toString());
    }
  }
}

// ---------------------------------------------------------------------------- arbitrator

/**
 * The arbitrator process: reads the claim of every case proposed to it, and once the case is
 * committed rebuilds the loan's evidence chain from the ledger up to the frozen head, checks it,
 * and records its verdict in its own store.
 */
export class ArbitratorRole implements NodeRole {
  private readonly ledger: EvidenceLedger;
  private readonly watcher: EventWatcher;

  constructor(private readonly ctx: NodeContext) {
    this.ledger = ledgerOf(ctx);
    this.watcher = watcherOf(ctx);
  }

  async tick(): Promise<void> {
    await this.watcher.poll((e) => this.handle(e));
  }

  private async handle(e: WatchedEvent): Promise<void> {
    const { store, log, book } = this.ctx;
    const a = e.args;
    if (e.name === "RecordProposed" && a.kind === Kind.CaseOpened) {
      const tx = await this.ctx.provider.getTransaction(e.log.transactionHash);
      try {
        const plain = openEnvelope(
          tx!.data,
          this.ctx.wallet.privateKey,
          envelopeContext(book.ledger, a.subject, a.contentHash),
        );
        const payload = JSON.parse(Buffer.from(plain).toString("utf8")) as Payload;
        store.putDocument(a.contentHash, a.subject, "CaseOpened", payload.salt, payload.document);
      } catch (err) {
        log(`cannot read the claim ${a.contentHash.slice(0, 10)}: ${(err as Error).message}`);
      }
      return;
    }
    if (e.name !== "RecordCommitted" || a.kind !== Kind.CaseOpened) return;
    const claim = store.document(a.contentHash);
    if (!claim) {
      log(`case record ${a.contentHash.slice(0, 10)} committed, but its claim was not disclosed to this arbitrator`);
      return;
    }
    const doc = JSON.parse(claim.body) as { caseId: number; loanId: number; frozenHead: string };
    const ledgerVoting = new Map<string, boolean>();
    const check = await verifyChain({
      ledger: this.ledger,
      fromBlock: book.deployBlock,
      subject: Subject.loan(doc.loanId),
      frozenHead: doc.frozenHead,
      quorum: Number(await this.ledger.quorumFor(await this.ledger.votingMemberCount())),
      domain: { name: "colend", version: "1", chainId: BigInt(book.chainId), verifyingContract: book.ledger },
      isVoting: async (x) => {
        if (!ledgerVoting.has(x)) ledgerVoting.set(x, await this.ledger.isVotingMember(x));
        return ledgerVoting.get(x)!;
      },
    });
    const verdict = check.ok
      ? `award for the claimant: the evidence chain of loan ${doc.loanId} (${check.records.length} records) verifies`
      : `dismissed: ${check.problem}`;
    store.logAction(
      e.id,
      "verdict",
      JSON.stringify({ caseId: doc.caseId, loanId: doc.loanId, ok: check.ok, records: check.records.length }),
    );
    log(`case ${doc.caseId}: ${verdict}`);
  }
}

// ---------------------------------------------------------------------------- borrower and observer

/** A borrower (or the regulator): follows the records about itself (or everything) and keeps its own copy. */
export class WatcherRole implements NodeRole {
  private readonly watcher: EventWatcher;
  private readonly subjects?: Set<string>;

  constructor(private readonly ctx: NodeContext) {
    this.watcher = watcherOf(ctx);
    const b = ctx.config.borrowers.find((x) => x.id === ctx.spec.id);
    if (b) this.subjects = new Set([borrowerSubject(b.pseudonym), Subject.loan(b.loanId)]);
  }

  async tick(): Promise<void> {
    await this.watcher.poll(async (e) => {
      if (e.name !== "RecordCommitted") return;
      if (this.subjects && !this.subjects.has(e.args.subject)) return;
      this.ctx.store.logAction(e.id, "record", `${kindName(e.args.kind)} ${e.args.contentHash}`);
      this.ctx.log(
        `record about ${this.subjects ? "me" : "the consortium"}: ${kindName(e.args.kind)} in block ${e.log.blockNumber}`,
      );
    });
  }
}

export function roleFor(ctx: NodeContext): NodeRole {
  switch (ctx.spec.role) {
    case Role.LeadBank:
      return new LeadRole(ctx);
    case Role.PartnerBank:
      return new PartnerRole(ctx);
    case Role.Arbitrator:
      return new ArbitratorRole(ctx);
    default:
      return new WatcherRole(ctx);
  }
}
