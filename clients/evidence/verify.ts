import { Transaction, getAddress, getBytes, hexlify } from "ethers";
import type { Provider } from "ethers";
import { attrsHash, contentHash as saltedHash, nextHead, recordHash } from "../core/records";
import { Attestation, KIND_NAMES, Kind, ROLE_NAMES, Role, Subject, ZERO_HASH, kindName } from "../core/types";
import { SELECTOR, ledgerInterface } from "./abi";
import {
  BundleDocument,
  BundleReadError,
  BundleRecord,
  CaseInfo,
  DecodedAttrs,
  EncryptedDocument,
  EvidenceBundle,
  MembershipEvent,
  ModuleEvent,
  checkBundleShape,
  isPlainDocument,
  readBundleText,
} from "./bundle";
import { EndorsementHasher, batchLeafHash, processProof, recoverCompact } from "./hashing";
import { RpcFindings, RpcUnavailableError, checkAgainstChain } from "./rpc";

export { RpcUnavailableError };
export type { RpcFindings };

/** What a verdict row stands for. */
export type RowChain = "loan" | "case" | "subject" | "batch" | "batched";
/** Whether a row's document was checked. */
export type DocumentStatus = "verified" | "sealed" | "none" | "failed";

/** The verdict on one record (a chain record, a batch root, or a batched record). */
export interface RecordVerdict {
  chain: RowChain;
  subject: string;
  index: number;
  kind: string;
  blockNumber: number;
  timestamp: number;
  attestation: string;
  /** Valid endorsements counted (signers or voters), null for facts. */
  signers: number | null;
  /** The endorsers that count towards `signers` (recovered signers or voters), in their order. */
  endorsers: string[];
  /** Endorsements the record needed at its block, null for facts. */
  quorum: number | null;
  document: DocumentStatus;
  /** Committed after the case was filed: not evidence of what was known at filing. */
  postFiling: boolean;
  ok: boolean;
  reasons: string[];
}

export interface VerifyReport {
  ok: boolean;
  chainId: string | null;
  ledger: string | null;
  caseId: string | null;
  subjects: { role: string; id?: string; subject: string; records: number; head: string }[];
  /** Every failure, each naming what failed (record failures are repeated in their rows). */
  errors: string[];
  /** Observations that do not make the bundle fail. */
  notes: string[];
  records: RecordVerdict[];
  documents: { verified: number; sealed: number; failed: number };
  frozenHead?: { head: string; reached: boolean; index: number | null; postFiling: number };
  rpc?: RpcFindings;
  stats: { records: number; recoveries: number; ms: number };
}

/**
 * Turns a sealed document into its clear form (the arbitrator's key is the caller's business).
 * A hook that throws makes the document fail verification, with the error as the reason.
 */
export type DecryptHook = (
  doc: EncryptedDocument,
) => Promise<{ salt: string | Uint8Array; document: Uint8Array }> | { salt: string | Uint8Array; document: Uint8Array };

export interface VerifyOptions {
  /** Also check against a live chain: a JSON-RPC URL or an ethers provider. */
  rpc?: string | Provider;
  /** Opens sealed documents so they can be checked too. */
  decrypt?: DecryptHook;
}

type Pos = readonly [block: number, logIndex: number];
const before = (a: Pos, b: Pos): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
const lower = (s: string): string => s.toLowerCase();
const short = (h: string): string => (h.length > 14 ? `${h.slice(0, 8)}…${h.slice(-4)}` : h);
const ATTESTATION_NAMES = ["Signatures", "Votes", "Fact"];
const VOTING_ROLES = new Set<number>([Role.LeadBank, Role.PartnerBank]);
const KNOWN_KIND_IDS = new Set(KIND_NAMES.map((n) => lower(Kind[n])));

/** `quorumFor` of the ledger: more than half of the other voting members. */
export function quorumFor(votingMembers: number): number {
  return Math.floor((votingMembers - 1) / 2) + 1;
}

// ---------------------------------------------------------------- membership over time

interface MemberSpan {
  role: number;
  admitted: Pos;
  removed?: Pos;
}

/** Who was a member, in which role, at any point of the chain, from the bundle's history. */
class MembershipTimeline {
  private readonly members = new Map<string, MemberSpan>();
  private readonly votingChanges: { pos: Pos; count: number }[] = [];

  constructor(events: MembershipEvent[], errors: string[]) {
    let voting = 0;
    let last: Pos = [-1, -1];
    events.forEach((e, i) => {
      const pos: Pos = [e.blockNumber, e.logIndex];
      const where = `membership[${i}]`;
      if (!before(last, pos)) errors.push(`${where}: out of order (block ${e.blockNumber}, log ${e.logIndex})`);
      last = pos;
      if (e.seq !== i + 1) {
        errors.push(`${where}: sequence number ${e.seq}, expected ${i + 1}: the membership history is incomplete`);
      }
      const account = lower(e.account);
      const span = this.members.get(account);
      if (e.type === "MemberAdmitted") {
        if (span) errors.push(`${where}: ${e.account} is admitted twice (accounts are never reused)`);
        else {
          this.members.set(account, { role: e.role.id, admitted: pos });
          if (VOTING_ROLES.has(e.role.id)) this.votingChanges.push({ pos, count: ++voting });
        }
      } else {
        if (!span || span.removed) errors.push(`${where}: ${e.account} is removed but was not a member`);
        else if (span.role !== e.role.id) {
          errors.push(`${where}: ${e.account} is removed as ${e.role.name} but was admitted in role ${span.role}`);
        } else {
          span.removed = pos;
          if (VOTING_ROLES.has(span.role)) this.votingChanges.push({ pos, count: --voting });
        }
      }
      const expectedName = ROLE_NAMES[e.role.id as Role];
      if (expectedName !== undefined && e.role.name !== expectedName) {
        errors.push(`${where}: role name "${e.role.name}" does not match role ${e.role.id} (${expectedName})`);
      }
    });
  }

  /** Voting members just before `pos`. */
  votingCountAt(pos: Pos): number {
    let lo = 0;
    let hi = this.votingChanges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.votingChanges[mid].pos, pos)) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.votingChanges[lo - 1].count;
  }

  /** Why `account` was not a voting member just before `pos`, or null if it was. */
  notVotingReason(account: string, pos: Pos): string | null {
    const m = this.members.get(lower(account));
    if (!m) return `${account} was never a member of the consortium`;
    if (!VOTING_ROLES.has(m.role))
      return `${account} is ${ROLE_NAMES[m.role as Role] ?? `role ${m.role}`}, not a voting member`;
    if (!before(m.admitted, pos)) {
      return m.admitted[0] === pos[0]
        ? `${account} was only admitted in block ${pos[0]}, after the record`
        : `${account} was only admitted at block ${m.admitted[0]}, after the record's block ${pos[0]}`;
    }
    if (m.removed && before(m.removed, pos)) {
      return m.removed[0] === pos[0]
        ? `${account} was removed from the consortium in block ${pos[0]}, before the record`
        : `${account} was removed from the consortium at block ${m.removed[0]}, before the record's block ${pos[0]}`;
    }
    return null;
  }

  admittedAt(account: string): Pos | undefined {
    return this.members.get(lower(account))?.admitted;
  }
}

/** Which modules were enabled when. */
class ModuleTimeline {
  private readonly changes = new Map<string, { pos: Pos; enabled: boolean }[]>();

  constructor(events: ModuleEvent[], errors: string[]) {
    let last: Pos = [-1, -1];
    events.forEach((e, i) => {
      const pos: Pos = [e.blockNumber, e.logIndex];
      if (!before(last, pos)) errors.push(`modules[${i}]: out of order (block ${e.blockNumber}, log ${e.logIndex})`);
      last = pos;
      const list = this.changes.get(lower(e.module)) ?? [];
      list.push({ pos, enabled: e.enabled });
      this.changes.set(lower(e.module), list);
    });
  }

  enabledAt(module: string, pos: Pos): boolean {
    let enabled = false;
    for (const c of this.changes.get(lower(module)) ?? []) {
      if (!before(c.pos, pos)) break;
      enabled = c.enabled;
    }
    return enabled;
  }
}

// ---------------------------------------------------------------- entry point

/**
 * Verifies an evidence bundle offline (and against a live chain with `rpc`). `input` is the
 * bundle's text or its parsed JSON. Throws `BundleReadError` when the input is not a readable
 * bundle at all (bad JSON, other format or version) and `RpcUnavailableError` when `rpc` cannot
 * be reached; every other problem is reported, naming what failed, with `ok: false`.
 */
export async function verifyBundle(input: unknown, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const value = typeof input === "string" ? readBundleText(input) : input;
  const schemaErrors = checkBundleShape(value);
  if (schemaErrors.length > 0) {
    return {
      ok: false,
      chainId: null,
      ledger: null,
      caseId: null,
      subjects: [],
      errors: schemaErrors.map((e) => `malformed bundle: ${e}`),
      notes: [],
      records: [],
      documents: { verified: 0, sealed: 0, failed: 0 },
      stats: { records: 0, recoveries: 0, ms: performance.now() - started },
    };
  }
  const bundle = value as EvidenceBundle;
  const opened = new Map<string, Opened>();
  if (opts.decrypt) {
    for (const d of bundle.documents) {
      if (isPlainDocument(d)) continue;
      try {
        const clear = await opts.decrypt(d);
        opened.set(lower(d.contentHash), { salt: hexlify(clear.salt), document: clear.document });
      } catch (e) {
        opened.set(lower(d.contentHash), { error: (e as Error).message });
      }
    }
  }
  const report = new Verifier(bundle, opened).run();
  if (opts.rpc !== undefined) {
    report.rpc = await checkAgainstChain(bundle, opts.rpc);
    report.errors.push(...report.rpc.errors.map((e) => `live chain: ${e}`));
    report.ok = report.errors.length === 0;
  }
  report.stats.ms = performance.now() - started;
  return report;
}

export { BundleReadError };

/** A sealed document after the decrypt hook: its clear form, or why it would not open. */
type Opened = { salt: string; document: Uint8Array } | { error: string };

// ---------------------------------------------------------------- offline checks

class Verifier {
  private readonly errors: string[] = [];
  private readonly notes: string[] = [];
  private readonly rows: RecordVerdict[] = [];
  private readonly hasher: EndorsementHasher;
  private readonly membership: MembershipTimeline;
  private readonly modules: ModuleTimeline;
  private readonly chainId: bigint;
  private readonly ledger: string;
  private readonly documents = new Map<string, BundleDocument>();
  private readonly usedDocuments = new Set<string>();
  private readonly docCounts = { verified: 0, sealed: 0, failed: 0 };
  private readonly blocks = new Map<number, { hash: string; timestamp: number; where: string }>();
  private recoveries = 0;

  constructor(
    private readonly b: EvidenceBundle,
    private readonly opened: Map<string, Opened>,
  ) {
    this.chainId = BigInt(b.chainId);
    this.ledger = lower(b.ledger);
    const d = b.domain;
    if (d.name !== "colend" || d.version !== "1") {
      this.errors.push(`domain: name/version "${d.name}"/"${d.version}" is not the ledger's "colend"/"1"`);
    }
    if (d.chainId !== b.chainId) this.errors.push(`domain.chainId ${d.chainId} does not match chainId ${b.chainId}`);
    if (lower(d.verifyingContract) !== this.ledger) {
      this.errors.push(`domain.verifyingContract ${d.verifyingContract} does not match ledger ${b.ledger}`);
    }
    // Signatures are checked against the ledger's own domain, never a domain the file invents.
    this.hasher = new EndorsementHasher({
      name: "colend",
      version: "1",
      chainId: b.chainId,
      verifyingContract: b.ledger,
    });
    this.membership = new MembershipTimeline(b.membership, this.errors);
    this.modules = new ModuleTimeline(b.modules, this.errors);
    b.documents.forEach((doc, i) => {
      const h = lower(doc.contentHash);
      if (this.documents.has(h)) this.errors.push(`documents[${i}]: a second document for contentHash ${h}`);
      this.documents.set(h, doc);
    });
  }

  run(): VerifyReport {
    const b = this.b;
    const subjects = new Set<string>();
    for (const chain of b.subjects) {
      const s = lower(chain.subject);
      if (subjects.has(s)) this.errors.push(`subject ${s} appears twice`);
      subjects.add(s);
      this.checkSubjectId(chain.role, chain.id, s);
      this.verifyChain(chain.role, s, chain.records, lower(chain.head));
    }
    const frozen = b.case ? this.checkCase() : undefined;
    this.verifyBatches(subjects);
    this.checkBlockTimes();
    b.documents.forEach((doc, i) => {
      if (!this.usedDocuments.has(lower(doc.contentHash))) {
        this.errors.push(`documents[${i}]: contentHash ${doc.contentHash} belongs to no record in the bundle`);
      }
    });
    for (const row of this.rows) {
      for (const r of row.reasons) this.errors.push(`${rowLabel(row)}: ${r}`);
    }
    return {
      ok: this.errors.length === 0,
      chainId: b.chainId,
      ledger: b.ledger,
      caseId: b.case?.caseId ?? null,
      subjects: b.subjects.map((c) => ({
        role: c.role,
        id: c.id,
        subject: c.subject,
        records: c.records.length,
        head: c.head,
      })),
      errors: this.errors,
      notes: this.notes,
      records: this.rows,
      documents: this.docCounts,
      frozenHead: frozen,
      stats: { records: this.rows.length, recoveries: this.recoveries, ms: 0 },
    };
  }

  private checkSubjectId(role: string, id: string | undefined, subject: string): void {
    if (id === undefined || role === "subject") return;
    const expected = lower(role === "loan" ? Subject.loan(BigInt(id)) : Subject.arbitrationCase(BigInt(id)));
    if (expected !== subject) this.errors.push(`${role} ${id}: subject ${subject} is not that ${role}'s subject`);
  }

  // ------------------------------------------------ chains

  private verifyChain(role: RowChain, subject: string, records: BundleRecord[], head: string): void {
    let prevHead = ZERO_HASH;
    let prevPos: Pos = [-1, -1];
    records.forEach((r, i) => {
      const row = this.newRow(role, subject, r, i);
      if (r.index !== i) row.reasons.push(`index is ${r.index} at position ${i} (records missing or reordered)`);
      if (lower(r.prev) !== prevHead) {
        row.reasons.push(
          i === 0
            ? `prev is ${short(r.prev)}, but the first record of a chain extends 0 (the chain's beginning is missing)`
            : `prev ${short(r.prev)} is not the head of record ${i - 1} (${short(prevHead)}): the chain is broken (a record was removed, inserted or reordered)`,
        );
      }
      const pos: Pos = [r.blockNumber, r.logIndex];
      if (i > 0 && !before(prevPos, pos)) {
        row.reasons.push(
          `block ${r.blockNumber} (log ${r.logIndex}) is not after record ${i - 1}'s position: out of order`,
        );
      }
      prevPos = pos;
      this.verifyRecord(row, subject, r);
      prevHead = lower(r.head);
    });
    if (head !== prevHead) {
      this.errors.push(
        `${role} chain ${short(subject)}: its head ${short(head)} is not the last record's head ${short(prevHead)} (records missing at the end, or added)`,
      );
    }
  }

  private newRow(chain: RowChain, subject: string, r: BundleRecord, index: number): RecordVerdict {
    const row: RecordVerdict = {
      chain,
      subject,
      index,
      kind: r.kind.name,
      blockNumber: r.blockNumber,
      timestamp: r.timestamp,
      attestation: ATTESTATION_NAMES[r.attestation.id] ?? `unknown(${r.attestation.id})`,
      signers: null,
      endorsers: [],
      quorum: null,
      document: "none",
      postFiling: false,
      ok: true,
      reasons: [],
    };
    this.rows.push(row);
    return row;
  }

  /** Checks everything about one record except its place in the chain. */
  private verifyRecord(row: RecordVerdict, subject: string, r: BundleRecord): void {
    const fields = {
      subject,
      kind: lower(r.kind.id),
      contentHash: lower(r.contentHash),
      attrs: lower(r.attrs),
      prev: lower(r.prev),
    };
    const expectedHead = lower(nextHead(fields.prev, recordHash(fields, r.proposer)));
    if (expectedHead !== lower(r.head)) {
      row.reasons.push(
        `head ${short(r.head)} is not keccak256(prev ‖ recordHash) = ${short(expectedHead)}: a field of the record (kind, contentHash, attrs, prev or proposer) was altered`,
      );
    }
    if (KNOWN_KIND_IDS.has(fields.kind) && kindName(fields.kind) !== r.kind.name) {
      row.reasons.push(
        `kind name "${r.kind.name}" does not match kind id ${short(r.kind.id)} (${kindName(fields.kind)})`,
      );
    }
    if (ATTESTATION_NAMES[r.attestation.id] !== r.attestation.name) {
      row.reasons.push(`attestation name "${r.attestation.name}" does not match attestation ${r.attestation.id}`);
    }
    this.checkBlock(r, row);
    this.checkDecodedAttrs(r.decodedAttrs, fields.attrs, row);
    this.checkDocument(fields.contentHash, row);
    const pos: Pos = [r.blockNumber, r.logIndex];
    switch (r.attestation.id) {
      case Attestation.Signatures:
        this.checkSignatures(row, fields, r, pos);
        break;
      case Attestation.Votes:
        this.checkVotes(row, fields, r, pos);
        break;
      case Attestation.Fact:
        this.checkFact(row, r, pos);
        break;
      default:
        row.reasons.push(`unknown attestation ${r.attestation.id}`);
    }
    row.ok = row.reasons.length === 0;
  }

  private checkBlock(r: BundleRecord, row: RecordVerdict): void {
    const seen = this.blocks.get(r.blockNumber);
    const here = { hash: lower(r.blockHash), timestamp: r.timestamp, where: rowLabel(row) };
    if (!seen) this.blocks.set(r.blockNumber, here);
    else if (seen.hash !== here.hash || seen.timestamp !== here.timestamp) {
      row.reasons.push(`block ${r.blockNumber} has another hash or timestamp than in ${seen.where}`);
    }
  }

  /** Block timestamps never go backwards as block numbers grow. */
  private checkBlockTimes(): void {
    const blocks = [...this.blocks.entries()].sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < blocks.length; i++) {
      const [n0, b0] = blocks[i - 1];
      const [n1, b1] = blocks[i];
      if (b1.timestamp < b0.timestamp) {
        this.errors.push(
          `block times go backwards: block ${n0} (${b0.where}) at ${b0.timestamp}, block ${n1} (${b1.where}) at ${b1.timestamp}`,
        );
      }
    }
  }

  private checkDecodedAttrs(d: DecodedAttrs | undefined, attrs: string, row: RecordVerdict): void {
    if (!d) return;
    try {
      const h = attrsHash(d.types, d.values);
      if (h !== attrs) row.reasons.push(`decodedAttrs hash to ${short(h)}, not to the record's attrs ${short(attrs)}`);
    } catch (e) {
      row.reasons.push(`decodedAttrs cannot be ABI-encoded: ${(e as Error).message.split("(")[0].trim()}`);
    }
  }

  private checkDocument(contentHash: string, row: RecordVerdict): void {
    const doc = this.documents.get(contentHash);
    if (!doc) return;
    const first = !this.usedDocuments.has(contentHash);
    this.usedDocuments.add(contentHash);
    let clear: Opened | undefined;
    if (isPlainDocument(doc)) clear = { salt: doc.salt, document: Buffer.from(doc.document, "base64") };
    else clear = this.opened.get(contentHash);
    if (!clear) {
      row.document = "sealed";
      if (first) this.docCounts.sealed++;
      return;
    }
    if ("error" in clear) {
      row.document = "failed";
      if (first) this.docCounts.failed++;
      row.reasons.push(`document: the sealed copy does not open: ${clear.error}`);
      return;
    }
    const h = saltedHash(clear.document, getBytes(clear.salt));
    if (h === contentHash) {
      row.document = "verified";
      if (first) this.docCounts.verified++;
    } else {
      row.document = "failed";
      if (first) this.docCounts.failed++;
      row.reasons.push(
        `document: keccak256(salt ‖ document) = ${short(h)}, not the record's contentHash ${short(contentHash)} (the document or its salt was altered)`,
      );
    }
  }

  // ------------------------------------------------ attestations

  private checkProposer(row: RecordVerdict, proposer: string, pos: Pos): void {
    const why = this.membership.notVotingReason(proposer, pos);
    if (why) row.reasons.push(`proposer: ${why}`);
  }

  private checkSignatures(
    row: RecordVerdict,
    fields: { subject: string; kind: string; contentHash: string; attrs: string; prev: string },
    r: BundleRecord,
    pos: Pos,
  ): void {
    this.checkProposer(row, r.proposer, pos);
    const deadline = BigInt(r.deadline);
    if (deadline < BigInt(r.timestamp)) {
      row.reasons.push(`endorsement deadline ${r.deadline} passed before the record's block time ${r.timestamp}`);
    }
    const blob = getBytes(r.endorsements);
    const voting = this.membership.votingCountAt(pos);
    row.quorum = quorumFor(voting);
    if (blob.length % 64 !== 0) {
      row.reasons.push(`endorsements: ${blob.length} bytes is not a whole number of 64-byte signatures`);
      row.signers = 0;
      return;
    }
    const digest = this.hasher.digest(fields, r.proposer, deadline);
    const proposer = lower(r.proposer);
    let last = 0n;
    let valid = 0;
    for (let i = 0; i * 64 < blob.length; i++) {
      let signer: string;
      try {
        this.recoveries++;
        signer = recoverCompact(digest, hexlify(blob.subarray(i * 64, i * 64 + 64)));
      } catch {
        row.reasons.push(`signature ${i} is not a valid signature`);
        continue;
      }
      const n = BigInt(signer);
      if (n <= last) {
        row.reasons.push(
          `signature ${i} (${getAddress(signer)}) is repeated or out of order: signers must be distinct, ascending`,
        );
        continue;
      }
      last = n;
      if (signer === proposer) {
        row.reasons.push(`signature ${i} is the proposer's own: it cannot count as an endorsement`);
        continue;
      }
      const why = this.membership.notVotingReason(getAddress(signer), pos);
      if (why) {
        row.reasons.push(`signature ${i} does not count: ${why} (forged, foreign or stale signature)`);
        continue;
      }
      valid++;
      row.endorsers.push(getAddress(signer));
    }
    row.signers = valid;
    if (valid < row.quorum) {
      row.reasons.push(
        `${valid} valid endorsements; quorum at block ${r.blockNumber} is ${row.quorum} (${voting} voting members)`,
      );
    }
  }

  /** A signed transaction of a trail: parsed, hash-checked, bound to this chain. */
  private parseTx(raw: string, expectedHash: string | null, what: string, row: RecordVerdict): Transaction | null {
    let tx: Transaction;
    try {
      tx = Transaction.from(raw);
      this.recoveries++;
      if (!tx.isSigned() || !tx.from) throw new Error("unsigned");
    } catch {
      row.reasons.push(`${what} is not a signed transaction`);
      return null;
    }
    if (expectedHash !== null && lower(tx.hash!) !== lower(expectedHash)) {
      row.reasons.push(`${what} hashes to ${short(tx.hash!)}, not ${short(expectedHash)}`);
    }
    if (tx.chainId !== this.chainId) row.reasons.push(`${what} is for chain ${tx.chainId}, not ${this.chainId}`);
    return tx;
  }

  private checkVotes(
    row: RecordVerdict,
    fields: { subject: string; kind: string; contentHash: string; attrs: string; prev: string },
    r: BundleRecord,
    pos: Pos,
  ): void {
    const votes = r.votes!;
    const id = lower(recordHash(fields, r.proposer));
    const deadline = BigInt(r.deadline);
    if (deadline < BigInt(r.timestamp)) {
      row.reasons.push(`voting deadline ${r.deadline} passed before the record's block time ${r.timestamp}`);
    }
    // The proposal: the proposer's own signed propose(record, deadline).
    const proposalPos: Pos = [votes.proposal.blockNumber, Number.MAX_SAFE_INTEGER];
    const ptx = this.parseTx(votes.proposal.raw, votes.proposal.txHash, "votes.proposal", row);
    if (ptx) {
      if (lower(ptx.from!) !== lower(r.proposer)) {
        row.reasons.push(`votes.proposal was sent by ${ptx.from}, not by the proposer ${r.proposer}`);
      }
      if (lower(ptx.to ?? "") !== this.ledger) row.reasons.push(`votes.proposal is not addressed to the ledger`);
      if (!ptx.data.startsWith(SELECTOR.propose)) row.reasons.push(`votes.proposal does not call propose()`);
      else {
        try {
          const [rec, dl] = ledgerInterface.decodeFunctionData("propose", ptx.data);
          const same =
            lower(rec.subject) === fields.subject &&
            lower(rec.kind) === fields.kind &&
            lower(rec.contentHash) === fields.contentHash &&
            lower(rec.attrs) === fields.attrs &&
            lower(rec.prev) === fields.prev &&
            BigInt(dl) === deadline;
          if (!same) row.reasons.push(`votes.proposal proposed another record or deadline than this one`);
        } catch {
          row.reasons.push(`votes.proposal calldata cannot be decoded`);
        }
      }
    }
    if (votes.proposal.blockNumber > r.blockNumber) {
      row.reasons.push(`votes.proposal is in block ${votes.proposal.blockNumber}, after the record's block`);
    }
    this.checkProposer(row, r.proposer, pos);
    const atProposal = this.membership.notVotingReason(r.proposer, proposalPos);
    if (atProposal) row.reasons.push(`proposer at proposal: ${atProposal}`);
    const voting = this.membership.votingCountAt(proposalPos);
    row.quorum = quorumFor(voting);

    const blob = getBytes(r.endorsements);
    if (blob.length % 20 !== 0) {
      row.reasons.push(`endorsements: ${blob.length} bytes is not a whole number of 20-byte addresses`);
      row.signers = 0;
      return;
    }
    const endorsers: string[] = [];
    for (let i = 0; i < blob.length; i += 20) endorsers.push(lower(hexlify(blob.subarray(i, i + 20))));
    if (votes.endorsements.length !== endorsers.length) {
      row.reasons.push(
        `${endorsers.length} endorsers listed but ${votes.endorsements.length} endorsement transactions given`,
      );
    }
    const expectedData = lower(SELECTOR.endorse + id.slice(2));
    const seen = new Set<string>();
    let valid = 0;
    let committedByAVote = false;
    endorsers.forEach((endorser, i) => {
      const trail = votes.endorsements[i];
      if (!trail) return;
      const what = `vote ${i} (${getAddress(endorser)})`;
      const tx = this.parseTx(trail.raw, trail.txHash, what, row);
      if (!tx) return;
      let ok = true;
      const fail = (msg: string): void => {
        row.reasons.push(`${what}: ${msg}`);
        ok = false;
      };
      if (lower(trail.txHash) === lower(r.txHash)) committedByAVote = true;
      if (lower(tx.from!) !== endorser) fail(`its transaction was sent by ${tx.from}, not by the endorser`);
      if (lower(tx.to ?? "") !== this.ledger) fail(`its transaction is not addressed to the ledger`);
      if (lower(tx.data) !== expectedData) fail(`its transaction is not endorse(${short(id)})`);
      if (trail.blockNumber < votes.proposal.blockNumber || trail.blockNumber > r.blockNumber) {
        fail(`its block ${trail.blockNumber} is outside the vote (${votes.proposal.blockNumber}..${r.blockNumber})`);
      }
      if (seen.has(endorser)) fail(`listed twice`);
      seen.add(endorser);
      if (endorser === lower(r.proposer)) fail(`the proposer cannot endorse its own record`);
      const why = this.membership.notVotingReason(getAddress(endorser), pos);
      if (why) fail(why);
      const admitted = this.membership.admittedAt(endorser);
      if (admitted && !before(admitted, proposalPos)) fail(`joined after the proposal and may not vote on it`);
      if (ok) {
        valid++;
        row.endorsers.push(getAddress(endorser));
      }
    });
    if (!committedByAVote) row.reasons.push(`the record's transaction is none of its endorsement transactions`);
    row.signers = valid;
    if (valid < row.quorum) {
      row.reasons.push(`${valid} valid votes; quorum at the proposal was ${row.quorum} (${voting} voting members)`);
    }
  }

  private checkFact(row: RecordVerdict, r: BundleRecord, pos: Pos): void {
    const fact = r.fact!;
    if (r.deadline !== "0") row.reasons.push(`a fact carries deadline 0, not ${r.deadline}`);
    if (lower(r.endorsements) !== lower(fact.module)) {
      row.reasons.push(`endorsements ${short(r.endorsements)} is not the reporting module ${fact.module}`);
    }
    if (!this.modules.enabledAt(fact.module, pos)) {
      row.reasons.push(`${fact.module} was not an enabled consortium module at block ${r.blockNumber}`);
    }
    const tx = this.parseTx(fact.tx, r.txHash, "fact.tx (the actor's transaction)", row);
    if (!tx) return;
    if (lower(tx.from!) !== lower(r.proposer)) {
      // A module may report a fact with another module as the actor (one module calling another
      // within the sender's transaction): the consortium vouched for both.
      if (this.modules.enabledAt(r.proposer, pos)) {
        this.notes.push(`${rowLabel(row)}: reported for module ${r.proposer} in a transaction sent by ${tx.from}`);
      } else {
        row.reasons.push(`fact.tx was sent by ${tx.from}, not by the record's actor ${r.proposer}`);
      }
    }
    if (!tx.to || !this.modules.enabledAt(tx.to, pos)) {
      row.reasons.push(`fact.tx calls ${tx.to ?? "no contract"}, which is not a consortium module`);
    }
  }

  // ------------------------------------------------ case and batches

  private checkCase(): VerifyReport["frozenHead"] {
    const c = this.b.case!;
    const loanSubject = lower(Subject.loan(BigInt(c.loanId)));
    const caseSubject = lower(Subject.arbitrationCase(BigInt(c.caseId)));
    if (lower(c.subject) !== caseSubject) this.errors.push(`case.subject is not case ${c.caseId}'s subject`);
    const loan = this.b.subjects.find((s) => lower(s.subject) === loanSubject);
    const kase = this.b.subjects.find((s) => lower(s.subject) === caseSubject);
    if (kase) this.checkCaseChain(c, caseSubject, kase.records);
    else this.errors.push(`case ${c.caseId}: the case chain is missing from the bundle`);
    if (!loan) {
      this.errors.push(`case ${c.caseId}: the chain of loan ${c.loanId} is missing from the bundle`);
      return { head: c.frozenHead, reached: false, index: null, postFiling: 0 };
    }
    if (c.award) this.checkAward(c, "loan", loanSubject, loan.records);

    const frozen = lower(c.frozenHead);
    const index = frozen === ZERO_HASH ? -1 : loan.records.findIndex((r) => lower(r.head) === frozen);
    if (index === -1 && frozen !== ZERO_HASH) {
      this.errors.push(
        `loan ${c.loanId}: the chain never reaches the head frozen at filing (${short(frozen)}): records from before the filing are missing or altered`,
      );
      return { head: frozen, reached: false, index: null, postFiling: 0 };
    }
    const rows = this.rows.filter((r) => r.chain === "loan" && r.subject === loanSubject);
    let postFiling = 0;
    loan.records.forEach((r, i) => {
      if (i <= index) {
        if (r.blockNumber > c.openedBlock) {
          rows[i].reasons.push(
            `committed at block ${r.blockNumber}, after the filing (block ${c.openedBlock}), yet inside the frozen head`,
          );
        }
      } else {
        postFiling++;
        rows[i].postFiling = true;
        if (r.blockNumber < c.openedBlock) {
          rows[i].reasons.push(`committed at block ${r.blockNumber}, before the filing, yet beyond the frozen head`);
        }
      }
      rows[i].ok = rows[i].reasons.length === 0;
    });
    if (postFiling > 0) {
      this.notes.push(
        `${postFiling} loan record(s) were committed after the filing: they are not evidence of the past`,
      );
    }
    return { head: frozen, reached: true, index: index === -1 ? null : index, postFiling };
  }

  /**
   * The case chain: nothing from before the filing; the claim is its first record, and its
   * endorsers signed `attrs = keccak256(abi.encode(loanId, arbitrator, frozenHead))`, which binds
   * the case info to signatures; the award matches `case.award`.
   */
  private checkCaseChain(c: CaseInfo, caseSubject: string, records: BundleRecord[]): void {
    const rows = this.rows.filter((r) => r.chain === "case" && r.subject === caseSubject);
    records.forEach((r, i) => {
      if (r.blockNumber < c.openedBlock) {
        rows[i].reasons.push(
          `committed at block ${r.blockNumber}, before the case was opened (block ${c.openedBlock})`,
        );
        rows[i].ok = false;
      }
    });
    const claim = records[0];
    if (!claim || lower(claim.kind.id) !== lower(Kind.CaseOpened)) {
      this.errors.push(`case ${c.caseId}: the case chain does not begin with the CaseOpened claim`);
    } else {
      if (lower(claim.contentHash) !== lower(c.claimHash)) {
        this.errors.push(
          `case ${c.caseId}: case.claimHash ${short(c.claimHash)} is not the claim record's contentHash`,
        );
      }
      const signed = attrsHash(["uint256", "address", "bytes32"], [BigInt(c.loanId), c.arbitrator, c.frozenHead]);
      if (lower(claim.attrs) !== signed) {
        this.errors.push(
          `case ${c.caseId}: the claim's endorsers signed attrs ${short(claim.attrs)}, not keccak256(loanId, arbitrator, frozenHead) of the case info (${short(signed)}): the loan, arbitrator or frozen head is not what was filed`,
        );
      }
    }
    if (c.award) this.checkAward(c, "case", caseSubject, records);
    else if (records.some((r) => lower(r.kind.id) === lower(Kind.Award))) {
      this.errors.push(`case ${c.caseId}: the case chain holds an Award record but case.award is missing`);
    }
  }

  private checkAward(c: CaseInfo, chain: string, subject: string, records: BundleRecord[]): void {
    const award = c.award!;
    const attrs = attrsHash(
      ["uint256", "uint256", "uint256"],
      [BigInt(c.caseId), BigInt(c.loanId), BigInt(award.amountOwed)],
    );
    const record = records.find(
      (r) => lower(r.kind.id) === lower(Kind.Award) && lower(r.contentHash) === lower(award.awardHash),
    );
    if (!record) {
      this.errors.push(
        `case ${c.caseId}: the ${chain} chain has no Award record with the award's hash ${short(award.awardHash)}`,
      );
    } else if (lower(record.attrs) !== attrs) {
      this.errors.push(
        `case ${c.caseId}: the ${chain} chain's Award record does not carry keccak256(caseId, loanId, amountOwed ${award.amountOwed}): the award's amount was altered`,
      );
    }
  }

  private verifyBatches(subjects: Set<string>): void {
    const roots = new Map<string, { record: BundleRecord; row: RecordVerdict }>();
    this.b.batches.forEach((batch, i) => {
      const subject = lower(batch.subject);
      const r = batch.record;
      const row = this.newRow("batch", subject, r, i);
      row.index = r.index;
      if (lower(r.kind.id) !== lower(Kind.Batch))
        row.reasons.push(`batches[${i}] is a ${r.kind.name} record, not a batch root`);
      if (BigInt(r.attrs) !== BigInt(batch.leafCount)) {
        row.reasons.push(`leafCount ${batch.leafCount} does not match the root record's attrs (${BigInt(r.attrs)})`);
      }
      this.verifyRecord(row, subject, r);
      roots.set(`${subject}:${lower(r.contentHash)}`, { record: r, row });
    });
    this.b.batched.forEach((x, i) => {
      const found = roots.get(`${lower(x.batch.subject)}:${lower(x.batch.root)}`);
      const root = found?.record;
      const row: RecordVerdict = {
        chain: "batched",
        subject: lower(x.leaf.subject),
        index: i,
        kind: x.kindName,
        blockNumber: root?.blockNumber ?? 0,
        timestamp: root?.timestamp ?? 0,
        attestation: "Batch",
        signers: null,
        endorsers: [],
        quorum: null,
        document: "none",
        postFiling: false,
        ok: true,
        reasons: [],
      };
      this.rows.push(row);
      if (!root)
        row.reasons.push(`its batch root ${short(x.batch.root)} is not among the committed batches in the bundle`);
      else if (root.attestation.id !== Attestation.Signatures)
        row.reasons.push(`its batch root is not a signed record`);
      else {
        const rootRow = found!.row;
        row.signers = rootRow.signers;
        row.endorsers = rootRow.endorsers;
        row.quorum = rootRow.quorum;
        if (!rootRow.ok) row.reasons.push(`its batch root record failed verification`);
      }
      if (!subjects.has(row.subject))
        row.reasons.push(`its subject ${short(row.subject)} is not a chain of this bundle`);
      const kind = lower(x.leaf.kind);
      if (KNOWN_KIND_IDS.has(kind) && kindName(kind) !== x.kindName) {
        row.reasons.push(`kindName "${x.kindName}" does not match the leaf's kind (${kindName(kind)})`);
      }
      if (root) {
        // As `verifyBatchLeaf`: in a standard tree of n leaves a leaf sits between depth
        // floor(log2 n) and floor(log2(2n - 1)); a proof of another length ends on an inner node.
        const n = BigInt(root.attrs);
        const [min, max] = [n.toString(2).length - 1, (2n * n - 1n).toString(2).length - 1];
        if (n === 0n || x.proof.length < min || x.proof.length > max) {
          row.reasons.push(
            `inclusion proof has ${x.proof.length} steps; a leaf of a ${n}-leaf batch needs ${min} to ${max}`,
          );
        }
      }
      const reached = processProof(batchLeafHash(x.leaf), x.proof);
      if (lower(reached) !== lower(x.batch.root)) {
        row.reasons.push(
          `inclusion proof leads to ${short(reached)}, not to the batch root ${short(x.batch.root)} (leaf or proof altered)`,
        );
      }
      this.checkDecodedAttrs(x.decodedAttrs, lower(x.leaf.attrs), row);
      this.checkDocument(lower(x.leaf.contentHash), row);
      row.ok = row.reasons.length === 0;
    });
  }
}

export function rowLabel(row: RecordVerdict): string {
  if (row.chain === "batched") return `batched record ${row.index} (${row.kind})`;
  if (row.chain === "batch") return `batch root ${row.index} of ${short(row.subject)}`;
  return `${row.chain} record ${row.index} (${row.kind})`;
}
