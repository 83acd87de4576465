import fs from "node:fs";
import path from "node:path";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import Database from "better-sqlite3";
import { getBytes, hexlify, isHexString, toUtf8Bytes } from "ethers";
import { contentHash as saltedHash } from "../core/records";
import { AuthenticationError, Sealed, concatBytes, hkdf, newKey, seal, unseal } from "./crypto";

/** Format of the database file; a store refuses to open a file of another version. */
export const STORE_FORMAT = "colend-docstore";
export const STORE_VERSION = 2;
/** How long a writer waits for another process's write to finish before giving up. */
export const BUSY_TIMEOUT_MS = 30_000;

/** Salt length of a record's content hash (see `contentHash` in clients/core/records.ts). */
const SALT_BYTES = 32;

/** Domain-separation labels: one per key and per associated-data layout. */
const LABEL = {
  storageKey: "colend.store.v1 storage key",
  keyCheck: "colend.store.v1 key check",
  dataKeyAad: "colend.store.v2 data key",
  rowAad: "colend.store.v2 row",
  rowCount: "colend.store.v2 row count",
  documentAad: "colend.doc.v1",
} as const;

/** A document to put in the store. */
export interface PutDocument {
  /** bytes32 subject of the record the document stands behind. */
  subject: string;
  /** bytes32 kind of that record. */
  kind: string;
  /** The original document. */
  document: Uint8Array;
  /** The 32-byte salt of the record's content hash. */
  salt: Uint8Array;
  /** keccak256(salt ‖ document); checked if given. */
  contentHash?: string;
  /** Small JSON-serialisable labels (transaction hash, loan id...), at most 4 KiB. Encrypted
   *  under the storage key and authenticated with the rest of the row. */
  meta?: Record<string, unknown>;
}

/** What the store knows about a document without decrypting it. */
export interface DocumentInfo {
  /** Insertion order in this store. */
  id: number;
  contentHash: string;
  subject: string;
  kind: string;
  meta: Record<string, unknown>;
  /** Unix seconds when it was stored. */
  createdAt: number;
  /** Bytes of ciphertext (salt + document). */
  size: number;
}

/** A document as decrypted and checked against its content hash. */
export interface StoredDocument extends DocumentInfo {
  document: Uint8Array;
  salt: Uint8Array;
}

/**
 * A document encrypted under its own data key: `ciphertext` is AES-256-GCM of `salt ‖ document`
 * with associated data `documentAad(contentHash, subject, kind)`. This is what disclosure sends;
 * the data key travels separately, wrapped to the recipient.
 */
export interface SealedDocument extends Sealed {
  contentHash: string;
  subject: string;
  kind: string;
}

/** The storage secret does not open this store. */
export class WrongStoreSecret extends Error {
  constructor(file: string) {
    super(`wrong storage secret for document store ${file}`);
    this.name = "WrongStoreSecret";
  }
}

/** A stored document failed authentication, or rows were deleted: the file was altered. */
export class StoreTampered extends Error {
  constructor(
    readonly contentHash: string,
    reason: string,
  ) {
    super(`document ${contentHash} in the store was altered: ${reason}`);
    this.name = "StoreTampered";
  }
}

interface Row {
  id: number;
  content_hash: Buffer;
  subject: Buffer;
  kind: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  key_iv: Buffer;
  wrapped_key: Buffer;
  key_tag: Buffer;
  meta: Buffer;
  created_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS store_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
  id           INTEGER PRIMARY KEY,
  content_hash BLOB NOT NULL UNIQUE CHECK (length(content_hash) = 32),
  subject      BLOB NOT NULL CHECK (length(subject) = 32),
  kind         BLOB NOT NULL CHECK (length(kind) = 32),
  iv           BLOB NOT NULL CHECK (length(iv) = 12),
  ciphertext   BLOB NOT NULL,
  tag          BLOB NOT NULL CHECK (length(tag) = 16),
  key_iv       BLOB NOT NULL CHECK (length(key_iv) = 12),
  wrapped_key  BLOB NOT NULL CHECK (length(wrapped_key) = 32),
  key_tag      BLOB NOT NULL CHECK (length(key_tag) = 16),
  meta         BLOB NOT NULL CHECK (length(meta) >= 28),
  created_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_subject ON documents (subject, id);
CREATE TABLE IF NOT EXISTS cursors (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** Associated data that binds a document's ciphertext to its record (shared with recipients). */
export function documentAad(contentHash: string, subject: string, kind: string): Uint8Array {
  return concatBytes(toUtf8Bytes(LABEL.documentAad), bytes32(contentHash), bytes32(subject), bytes32(kind));
}

/**
 * One node's durable store of the original documents behind its records: an embedded SQLite
 * database (WAL mode) in which every document is encrypted at rest with AES-256-GCM.
 *
 * Key hierarchy: the node secret → HKDF-SHA256 (with a random per-store salt) → the storage key;
 * each document gets its own random data key, which encrypts `salt ‖ document` and is itself
 * stored wrapped under the storage key. The associated data binds the document ciphertext to its
 * content hash, subject and kind, and the wrapped data key to the content hash and the row's meta,
 * so no ciphertext, key or label can be moved to another row without detection.
 */
export class DocumentStore {
  private readonly stmts: ReturnType<DocumentStore["prepare"]>;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
    private readonly storageKey: Uint8Array,
  ) {
    this.stmts = this.prepare();
  }

  /**
   * Opens (or creates) the store in `file` (`":memory:"` for a throw-away store). `secret` is the
   * node's storage secret, at least 16 bytes (32 random bytes recommended); a wrong secret is
   * refused with `WrongStoreSecret` before anything is read.
   */
  static open(file: string, secret: Uint8Array | string): DocumentStore {
    const ikm = secretBytes(secret);
    if (file !== ":memory:") createOwnerOnly(file);
    // Another process may hold the write lock: wait for it (busy timeout) instead of failing.
    const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("foreign_keys = ON");
      const storageKey = db.transaction(() => initialise(db, file, ikm)).immediate();
      return new DocumentStore(file, db, storageKey);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /**
   * Stores a document encrypted. Its content hash must equal keccak256(salt ‖ document). Putting
   * the same document again under the same subject and kind is a no-op; under another, an error.
   * @returns the content hash
   */
  put(doc: PutDocument): string {
    this.checkOpen();
    return this.db.transaction(() => this.insert(doc)).immediate();
  }

  /** Stores several documents in one transaction (all or none). @returns their content hashes */
  putMany(docs: readonly PutDocument[]): string[] {
    this.checkOpen();
    return this.db.transaction(() => docs.map((d) => this.insert(d))).immediate();
  }

  /**
   * Whether a document with this content hash is stored. A miss is checked against the store's
   * authenticated row count: a deleted row is reported (`StoreTampered`), not taken for absence.
   */
  has(contentHash: string): boolean {
    this.checkOpen();
    if (this.stmts.exists.get(Buffer.from(bytes32(contentHash))) !== undefined) return true;
    this.checkRowCount(contentHash);
    return false;
  }

  /**
   * The decrypted document with `contentHash`, or undefined if not stored. Throws `StoreTampered`
   * if any stored byte of it was altered.
   */
  get(contentHash: string): StoredDocument | undefined {
    this.checkOpen();
    const row = this.row(contentHash);
    if (!row) {
      this.checkRowCount(contentHash);
      return undefined;
    }
    const info = this.info(row);
    const payload = this.openPayload(row, this.unwrapKey(row));
    const salt = payload.slice(0, SALT_BYTES);
    const document = payload.slice(SALT_BYTES);
    if (saltedHash(document, salt) !== info.contentHash) {
      throw new StoreTampered(info.contentHash, "document does not hash to its content hash");
    }
    return { ...info, document, salt };
  }

  /** Like `get`, but a missing document is an error. */
  require(contentHash: string): StoredDocument {
    const doc = this.get(contentHash);
    if (!doc) throw new Error(`document ${contentHash} is not in store ${this.file}`);
    return doc;
  }

  /**
   * The documents stored for `subject`, oldest first, without decrypting the documents; every
   * column returned is authenticated (a relabelled or altered row throws `StoreTampered`).
   */
  listBySubject(subject: string): DocumentInfo[] {
    this.checkOpen();
    return (this.stmts.bySubject.all(Buffer.from(bytes32(subject))) as Row[]).map((r) => this.info(r));
  }

  /** Number of documents stored (authenticated: deleted or smuggled rows throw `StoreTampered`). */
  count(): number {
    this.checkOpen();
    return this.checkRowCount();
  }

  /**
   * The document as encrypted under its data key, and that key: what disclosure needs. The data
   * key is authenticated before it is returned.
   */
  sealedWithKey(contentHash: string): { sealed: SealedDocument; dataKey: Uint8Array } {
    this.checkOpen();
    const row = this.row(contentHash);
    if (!row) throw new Error(`document ${contentHash} is not in store ${this.file}`);
    const dataKey = this.unwrapKey(row);
    this.openPayload(row, dataKey);
    const info = this.info(row);
    return {
      sealed: {
        contentHash: info.contentHash,
        subject: info.subject,
        kind: info.kind,
        iv: new Uint8Array(row.iv),
        ciphertext: new Uint8Array(row.ciphertext),
        tag: new Uint8Array(row.tag),
      },
      dataKey,
    };
  }

  /** Value of cursor `name` (e.g. the last block a node process handled), or undefined. */
  getCursor(name: string): string | undefined {
    this.checkOpen();
    const row = this.stmts.getCursor.get(cursorName(name)) as { value: string } | undefined;
    return row?.value;
  }

  /** Sets cursor `name`. Cursors are plain (not encrypted): keep them to positions and counters. */
  setCursor(name: string, value: string | number | bigint): void {
    this.checkOpen();
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new Error(`cursor ${name}: ${value} is not a safe integer`);
    }
    this.stmts.setCursor.run(cursorName(name), String(value));
  }

  /** Closes the database; the store cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // ------------------------------------------------------------------ internals

  private prepare() {
    return {
      insert: this.db.prepare(
        `INSERT INTO documents (id, content_hash, subject, kind, iv, ciphertext, tag, key_iv, wrapped_key, key_tag, meta, created_at)
         VALUES (@id, @content_hash, @subject, @kind, @iv, @ciphertext, @tag, @key_iv, @wrapped_key, @key_tag, @meta, @created_at)`,
      ),
      byHash: this.db.prepare(`SELECT * FROM documents WHERE content_hash = ?`),
      exists: this.db.prepare(`SELECT 1 FROM documents WHERE content_hash = ?`),
      bySubject: this.db.prepare(`SELECT * FROM documents WHERE subject = ? ORDER BY id`),
      count: this.db.prepare(`SELECT count(*) AS n, coalesce(max(id), 0) AS top FROM documents`),
      getMeta: this.db.prepare(`SELECT value FROM store_meta WHERE key = ?`),
      setMeta: this.db.prepare(
        `INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ),
      getCursor: this.db.prepare(`SELECT value FROM cursors WHERE name = ?`),
      setCursor: this.db.prepare(
        `INSERT INTO cursors (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
      ),
    };
  }

  private insert(doc: PutDocument): string {
    const subject = bytes32(doc.subject, "subject");
    const kind = bytes32(doc.kind, "kind");
    if (!(doc.document instanceof Uint8Array)) throw new Error("document must be bytes");
    if (!(doc.salt instanceof Uint8Array) || doc.salt.length !== SALT_BYTES) {
      throw new Error(`salt must be ${SALT_BYTES} bytes`);
    }
    const hash = saltedHash(doc.document, doc.salt);
    if (doc.contentHash !== undefined && hexlify(bytes32(doc.contentHash, "contentHash")) !== hash) {
      throw new Error(`content hash ${doc.contentHash} is not keccak256(salt ‖ document) = ${hash}`);
    }
    const meta = metaJson(doc.meta);
    const existing = this.row(hash);
    if (existing) {
      const info = this.info(existing);
      if (info.subject !== hexlify(subject) || info.kind !== hexlify(kind)) {
        throw new Error(`document ${hash} is already stored under subject ${info.subject}, kind ${info.kind}`);
      }
      return hash;
    }
    // Rows are numbered 1, 2, 3... and the count is kept under a MAC: a deleted row shows.
    const id = this.checkRowCount() + 1;
    const createdAt = Math.floor(Date.now() / 1000);
    const dataKey = newKey();
    const payload = seal(dataKey, concatBytes(doc.salt, doc.document), documentAad(hash, doc.subject, doc.kind));
    const wrapped = seal(this.storageKey, dataKey, dataKeyAad(hash));
    const sealedMeta = seal(
      this.storageKey,
      toUtf8Bytes(meta),
      rowAad(id, hash, subject, kind, createdAt, payload.ciphertext.length),
    );
    this.stmts.insert.run({
      id,
      content_hash: Buffer.from(getBytes(hash)),
      subject: Buffer.from(subject),
      kind: Buffer.from(kind),
      iv: Buffer.from(payload.iv),
      ciphertext: Buffer.from(payload.ciphertext),
      tag: Buffer.from(payload.tag),
      key_iv: Buffer.from(wrapped.iv),
      wrapped_key: Buffer.from(wrapped.ciphertext),
      key_tag: Buffer.from(wrapped.tag),
      meta: Buffer.concat([sealedMeta.iv, sealedMeta.tag, sealedMeta.ciphertext]),
      created_at: createdAt,
    });
    this.setRowCount(id);
    return hash;
  }

  /** The row's clear columns and its meta, every one authenticated under the storage key. */
  private info(row: Row): DocumentInfo {
    const contentHash = hexlify(row.content_hash);
    const m = row.meta;
    let meta: string;
    try {
      meta = Buffer.from(
        unseal(
          this.storageKey,
          { iv: m.subarray(0, 12), tag: m.subarray(12, 28), ciphertext: m.subarray(28) },
          rowAad(row.id, contentHash, row.subject, row.kind, row.created_at, row.ciphertext.length),
          "row",
        ),
      ).toString("utf8");
    } catch (e) {
      if (e instanceof AuthenticationError) throw new StoreTampered(contentHash, e.message);
      throw e;
    }
    return {
      id: row.id,
      contentHash,
      subject: hexlify(row.subject),
      kind: hexlify(row.kind),
      meta: JSON.parse(meta) as Record<string, unknown>,
      createdAt: row.created_at,
      size: row.ciphertext.length,
    };
  }

  /**
   * The authenticated number of rows, checked against the table: fewer rows (or a gap in their
   * numbering) means rows were deleted, more means rows were added outside the store.
   */
  private checkRowCount(missing?: string): number {
    const stored = this.stmts.getMeta.get("rows") as { value: string } | undefined;
    const mac = this.stmts.getMeta.get("rows_mac") as { value: string } | undefined;
    const n = stored ? Number(stored.value) : 0;
    if (!Number.isSafeInteger(n) || n < 0 || (n > 0 && (!mac || mac.value !== rowCountMac(this.storageKey, n)))) {
      throw new StoreTampered(missing ?? "(store)", "the store's row count was altered");
    }
    const { n: rows, top } = this.stmts.count.get() as { n: number; top: number };
    if (rows !== n || top !== n) {
      const what =
        rows < n
          ? `${n - rows} of its ${n} documents were deleted from the file${missing ? ` (${missing} may be one)` : ""}`
          : `it holds ${rows} rows but wrote ${n}`;
      throw new StoreTampered(missing ?? "(store)", what);
    }
    return n;
  }

  private setRowCount(n: number): void {
    this.stmts.setMeta.run("rows", String(n));
    this.stmts.setMeta.run("rows_mac", rowCountMac(this.storageKey, n));
  }

  private row(contentHash: string): Row | undefined {
    return this.stmts.byHash.get(Buffer.from(bytes32(contentHash, "contentHash"))) as Row | undefined;
  }

  private unwrapKey(row: Row): Uint8Array {
    const hash = hexlify(row.content_hash);
    try {
      return unseal(
        this.storageKey,
        { iv: row.key_iv, ciphertext: row.wrapped_key, tag: row.key_tag },
        dataKeyAad(hash),
        "data key",
      );
    } catch (e) {
      if (e instanceof AuthenticationError) throw new StoreTampered(hash, e.message);
      throw e;
    }
  }

  private openPayload(row: Row, dataKey: Uint8Array): Uint8Array {
    const hash = hexlify(row.content_hash);
    try {
      return unseal(
        dataKey,
        { iv: row.iv, ciphertext: row.ciphertext, tag: row.tag },
        documentAad(hash, hexlify(row.subject), hexlify(row.kind)),
        "document",
      );
    } catch (e) {
      if (e instanceof AuthenticationError) throw new StoreTampered(hash, e.message);
      throw e;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`document store ${this.file} is closed`);
  }
}

// -------------------------------------------------------------------- helpers

/** Creates the schema on first open, or checks format, version and secret; returns the storage key. */
function initialise(db: Database.Database, file: string, ikm: Uint8Array): Uint8Array {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
  const fresh = tables.length === 0;
  if (!fresh && !tables.some((t) => t.name === "store_meta")) {
    throw new Error(`${file} is an SQLite database but not a colend document store`);
  }
  db.exec(SCHEMA);
  const get = (key: string) =>
    (db.prepare(`SELECT value FROM store_meta WHERE key = ?`).get(key) as { value: string } | undefined)?.value;
  const set = (key: string, value: string) =>
    db.prepare(`INSERT INTO store_meta (key, value) VALUES (?, ?)`).run(key, value);
  if (fresh) {
    const kdfSalt = randomBytes(32);
    set("format", STORE_FORMAT);
    set("version", String(STORE_VERSION));
    set("kdf_salt", hexlify(kdfSalt));
    set("key_check", keyCheck(ikm, kdfSalt));
    return hkdf(ikm, kdfSalt, toUtf8Bytes(LABEL.storageKey));
  }
  if (get("format") !== STORE_FORMAT) throw new Error(`${file} is not a colend document store`);
  if (get("version") !== String(STORE_VERSION)) {
    throw new Error(`${file} is document store version ${get("version")}; this client reads version ${STORE_VERSION}`);
  }
  const saltHex = get("kdf_salt");
  const check = get("key_check");
  if (!saltHex || !check) throw new Error(`${file}: store header is incomplete (kdf_salt or key_check missing)`);
  const kdfSalt = getBytes(saltHex);
  const expected = Buffer.from(getBytes(check));
  const actual = Buffer.from(getBytes(keyCheck(ikm, kdfSalt)));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new WrongStoreSecret(file);
  return hkdf(ikm, kdfSalt, toUtf8Bytes(LABEL.storageKey));
}

/** A value that proves knowledge of the secret without revealing the storage key. */
function keyCheck(ikm: Uint8Array, kdfSalt: Uint8Array): string {
  return hexlify(hkdf(ikm, kdfSalt, toUtf8Bytes(LABEL.keyCheck)));
}

function dataKeyAad(contentHash: string): Uint8Array {
  return concatBytes(toUtf8Bytes(LABEL.dataKeyAad), bytes32(contentHash));
}

/** Binds every clear column of a row (its number, hashes, time and size) to its sealed meta. */
function rowAad(
  id: number,
  contentHash: string,
  subject: Uint8Array,
  kind: Uint8Array,
  createdAt: number,
  size: number,
): Uint8Array {
  const nums = Buffer.alloc(24);
  nums.writeBigUInt64BE(BigInt(id), 0);
  nums.writeBigUInt64BE(BigInt(createdAt), 8);
  nums.writeBigUInt64BE(BigInt(size), 16);
  return concatBytes(toUtf8Bytes(LABEL.rowAad), bytes32(contentHash), subject, kind, nums);
}

function rowCountMac(storageKey: Uint8Array, n: number): string {
  return createHmac("sha256", storageKey).update(`${LABEL.rowCount} ${n}`).digest("hex");
}

/** Creates the store's folder (0700) and file (0600) for the owner only, if they do not exist. */
function createOwnerOnly(file: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

const MAX_META_BYTES = 4096;

function metaJson(meta: Record<string, unknown> | undefined): string {
  if (meta === undefined) return "{}";
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw new Error("meta must be a JSON object");
  const json = JSON.stringify(meta, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  if (Buffer.byteLength(json) > MAX_META_BYTES) throw new Error(`meta must be at most ${MAX_META_BYTES} bytes of JSON`);
  return json;
}

function secretBytes(secret: Uint8Array | string): Uint8Array {
  let bytes: Uint8Array;
  if (secret instanceof Uint8Array) bytes = secret;
  else if (isHexString(secret)) bytes = getBytes(secret);
  else throw new Error("storage secret must be bytes or a 0x-prefixed hex string");
  if (bytes.length < 16) throw new Error(`storage secret must be at least 16 bytes, got ${bytes.length}`);
  return bytes;
}

function cursorName(name: string): string {
  if (typeof name !== "string" || name.length === 0) throw new Error("cursor name must be a non-empty string");
  return name;
}

/** Parses a 0x-prefixed 32-byte hex value. */
function bytes32(value: string, name = "value"): Uint8Array {
  if (!isHexString(value, 32))
    throw new Error(`${name} must be a 0x-prefixed 32-byte hex string, got ${String(value)}`);
  return getBytes(value);
}
