/**
 * The evidence bundle, format version 1: a self-contained JSON file holding a loan's (and, for an
 * arbitration case, the case's) evidence chain with everything needed to re-verify it offline.
 * docs/BUNDLE.md documents every field; `parseBundle` checks a parsed file against this shape and
 * names the path of every field that is missing or mistyped.
 *
 * Conventions: hashes are lowercase 0x-hex of 32 bytes; addresses are EIP-55 checksummed (the
 * verifier compares them case-insensitively); byte strings are 0x-hex; quantities that may exceed
 * 2^53 (chain id, deadlines, amounts) are decimal strings; block numbers, log indexes and
 * timestamps are JSON integers.
 */

export const BUNDLE_FORMAT = "colend-evidence-bundle";
export const BUNDLE_VERSION = 1;

/** Leaf encoding of a batched record: OpenZeppelin StandardMerkleTree over these ABI types. */
export const BATCH_LEAF_TYPES = ["bytes32", "bytes32", "bytes32", "bytes32"] as const;

/** The ledger's EIP-712 domain as the endorsers signed it. */
export interface BundleDomain {
  name: string; // "colend"
  version: string; // "1"
  chainId: string; // decimal
  verifyingContract: string; // the ledger
}

/** A signed transaction, kept whole so its sender can be recovered offline. */
export interface SignedTx {
  txHash: string; // keccak256(raw)
  blockNumber: number; // block that included it
  raw: string; // the serialized signed transaction (0x-hex)
}

/** The on-chain voting trail of a record committed by votes. */
export interface VoteTrail {
  proposal: SignedTx; // the proposer's propose(record, deadline) transaction
  endorsements: SignedTx[]; // one endorse(id) transaction per endorser, in the order of `endorsements`
}

/** How a fact reached the ledger. */
export interface FactTrail {
  module: string; // the consortium module that reported it (the event's 20-byte `endorsements`)
  tx: string; // the actor's raw signed transaction (its hash is the record's txHash)
}

/** Kind or attestation: the on-chain id and a readable name. */
export interface Named<T> {
  id: T;
  name: string;
}

/** Decoded on-chain parameters of a record: attrs = keccak256(abi.encode(types, values)). */
export interface DecodedAttrs {
  types: string[];
  values: JsonValue[];
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One committed record, as its `RecordCommitted` event and block told it. */
export interface BundleRecord {
  index: number; // position in its subject's chain, from 0
  kind: Named<string>; // kind id (bytes32) and name
  proposer: string; // member who proposed it (the actor, for facts)
  contentHash: string; // keccak256(salt ‖ document)
  attrs: string; // hash of the kind's on-chain parameters, or 0
  decodedAttrs?: DecodedAttrs; // the parameters behind `attrs`, when the exporter knew them
  prev: string; // head before this record
  head: string; // keccak256(prev ‖ recordHash(record, proposer))
  attestation: Named<number>; // 0 Signatures, 1 Votes, 2 Fact
  issuedAt: string; // time the signers signed (decimal; 0 for votes and facts)
  deadline: string; // endorsement deadline the signers signed (decimal; 0 for facts)
  endorsements: string; // the event's bytes: 64-byte signatures / 20-byte endorsers / 20-byte module
  votes?: VoteTrail; // Votes only
  fact?: FactTrail; // Fact only
  blockNumber: number;
  blockHash: string;
  timestamp: number; // block timestamp, seconds
  txHash: string;
  logIndex: number; // position of the event in its block
}

/** What a chain in the bundle is. */
export type SubjectRole = "loan" | "case" | "subject";

/** A subject's chain: every record from the first, in chain order. */
export interface SubjectChain {
  role: SubjectRole;
  id?: string; // loan id or case id (decimal) when known
  subject: string; // bytes32 subject id
  head: string; // head after the last record (0 for an empty chain)
  records: BundleRecord[];
}

/** The award, when the arbitrator has ruled. */
export interface AwardInfo {
  awardHash: string;
  amountOwed: string; // decimal token units
  blockNumber: number;
  timestamp: number;
  txHash: string;
}

/** The arbitration case a bundle was exported for. */
export interface CaseInfo {
  caseId: string;
  loanId: string;
  court: string; // the court contract
  subject: string; // the case chain's subject
  claimant: string;
  arbitrator: string;
  frozenHead: string; // the loan chain's head at filing
  claimHash: string;
  openedBlock: number;
  openedAt: number; // timestamp of the filing block
  openedTxHash: string;
  award?: AwardInfo;
}

/** A membership change, as `MemberAdmitted` / `MemberRemoved` told it. */
export interface MembershipEvent {
  type: "MemberAdmitted" | "MemberRemoved";
  account: string;
  role: Named<number>; // 1 LeadBank, 2 PartnerBank, 3 Arbitrator, 4 Regulator
  name?: string; // admissions only
  encryptionKey?: string; // admissions only: 33-byte compressed secp256k1 key
  seq: number; // membership sequence number, from 1, no gaps
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

/** A module enabled or disabled (`ModuleSet`). */
export interface ModuleEvent {
  module: string;
  enabled: boolean;
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

/** A committed batch root (a record of kind Batch on a batch subject) that batched records point to. */
export interface BatchRoot {
  subject: string; // the batch chain
  leafCount: number;
  record: BundleRecord; // contentHash is the Merkle root, attrs the leaf count
}

/** The leaf of a batched record: [subject, kind, contentHash, attrs]. */
export interface BatchLeaf {
  subject: string;
  kind: string;
  contentHash: string;
  attrs: string;
}

/** A record committed inside a batch, with its inclusion proof. */
export interface BatchedRecord {
  batch: { subject: string; root: string }; // which entry of `batches`
  leaf: BatchLeaf;
  kindName: string;
  proof: string[]; // sibling hashes, leaf to root (OpenZeppelin sorted-pair tree)
  decodedAttrs?: DecodedAttrs;
}

/** A disclosed document in clear (decrypted for the arbitrator). */
export interface PlainDocument {
  contentHash: string;
  salt: string; // 32 bytes
  document: string; // base64
}

/**
 * A disclosed document still sealed to the arbitrator. The `encrypted` object is opaque to the
 * verifier (string fields, possibly nested, e.g. `{ ephemeralPublicKey, iv, ciphertext, tag }`
 * plus a wrapped key); a `decrypt` hook given to the verifier turns it into salt and document.
 */
export interface EncryptedDocument {
  contentHash: string;
  salt?: string;
  encrypted: OpaqueObject;
}

export interface OpaqueObject {
  [key: string]: string | OpaqueObject;
}

export type BundleDocument = PlainDocument | EncryptedDocument;

export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  chainId: string;
  ledger: string;
  domain: BundleDomain;
  subjects: SubjectChain[];
  case?: CaseInfo;
  membership: MembershipEvent[];
  modules: ModuleEvent[];
  batches: BatchRoot[];
  batched: BatchedRecord[];
  documents: BundleDocument[];
}

export function isPlainDocument(d: BundleDocument): d is PlainDocument {
  return (d as PlainDocument).document !== undefined;
}

/** The file is not an evidence bundle this verifier can read (bad JSON, other format or version). */
export class BundleReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleReadError";
  }
}

/** Bundle text → JSON value; says where the JSON breaks (a truncated file, say). */
export function readBundleText(text: string, source = "bundle"): unknown {
  if (text.trim().length === 0) throw new BundleReadError(`${source} is empty`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BundleReadError(`${source} is not valid JSON (truncated or corrupted?): ${(e as Error).message}`);
  }
}

/** Serializes a bundle. Objects keep the key order the exporter built, so output is deterministic. */
export function serializeBundle(bundle: EvidenceBundle): string {
  return JSON.stringify(bundle, null, 2) + "\n";
}

// ---------------------------------------------------------------- schema

const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HEX = /^0x([0-9a-fA-F]{2})*$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_ERRORS = 50;

type Obj = Record<string, unknown>;

/** Collects schema errors, each with the path of the offending field. */
class Checker {
  readonly errors: string[] = [];

  fail(path: string, what: string, got?: unknown): void {
    if (this.errors.length >= MAX_ERRORS) return;
    this.errors.push(got === undefined ? `${path}: ${what}` : `${path}: ${what}, got ${describe(got)}`);
  }

  object(v: unknown, path: string): Obj | undefined {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Obj;
    this.fail(path, v === undefined ? "missing (expected an object)" : "expected an object", v);
    return undefined;
  }

  array(v: unknown, path: string): unknown[] | undefined {
    if (Array.isArray(v)) return v;
    this.fail(path, v === undefined ? "missing (expected an array)" : "expected an array", v);
    return undefined;
  }

  private pattern(v: unknown, path: string, re: RegExp, what: string): boolean {
    if (typeof v === "string" && re.test(v)) return true;
    this.fail(path, v === undefined ? `missing (expected ${what})` : `expected ${what}`, v);
    return false;
  }

  hash(v: unknown, path: string): boolean {
    return this.pattern(v, path, HASH, "a 32-byte 0x-hex hash");
  }
  address(v: unknown, path: string): boolean {
    return this.pattern(v, path, ADDRESS, "a 20-byte 0x-hex address");
  }
  hex(v: unknown, path: string): boolean {
    return this.pattern(v, path, HEX, "0x-hex bytes");
  }
  decimal(v: unknown, path: string): boolean {
    return this.pattern(v, path, DECIMAL, "a decimal integer string");
  }
  base64(v: unknown, path: string): boolean {
    return this.pattern(v, path, BASE64, "base64 text");
  }
  string(v: unknown, path: string): boolean {
    if (typeof v === "string") return true;
    this.fail(path, v === undefined ? "missing (expected a string)" : "expected a string", v);
    return false;
  }
  boolean(v: unknown, path: string): boolean {
    if (typeof v === "boolean") return true;
    this.fail(path, v === undefined ? "missing (expected true or false)" : "expected true or false", v);
    return false;
  }
  uint(v: unknown, path: string): boolean {
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return true;
    this.fail(
      path,
      v === undefined ? "missing (expected a non-negative integer)" : "expected a non-negative integer",
      v,
    );
    return false;
  }
  oneOf(v: unknown, path: string, allowed: readonly unknown[]): boolean {
    if (allowed.includes(v)) return true;
    this.fail(path, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, v);
    return false;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function checkNamed(c: Checker, v: unknown, path: string, idKind: "hash" | "uint"): void {
  const o = c.object(v, path);
  if (!o) return;
  if (idKind === "hash") c.hash(o.id, `${path}.id`);
  else c.uint(o.id, `${path}.id`);
  c.string(o.name, `${path}.name`);
}

function checkDecodedAttrs(c: Checker, v: unknown, path: string): void {
  if (v === undefined) return;
  const o = c.object(v, path);
  if (!o) return;
  const types = c.array(o.types, `${path}.types`);
  types?.forEach((t, i) => c.string(t, `${path}.types[${i}]`));
  const values = c.array(o.values, `${path}.values`);
  if (types && values && types.length !== values.length) {
    c.fail(`${path}.values`, `expected ${types.length} values (one per type)`, values);
  }
}

function checkSignedTx(c: Checker, v: unknown, path: string): void {
  const o = c.object(v, path);
  if (!o) return;
  c.hash(o.txHash, `${path}.txHash`);
  c.uint(o.blockNumber, `${path}.blockNumber`);
  c.hex(o.raw, `${path}.raw`);
}

function checkRecord(c: Checker, v: unknown, path: string): void {
  const r = c.object(v, path);
  if (!r) return;
  c.uint(r.index, `${path}.index`);
  checkNamed(c, r.kind, `${path}.kind`, "hash");
  c.address(r.proposer, `${path}.proposer`);
  c.hash(r.contentHash, `${path}.contentHash`);
  c.hash(r.attrs, `${path}.attrs`);
  checkDecodedAttrs(c, r.decodedAttrs, `${path}.decodedAttrs`);
  c.hash(r.prev, `${path}.prev`);
  c.hash(r.head, `${path}.head`);
  checkNamed(c, r.attestation, `${path}.attestation`, "uint");
  c.decimal(r.issuedAt, `${path}.issuedAt`);
  c.decimal(r.deadline, `${path}.deadline`);
  c.hex(r.endorsements, `${path}.endorsements`);
  const attestation = (r.attestation as Obj | undefined)?.id;
  if (attestation === 1) {
    const votes = c.object(r.votes, `${path}.votes`);
    if (votes) {
      checkSignedTx(c, votes.proposal, `${path}.votes.proposal`);
      c.array(votes.endorsements, `${path}.votes.endorsements`)?.forEach((t, i) =>
        checkSignedTx(c, t, `${path}.votes.endorsements[${i}]`),
      );
    }
  } else if (r.votes !== undefined) {
    c.fail(`${path}.votes`, "only records attested by votes carry votes");
  }
  if (attestation === 2) {
    const fact = c.object(r.fact, `${path}.fact`);
    if (fact) {
      c.address(fact.module, `${path}.fact.module`);
      c.hex(fact.tx, `${path}.fact.tx`);
    }
  } else if (r.fact !== undefined) {
    c.fail(`${path}.fact`, "only facts carry a fact trail");
  }
  c.uint(r.blockNumber, `${path}.blockNumber`);
  c.hash(r.blockHash, `${path}.blockHash`);
  c.uint(r.timestamp, `${path}.timestamp`);
  c.hash(r.txHash, `${path}.txHash`);
  c.uint(r.logIndex, `${path}.logIndex`);
}

function checkOpaque(c: Checker, v: unknown, path: string, depth = 0): void {
  const o = c.object(v, path);
  if (!o) return;
  for (const [k, x] of Object.entries(o)) {
    if (typeof x === "string") continue;
    if (depth < 4 && typeof x === "object" && x !== null && !Array.isArray(x))
      checkOpaque(c, x, `${path}.${k}`, depth + 1);
    else c.fail(`${path}.${k}`, "expected a string (encrypted fields are opaque strings)", x);
  }
}

/**
 * Checks that `value` (a parsed JSON file) has the shape of a version 1 bundle.
 * Throws `BundleReadError` if it is not a colend bundle of a supported version at all;
 * otherwise returns the list of schema errors (empty when the shape is right).
 */
export function checkBundleShape(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BundleReadError(`not an evidence bundle: the file holds ${describe(value)}, not a JSON object`);
  }
  const b = value as Obj;
  if (b.format !== BUNDLE_FORMAT) {
    throw new BundleReadError(`not an evidence bundle: format is ${describe(b.format)}, expected "${BUNDLE_FORMAT}"`);
  }
  if (b.version !== BUNDLE_VERSION) {
    throw new BundleReadError(
      `unsupported bundle version ${describe(b.version)}: this verifier reads version ${BUNDLE_VERSION}`,
    );
  }
  const c = new Checker();
  c.decimal(b.chainId, "chainId");
  c.address(b.ledger, "ledger");
  const domain = c.object(b.domain, "domain");
  if (domain) {
    c.string(domain.name, "domain.name");
    c.string(domain.version, "domain.version");
    c.decimal(domain.chainId, "domain.chainId");
    c.address(domain.verifyingContract, "domain.verifyingContract");
  }
  const subjects = c.array(b.subjects, "subjects");
  if (subjects && subjects.length === 0) c.fail("subjects", "expected at least one subject chain");
  subjects?.forEach((s, i) => {
    const p = `subjects[${i}]`;
    const o = c.object(s, p);
    if (!o) return;
    c.oneOf(o.role, `${p}.role`, ["loan", "case", "subject"]);
    if (o.id !== undefined) c.decimal(o.id, `${p}.id`);
    c.hash(o.subject, `${p}.subject`);
    c.hash(o.head, `${p}.head`);
    c.array(o.records, `${p}.records`)?.forEach((r, j) => checkRecord(c, r, `${p}.records[${j}]`));
  });
  if (b.case !== undefined) {
    const k = c.object(b.case, "case");
    if (k) {
      c.decimal(k.caseId, "case.caseId");
      c.decimal(k.loanId, "case.loanId");
      c.address(k.court, "case.court");
      c.hash(k.subject, "case.subject");
      c.address(k.claimant, "case.claimant");
      c.address(k.arbitrator, "case.arbitrator");
      c.hash(k.frozenHead, "case.frozenHead");
      c.hash(k.claimHash, "case.claimHash");
      c.uint(k.openedBlock, "case.openedBlock");
      c.uint(k.openedAt, "case.openedAt");
      c.hash(k.openedTxHash, "case.openedTxHash");
      if (k.award !== undefined) {
        const a = c.object(k.award, "case.award");
        if (a) {
          c.hash(a.awardHash, "case.award.awardHash");
          c.decimal(a.amountOwed, "case.award.amountOwed");
          c.uint(a.blockNumber, "case.award.blockNumber");
          c.uint(a.timestamp, "case.award.timestamp");
          c.hash(a.txHash, "case.award.txHash");
        }
      }
    }
  }
  c.array(b.membership, "membership")?.forEach((m, i) => {
    const p = `membership[${i}]`;
    const o = c.object(m, p);
    if (!o) return;
    c.oneOf(o.type, `${p}.type`, ["MemberAdmitted", "MemberRemoved"]);
    c.address(o.account, `${p}.account`);
    checkNamed(c, o.role, `${p}.role`, "uint");
    if (o.type === "MemberAdmitted") {
      c.string(o.name, `${p}.name`);
      c.hex(o.encryptionKey, `${p}.encryptionKey`);
    }
    c.uint(o.seq, `${p}.seq`);
    c.uint(o.blockNumber, `${p}.blockNumber`);
    c.uint(o.logIndex, `${p}.logIndex`);
    c.hash(o.txHash, `${p}.txHash`);
  });
  c.array(b.modules, "modules")?.forEach((m, i) => {
    const p = `modules[${i}]`;
    const o = c.object(m, p);
    if (!o) return;
    c.address(o.module, `${p}.module`);
    c.boolean(o.enabled, `${p}.enabled`);
    c.uint(o.blockNumber, `${p}.blockNumber`);
    c.uint(o.logIndex, `${p}.logIndex`);
    c.hash(o.txHash, `${p}.txHash`);
  });
  c.array(b.batches, "batches")?.forEach((x, i) => {
    const p = `batches[${i}]`;
    const o = c.object(x, p);
    if (!o) return;
    c.hash(o.subject, `${p}.subject`);
    c.uint(o.leafCount, `${p}.leafCount`);
    checkRecord(c, o.record, `${p}.record`);
  });
  c.array(b.batched, "batched")?.forEach((x, i) => {
    const p = `batched[${i}]`;
    const o = c.object(x, p);
    if (!o) return;
    const batch = c.object(o.batch, `${p}.batch`);
    if (batch) {
      c.hash(batch.subject, `${p}.batch.subject`);
      c.hash(batch.root, `${p}.batch.root`);
    }
    const leaf = c.object(o.leaf, `${p}.leaf`);
    if (leaf) for (const f of ["subject", "kind", "contentHash", "attrs"]) c.hash(leaf[f], `${p}.leaf.${f}`);
    c.string(o.kindName, `${p}.kindName`);
    c.array(o.proof, `${p}.proof`)?.forEach((h, j) => c.hash(h, `${p}.proof[${j}]`));
    checkDecodedAttrs(c, o.decodedAttrs, `${p}.decodedAttrs`);
  });
  c.array(b.documents, "documents")?.forEach((d, i) => {
    const p = `documents[${i}]`;
    const o = c.object(d, p);
    if (!o) return;
    c.hash(o.contentHash, `${p}.contentHash`);
    if (o.encrypted !== undefined) {
      if (o.document !== undefined)
        c.fail(`${p}`, "a document is either plain (document) or sealed (encrypted), not both");
      if (o.salt !== undefined) c.hash(o.salt, `${p}.salt`);
      checkOpaque(c, o.encrypted, `${p}.encrypted`);
    } else {
      c.hash(o.salt, `${p}.salt`);
      c.base64(o.document, `${p}.document`);
    }
  });
  return c.errors;
}
