import { Transaction, TypedDataEncoder, getAddress, getBytes, hexlify } from "ethers";
import type { Provider } from "ethers";
import {
  MAX_SIGNATURE_WINDOW,
  MEMBERSHIP_CHANGE_TYPES,
  attrsHash,
  membershipChangeData,
  contentHash as saltedHash,
  nextHead,
  recordHash,
} from "../core/records";
import {
  Attestation,
  KIND_NAMES,
  Kind,
  MembershipAction,
  ROLE_NAMES,
  Role,
  Subject,
  ZERO_HASH,
  kindName,
} from "../core/types";
import { SELECTOR, ledgerInterface } from "./abi";
import {
  BundleDocument,
  BundleReadError,
  oneLine,
  BundleRecord,
  CaseInfo,
  DecodedAttrs,
  EncryptedDocument,
  EvidenceBundle,
  MembershipChange,
  MembershipEvent,
  ModuleEvent,
  checkBundleShape,
  isPlainDocument,
  readBundleText,
} from "./bundle";
import { EndorsementHasher, batchLeafHash, processProof, recoverCompact } from "./hashing";
import { RpcFindings, RpcUnavailableError, checkAgainstChain } from "./rpc";
import type { ConsortiumAnchor } from "./consortium";
import { checkCycleEvidence } from "./cycle";
import { DISCLOSURE_SCHEME } from "./scheme";
import { manifestHashOf } from "../store/manifest";
import { assentDomain, assentSigner } from "../lending/assent";
import { noticeHashOf } from "./export";

export { RpcUnavailableError };
export type { RpcFindings };

/** What a verdict row stands for. */
export type RowChain = "loan" | "case" | "subject" | "batch" | "batched";
/** Whether a row's document was checked. */
export type DocumentStatus = "verified" | "sealed" | "none" | "failed";
/** The overall verdict: everything proven, nothing failed but something unproven offline, or failed. */
export type VerdictStatus = "verified" | "unproven" | "failed";

/**
 * What the signatures prove about when a record was committed: `from`/`to` are the bounds the
 * ledger enforced on the endorsers' signed times (directly, or through the hash chain: a record
 * is after every earlier record of its chain and before every later one), null where no majority
 * signature bounds it.
 */
export interface TimeProof {
  from: number | null;
  to: number | null;
  proven: boolean;
}

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
  /** The record's time as far as signatures bound it. */
  time: TimeProof;
  ok: boolean;
  reasons: string[];
  /** What about this record cannot be proven offline (it does not fail, but it is not verified). */
  unproven: string[];
}

export interface VerifyReport {
  /** Nothing failed (true also when some things are only unproven: see `status`). */
  ok: boolean;
  status: VerdictStatus;
  /** Where the consortium (chain, ledger, founders) came from. */
  anchor: "trust-file" | "bundle" | "live-chain";
  /** What cannot be proven offline, each naming what and why. */
  unproven: string[];
  exportedAt: { blockNumber: number; timestamp: number } | null;
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
  /** The consortium file: the chain, ledger and founders the bundle is judged against. */
  trust?: ConsortiumAnchor;
  /** With `rpc` as a URL: give up on an unanswered request after this many ms (default 10 s). */
  rpcTimeoutMs?: number;
}

type Pos = readonly [block: number, logIndex: number];
const before = (a: Pos, b: Pos): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
const lower = (s: string): string => s.toLowerCase();
const short = (h: string): string => (h.length > 14 ? `${h.slice(0, 8)}…${h.slice(-4)}` : h);
const ATTESTATION_NAMES = ["Signatures", "Votes", "Fact"];
const VOTING_ROLES = new Set<number>([Role.LeadBank, Role.PartnerBank]);
const KNOWN_KIND_IDS = new Set(KIND_NAMES.map((n) => lower(Kind[n])));
/** Facts whose receipts a full disclosure carries: disbursement, repayments, reminders, cures. */
const RECEIPT_KINDS = new Set([Kind.LoanDisbursed, Kind.Repayment, Kind.Reminder, Kind.DefaultCured].map(lower));

/** `quorumFor` of the ledger: more than half of the other voting members. */
export function quorumFor(votingMembers: number): number {
  return Math.floor((votingMembers - 1) / 2) + 1;
}

// ---------------------------------------------------------------- membership over time

interface MemberSpan {
  /** Its roles over time: the first is the role it was admitted in. */
  roles: { pos: Pos; role: number }[];
  admitted: Pos;
  removed?: Pos;
}

/** Who was a member, in which role, at any point of the chain, from the bundle's history. */
class MembershipTimeline {
  private readonly members = new Map<string, MemberSpan>();
  private readonly votingChanges: { pos: Pos; count: number }[] = [];

  /** `checkSeq`: the events are the whole history, numbered 1, 2, 3... without a gap. */
  constructor(events: MembershipEvent[], errors: string[], checkSeq = true) {
    let voting = 0;
    let last: Pos = [-1, -1];
    events.forEach((e, i) => {
      const pos: Pos = [e.blockNumber, e.logIndex];
      const where = `membership[${i}]`;
      if (!before(last, pos)) errors.push(`${where}: out of order (block ${e.blockNumber}, log ${e.logIndex})`);
      last = pos;
      if (checkSeq && e.seq !== i + 1) {
        errors.push(`${where}: sequence number ${e.seq}, expected ${i + 1}: the membership history is incomplete`);
      }
      const account = lower(e.account);
      const span = this.members.get(account);
      if (e.type === "MemberAdmitted") {
        if (span) errors.push(`${where}: ${e.account} is admitted twice (accounts are never reused)`);
        else {
          this.members.set(account, { roles: [{ pos, role: e.role.id }], admitted: pos });
          if (VOTING_ROLES.has(e.role.id)) this.votingChanges.push({ pos, count: ++voting });
        }
      } else if (!span || span.removed) {
        errors.push(
          `${where}: ${e.account} is ${e.type === "MemberRemoved" ? "removed" : "given a role"} but was not a member`,
        );
      } else {
        const current = span.roles[span.roles.length - 1].role;
        if (e.type === "MemberRemoved") {
          if (current !== e.role.id) {
            errors.push(`${where}: ${e.account} is removed as ${e.role.name} but held role ${current}`);
          } else {
            span.removed = pos;
            if (VOTING_ROLES.has(current)) this.votingChanges.push({ pos, count: --voting });
          }
        } else {
          if (e.fromRole && e.fromRole.id !== current)
            errors.push(`${where}: ${e.account} changes role from ${e.fromRole.id}, but held role ${current}`);
          span.roles.push({ pos, role: e.role.id });
          const delta = (VOTING_ROLES.has(e.role.id) ? 1 : 0) - (VOTING_ROLES.has(current) ? 1 : 0);
          if (delta !== 0) this.votingChanges.push({ pos, count: (voting += delta) });
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
    let role = m.roles[0].role;
    for (const r of m.roles) if (before(r.pos, pos)) role = r.role;
    if (!VOTING_ROLES.has(role))
      return `${account} is ${ROLE_NAMES[role as Role] ?? `role ${role}`}, not a voting member`;
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

/** Which `MembershipAction` each history event is. */
const ACTION_OF = (e: MembershipEvent | ModuleEvent): number =>
  "type" in e
    ? e.type === "MemberAdmitted"
      ? MembershipAction.Admit
      : e.type === "MemberRemoved"
        ? MembershipAction.Remove
        : MembershipAction.ChangeRole
    : e.enabled
      ? MembershipAction.EnableModule
      : MembershipAction.DisableModule;

/**
 * The consortium as proven from the trust anchor: founders and genesis modules from the consortium
 * file, then every later membership or module change only if more than half of the banks of the
 * proven membership signed it for its epoch. Changes without such signatures stay out of the
 * proven timelines and are listed as unproven offline; forged or misplaced signed changes fail.
 */
class MembershipProver {
  readonly members: MembershipTimeline;
  readonly modules: ModuleTimeline;
  /** Block time of each proven admission (0 for founders): no signature of it may be older. */
  readonly admittedTime = new Map<string, number>();

  constructor(
    b: EvidenceBundle,
    trust: ConsortiumAnchor,
    claimed: MembershipTimeline,
    domain: { name: string; version: string; chainId: string; verifyingContract: string },
    errors: string[],
    unproven: string[],
  ) {
    const sink: string[] = [];
    if (b.chainId !== trust.chainId)
      errors.push(`the bundle is for chain ${b.chainId}, the consortium file for chain ${trust.chainId}`);
    if (lower(b.ledger) !== lower(trust.ledger))
      errors.push(`the bundle's ledger ${b.ledger} is not the consortium's ledger ${trust.ledger}`);
    const founders = trust.founders.length;
    trust.founders.forEach((f, i) => {
      const m = b.membership[i];
      const where = `membership[${i}]`;
      if (!m || m.type !== "MemberAdmitted") {
        errors.push(`${where}: the consortium file's founder ${i + 1}, ${f.name} (${f.account}), is not admitted here`);
        return;
      }
      if (lower(m.account) !== lower(f.account))
        errors.push(`${where}: founder ${i + 1} is ${f.account} (${f.name}) in the consortium file, not ${m.account}`);
      else {
        if (m.role.id !== f.role.id)
          errors.push(
            `${where}: ${f.name} (${f.account}) founded the consortium as ${f.role.name}, not as ${m.role.name}`,
          );
        if (m.name !== f.name)
          errors.push(
            `${where}: ${f.account} is named ${JSON.stringify(m.name)} here but ${JSON.stringify(f.name)} in the consortium file (renamed member)`,
          );
        if (lower(m.encryptionKey ?? "") !== lower(f.encryptionKey))
          errors.push(`${where}: ${f.name}'s encryption key is not the one in the consortium file`);
      }
      if (m.txHash !== b.membership[0].txHash)
        errors.push(`${where}: a founder is admitted in the deployment transaction, not in ${short(m.txHash)}`);
    });
    if (b.membership.length > founders && b.membership[founders].txHash === b.membership[0].txHash)
      errors.push(
        `membership[${founders}]: ${b.membership[founders].account} is admitted at deployment but is no founder in the consortium file`,
      );

    // Signed changes, in epoch order with no gap.
    const byTx = new Map<string, MembershipChange[]>();
    b.changes.forEach((c, i) => {
      if (c.epoch !== i) errors.push(`changes[${i}]: epoch ${c.epoch}, expected ${i}: a membership change is missing`);
      const list = byTx.get(lower(c.txHash)) ?? [];
      list.push(c);
      byTx.set(lower(c.txHash), list);
    });

    type Ev = { pos: Pos; e: MembershipEvent | ModuleEvent; where: string; genesis: boolean };
    const history: Ev[] = [
      ...b.membership.map((e, i) => ({
        pos: [e.blockNumber, e.logIndex] as Pos,
        e,
        where: `membership[${i}]`,
        genesis: i < founders,
      })),
      ...b.modules.map((e, i) => ({
        pos: [e.blockNumber, e.logIndex] as Pos,
        e,
        where: `modules[${i}]`,
        genesis:
          e.enabled &&
          (trust.modules ?? []).some((m) => lower(m) === lower(e.module)) &&
          !b.modules.slice(0, i).some((x) => lower(x.module) === lower(e.module)),
      })),
    ].sort((x, y) => (before(x.pos, y.pos) ? -1 : before(y.pos, x.pos) ? 1 : 0));

    const provenMembers: MembershipEvent[] = [];
    const provenModules: ModuleEvent[] = [];
    let timeline = new MembershipTimeline([], sink, false);
    const used = new Set<MembershipChange>();
    for (const { pos, e, where, genesis } of history) {
      const isModule = !("type" in e);
      const account = isModule ? (e as ModuleEvent).module : (e as MembershipEvent).account;
      const what = isModule
        ? `${(e as ModuleEvent).enabled ? "enabling" : "disabling"} module ${account}`
        : `${(e as MembershipEvent).type} ${account}`;
      let proven = genesis;
      if (!genesis) {
        const change = (byTx.get(lower(e.txHash)) ?? []).find(
          (c) => !used.has(c) && lower(c.account) === lower(account) && c.action === ACTION_OF(e),
        );
        if (!change || change.signatures === "0x") {
          unproven.push(
            `${where} (${what}, block ${e.blockNumber}): no signatures of the banks carry it: unproven offline (check with --rpc)`,
          );
        } else {
          used.add(change);
          const verdict = checkChange(change, e, pos, claimed, timeline, this.admittedTime, domain);
          if (verdict.error) errors.push(`${where} (${what}): ${verdict.error}`);
          else if (verdict.unproven) unproven.push(`${where} (${what}, block ${e.blockNumber}): ${verdict.unproven}`);
          else proven = true;
        }
      }
      if (!proven) continue;
      if (isModule) provenModules.push(e as ModuleEvent);
      else {
        const m = e as MembershipEvent;
        if (m.type === "MemberAdmitted") {
          const change = b.changes.find(
            (c) => lower(c.txHash) === lower(m.txHash) && lower(c.account) === lower(m.account),
          );
          this.admittedTime.set(lower(m.account), genesis ? 0 : (change?.timestamp ?? 0));
        }
        provenMembers.push(m);
        timeline = new MembershipTimeline(provenMembers, sink, false);
      }
    }
    b.changes.forEach((c, i) => {
      if (!used.has(c) && c.signatures !== "0x")
        errors.push(
          `changes[${i}] (epoch ${c.epoch}, ${c.account}): no membership or module event of the bundle is this change`,
        );
    });
    this.members = timeline;
    this.modules = new ModuleTimeline(provenModules, sink);
  }
}

/**
 * Whether a signed membership change proves `e` at `pos`: `error` if it cannot be what the ledger
 * executed (forged), `unproven` if it may be but its majority rests on members not proven, else
 * neither. Signers must be banks of the bundle's history; they count if the proven history has them.
 */
function checkChange(
  c: MembershipChange,
  e: MembershipEvent | ModuleEvent,
  pos: Pos,
  claimed: MembershipTimeline,
  proven: MembershipTimeline,
  admittedTime: Map<string, number>,
  domain: { name: string; version: string; chainId: string; verifyingContract: string },
): { error?: string; unproven?: string } {
  const fail = (error: string) => ({ error });
  if (c.blockNumber !== pos[0])
    return fail(`its signed change is in block ${c.blockNumber}, the event in block ${pos[0]}`);
  const removal = "type" in e && e.type === "MemberRemoved";
  const role = "type" in e && !removal ? e.role.id : Role.None;
  if (c.role !== role) return fail(`its signed change is for role ${c.role}, not ${role}`);
  const data =
    "type" in e && e.type === "MemberAdmitted"
      ? membershipChangeData(MembershipAction.Admit, e.name ?? "", e.encryptionKey ?? "0x")
      : ZERO_HASH;
  if (lower(c.data) !== data)
    return fail(`its signers signed another name or encryption key than the event's (data ${short(c.data)})`);
  const issuedAt = BigInt(c.issuedAt);
  const deadline = BigInt(c.deadline);
  if (BigInt(c.timestamp) < issuedAt || BigInt(c.timestamp) > deadline)
    return fail(
      `its block time ${c.timestamp} is outside the window its signers signed (${c.issuedAt}..${c.deadline})`,
    );
  if (deadline - issuedAt > MAX_SIGNATURE_WINDOW)
    return fail(
      `its signature window ${c.issuedAt}..${c.deadline} is longer than the ledger allows (${MAX_SIGNATURE_WINDOW} s)`,
    );
  const blob = getBytes(c.signatures);
  const voting = Math.max(claimed.votingCountAt(pos), proven.votingCountAt(pos));
  const majority = Math.floor(voting / 2) + 1;
  if (blob.length % 64 !== 0)
    return fail(`signatures: ${blob.length} bytes is not a whole number of 64-byte signatures`);
  if (blob.length / 64 > voting)
    return fail(
      `${blob.length / 64} signatures, but only ${voting} banks could sign: at most one per bank is accepted`,
    );
  const digest = TypedDataEncoder.hash(domain, MEMBERSHIP_CHANGE_TYPES, {
    action: c.action,
    account: c.account,
    role: c.role,
    data: c.data,
    epoch: c.epoch,
    issuedAt,
    deadline,
  });
  let last = 0n;
  let counted = 0;
  for (let i = 0; i < blob.length; i += 64) {
    let signer: string;
    try {
      signer = recoverCompact(digest, hexlify(blob.subarray(i, i + 64)));
    } catch {
      return fail(`signature ${i / 64} is not a valid signature`);
    }
    if (BigInt(signer) <= last) return fail(`signature ${i / 64} is repeated or out of order`);
    last = BigInt(signer);
    const why = claimed.notVotingReason(getAddress(signer), pos);
    if (why) return fail(`signature ${i / 64} is not a bank's: ${why}`);
    if ((admittedTime.get(signer) ?? 0) > Number(issuedAt))
      return fail(`signature ${i / 64} was issued before its signer's admission`);
    if (proven.notVotingReason(getAddress(signer), pos) === null) counted++;
  }
  if (counted < majority)
    return {
      unproven: `signed by ${counted} bank(s) proven from the consortium file; more than half of the ${voting} banks (${majority}) must sign (the others rest on changes unproven offline)`,
    };
  return {};
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
      status: "failed",
      anchor: opts.trust ? "trust-file" : "bundle",
      unproven: [],
      exportedAt: null,
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
        opened.set(lower(d.contentHash), { error: oneLine((e as Error).message) });
      }
    }
  }
  const report = new Verifier(bundle, opened, opts.trust).run();
  if (opts.rpc !== undefined) {
    report.rpc = await checkAgainstChain(bundle, opts.rpc, { timeoutMs: opts.rpcTimeoutMs });
    report.errors.push(...report.rpc.errors.map((e) => `live chain: ${e}`));
    report.ok = report.errors.length === 0;
    if (report.ok && report.unproven.length > 0) {
      // The live chain holds what offline verification could not prove: the blocks and their
      // times, the membership and module histories, and every record up to the export.
      report.notes.push(
        `${report.unproven.length} point(s) unproven offline were checked against the live chain: ${report.unproven.map((u) => u.split(":")[0]).join("; ")}`,
      );
      report.unproven = [];
      for (const r of report.records) {
        r.unproven = [];
        r.time.proven = true; // each block's time is the chain's
      }
      if (!opts.trust) report.anchor = "live-chain";
    }
  }
  report.status = report.errors.length > 0 ? "failed" : report.unproven.length > 0 ? "unproven" : "verified";
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
  private readonly unproven: string[] = [];
  /** The consortium proven from the trust anchor (absent without one: then nothing is proven). */
  private readonly proven?: MembershipProver;
  /** Time bounds each record's own signatures set, before the chain spreads them. */
  private readonly ownTime = new Map<RecordVerdict, { from: number | null; to: number | null }>();
  private recoveries = 0;

  constructor(
    private readonly b: EvidenceBundle,
    private readonly opened: Map<string, Opened>,
    private readonly trust?: ConsortiumAnchor,
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
    if (trust)
      this.proven = new MembershipProver(b, trust, this.membership, this.hasher.domain, this.errors, this.unproven);
    else {
      this.unproven.push(
        "consortium: the chain id, the ledger address and the founding members are the bundle's own word: pass --trust FILE (the consortium file published when it was formed) to prove them",
      );
    }
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
    this.checkFullDisclosure();
    this.verifyBatches(subjects);
    this.checkBlockTimes();
    this.checkExportPoint();
    this.checkSealedDocuments();
    this.checkDisclosures();
    b.documents.forEach((doc, i) => {
      if (!this.usedDocuments.has(lower(doc.contentHash))) {
        this.errors.push(`documents[${i}]: contentHash ${doc.contentHash} belongs to no record in the bundle`);
      }
    });
    this.errors.push(...checkCycleEvidence(b, this.rows)); // the batched cycle's evidence: clients/evidence/cycle.ts
    for (const row of this.rows) {
      for (const r of row.reasons) this.errors.push(`${rowLabel(row)}: ${r}`);
      if (row.reasons.length === 0) for (const u of row.unproven) this.unproven.push(`${rowLabel(row)}: ${u}`);
    }
    this.summariseTimes();
    return {
      ok: this.errors.length === 0,
      status: this.errors.length > 0 ? "failed" : this.unproven.length > 0 ? "unproven" : "verified",
      anchor: this.trust ? "trust-file" : "bundle",
      unproven: this.unproven,
      exportedAt: { blockNumber: b.exportedAt.blockNumber, timestamp: b.exportedAt.timestamp },
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

  // ------------------------------------------------ times, export point, sealed documents

  /**
   * Spreads the signed time bounds along a chain (a record comes after every earlier record of its
   * chain and before every later one: the endorsers of a later record signed the head that holds
   * it) and checks each record's stated block time against them.
   */
  private spreadTimes(rows: RecordVerdict[], records: BundleRecord[]): void {
    let from: number | null = null;
    rows.forEach((row) => {
      const own = this.ownTime.get(row)!;
      if (own.from !== null) from = from === null ? own.from : Math.max(from, own.from);
      row.time.from = from;
    });
    let to: number | null = null;
    for (let i = rows.length - 1; i >= 0; i--) {
      const own = this.ownTime.get(rows[i])!;
      if (own.to !== null) to = to === null ? own.to : Math.min(to, own.to);
      rows[i].time.to = to;
    }
    rows.forEach((row, i) => {
      const t = records[i].timestamp;
      const { from: lo, to: hi } = row.time;
      if (lo !== null && t < lo) {
        row.reasons.push(
          `its block time ${isoTime(t)} is before ${isoTime(lo)}, the earliest time the endorsers of it or of an earlier record signed: the time was altered`,
        );
      }
      if (hi !== null && t > hi) {
        row.reasons.push(
          `its block time ${isoTime(t)} is after ${isoTime(hi)}, the latest time the endorsers of it or of a later record allowed: the time was altered`,
        );
      }
      row.time.proven = lo !== null && hi !== null;
      row.ok = row.reasons.length === 0;
    });
  }

  /** One line per chain for the records whose times no majority signature bounds on both sides. */
  private summariseTimes(): void {
    if (!this.trust) return; // the anchor itself is unproven: said once
    const groups = new Map<string, number[]>();
    for (const row of this.rows) {
      if (row.chain === "batched" || row.time.proven || row.reasons.length > 0) continue;
      const key = row.chain === "batch" ? "batch root" : `${row.chain} record`;
      groups.set(key, [...(groups.get(key) ?? []), row.index]);
    }
    for (const [key, indexes] of groups) {
      this.unproven.push(
        `times: the block times of ${key}${indexes.length > 1 ? "s" : ""} ${ranges(indexes)} are the bundle's word: no majority signature bounds them on both sides (check with --rpc)`,
      );
    }
  }

  /** Everything in the bundle is from at or before the block it says it was exported at. */
  private checkExportPoint(): void {
    const at = this.b.exportedAt;
    const seen = this.blocks.get(at.blockNumber);
    if (seen && (seen.hash !== lower(at.blockHash) || seen.timestamp !== at.timestamp)) {
      this.errors.push(`exportedAt: block ${at.blockNumber} has another hash or timestamp than in ${seen.where}`);
    }
    for (const [n, blk] of this.blocks) {
      if (n > at.blockNumber) {
        this.errors.push(`${blk.where}: block ${n} is after the block the bundle was exported at (${at.blockNumber})`);
      } else if (blk.timestamp > at.timestamp) {
        this.errors.push(`${blk.where}: its block time is after the export block's time ${isoTime(at.timestamp)}`);
      }
    }
    const events = [...this.b.membership, ...this.b.modules, ...this.b.changes];
    if (events.some((e) => e.blockNumber > at.blockNumber)) {
      this.errors.push(`membership: a change is dated after the block the bundle was exported at (${at.blockNumber})`);
    }
    const c = this.b.case;
    if (c && (c.openedBlock > at.blockNumber || (c.award && c.award.blockNumber > at.blockNumber))) {
      this.errors.push(`case ${c.caseId}: dated after the block the bundle was exported at (${at.blockNumber})`);
    }
    this.unproven.push(
      `completeness: that the bundle holds every record of its subjects up to block ${at.blockNumber} (its export) is the exporter's word offline (check with --rpc)`,
    );
  }

  /**
   * A document sealed to the arbitrator names the chain, the ledger, the court and the case, and is
   * wrapped to the key the case's arbitrator registered: checked here, before anyone opens it.
   */
  private checkSealedDocuments(): void {
    const c = this.b.case;
    this.b.documents.forEach((d, i) => {
      if (isPlainDocument(d)) return;
      const e = d.encrypted;
      const where = `documents[${i}] (sealed)`;
      if (e.scheme !== DISCLOSURE_SCHEME) {
        this.errors.push(
          `${where}: sealed in scheme ${JSON.stringify(oneLine(String(e.scheme), 40))}, which this verifier cannot check (expected "${DISCLOSURE_SCHEME}")`,
        );
        return;
      }
      if (e.chainId !== this.b.chainId)
        this.errors.push(
          `${where}: sealed for chain ${oneLine(String(e.chainId), 80)}, not this bundle's chain ${this.b.chainId}`,
        );
      if (typeof e.ledger !== "string" || lower(e.ledger) !== this.ledger)
        this.errors.push(
          `${where}: sealed for ledger ${oneLine(String(e.ledger), 80)}, not this bundle's ledger ${this.b.ledger}`,
        );
      if (!c) {
        this.errors.push(`${where}: a sealed document belongs to an arbitration case, and this bundle has none`);
        return;
      }
      if (typeof e.court !== "string" || lower(e.court) !== lower(c.court))
        this.errors.push(`${where}: sealed for another court than the case's ${c.court}`);
      if (e.caseId !== c.caseId)
        this.errors.push(`${where}: sealed for case ${oneLine(String(e.caseId), 80)}, not case ${c.caseId}`);
      if (typeof e.arbitrator !== "string" || lower(e.arbitrator) !== lower(c.arbitrator))
        this.errors.push(
          `${where}: sealed for ${oneLine(String(e.arbitrator), 80)}, not the case's arbitrator ${c.arbitrator}`,
        );
      const registered = this.registeredKey(c.arbitrator);
      const recipient = typeof e.key === "object" ? e.key.recipient : undefined;
      if (!registered)
        this.errors.push(
          `${where}: the case's arbitrator ${c.arbitrator} registered no encryption key in the bundle's membership`,
        );
      else if (
        typeof e.recipientKey !== "string" ||
        lower(e.recipientKey) !== registered ||
        typeof recipient !== "string" ||
        lower(recipient) !== registered
      )
        this.errors.push(
          `${where}: wrapped to a key that is not the one the arbitrator ${c.arbitrator} registered (${short(registered)})`,
        );
    });
  }

  /**
   * Every disclosure of the case: its manifest hashes to a `Disclosure` record of the case chain,
   * is addressed to this chain, ledger, court, case and the arbitrator's registered key, and every
   * document it names is in the bundle. A Disclosure record without its manifest is unproven: which
   * documents it disclosed cannot be told.
   */
  private checkDisclosures(): void {
    const c = this.b.case;
    const caseChain = c ? this.b.subjects.find((s) => s.role === "case") : undefined;
    const records = (caseChain?.records ?? []).filter((r) => lower(r.kind.id) === lower(Kind.Disclosure));
    const matched = new Set<number>();
    this.b.disclosures.forEach((m, i) => {
      const where = `disclosures[${i}]`;
      if (!c)
        return void this.errors.push(`${where}: a disclosure belongs to an arbitration case, and this bundle has none`);
      const h = m.header;
      const problems: string[] = [];
      if (h.chainId !== this.b.chainId) problems.push(`chain ${h.chainId}`);
      if (lower(h.ledger) !== this.ledger) problems.push(`ledger ${h.ledger}`);
      if (lower(h.court) !== lower(c.court)) problems.push(`court ${h.court}`);
      if (h.caseId !== c.caseId) problems.push(`case ${h.caseId}`);
      if (lower(h.arbitrator) !== lower(c.arbitrator)) problems.push(`arbitrator ${h.arbitrator}`);
      const registered = this.registeredKey(c.arbitrator);
      if (!registered || lower(h.recipientKey) !== registered) problems.push("a key the arbitrator did not register");
      if (problems.length > 0) this.errors.push(`${where}: addressed to ${problems.join(", ")}, not to this case`);
      const hash = manifestHashOf(h, m.items);
      const k = records.findIndex((r) => lower(r.contentHash) === hash);
      if (k < 0) {
        this.errors.push(`${where}: its manifest hash ${short(hash)} is on no Disclosure record of the case chain`);
        return;
      }
      matched.add(k);
      m.items.forEach((item) => {
        if (!this.documents.has(lower(item.contentHash))) {
          this.errors.push(
            `${where}: document ${short(item.contentHash)} was disclosed in the case (case record ${records[k].index}) but is missing from the bundle`,
          );
        }
      });
    });
    records.forEach((r, k) => {
      if (!matched.has(k)) {
        this.unproven.push(
          `case record ${r.index} (Disclosure): the bundle carries no manifest for it, so whether every document it disclosed is here cannot be checked`,
        );
      }
    });
  }

  /**
   * The borrower's assent and, for a case, the completeness of the disclosure. A bundle carrying
   * the assent is a full disclosure of the loan: the assent must be the borrower's EIP-712
   * signature (the loan book's encoding, `clients/lending/assent.ts`) over the LoanContract
   * record's attrs and content hash, by the borrower the contract binds, in the domain of a loan
   * book that is a module of the consortium; and, for a case, every document behind the loan's
   * chain up to the frozen head must be there: each endorsed record's document (contract, default
   * notice, collection), each disbursement, repayment and cure receipt (the fact's decoded
   * parameters), each reminder's notice, and the borrower's credit decision.
   */
  private checkFullDisclosure(): void {
    const c = this.b.case;
    const loan = this.b.subjects.find((x) => x.role === "loan");
    const a = this.b.assent;
    if (!loan) {
      if (a) this.errors.push("assent: the bundle carries a borrower's assent but no loan chain");
      return;
    }
    if (!a) {
      if (c)
        this.unproven.push(
          "disclosure: the bundle carries no borrower assent, so it is not a full disclosure of the loan: the borrower's acceptance of the terms and the completeness of the documents are not checked",
        );
      return;
    }
    const contract = loan.records.find((r) => lower(r.kind.id) === lower(Kind.LoanContract));
    if (!contract) {
      this.errors.push("assent: the loan chain has no LoanContract record to check the borrower's assent against");
      return;
    }
    const where = `loan record ${contract.index} (LoanContract)`;
    let signer: string | undefined;
    try {
      this.recoveries++;
      signer = assentSigner(
        assentDomain(this.b.chainId, a.loanBook),
        lower(contract.attrs),
        lower(contract.contentHash),
        {
          deadline: BigInt(a.deadline),
          signature: a.signature,
        },
      );
    } catch {
      this.errors.push(`${where}: the borrower's assent signature is malformed`);
    }
    if (signer && lower(signer) !== lower(a.borrower)) {
      this.errors.push(
        `${where}: the borrower's assent was signed by ${signer}, not by the borrower ${a.borrower}: the signature is forged or the contract was altered`,
      );
    }
    const bound = this.contractTerm(contract, 1, "borrower");
    if (bound === undefined) {
      this.unproven.push(
        `${where}: which borrower the contract binds is not shown (neither its parameters nor its document are in the bundle)`,
      );
    } else if (lower(bound) !== lower(a.borrower)) {
      this.errors.push(`${where}: the assent is by ${a.borrower}, but the contract binds borrower ${bound}`);
    }
    if (BigInt(a.deadline) < BigInt(contract.timestamp)) {
      this.errors.push(`${where}: the borrower's assent expired at ${a.deadline}, before the contract was committed`);
    }
    if (!this.modules.enabledAt(a.loanBook, [contract.blockNumber, contract.logIndex])) {
      this.errors.push(
        `assent: it was signed for loan book ${a.loanBook}, which was not a module of the consortium when the contract was committed`,
      );
    }
    if (!c) return;
    const frozenAt = loan.records.findIndex((r) => lower(r.head) === lower(c.frozenHead));
    for (const r of loan.records.slice(0, frozenAt + 1)) {
      const label = `loan record ${r.index} (${r.kind.name})`;
      const kind = lower(r.kind.id);
      if (r.attestation.id !== Attestation.Fact) {
        if (!this.documents.has(lower(r.contentHash)))
          this.errors.push(
            `${label}: its document was not disclosed: a full disclosure carries every document behind the loan's chain`,
          );
      } else if (RECEIPT_KINDS.has(kind)) {
        if (!r.decodedAttrs) this.errors.push(`${label}: its receipt (the fact's parameters) was not disclosed`);
        else if (kind === lower(Kind.Reminder) && !this.documents.has(noticeHashOf(r) ?? ""))
          this.errors.push(`${label}: the reminder notice was not disclosed`);
      }
    }
    const pseudonym = this.contractTerm(contract, 2, "pseudonym");
    if (pseudonym === undefined) {
      this.unproven.push(`${where}: which borrower's credit decision stands behind the loan is not shown`);
      return;
    }
    const subject = lower(Subject.borrower(pseudonym));
    const credit = this.b.subjects.find((x) => lower(x.subject) === subject);
    if (!credit) {
      this.errors.push(
        `disclosure: the borrower's credit chain ${short(subject)} is not in the bundle: its credit decision was not disclosed`,
      );
      return;
    }
    for (const r of credit.records) {
      if (lower(r.kind.id) !== lower(Kind.CreditDecision) || r.blockNumber > contract.blockNumber) continue;
      if (!this.documents.has(lower(r.contentHash)))
        this.errors.push(
          `subject record ${r.index} (CreditDecision): the credit decision behind the loan was not disclosed`,
        );
    }
  }

  /**
   * A term the LoanContract binds (attrs: loanId, borrower, pseudonym, ...): from its decoded
   * attrs, else from its document in clear (which hashes to the record, or fails elsewhere).
   */
  private contractTerm(r: BundleRecord, index: number, key: string): string | undefined {
    const v = r.decodedAttrs?.values[index];
    if (typeof v === "string") return v;
    const doc = this.documents.get(lower(r.contentHash));
    if (!doc || !isPlainDocument(doc)) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(doc.document, "base64").toString("utf8")) as Record<string, unknown>;
      return typeof parsed[key] === "string" ? (parsed[key] as string) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The encryption key `account` registered at admission (from the consortium file for founders). */
  private registeredKey(account: string): string | undefined {
    const founder = this.trust?.founders.find((f) => lower(f.account) === lower(account));
    if (founder) return lower(founder.encryptionKey);
    const admitted = this.b.membership.find((m) => m.type === "MemberAdmitted" && lower(m.account) === lower(account));
    return admitted?.encryptionKey ? lower(admitted.encryptionKey) : undefined;
  }

  private checkSubjectId(role: string, id: string | undefined, subject: string): void {
    if (id === undefined || role === "subject") return;
    const expected = lower(role === "loan" ? Subject.loan(BigInt(id)) : Subject.arbitrationCase(BigInt(id)));
    if (expected !== subject) this.errors.push(`${role} ${id}: subject ${subject} is not that ${role}'s subject`);
  }

  // ------------------------------------------------ chains

  private verifyChain(role: RowChain, subject: string, records: BundleRecord[], head: string): void {
    const chainRows: RecordVerdict[] = [];
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
      chainRows.push(row);
    });
    this.spreadTimes(chainRows, records);
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
      time: { from: null, to: null, proven: false },
      ok: true,
      reasons: [],
      unproven: [],
    };
    this.rows.push(row);
    this.ownTime.set(row, { from: null, to: null });
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
    // A reminder's notice stands behind its fact through the notice hash the fact's attrs bind.
    const notice = noticeHashOf(r);
    if (notice) this.checkDocument(notice, row);
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
    const issuedAt = BigInt(r.issuedAt);
    if (issuedAt > BigInt(r.timestamp)) {
      row.reasons.push(`signatures issued at ${r.issuedAt}, after the record's block time ${r.timestamp}`);
    }
    if (deadline - issuedAt > MAX_SIGNATURE_WINDOW) {
      row.reasons.push(
        `its signature window ${r.issuedAt}..${r.deadline} is longer than the ledger allows (${MAX_SIGNATURE_WINDOW} s)`,
      );
    }
    const blob = getBytes(r.endorsements);
    const voting = this.membership.votingCountAt(pos);
    row.quorum = quorumFor(voting);
    row.signers = 0;
    if (blob.length % 64 !== 0) {
      row.reasons.push(`endorsements: ${blob.length} bytes is not a whole number of 64-byte signatures`);
      return;
    }
    // Bounded work: one signature per voting member at most, checked before any recovery.
    if (blob.length / 64 > voting) {
      row.reasons.push(
        `${blob.length / 64} signatures, but only ${voting} voting members at block ${r.blockNumber}: at most one per member is accepted (none recovered)`,
      );
      return;
    }
    const digest = this.hasher.digest(fields, r.proposer, issuedAt, deadline);
    const proposer = lower(r.proposer);
    let last = 0n;
    const signers: string[] = [];
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
      signers.push(signer);
      row.endorsers.push(getAddress(signer));
    }
    row.signers = signers.length;
    if (signers.length < row.quorum) {
      row.reasons.push(
        `${signers.length} valid endorsements; quorum at block ${r.blockNumber} is ${row.quorum} (${voting} voting members)`,
      );
    }
    // The ledger refused any signature outside [issuedAt, deadline], and any issued before its
    // signer's admission: with a proven quorum, the block time lies in that window.
    const early = this.proven ? signers.filter((x) => (this.proven!.admittedTime.get(x) ?? 0) > Number(issuedAt)) : [];
    for (const x of early) {
      row.reasons.push(`${getAddress(x)} signed at ${r.issuedAt}, before it was admitted: the ledger refuses that`);
    }
    if (early.length === 0 && this.provenQuorum(row, r.proposer, signers, pos)) {
      const own = this.ownTime.get(row)!;
      own.from = Number(issuedAt);
      own.to = Number(deadline);
    }
  }

  /**
   * Whether the record's endorsers are a quorum of the consortium proven from the trust anchor
   * (with the larger of the bundle's and the proven member counts, so an unproven removal never
   * lowers the quorum); says why not in `row.unproven`. Without a trust anchor nothing is proven.
   */
  private provenQuorum(row: RecordVerdict, proposer: string, signers: string[], pos: Pos): boolean {
    const proven = this.proven?.members;
    if (!proven) return false;
    const quorum = quorumFor(Math.max(this.membership.votingCountAt(pos), proven.votingCountAt(pos)));
    const counted = signers.filter((s) => proven.notVotingReason(getAddress(s), pos) === null).length;
    const proposerWhy = proven.notVotingReason(getAddress(proposer), pos);
    if (proposerWhy) row.unproven.push(`its proposer is not a member proven from the consortium file (${proposerWhy})`);
    if (counted < quorum) {
      row.unproven.push(
        `${counted} of its endorsers are banks proven from the consortium file; it needs ${quorum}: the others rest on membership changes unproven offline`,
      );
    }
    return proposerWhy === null && counted >= quorum;
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
    if (blob.length / 20 > voting) {
      row.reasons.push(
        `${blob.length / 20} endorsers listed, but only ${voting} voting members at the proposal: at most one vote per member is accepted (none checked)`,
      );
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
    const voters: string[] = [];
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
        voters.push(endorser);
        row.endorsers.push(getAddress(endorser));
      }
    });
    if (!committedByAVote) row.reasons.push(`the record's transaction is none of its endorsement transactions`);
    row.signers = valid;
    // Votes carry no signed time: the record's time is bounded only through its chain.
    this.provenQuorum(row, r.proposer, voters, pos);
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
    } else if (this.proven && !this.proven.modules.enabledAt(fact.module, pos)) {
      row.unproven.push(
        `its module ${fact.module} was enabled by a change unproven offline (not a genesis module of the consortium file, and not signed by the banks)`,
      );
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
      this.spreadTimes([row], [r]);
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
        time: { from: null, to: null, proven: false },
        ok: true,
        reasons: [],
        unproven: [],
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
        row.time = { ...rootRow.time };
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

const isoTime = (t: number): string => {
  const d = new Date(t * 1000);
  return Number.isNaN(d.getTime()) ? `t=${t}` : d.toISOString().replace(".000Z", "Z");
};

/** 0,1,2,5,7,8 → "0–2, 5, 7–8". */
function ranges(xs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    out.push(j === i ? `${xs[i]}` : `${xs[i]}–${xs[j]}`);
    i = j + 1;
  }
  return out.join(", ");
}
