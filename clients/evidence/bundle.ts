/**
 * The evidence bundle, format version 2: a self-contained JSON file holding a loan's (and, for an
 * arbitration case, the case's) evidence chain with everything needed to re-verify it offline.
 * docs/BUNDLE.md documents every field; `parseBundle` checks a parsed file against this shape and
 * names the path of every field that is missing or mistyped.
 *
 * Conventions: hashes are lowercase 0x-hex of 32 bytes; addresses are EIP-55 checksummed (the
 * verifier compares them case-insensitively); byte strings are 0x-hex; quantities that may exceed
 * 2^53 (chain id, deadlines, amounts) are decimal strings; block numbers, log indexes and
 * timestamps are JSON integers.
 */

import fs from "node:fs";
import type { ManifestHeader, ManifestItem } from "../store/manifest";

export const BUNDLE_FORMAT = "colend-evidence-bundle";
export const BUNDLE_VERSION = 2;

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

/**
 * The borrower's assent to the loan contract (`LoanAssented`): an EIP-712 signature by the
 * borrower's bound account over the LoanContract record's attrs and content hash, in the loan
 * book's domain (`clients/lending/assent.ts`, the encoding the loan book verifies at origination).
 */
export interface BundleAssent {
  loanBook: string; // the loan book whose domain the borrower signed in
  borrower: string; // the borrower's account
  deadline: string; // decimal uint64: the signature was valid up to this time
  signature: string; // 65 bytes (r, s, v)
}

/** A membership change, as `MemberAdmitted` / `MemberRemoved` / `MemberRoleChanged` told it. */
export interface MembershipEvent {
  type: "MemberAdmitted" | "MemberRemoved" | "MemberRoleChanged";
  account: string;
  role: Named<number>; // 1 LeadBank, 2 PartnerBank, 3 Arbitrator, 4 Regulator (the new role, for a role change)
  fromRole?: Named<number>; // role changes only: the role before
  name?: string; // admissions only
  encryptionKey?: string; // admissions only: 33-byte compressed secp256k1 key
  seq: number; // membership sequence number, from 1, no gaps
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

/**
 * An executed membership change as `MembershipChangeExecuted` told it, with the signatures of the
 * banks that approved it (empty when it was voted on chain: unproven offline).
 */
export interface MembershipChange {
  epoch: number; // membership changes executed before this one
  action: number; // MembershipAction
  account: string;
  role: number;
  data: string; // bytes32: what else the change binds (the admission's name and key, the module's flag)
  issuedAt: string; // decimal uint64
  deadline: string; // decimal uint64
  signatures: string; // 64-byte compact signatures, ascending by signer, or "0x"
  timestamp: number; // the block's timestamp
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

/** The block the bundle was exported at: the verifier's "as of". */
export interface ExportPoint {
  blockNumber: number;
  blockHash: string;
  timestamp: number;
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

/**
 * A disclosure of the case as its manifest commits to it: the case chain's `Disclosure` record
 * carries `manifestHashOf(header, items)`, so every document the claimant disclosed is named, and
 * one left out of the bundle shows.
 */
export interface DisclosureManifest {
  header: ManifestHeader;
  items: ManifestItem[];
}

export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  chainId: string;
  ledger: string;
  domain: BundleDomain;
  exportedAt: ExportPoint;
  subjects: SubjectChain[];
  case?: CaseInfo;
  assent?: BundleAssent;
  membership: MembershipEvent[];
  changes: MembershipChange[];
  modules: ModuleEvent[];
  batches: BatchRoot[];
  batched: BatchedRecord[];
  disclosures: DisclosureManifest[];
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

// ---------------------------------------------------------------- limits

/**
 * Every bound the reader and the verifier put on a bundle, so that a hostile file costs bounded
 * work: the file, each field, each list and the nesting. A legitimate bundle stays far inside them
 * (a disclosed document may be up to `documentBytes`).
 */
export const LIMITS = {
  /** The whole file. */
  fileBytes: 96 * 1024 * 1024,
  /** JSON nesting depth (a bundle needs 8). */
  depth: 32,
  /** One disclosed document (decoded), or one sealed ciphertext. */
  documentBytes: 32 * 1024 * 1024,
  /** A signed transaction of a vote or fact trail. */
  txBytes: 128 * 1024,
  /** A record's `endorsements` bytes: one 64-byte signature per voting member at most. */
  endorsementBytes: 256 * 64,
  /** Names, kind names, scheme tags and other short strings. */
  nameChars: 256,
  /** Decimal strings: a uint256 has at most 78 digits. */
  decimalDigits: 78,
  /** Subject chains in one bundle. */
  subjects: 16,
  /** Records of one chain, batched records, documents. */
  records: 200_000,
  /** Membership and module events. */
  events: 10_000,
  /** Votes on one record (one per voting member at most). */
  votes: 256,
  /** Steps of a Merkle proof. */
  proofSteps: 64,
  /** Values in one record's decoded attrs (counted through nested arrays). */
  attrValues: 1_024,
} as const;

const UINT64_MAX = (1n << 64n) - 1n;

// ---------------------------------------------------------------- reading

/**
 * Bundle text → JSON value, with bounded work: the text is at most `LIMITS.fileBytes`, its
 * nesting is measured in one linear pass before `JSON.parse` (which is slow on deep nesting),
 * and every failure is a `BundleReadError` with a one-line message.
 */
export function readBundleText(text: string, source = "bundle"): unknown {
  if (text.length > LIMITS.fileBytes) {
    throw new BundleReadError(`${source} is ${mb(text.length)}; a bundle may be at most ${mb(LIMITS.fileBytes)}`);
  }
  const first = firstNonSpace(text);
  if (first === -1) throw new BundleReadError(`${source} is empty`);
  const c = text.charCodeAt(first);
  if (c !== 0x7b /* { */) {
    throw new BundleReadError(
      c < 0x20 || c === 0x7f
        ? `${source} is not JSON text (it starts with the control byte 0x${c.toString(16).padStart(2, "0")}: a binary file?)`
        : `${source} is not an evidence bundle: a bundle is a JSON object, but the file starts with ${JSON.stringify(text[first])}`,
    );
  }
  const depth = nestingDepth(text, LIMITS.depth);
  if (depth > LIMITS.depth) {
    throw new BundleReadError(`${source} nests JSON deeper than ${LIMITS.depth} levels: not an evidence bundle`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BundleReadError(
      `${source} is not valid JSON (truncated or corrupted?): ${oneLine((e as Error).message, 160)}`,
    );
  }
}

/** Reads at most `max` bytes of `file` (a regular file, a pipe or a device such as /dev/zero). */
export function readBoundedFile(file: string, max: number = LIMITS.fileBytes, what = "bundle"): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    throw new BundleReadError(`cannot read ${what} ${file}: ${ioReason(e)}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new BundleReadError(`cannot read ${what} ${file}: it is a directory`);
    if (st.isFile() && st.size > max) {
      throw new BundleReadError(`${what} ${file} is ${mb(st.size)}; a ${what} may be at most ${mb(max)}`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        throw new BundleReadError(`cannot read ${what} ${file}: ${ioReason(e)}`);
      }
      if (n === 0) break;
      total += n;
      if (total > max) throw new BundleReadError(`${what} ${file} is larger than ${mb(max)}, the limit for a ${what}`);
      if (chunks.length === 0 && n > 0) {
        // A binary file (or /dev/zero) shows in its first bytes: stop before reading it all.
        const head = chunk.subarray(0, Math.min(n, 4096));
        if (head.includes(0)) throw new BundleReadError(`${what} ${file} is not JSON text (it holds NUL bytes)`);
      }
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    fs.closeSync(fd);
  }
}

function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? oneLine(err.message ?? String(e), 120);
}

function mb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${bytes} bytes`;
}

function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xfeff) return i;
  }
  return -1;
}

/** Deepest nesting of `[`/`{` outside strings, stopping as soon as it passes `stopAt`. */
function nestingDepth(text: string, stopAt: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > stopAt) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** A message on one line, without control characters, at most `max` characters. */
export function oneLine(s: string, max = 200): string {
  let out = "";
  for (const ch of s.length > max * 2 ? s.slice(0, max * 2) : s) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0x2028 || c === 0x2029 ? " " : ch;
  }
  out = out.replace(/ {2,}/g, " ").trim();
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

/** Serializes a bundle. Objects keep the key order the exporter built, so output is deterministic. */
export function serializeBundle(bundle: EvidenceBundle): string {
  return JSON.stringify(bundle, null, 2) + "\n";
}

// ---------------------------------------------------------------- schema

const MAX_ERRORS = 50;

type Obj = Record<string, unknown>;

const isHexDigit = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** `0x` followed by hex digits, an even number of them, at most `maxBytes` bytes: one linear pass. */
function isHex(v: string, maxBytes: number, exactBytes?: number): boolean {
  if (v.length < 2 || v.charCodeAt(0) !== 0x30 || (v.charCodeAt(1) | 0x20) !== 0x78) return false;
  const digits = v.length - 2;
  if (digits % 2 !== 0 || digits / 2 > maxBytes) return false;
  if (exactBytes !== undefined && digits / 2 !== exactBytes) return false;
  for (let i = 2; i < v.length; i++) if (!isHexDigit(v.charCodeAt(i))) return false;
  return true;
}

function isDecimal(v: string, maxDigits: number): boolean {
  if (v.length === 0 || v.length > maxDigits) return false;
  if (v.length > 1 && v.charCodeAt(0) === 0x30) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isBase64(v: string, maxBytes: number): boolean {
  if (v.length % 4 !== 0 || (v.length / 4) * 3 > maxBytes + 2) return false;
  const pad = v.endsWith("==") ? 2 : v.endsWith("=") ? 1 : 0;
  for (let i = 0; i < v.length - pad; i++) {
    const c = v.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!ok) return false;
  }
  return true;
}

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

  private check(v: unknown, path: string, ok: (s: string) => boolean, what: string): boolean {
    if (typeof v === "string" && ok(v)) return true;
    this.fail(path, v === undefined ? `missing (expected ${what})` : `expected ${what}`, v);
    return false;
  }

  hash(v: unknown, path: string): boolean {
    return this.check(v, path, (s) => isHex(s, 32, 32), "a 32-byte 0x-hex hash");
  }
  address(v: unknown, path: string): boolean {
    return this.check(v, path, (s) => isHex(s, 20, 20), "a 20-byte 0x-hex address");
  }
  hex(v: unknown, path: string, maxBytes: number): boolean {
    return this.check(v, path, (s) => isHex(s, maxBytes), `0x-hex bytes (at most ${maxBytes} bytes)`);
  }
  decimal(v: unknown, path: string, maxDigits: number = LIMITS.decimalDigits): boolean {
    return this.check(
      v,
      path,
      (s) => isDecimal(s, maxDigits),
      `a decimal integer string of at most ${maxDigits} digits`,
    );
  }
  uint64(v: unknown, path: string): boolean {
    return this.check(v, path, (s) => isDecimal(s, 20) && BigInt(s) <= UINT64_MAX, "a decimal uint64 string");
  }
  base64(v: unknown, path: string, maxBytes: number): boolean {
    return this.check(v, path, (s) => isBase64(s, maxBytes), `base64 text of at most ${mb(maxBytes)}`);
  }
  name(v: unknown, path: string): boolean {
    return this.check(
      v,
      path,
      (s) => s.length <= LIMITS.nameChars,
      `a string of at most ${LIMITS.nameChars} characters`,
    );
  }
  list(v: unknown, path: string, max: number): unknown[] | undefined {
    const a = this.array(v, path);
    if (a && a.length > max) {
      this.fail(path, `at most ${max} entries allowed`, a);
      return undefined;
    }
    return a;
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
  if (typeof v === "string" && v.length > 80) return `a string of ${v.length.toLocaleString("en-US")} characters`;
  if (typeof v === "number" && !Number.isFinite(v)) return "a number too large for JSON";
  return oneLine(JSON.stringify(v) ?? String(v), 80);
}

function checkNamed(c: Checker, v: unknown, path: string, idKind: "hash" | "uint"): void {
  const o = c.object(v, path);
  if (!o) return;
  if (idKind === "hash") c.hash(o.id, `${path}.id`);
  else c.uint(o.id, `${path}.id`);
  c.name(o.name, `${path}.name`);
}

/** Counts the values of a decoded-attrs list (nested arrays included), stopping past `max`. */
function attrValueCount(v: unknown, max: number, depth = 0): number {
  if (!Array.isArray(v)) return 1;
  if (depth > 4) return max + 1;
  let n = 1;
  for (const x of v) {
    n += attrValueCount(x, max, depth + 1);
    if (n > max) return n;
  }
  return n;
}

function checkAttrValue(c: Checker, v: unknown, path: string): void {
  if (Array.isArray(v)) return v.forEach((x, i) => checkAttrValue(c, x, `${path}[${i}]`));
  if (typeof v === "boolean" || (typeof v === "number" && Number.isSafeInteger(v))) return;
  if (typeof v === "string" && v.length <= 2 + 2 * 1024) return;
  c.fail(path, "expected a decimal string, a 0x-hex string of at most 1 KiB, a safe integer or a boolean", v);
}

function checkDecodedAttrs(c: Checker, v: unknown, path: string): void {
  if (v === undefined) return;
  const o = c.object(v, path);
  if (!o) return;
  const types = c.list(o.types, `${path}.types`, 32);
  types?.forEach((t, i) => c.name(t, `${path}.types[${i}]`));
  const values = c.array(o.values, `${path}.values`);
  if (!values) return;
  if (attrValueCount(values, LIMITS.attrValues) > LIMITS.attrValues) {
    return c.fail(`${path}.values`, `at most ${LIMITS.attrValues} values (nested at most 4 deep) allowed`);
  }
  values.forEach((x, i) => checkAttrValue(c, x, `${path}.values[${i}]`));
  if (types && types.length !== values.length) {
    c.fail(`${path}.values`, `expected ${types.length} values (one per type)`, values);
  }
}

function checkSignedTx(c: Checker, v: unknown, path: string): void {
  const o = c.object(v, path);
  if (!o) return;
  c.hash(o.txHash, `${path}.txHash`);
  c.uint(o.blockNumber, `${path}.blockNumber`);
  c.hex(o.raw, `${path}.raw`, LIMITS.txBytes);
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
  c.uint64(r.issuedAt, `${path}.issuedAt`);
  c.uint64(r.deadline, `${path}.deadline`);
  c.hex(r.endorsements, `${path}.endorsements`, LIMITS.endorsementBytes);
  const attestation = (r.attestation as Obj | undefined)?.id;
  if (attestation === 1) {
    const votes = c.object(r.votes, `${path}.votes`);
    if (votes) {
      checkSignedTx(c, votes.proposal, `${path}.votes.proposal`);
      c.list(votes.endorsements, `${path}.votes.endorsements`, LIMITS.votes)?.forEach((t, i) =>
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
      c.hex(fact.tx, `${path}.fact.tx`, LIMITS.txBytes);
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

/** Sealed-document fields: short strings (tags, ids, keys) and at most one large ciphertext each. */
function checkOpaque(c: Checker, v: unknown, path: string, depth = 0): void {
  const o = c.object(v, path);
  if (!o) return;
  const entries = Object.entries(o);
  if (entries.length > 32) return c.fail(path, "at most 32 fields allowed in a sealed document");
  for (const [k, x] of entries) {
    if (k.length > LIMITS.nameChars) c.fail(`${path}`, `a field name longer than ${LIMITS.nameChars} characters`);
    else if (typeof x === "string") {
      if (x.length > 2 + 2 * LIMITS.documentBytes)
        c.fail(`${path}.${k}`, `at most ${mb(LIMITS.documentBytes)} allowed`, x);
    } else if (depth < 4 && typeof x === "object" && x !== null && !Array.isArray(x))
      checkOpaque(c, x, `${path}.${k}`, depth + 1);
    else c.fail(`${path}.${k}`, "expected a string (encrypted fields are opaque strings)", x);
  }
}

function checkPosition(c: Checker, o: Obj, p: string): void {
  c.uint(o.blockNumber, `${p}.blockNumber`);
  c.uint(o.logIndex, `${p}.logIndex`);
  c.hash(o.txHash, `${p}.txHash`);
}

/**
 * Checks that `value` (a parsed JSON file) has the shape of a bundle of this version, with every
 * field inside its limit. Throws `BundleReadError` if it is not a colend bundle of a supported
 * version at all; otherwise returns the list of schema errors (empty when the shape is right).
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
      b.version === 1
        ? `bundle version 1 is no longer accepted: it does not state the block it was exported at, so a cut tail cannot be detected (export it again: this verifier reads version ${BUNDLE_VERSION})`
        : `unsupported bundle version ${describe(b.version)}: this verifier reads version ${BUNDLE_VERSION}`,
    );
  }
  const c = new Checker();
  c.decimal(b.chainId, "chainId");
  c.address(b.ledger, "ledger");
  const domain = c.object(b.domain, "domain");
  if (domain) {
    c.name(domain.name, "domain.name");
    c.name(domain.version, "domain.version");
    c.decimal(domain.chainId, "domain.chainId");
    c.address(domain.verifyingContract, "domain.verifyingContract");
  }
  const exported = c.object(b.exportedAt, "exportedAt");
  if (exported) {
    c.uint(exported.blockNumber, "exportedAt.blockNumber");
    c.hash(exported.blockHash, "exportedAt.blockHash");
    c.uint(exported.timestamp, "exportedAt.timestamp");
  }
  const subjects = c.list(b.subjects, "subjects", LIMITS.subjects);
  if (subjects && subjects.length === 0) c.fail("subjects", "expected at least one subject chain");
  subjects?.forEach((s, i) => {
    const p = `subjects[${i}]`;
    const o = c.object(s, p);
    if (!o) return;
    c.oneOf(o.role, `${p}.role`, ["loan", "case", "subject"]);
    if (o.id !== undefined) c.decimal(o.id, `${p}.id`);
    c.hash(o.subject, `${p}.subject`);
    c.hash(o.head, `${p}.head`);
    c.list(o.records, `${p}.records`, LIMITS.records)?.forEach((r, j) => checkRecord(c, r, `${p}.records[${j}]`));
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
  if (b.assent !== undefined) {
    const a = c.object(b.assent, "assent");
    if (a) {
      c.address(a.loanBook, "assent.loanBook");
      c.address(a.borrower, "assent.borrower");
      c.uint64(a.deadline, "assent.deadline");
      c.hex(a.signature, "assent.signature", 65);
    }
  }
  c.list(b.membership, "membership", LIMITS.events)?.forEach((m, i) => {
    const p = `membership[${i}]`;
    const o = c.object(m, p);
    if (!o) return;
    c.oneOf(o.type, `${p}.type`, ["MemberAdmitted", "MemberRemoved", "MemberRoleChanged"]);
    c.address(o.account, `${p}.account`);
    checkNamed(c, o.role, `${p}.role`, "uint");
    if (o.type === "MemberRoleChanged") checkNamed(c, o.fromRole, `${p}.fromRole`, "uint");
    if (o.type === "MemberAdmitted") {
      c.name(o.name, `${p}.name`);
      c.hex(o.encryptionKey, `${p}.encryptionKey`, 65);
    }
    c.uint(o.seq, `${p}.seq`);
    checkPosition(c, o, p);
  });
  c.list(b.changes, "changes", LIMITS.events)?.forEach((m, i) => {
    const p = `changes[${i}]`;
    const o = c.object(m, p);
    if (!o) return;
    c.uint(o.epoch, `${p}.epoch`);
    c.uint(o.action, `${p}.action`);
    c.address(o.account, `${p}.account`);
    c.uint(o.role, `${p}.role`);
    c.hash(o.data, `${p}.data`);
    c.uint64(o.issuedAt, `${p}.issuedAt`);
    c.uint64(o.deadline, `${p}.deadline`);
    c.hex(o.signatures, `${p}.signatures`, LIMITS.endorsementBytes);
    c.uint(o.timestamp, `${p}.timestamp`);
    checkPosition(c, o, p);
  });
  c.list(b.modules, "modules", LIMITS.events)?.forEach((m, i) => {
    const p = `modules[${i}]`;
    const o = c.object(m, p);
    if (!o) return;
    c.address(o.module, `${p}.module`);
    c.boolean(o.enabled, `${p}.enabled`);
    checkPosition(c, o, p);
  });
  c.list(b.batches, "batches", LIMITS.records)?.forEach((x, i) => {
    const p = `batches[${i}]`;
    const o = c.object(x, p);
    if (!o) return;
    c.hash(o.subject, `${p}.subject`);
    c.uint(o.leafCount, `${p}.leafCount`);
    checkRecord(c, o.record, `${p}.record`);
  });
  c.list(b.batched, "batched", LIMITS.records)?.forEach((x, i) => {
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
    c.name(o.kindName, `${p}.kindName`);
    c.list(o.proof, `${p}.proof`, LIMITS.proofSteps)?.forEach((h, j) => c.hash(h, `${p}.proof[${j}]`));
    checkDecodedAttrs(c, o.decodedAttrs, `${p}.decodedAttrs`);
  });
  c.list(b.disclosures, "disclosures", LIMITS.events)?.forEach((x, i) => {
    const p = `disclosures[${i}]`;
    const o = c.object(x, p);
    if (!o) return;
    const h = c.object(o.header, `${p}.header`);
    if (h) {
      c.decimal(h.chainId, `${p}.header.chainId`);
      c.address(h.ledger, `${p}.header.ledger`);
      c.address(h.court, `${p}.header.court`);
      c.decimal(h.caseId, `${p}.header.caseId`);
      c.address(h.arbitrator, `${p}.header.arbitrator`);
      c.hex(h.recipientKey, `${p}.header.recipientKey`, 33);
    }
    c.list(o.items, `${p}.items`, LIMITS.records)?.forEach((it, j) => {
      const q = c.object(it, `${p}.items[${j}]`);
      if (q)
        for (const f of ["contentHash", "subject", "kind", "documentHash", "keyHash"])
          c.hash(q[f], `${p}.items[${j}].${f}`);
    });
  });
  c.list(b.documents, "documents", LIMITS.records)?.forEach((d, i) => {
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
      c.base64(o.document, `${p}.document`, LIMITS.documentBytes);
    }
  });
  return c.errors;
}
