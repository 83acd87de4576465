/**
 * The console's one door to the node: everything the pages show or do goes through the two desks
 * below, which call the role nodes, their contracts, the evidence exporter and the verifier that
 * `npx colend verify` runs. Nothing here re-implements a check; when the nodes or the verifier
 * change, this is the file that follows them.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress, hexlify, toUtf8Bytes } from "ethers";
import { REVIEWS_STATE, loadState } from "../network/runtime";
import { receivedDisclosures } from "../network/arbitrator";
import { Assessment, ArbitratorNode, CaseState, DisclosureReview, DocumentVerdict, Outcome } from "../arbitration";
import type { AddressBook } from "../core/addressBook";
import type { ReviewDecision } from "../core/node";
import { Attestation, LoanClass, LoanStatus, Subject, kindName } from "../core/types";
import {
  BundleRecord,
  EvidenceBundle,
  ExportError,
  RecordVerdict,
  VerifyReport,
  borrowerOf,
  exportCaseBundle,
  noticeHashOf,
  serializeBundle,
  verifyBundle,
} from "../evidence";
import { formatReport } from "../evidence/cli";
import { disclosureDecrypter, disclosureManifest, sealedDocumentsOf } from "../evidence/disclosure";
import type { BankNode } from "../lending/bank";
import { provisionRates, readProvisions } from "../lending/bookFigures";
import { formatCny, parseCny } from "../lending/math";
import { DisclosureError, DisclosurePackage, DocumentStore, parseDisclosurePackage } from "../store";

/** The request is not allowed for this node (HTTP 403). */
export class ForbiddenError extends Error {
  readonly status = 403;
}
/** No such thing (HTTP 404). */
export class NotFoundError extends Error {
  readonly status = 404;
}
/** The request is malformed or not possible in the current state (HTTP 400). */
export class BadRequestError extends Error {
  readonly status = 400;
}

export const fmtCny = formatCny;
const lower = (s: string): string => s.toLowerCase();

/** A member's readable name from the address book (or the short address). */
export function memberName(book: AddressBook, address: string): string {
  const m = book.members.find((x) => lower(x.address) === lower(address));
  if (m) return m.name;
  for (const key of ["token", "registry", "loanBook", "loanUse", "court"] as const) {
    if (book[key] && lower(book[key]!) === lower(address)) return MODULE_NAMES[key];
  }
  return `${address.slice(0, 8)}…${address.slice(-4)}`;
}

const MODULE_NAMES = {
  token: "settlement token",
  registry: "credit registry",
  loanBook: "loan book",
  loanUse: "loan-use accounts",
  court: "arbitration court",
} as const;

// ================================================================== arbitrator

/** Where disclosure packages addressed to this arbitrator arrive (any channel drops them here). */
export interface DisclosureInbox {
  /** Every package in the inbox, parsed; unreadable files are reported, not thrown. */
  packages(): { file: string; pkg?: DisclosurePackage; error?: string }[];
  /** Changes whenever the packages do. */
  fingerprint(): string;
}

/** A directory of `*.json` disclosure packages. */
export class DirectoryInbox implements DisclosureInbox {
  constructor(readonly dir: string) {}

  fingerprint(): string {
    if (!fs.existsSync(this.dir)) return "";
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => {
        const st = fs.statSync(path.join(this.dir, f));
        return `${f}/${st.size}/${st.mtimeMs}`;
      })
      .join("|");
  }

  packages(): { file: string; pkg?: DisclosurePackage; error?: string }[] {
    if (!fs.existsSync(this.dir)) return [];
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((file) => {
        try {
          return { file, pkg: parseDisclosurePackage(JSON.parse(fs.readFileSync(path.join(this.dir, file), "utf8"))) };
        } catch (e) {
          return { file, error: (e as Error).message };
        }
      });
  }
}

/**
 * The packages a network-mode arbitrator process received on its endpoint (`POST /disclosure`,
 * clients/network/arbitrator.ts), read from its store as the node keeps them: the console runs
 * beside the node with the node's own secrets.
 */
export class NodeInbox implements DisclosureInbox {
  constructor(private readonly store: DocumentStore) {}

  private received(): DisclosurePackage[] {
    return receivedDisclosures(this.store);
  }

  fingerprint(): string {
    return String(this.received().length);
  }

  packages(): { file: string; pkg?: DisclosurePackage; error?: string }[] {
    return this.received().map((pkg, i) => ({ file: `package ${i + 1} received by the node`, pkg }));
  }
}

export type CaseStatus = "open" | "awarded" | "dismissed";

export interface CaseSummary {
  caseId: bigint;
  loanId: bigint;
  claimant: string;
  claimantName: string;
  status: CaseStatus;
  openedBlock: number;
  amountOwed: bigint;
}

/** One record of the evidence timeline, with the verifier's verdict on it. */
export interface TimelineRow {
  chain: string;
  index: number;
  kind: string;
  time: string;
  blockNumber: number;
  proposer: string;
  proposerName: string;
  attestation: string;
  endorsers: { address: string; name: string }[];
  signers: number | null;
  quorum: number | null;
  document: RecordVerdict["document"];
  postFiling: boolean;
  ok: boolean;
  reasons: string[];
  /**
   * The borrower's assent to the record, as the verifier reports it (loan contracts only; null
   * for records that need none).
   */
  assent: { ok: boolean; text: string } | null;
  contentHash: string;
  /**
   * A Reminder fact's notice: the hash its receipt (the loan book's ReminderRecorded event) binds,
   * which the disclosed notice must hash to.
   */
  noticeHash?: string;
}

/** A disclosed document as the arbitrator reads it. */
export interface DisclosedDocument {
  contentHash: string;
  kind: string;
  subject: string;
  /** Which chain and position its record has, if it is in the bundle. */
  record?: { chain: string; index: number };
  /** What the verifier made of it: verified, or failed with its reasons. */
  verified: boolean;
  problems: string[];
  /** The document's text (pretty-printed JSON when it is JSON), as the arbitrator node opened it. */
  text?: string;
  /** Why the arbitrator node refused to open the package that holds it (an altered document). */
  refused?: string;
  from: string;
}

export interface CaseView {
  summary: CaseSummary;
  arbitrator: string;
  frozenHead: string;
  claimHash: string;
  timeline: TimelineRow[];
  /** Index of the loan record the frozen head points at (-1: filed on an empty chain). */
  frozenIndex: number | null;
  postFiling: number;
  report: { ok: boolean; errors: string[]; notes: string[]; documents: VerifyReport["documents"]; ms: number };
  documents: DisclosedDocument[];
  /** Disclosure packages for this case that were ignored, and why. */
  ignoredPackages: { file: string; reason: string }[];
  /** The amount claimed, if the claim document states one (`amountClaimed`, token units). */
  claimed: bigint | null;
  /**
   * The arbitrator node's own reckoning (`ArbitratorNode.assess`): what the verified loan contract
   * and the loan book's disbursement and repayments support now, and the ruling that follows.
   */
  assessment: Assessment;
  award?: { amountOwed: bigint; outcome?: string; reasons?: string };
  disclosureRequests: { at: string; text: string }[];
  loadedMs: number;
}

/** What the arbitrator decides. */
export interface Ruling {
  outcome: "upheld" | "partly-upheld" | "dismissed";
  /** Amount owed, decimal CNY (required unless dismissed). */
  amount?: string;
  reasons: string;
}

/** The court's outcome for each ruling the desk offers. */
const OUTCOME_ON_CHAIN: Record<Ruling["outcome"], Outcome> = {
  upheld: Outcome.Upheld,
  "partly-upheld": Outcome.PartlyUpheld,
  dismissed: Outcome.Dismissed,
};

export const OUTCOMES: Record<Ruling["outcome"], string> = {
  upheld: "Upheld",
  "partly-upheld": "Partly upheld",
  dismissed: "Dismissed",
};

interface CachedCase {
  key: string;
  bundle: EvidenceBundle;
  report: VerifyReport;
  review: DisclosureReview;
  view: CaseView;
  /** The block the view's assessment was made at. */
  block: number;
}

/**
 * The arbitrator's workbench: its cases, each case's evidence verified by the bundle verifier,
 * the disclosed documents opened with its key, and its rulings.
 */
export class ArbitratorDesk {
  readonly role = "arbitrator" as const;
  private readonly cache = new Map<string, CachedCase>();

  /**
   * @param encryptionKey the arbitrator's private encryption key (stays in this process)
   * @param dataDir where the desk keeps its own log (the requests for more disclosure)
   */
  constructor(
    readonly node: ArbitratorNode,
    private readonly encryptionKey: string,
    readonly inbox: DisclosureInbox,
    readonly dataDir: string,
  ) {}

  get book(): AddressBook {
    return this.node.book;
  }

  async identity(): Promise<{ name: string; address: string; role: string }> {
    return { name: this.node.name, address: await this.node.address(), role: "Arbitrator" };
  }

  /** The cases assigned to this arbitrator, newest first. */
  async cases(): Promise<CaseSummary[]> {
    const cases = await this.node.assignedCases();
    return cases
      .map((c) => ({
        caseId: c.caseId,
        loanId: c.loanId,
        claimant: c.claimant,
        claimantName: memberName(this.book, c.claimant),
        status: statusOf(c.state, c.amountOwed, this.awardOf(c.awardHash)?.outcome),
        openedBlock: c.openedBlock,
        amountOwed: c.amountOwed,
      }))
      .reverse();
  }

  /** Fails unless case `caseId` exists and is assigned to this arbitrator. */
  private async assigned(caseId: bigint) {
    if (!this.book.court) throw new NotFoundError("this consortium has no arbitration court");
    if (caseId <= 0n || caseId >= (await this.node.court.nextCaseId())) {
      throw new NotFoundError(`there is no case ${caseId}`);
    }
    const info = await this.node.court.caseInfo(caseId);
    const me = await this.node.address();
    if (lower(info.arbitrator) !== lower(me)) {
      throw new ForbiddenError(
        `case ${caseId} is assigned to ${memberName(this.book, info.arbitrator)} (${info.arbitrator}), not to this arbitrator (${me}); nothing was changed`,
      );
    }
    return info;
  }

  /** The case's bundle (with the disclosed documents, still sealed) and the verifier's report on it. */
  async evidence(caseId: bigint): Promise<{ bundle: EvidenceBundle; report: VerifyReport; text: string }> {
    await this.caseView(caseId);
    const c = this.cache.get(caseId.toString())!;
    return { bundle: c.bundle, report: c.report, text: formatReport(c.report, `case-${caseId}.json`, c.bundle) };
  }

  bundleJson(bundle: EvidenceBundle): string {
    return serializeBundle(bundle);
  }

  /**
   * Everything the case page shows. Verification is the expensive part (a signature recovery per
   * endorsement), so the view is kept until something it rests on changes: the loan's or the
   * case's chain head, the case's state, or the packages in the inbox. Later blocks that touch
   * neither (and later membership changes, which cannot change the verdict on earlier records)
   * leave it as it is; the amount owed now is read afresh every time.
   */
  async caseView(caseId: bigint): Promise<CaseView> {
    const started = performance.now();
    const info = await this.assigned(caseId);
    const provider = this.node.signer.provider!;
    const loanId = info.loanId;
    const loanSubject = lower(Subject.loan(loanId));
    const caseSubject = lower(Subject.arbitrationCase(caseId));
    if (!this.book.loanBook) throw new NotFoundError("this consortium has no loan book");
    const borrowerSubject = lower(Subject.borrower(await borrowerOf(provider, this.book, loanId)));
    const [block, loanHead, caseHead, borrowerHead] = await Promise.all([
      provider.getBlockNumber(),
      this.node.ledger.headOf(loanSubject),
      this.node.ledger.headOf(caseSubject),
      this.node.ledger.headOf(borrowerSubject),
    ]);
    const key = [loanHead, caseHead, borrowerHead, info.state, info.amountOwed, this.inbox.fingerprint()].join(":");
    const cached = this.cache.get(caseId.toString());
    if (cached && cached.key === key) {
      cached.view.disclosureRequests = this.requestsOf(caseId);
      // What is owed moves with time: the node reckons it afresh in every new block.
      if (cached.block !== block) {
        cached.view.assessment = await this.node.assess(cached.review, cached.view.claimed ?? 0n);
        cached.block = block;
      }
      cached.view.loadedMs = performance.now() - started;
      return cached.view;
    }

    // The packages of this case, received by the arbitrator node as it receives any: it checks
    // the package (chain, court, addressee, manifest recorded on chain by the claimant), opens
    // every document with its key and checks each against the ledger. Refused packages are listed.
    const ignoredPackages: { file: string; reason: string }[] = [];
    const packages: DisclosurePackage[] = [];
    const verdicts = new Map<string, DocumentVerdict>();
    const refused = new Map<string, { item: DisclosurePackage["items"][number]; reason: string }>();
    for (const p of this.inbox.packages()) {
      if (!p.pkg) {
        ignoredPackages.push({ file: p.file, reason: p.error! });
        continue;
      }
      if (p.pkg.caseId !== caseId.toString()) continue;
      try {
        const review = await this.node.receiveDisclosure(p.pkg);
        for (const d of review.documents) verdicts.set(lower(d.contentHash), d);
        packages.push(p.pkg);
      } catch (e) {
        if (!(e instanceof DisclosureError)) throw e;
        ignoredPackages.push({ file: p.file, reason: `refused by the arbitrator node: ${e.message}` });
        // The node checks the package (addressee, manifest on chain) before it opens any item: a
        // refusal that names an item is a package the claimant put on record with an altered
        // document. Its documents go to the verifier, which reports each against its record.
        if (/^item \d+/.test(e.message)) {
          packages.push(p.pkg);
          for (const item of p.pkg.items) refused.set(lower(item.contentHash), { item, reason: e.message });
        }
      }
    }
    // Every document of the packages, still sealed: the verifier opens each with the key.
    const sealed = new Map<string, ReturnType<typeof sealedDocumentsOf>[number]>();
    for (const pkg of packages) for (const d of sealedDocumentsOf(pkg)) sealed.set(lower(d.contentHash), d);

    // The case's full disclosure, exported as the demo and the arbitrator process export it.
    let bundle: EvidenceBundle;
    const documents = [...sealed.values()];
    for (;;) {
      try {
        bundle = await exportCaseBundle(provider, this.book, caseId, {
          documents,
          disclosures: packages.map(disclosureManifest),
          toBlock: block,
        });
        break;
      } catch (e) {
        // A disclosed document that is on no record of the case's chains: keep it out, say so.
        const m = e instanceof ExportError ? /document (0x[0-9a-f]{64}) belongs to no record/.exec(e.message) : null;
        if (!m) throw e;
        const i = documents.findIndex((d) => lower(d.contentHash) === m[1]);
        documents.splice(i, 1);
        ignoredPackages.push({
          file: `document ${m[1]}`,
          reason: "disclosed, but no record of this case has its hash",
        });
      }
    }
    const report = await verifyBundle(bundle, { decrypt: disclosureDecrypter(this.encryptionKey) });

    const timeline = this.timeline(bundle, report);
    const chainName: Record<string, string> = {
      [loanSubject]: `loan ${loanId}`,
      [caseSubject]: `case ${caseId}`,
      [borrowerSubject]: "the borrower's credit chain",
    };
    const docs: DisclosedDocument[] = [];
    // In the order of the evidence: each document at its record (a notice at its Reminder fact).
    const position = (h: string) => {
      const i = timeline.findIndex((r) => lower(r.contentHash) === h || r.noticeHash === h);
      return i < 0 ? timeline.length : i;
    };
    documents.sort((x, y) => position(lower(x.contentHash)) - position(lower(y.contentHash)));
    for (const d of documents) {
      const h = lower(d.contentHash);
      const row = timeline.find((r) => lower(r.contentHash) === h || r.noticeHash === h);
      const opened = verdicts.get(h);
      const notOpened = refused.get(h);
      const docReasons = row?.reasons.filter((r) => r.startsWith("document")) ?? [];
      const itemSubject = lower(opened?.subject ?? notOpened!.item.subject);
      docs.push({
        contentHash: h,
        kind: opened?.kindName ?? kindName(notOpened!.item.kind),
        subject: chainName[itemSubject] ?? `subject ${itemSubject}`,
        record: row ? { chain: row.chain, index: row.index } : undefined,
        verified: row?.document === "verified" && opened !== undefined,
        problems: row ? docReasons : ["no record of the case's chains has this content hash"],
        text: opened ? readableText(opened.document) : undefined,
        refused: opened ? undefined : notOpened!.reason,
        from: memberName(this.book, info.claimant),
      });
    }
    const review: DisclosureReview = {
      caseId,
      manifestHash: "",
      documents: [...verdicts.values()],
      verified: [...verdicts.values()].every((d) => d.verified),
    };

    const claimed = this.claimedAmount(bundle, docs);
    const assessment = await this.node.assess(review, claimed ?? 0n);
    const ruling = this.awardOf(info.awardHash);
    const state = Number(info.state) as CaseState;
    const frozen = report.frozenHead;
    const view: CaseView = {
      summary: {
        caseId,
        loanId,
        claimant: info.claimant,
        claimantName: memberName(this.book, info.claimant),
        status: statusOf(
          state,
          info.amountOwed,
          Number(info.outcome) === Outcome.Dismissed ? "dismissed" : ruling?.outcome,
        ),
        openedBlock: bundle.case!.openedBlock,
        amountOwed: info.amountOwed,
      },
      arbitrator: info.arbitrator,
      frozenHead: info.frozenHead,
      claimHash: bundle.case!.claimHash,
      timeline,
      frozenIndex: frozen?.reached ? (frozen.index ?? -1) : null,
      postFiling: frozen?.postFiling ?? 0,
      report: {
        ok: report.ok,
        errors: report.errors,
        notes: report.notes,
        documents: report.documents,
        ms: report.stats.ms,
      },
      documents: docs,
      ignoredPackages,
      claimed,
      assessment,
      award:
        state === CaseState.Awarded
          ? {
              amountOwed: info.amountOwed,
              outcome: (Object.keys(OUTCOME_ON_CHAIN) as Ruling["outcome"][]).find(
                (k) => OUTCOME_ON_CHAIN[k] === Number(info.outcome),
              ),
              reasons: ruling?.reasons,
            }
          : undefined,
      disclosureRequests: this.requestsOf(caseId),
      loadedMs: performance.now() - started,
    };
    this.cache.set(caseId.toString(), { key, bundle, report, review, view, block });
    return view;
  }

  private claimedAmount(bundle: EvidenceBundle, docs: DisclosedDocument[]): bigint | null {
    const claimHash = lower(bundle.case!.claimHash);
    const claim = docs.find((d) => d.contentHash === claimHash && d.verified);
    if (!claim?.text) return null;
    try {
      const v = JSON.parse(claim.text) as { amountClaimed?: unknown };
      if (typeof v.amountClaimed === "string" && /^[0-9]+$/.test(v.amountClaimed)) return BigInt(v.amountClaimed);
    } catch {
      // a claim in prose states no amount the desk can read
    }
    return null;
  }

  private timeline(bundle: EvidenceBundle, report: VerifyReport): TimelineRow[] {
    const rows: TimelineRow[] = [];
    for (const chain of bundle.subjects) {
      const verdicts = report.records.filter((r) => r.chain === chain.role && r.subject === lower(chain.subject));
      chain.records.forEach((r, i) => {
        const v = verdicts[i];
        rows.push({
          // A case bundle's one further chain is the borrower's credit chain (exportCaseBundle).
          chain: chain.role === "subject" ? "borrower" : `${chain.role} ${chain.id ?? ""}`.trim(),
          index: r.index,
          kind: r.kind.name,
          time: new Date(r.timestamp * 1000).toISOString().replace(".000Z", "Z"),
          blockNumber: r.blockNumber,
          proposer: r.proposer,
          proposerName: memberName(this.book, r.proposer),
          attestation: r.attestation.name,
          endorsers: endorsersOf(r, v).map((a) => ({ address: a, name: memberName(this.book, a) })),
          signers: v?.signers ?? null,
          quorum: v?.quorum ?? null,
          document: v?.document ?? "none",
          postFiling: v?.postFiling ?? false,
          ok: v?.ok ?? false,
          reasons: v?.reasons ?? ["the verifier gave no verdict on this record"],
          assent: r.kind.name === "LoanContract" ? assentFinding(v, report, bundle) : null,
          contentHash: r.contentHash,
          noticeHash: noticeHashOf(r),
        });
      });
    }
    return rows;
  }

  /**
   * Rules on the case: the award document (outcome, amount, reasons, and what the verifier found)
   * goes into the arbitrator's store, its salted hash and the amount owed on chain.
   */
  async rule(caseId: bigint, ruling: Ruling): Promise<{ txHash: string; amountOwed: bigint }> {
    const info = await this.assigned(caseId);
    if (Number(info.state) !== CaseState.Open) throw new BadRequestError(`case ${caseId} is not open: it was ruled on`);
    if (!(ruling.outcome in OUTCOMES)) {
      throw new BadRequestError(`outcome must be one of ${Object.keys(OUTCOMES).join(", ")}, not "${ruling.outcome}"`);
    }
    const reasons = ruling.reasons.trim();
    if (reasons.length === 0) throw new BadRequestError("a ruling needs its reasons");
    if (reasons.length > 10_000) throw new BadRequestError("the reasons are longer than 10,000 characters");
    let amount = 0n;
    if (ruling.outcome === "dismissed") {
      if (ruling.amount && ruling.amount.trim() !== "" && parseAmount(ruling.amount) !== 0n) {
        throw new BadRequestError("a dismissed claim awards nothing: leave the amount empty");
      }
    } else {
      if (!ruling.amount || ruling.amount.trim() === "") throw new BadRequestError("an award needs the amount owed");
      amount = parseAmount(ruling.amount);
      if (amount <= 0n) throw new BadRequestError("the amount owed must be more than zero");
    }
    const view = await this.caseView(caseId);
    if (ruling.outcome === "partly-upheld" && view.claimed !== null && amount >= view.claimed) {
      throw new BadRequestError(
        `partly upheld means less than the ${formatCny(view.claimed)} claimed, not ${formatCny(amount)}`,
      );
    }
    if (view.claimed !== null && amount > view.claimed) {
      throw new BadRequestError(`${formatCny(amount)} is more than the ${formatCny(view.claimed)} claimed`);
    }
    const supported = view.assessment.supported;
    if (amount > supported) {
      throw new BadRequestError(
        `the evidence supports at most ${formatCny(supported)} (the arbitrator node's reckoning), not ${formatCny(amount)}`,
      );
    }
    const document = toUtf8Bytes(
      JSON.stringify(
        {
          type: "Award",
          caseId: caseId.toString(),
          loanId: info.loanId.toString(),
          outcome: ruling.outcome,
          amountOwed: amount.toString(),
          amountClaimed: view.claimed?.toString() ?? null,
          amountSupported: supported.toString(),
          assessedAt: view.assessment.at.toString(),
          assessment: view.assessment.reasons,
          reasons,
          evidence: {
            verified: view.report.ok,
            problems: view.report.errors,
            frozenHead: view.frozenHead,
          },
        },
        null,
        2,
      ),
    );
    const issued = await this.node.issueAward(caseId, document, amount, OUTCOME_ON_CHAIN[ruling.outcome]);
    return { txHash: issued.txHash, amountOwed: amount };
  }

  /** Asks the claimant for more documents (kept in the desk's outbox, to send to the claimant). */
  async requestDisclosure(caseId: bigint, text: string): Promise<void> {
    const info = await this.assigned(caseId);
    if (Number(info.state) !== CaseState.Open) throw new BadRequestError(`case ${caseId} is closed`);
    const t = text.trim();
    if (t.length === 0) throw new BadRequestError("say which documents the claimant should disclose");
    if (t.length > 4_000) throw new BadRequestError("the request is longer than 4,000 characters");
    this.appendLog({ type: "disclosure-request", caseId: caseId.toString(), to: info.claimant, text: t });
  }

  private logFile(): string {
    return path.join(this.dataDir, "arbitrator-log.jsonl");
  }

  private appendLog(entry: Record<string, string>): void {
    fs.mkdirSync(this.dataDir, { recursive: true });
    fs.appendFileSync(this.logFile(), JSON.stringify({ at: new Date().toISOString(), ...entry }) + "\n");
  }

  private log(): Record<string, string>[] {
    if (!fs.existsSync(this.logFile())) return [];
    return fs
      .readFileSync(this.logFile(), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, string>);
  }

  private requestsOf(caseId: bigint): { at: string; text: string }[] {
    return this.log()
      .filter((e) => e.type === "disclosure-request" && e.caseId === caseId.toString())
      .map((e) => ({ at: e.at, text: e.text }));
  }

  /** The outcome and reasons of an award this arbitrator issued, from the award document in its store. */
  private awardOf(awardHash: string): { outcome?: string; reasons?: string } | undefined {
    if (BigInt(awardHash) === 0n) return undefined;
    try {
      const doc = this.node.store.get(awardHash);
      if (!doc) return undefined;
      const v = JSON.parse(Buffer.from(doc.document).toString("utf8")) as { outcome?: unknown; reasons?: unknown };
      return {
        outcome: typeof v.outcome === "string" ? v.outcome : undefined,
        reasons: typeof v.reasons === "string" ? v.reasons : undefined,
      };
    } catch {
      return undefined;
    }
  }
}

/**
 * The borrower's assent to a loan contract record as the verifier of `npx colend verify` reports
 * it: its findings that name the assent (on the record, or on the bundle: failures, then what it
 * could not prove offline); with none and an assent in the bundle, the verifier checked it. The
 * console runs no check of its own.
 */
function assentFinding(
  v: RecordVerdict | undefined,
  report: VerifyReport,
  bundle: EvidenceBundle,
): { ok: boolean; text: string } {
  const about = (xs: readonly string[] | undefined) => (xs ?? []).filter((x) => /assent/i.test(x));
  const failed = [...about(v?.reasons), ...about(report.errors)];
  if (failed.length > 0) return { ok: false, text: failed.join("; ") };
  const unproven = [...about(v?.unproven), ...about(report.unproven)];
  if (unproven.length > 0) return { ok: false, text: `unproven: ${unproven.join("; ")}` };
  // Bundles that carry the borrower's assent (the verifier checks it whenever one is there).
  const carried = (bundle as { assent?: { borrower?: unknown } }).assent;
  if (carried && typeof carried.borrower === "string") {
    return { ok: true, text: `signed by the borrower ${carried.borrower}; checked by the verifier` };
  }
  return {
    ok: false,
    text: "not checked: the bundle carries no assent, or this verifier does not check it yet (the loan book verified it at origination)",
  };
}

function statusOf(state: CaseState, amountOwed: bigint, outcome?: string): CaseStatus {
  if (state !== CaseState.Awarded) return "open";
  return outcome === "dismissed" || amountOwed === 0n ? "dismissed" : "awarded";
}

function parseAmount(text: string): bigint {
  try {
    return parseCny(text);
  } catch (e) {
    throw new BadRequestError((e as Error).message);
  }
}

/** Who attested a record, as the verifier counted them; for a fact, the module that reported it. */
function endorsersOf(r: BundleRecord, v: RecordVerdict | undefined): string[] {
  if (r.attestation.id === Attestation.Fact) return [getAddress(r.fact?.module ?? r.endorsements)];
  return v?.endorsers ?? [];
}

/** Bytes as text for reading: JSON pretty-printed, other UTF-8 as is, binary as hex. */
export function readableText(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("utf8");
  if (Buffer.from(text, "utf8").equals(Buffer.from(bytes))) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return hexlify(bytes);
}

// ================================================================== bank

export const CLASS_NAMES = ["Normal", "Special mention", "Substandard", "Doubtful", "Loss"] as const;
export const STATUS_NAMES = [
  "none",
  "funding",
  "active",
  "repaid",
  "defaulted",
  "in arbitration",
  "awarded",
  "cancelled",
  "closed",
] as const;

export interface BookByClass {
  cls: LoanClass;
  name: string;
  loans: number;
  /** This bank's principal outstanding in the class. */
  balance: bigint;
  /** Its provision at the consortium's rate, as the loan book states it (`provisionsOf`). */
  provision: bigint;
  /** The consortium's provision rate of the class (the loan book's parameters), basis points. */
  rateBps: bigint;
}

export interface BookSnapshot {
  blockNumber: number;
  time: number;
  classes: BookByClass[];
  balance: bigint;
  nonPerforming: bigint;
  provisions: bigint;
  /** NPL ratio in basis points (null: nothing outstanding). */
  nplBps: bigint | null;
  /** Provision coverage in basis points (null: nothing non-performing). */
  coverageBps: bigint | null;
}

export interface BankLoan {
  loanId: bigint;
  status: string;
  statusId: LoanStatus;
  cls: string;
  principal: bigint;
  outstanding: bigint;
  myFunded: bigint;
  myOutstanding: bigint;
  daysPastDue: bigint;
  amountDue: bigint;
  stage: string;
  lead: boolean;
}

export interface DecisionRow {
  at: string;
  kind: string;
  subject: string;
  proposer: string;
  signed: boolean;
  reason: string;
}

export interface Commitment {
  loanId: bigint;
  committed: bigint;
  status: string;
  funded: bigint;
  principal: bigint;
}

/** Where a bank desk reads its review decisions: the in-process node, or a node process's store. */
export type DecisionSource = () => readonly ReviewDecision[] | Promise<readonly ReviewDecision[]>;

/**
 * The decisions of a network-mode node process (clients/network), as it keeps them in its store
 * (`REVIEWS_STATE`): the console runs beside the node and reads them from there.
 */
export function storedDecisions(store: DocumentStore): DecisionSource {
  return () => loadState<ReviewDecision[]>(store, REVIEWS_STATE, []);
}

/** The bank's console: its loan book, the endorsements it gave or refused, its money. */
export class BankDesk {
  readonly role = "bank" as const;

  constructor(
    readonly node: BankNode,
    private readonly decisionSource: DecisionSource = () => node.reviewDecisions(),
  ) {}

  get book(): AddressBook {
    return this.node.book;
  }

  async identity(): Promise<{ name: string; address: string; role: string }> {
    const me = await this.node.address();
    const m = this.book.members.find((x) => lower(x.address) === lower(me));
    return { name: this.node.name, address: me, role: m?.role === 1 ? "Lead bank" : "Partner bank" };
  }

  /** The bank's money: balance, escrow, outstanding, non-performing, claimable. */
  async money() {
    const p = await this.node.position();
    return { balance: await this.node.balance(), ...p };
  }

  /** Every loan this bank funds, as it stands now. */
  async loans(): Promise<BankLoan[]> {
    const { loanBook } = this.node.lending;
    const me = lower(await this.node.address());
    const next = await loanBook.nextLoanId();
    const out: BankLoan[] = [];
    for (let id = 1n; id < next; id++) {
      const [loan, funders] = await Promise.all([loanBook.loanInfo(id), loanBook.fundersOf(id)]);
      const mine = funders.find((f) => lower(f.account) === me);
      if (!mine) continue;
      const status = Number(loan.status) as LoanStatus;
      const live = ![LoanStatus.Funding, LoanStatus.Cancelled, LoanStatus.None].includes(status);
      const dues = live && status !== LoanStatus.Repaid ? await loanBook.dues(id) : undefined;
      out.push({
        loanId: id,
        status: STATUS_NAMES[status] ?? String(status),
        statusId: status,
        cls: CLASS_NAMES[Number(loan.class_)] ?? String(loan.class_),
        principal: loan.principal,
        outstanding: loan.outstanding,
        myFunded: mine.funded,
        myOutstanding: live ? mine.funded - mine.principalReturned : 0n,
        daysPastDue: dues?.daysPastDue ?? 0n,
        amountDue: dues?.amountDue ?? 0n,
        stage: stageOf(status, loan, dues?.daysPastDue ?? 0n),
        lead: lower(loan.lead) === me,
      });
    }
    return out;
  }

  /** Loans with money overdue or in default, arbitration or award. */
  async arrears(): Promise<BankLoan[]> {
    return (await this.loans()).filter(
      (l) =>
        l.daysPastDue > 0n || [LoanStatus.Defaulted, LoanStatus.InArbitration, LoanStatus.Awarded].includes(l.statusId),
    );
  }

  /**
   * The book by class, NPL ratio and provision coverage at `blockTag` (default: now): balances,
   * provisions and coverage as the loan book states them (`provisionsOf`, at the consortium's
   * rates), and how many of this bank's loans are in each class.
   */
  async snapshot(blockTag?: number): Promise<BookSnapshot> {
    const { loanBook } = this.node.lending;
    const provider = this.node.signer.provider!;
    const at = blockTag ?? (await provider.getBlockNumber());
    const block = await provider.getBlock(at);
    const me = await this.node.address();
    const rates = provisionRates(await this.node.loanParams());
    // Before the loan book was deployed there was no book at all.
    const deployed = (await provider.getCode(this.book.loanBook!, at)) !== "0x";
    const p = deployed
      ? await readProvisions(loanBook, me, at)
      : { balance: rates.map(() => 0n), provision: rates.map(() => 0n), total: 0n, nonPerforming: 0n, coverageBps: 0n };
    const classes: BookByClass[] = CLASS_NAMES.map((name, cls) => ({
      cls: cls as LoanClass,
      name,
      loans: 0,
      balance: p.balance[cls],
      provision: p.provision[cls],
      rateBps: rates[cls],
    }));
    const next = deployed ? await loanBook.nextLoanId({ blockTag: at }) : 1n;
    for (let id = 1n; id < next; id++) {
      const [loan, funders] = await Promise.all([
        loanBook.loanInfo(id, { blockTag: at }),
        loanBook.fundersOf(id, { blockTag: at }),
      ]);
      const status = Number(loan.status) as LoanStatus;
      const over = [LoanStatus.None, LoanStatus.Funding, LoanStatus.Cancelled, LoanStatus.Repaid, LoanStatus.Closed];
      if (over.includes(status)) continue;
      const mine = funders.find((f) => lower(f.account) === lower(me));
      if (mine && mine.funded > mine.principalReturned) classes[Number(loan.class_)].loans++;
    }
    const balance = p.balance.reduce((s, b) => s + b, 0n);
    return {
      blockNumber: at,
      time: block!.timestamp,
      classes,
      balance,
      nonPerforming: p.nonPerforming,
      provisions: p.total,
      nplBps: balance === 0n ? null : (p.nonPerforming * 10_000n) / balance,
      coverageBps: p.nonPerforming === 0n ? null : p.coverageBps,
    };
  }

  /**
   * The book after each block in which the loan book changed a loan (disbursement, repayment,
   * classification, default, award), the last `points` of them, plus the deployment and now.
   */
  async history(points = 24): Promise<BookSnapshot[]> {
    const provider = this.node.signer.provider!;
    const latest = await provider.getBlockNumber();
    const { loanBook } = this.node.lending;
    const names = ["LoanDisbursed", "RepaymentApplied", "LoanClassified", "LoanDefaulted", "AwardRecorded"] as const;
    const topics = names.map((name) => loanBook.interface.getEvent(name)!.topicHash);
    const logs = await provider.getLogs({
      address: this.book.loanBook,
      topics: [topics],
      fromBlock: this.book.deployBlock,
      toBlock: latest,
    });
    const changed = [...new Set(logs.map((l) => l.blockNumber))].slice(-points);
    const blocks = [...new Set([this.book.deployBlock, ...changed, latest])].sort((x, y) => x - y);
    const out: BookSnapshot[] = [];
    for (const b of blocks) {
      if (b === latest) out.push(await this.snapshot(b));
      else {
        // A chain node restarted from saved state (anvil --state) keeps no older state: skip those points.
        try {
          out.push(await this.snapshot(b));
        } catch {
          continue;
        }
      }
    }
    return out;
  }

  /** The endorsement requests this bank signed or refused, newest first. */
  async decisions(): Promise<DecisionRow[]> {
    return [...(await this.decisionSource())].reverse().map((d) => ({
      at: new Date(d.at).toISOString().replace(/\.\d{3}Z$/, "Z"),
      kind: kindName(d.kind),
      subject: subjectName(d.subject),
      proposer: memberName(this.book, d.proposer),
      signed: d.signed,
      reason: d.reason,
    }));
  }

  /** What this bank committed to each loan it funds (net of withdrawals). */
  async commitments(): Promise<Commitment[]> {
    const { loanBook } = this.node.lending;
    const me = await this.node.address();
    const funded = await loanBook.queryFilter(loanBook.filters.LoanFunded(undefined, me), this.book.deployBlock);
    const withdrawn = await loanBook.queryFilter(
      loanBook.filters.FundingWithdrawn(undefined, me),
      this.book.deployBlock,
    );
    const byLoan = new Map<bigint, bigint>();
    for (const e of funded) byLoan.set(e.args.loanId, (byLoan.get(e.args.loanId) ?? 0n) + e.args.amount);
    for (const e of withdrawn) byLoan.set(e.args.loanId, (byLoan.get(e.args.loanId) ?? 0n) - e.args.amount);
    const out: Commitment[] = [];
    for (const [loanId, committed] of [...byLoan.entries()].sort((a, b) => Number(a[0] - b[0]))) {
      const loan = await loanBook.loanInfo(loanId);
      out.push({
        loanId,
        committed,
        status: STATUS_NAMES[Number(loan.status)] ?? String(loan.status),
        funded: loan.funded,
        principal: loan.principal,
      });
    }
    return out;
  }

  /** Claims everything credited to this bank. */
  async claim(): Promise<bigint> {
    const { claimable } = await this.node.position();
    if (claimable === 0n) throw new BadRequestError("nothing to claim: no repayment is credited to this bank");
    return this.node.claim();
  }
}

function stageOf(status: LoanStatus, loan: { remindedAt: bigint; class_: bigint }, dpd: bigint): string {
  switch (status) {
    case LoanStatus.Defaulted:
      return "defaulted: listed, ready for arbitration";
    case LoanStatus.InArbitration:
      return "in arbitration";
    case LoanStatus.Awarded:
      return "award issued";
    case LoanStatus.Repaid:
      return "repaid";
    default:
      if (dpd === 0n) return "current";
      return `${dpd} days overdue${loan.remindedAt > 0n ? ", reminded" : ""} (${CLASS_NAMES[Number(loan.class_)].toLowerCase()})`;
  }
}

let knownSubjects: Map<string, string> | undefined;

/** "loan 3", "case 1" for the first 256 loans and cases; else "subject 0x1234…abcd". */
function subjectName(subject: string): string {
  if (!knownSubjects) {
    knownSubjects = new Map();
    for (let id = 1n; id <= 256n; id++) {
      knownSubjects.set(lower(Subject.loan(id)), `loan ${id}`);
      knownSubjects.set(lower(Subject.arbitrationCase(id)), `case ${id}`);
    }
  }
  const s = lower(subject);
  return knownSubjects.get(s) ?? `subject ${s.slice(0, 10)}…${s.slice(-4)}`;
}
