import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import Database from "better-sqlite3";
import { hexlify, randomBytes, toUtf8Bytes } from "ethers";
import { contentHash, newSalt } from "../../clients/core/records";
import { Kind, Subject } from "../../clients/core/types";
import { DocumentStore, StoreTampered, WrongStoreSecret } from "../../clients/store";

const SECRET = hexlify(new Uint8Array(32).fill(7));

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "colend-store-")), "node", "docs.sqlite");
}

function sampleDoc(text: string, subject = Subject.loan(1), kind = Kind.LoanContract) {
  const document = toUtf8Bytes(text);
  const salt = newSalt();
  return { subject, kind, document, salt, contentHash: contentHash(document, salt) };
}

describe("DocumentStore", function () {
  let file: string;
  let store: DocumentStore;

  beforeEach(function () {
    file = tempFile();
    store = DocumentStore.open(file, SECRET);
  });

  afterEach(function () {
    store.close();
    fs.rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
  });

  describe("storing and reading", function () {
    it("returns the document and salt it stored, checked against the content hash", function () {
      const doc = sampleDoc("loan contract #1: 10,000 CNY over 10 periods");
      const hash = store.put({ ...doc, meta: { loanId: 1n, txHash: "0xabc" } });
      expect(hash).to.equal(doc.contentHash);
      const got = store.require(hash);
      expect(hexlify(got.document)).to.equal(hexlify(doc.document));
      expect(hexlify(got.salt)).to.equal(hexlify(doc.salt));
      expect(got.subject).to.equal(doc.subject);
      expect(got.kind).to.equal(doc.kind);
      expect(got.meta).to.deep.equal({ loanId: "1", txHash: "0xabc" });
    });

    it("lists the documents of a subject in insertion order without the others", function () {
      const a = sampleDoc("a");
      const b = sampleDoc("b", Subject.loan(1), Kind.Repayment);
      const other = sampleDoc("c", Subject.loan(2));
      store.putMany([a, other, b]);
      const list = store.listBySubject(Subject.loan(1));
      expect(list.map((d) => d.contentHash)).to.deep.equal([a.contentHash, b.contentHash]);
      expect(list[1].kind).to.equal(Kind.Repayment);
      expect(store.count()).to.equal(3);
    });

    it("keeps documents and cursors across close and reopen", function () {
      const doc = sampleDoc("disbursement receipt");
      store.put(doc);
      store.setCursor("network.lastBlock", 1234);
      store.close();
      store = DocumentStore.open(file, SECRET);
      expect(hexlify(store.require(doc.contentHash).document)).to.equal(hexlify(doc.document));
      expect(store.getCursor("network.lastBlock")).to.equal("1234");
      store.setCursor("network.lastBlock", 1300n);
      expect(store.getCursor("network.lastBlock")).to.equal("1300");
    });

    it("runs the database in WAL mode", function () {
      store.close();
      const db = new Database(file, { readonly: true });
      expect(db.pragma("journal_mode", { simple: true })).to.equal("wal");
      db.close();
      store = DocumentStore.open(file, SECRET);
    });

    it("treats putting the same document again as a no-op", function () {
      const doc = sampleDoc("same");
      store.put(doc);
      store.put(doc);
      expect(store.count()).to.equal(1);
    });

    it("handles empty and large documents", function () {
      const empty = { ...sampleDoc(""), document: new Uint8Array(0) };
      empty.contentHash = contentHash(empty.document, empty.salt);
      const large = { ...sampleDoc(""), document: randomBytes(1 << 18) };
      large.contentHash = contentHash(large.document, large.salt);
      store.putMany([empty, large]);
      expect(store.require(empty.contentHash).document.length).to.equal(0);
      expect(hexlify(store.require(large.contentHash).document)).to.equal(hexlify(large.document));
    });

    it("returns undefined for a document it does not hold", function () {
      expect(store.get(contentHash(toUtf8Bytes("x"), newSalt()))).to.equal(undefined);
      expect(store.getCursor("nothing")).to.equal(undefined);
    });
  });

  describe("encryption at rest", function () {
    it("stores neither the document nor its salt in clear", function () {
      const secret = "borrower pseudonym 0x51 owes 10000 CNY";
      const doc = sampleDoc(secret);
      store.put(doc);
      store.close();
      const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
      expect(bytes.includes(Buffer.from(secret))).to.equal(false);
      expect(bytes.includes(Buffer.from(doc.salt))).to.equal(false);
      store = DocumentStore.open(file, SECRET);
    });

    it("refuses to open with the wrong secret", function () {
      store.close();
      expect(() => DocumentStore.open(file, hexlify(new Uint8Array(32).fill(8)))).to.throw(
        WrongStoreSecret,
        "wrong storage secret",
      );
      store = DocumentStore.open(file, SECRET);
    });

    it("detects an altered ciphertext", function () {
      const doc = sampleDoc("credit decision: approved, limit 50,000");
      store.put(doc);
      tamper(file, "UPDATE documents SET ciphertext = ? WHERE content_hash = ?", (row) => flip(row.ciphertext), doc);
      expect(() => store.get(doc.contentHash)).to.throw(StoreTampered, `document ${doc.contentHash}`);
    });

    it("detects an altered authentication tag, IV or wrapped key", function () {
      for (const column of ["tag", "iv", "wrapped_key", "key_tag"] as const) {
        const doc = sampleDoc(`doc for ${column}`);
        store.put(doc);
        tamper(file, `UPDATE documents SET ${column} = ? WHERE content_hash = ?`, (row) => flip(row[column]), doc);
        expect(() => store.get(doc.contentHash), column).to.throw(StoreTampered);
      }
    });

    it("detects a ciphertext swapped in from another row", function () {
      const a = sampleDoc("first");
      const b = sampleDoc("second");
      store.putMany([a, b]);
      const db = new Database(file);
      const rowB = db
        .prepare("SELECT * FROM documents WHERE content_hash = ?")
        .get(Buffer.from(b.contentHash.slice(2), "hex")) as Record<string, Buffer>;
      db.prepare(
        "UPDATE documents SET iv = ?, ciphertext = ?, tag = ?, key_iv = ?, wrapped_key = ?, key_tag = ? WHERE content_hash = ?",
      ).run(
        rowB.iv,
        rowB.ciphertext,
        rowB.tag,
        rowB.key_iv,
        rowB.wrapped_key,
        rowB.key_tag,
        Buffer.from(a.contentHash.slice(2), "hex"),
      );
      db.close();
      expect(() => store.get(a.contentHash)).to.throw(StoreTampered);
    });

    it("detects a relabelled subject, kind or meta", function () {
      const doc = sampleDoc("statement");
      store.put({ ...doc, meta: { by: "lead" } });
      const db = new Database(file);
      const key = Buffer.from(doc.contentHash.slice(2), "hex");
      db.prepare("UPDATE documents SET subject = ? WHERE content_hash = ?").run(
        Buffer.from(Subject.loan(9).slice(2), "hex"),
        key,
      );
      db.close();
      expect(() => store.get(doc.contentHash)).to.throw(StoreTampered);

      // A row's sealed meta moved onto another row does not authenticate there.
      const doc2 = sampleDoc("meta");
      const doc3 = sampleDoc("other meta");
      store.put({ ...doc2, meta: { by: "lead" } });
      store.put({ ...doc3, meta: { by: "partner" } });
      const db2 = new Database(file);
      const meta3 = (
        db2.prepare("SELECT meta FROM documents WHERE content_hash = ?").get(hashKey(doc3)) as { meta: Buffer }
      ).meta;
      db2.prepare("UPDATE documents SET meta = ? WHERE content_hash = ?").run(meta3, hashKey(doc2));
      db2.close();
      expect(() => store.get(doc2.contentHash)).to.throw(StoreTampered);
      expect(() => store.listBySubject(doc2.subject)).to.throw(StoreTampered);
    });

    it("keeps meta out of the file's clear bytes", function () {
      const personal = "Zhang San, ID 110101199003077777";
      const doc = sampleDoc("loan contract");
      store.put({ ...doc, meta: { note: personal } });
      expect(store.get(doc.contentHash)!.meta).to.deep.equal({ note: personal });
      expect(store.listBySubject(doc.subject)[0].meta).to.deep.equal({ note: personal });
      store.close();
      const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
      expect(bytes.includes(Buffer.from(personal))).to.equal(false);
      expect(bytes.includes(Buffer.from("110101199003077777"))).to.equal(false);
      store = DocumentStore.open(file, SECRET);
    });

    it("authenticates every column it returns: id, kind, time and size", function () {
      const edits: [string, (db: Database.Database, key: Buffer) => void][] = [
        ["id", (db, key) => db.prepare("UPDATE documents SET id = id + 100 WHERE content_hash = ?").run(key)],
        [
          "kind",
          (db, key) =>
            db
              .prepare("UPDATE documents SET kind = ? WHERE content_hash = ?")
              .run(hashKey({ contentHash: Kind.Note }), key),
        ],
        ["created_at", (db, key) => db.prepare("UPDATE documents SET created_at = 1 WHERE content_hash = ?").run(key)],
        [
          "ciphertext size",
          (db, key) => {
            // One byte more, as bytes: SQL's || would turn the blob into text (and stop at a NUL).
            const row = db.prepare("SELECT ciphertext FROM documents WHERE content_hash = ?").get(key) as {
              ciphertext: Buffer;
            };
            const longer = Buffer.concat([row.ciphertext, Buffer.from([0])]);
            db.prepare("UPDATE documents SET ciphertext = ? WHERE content_hash = ?").run(longer, key);
          },
        ],
      ];
      for (const [what, edit] of edits) {
        const doc = sampleDoc(`row for ${what}`, Subject.loan(77));
        store.put(doc);
        const db = new Database(file);
        edit(db, hashKey(doc));
        db.close();
        expect(() => store.listBySubject(Subject.loan(77)), what).to.throw(StoreTampered);
        expect(() => store.get(doc.contentHash), what).to.throw(StoreTampered);
        const fix = new Database(file);
        fix.prepare("DELETE FROM documents WHERE content_hash = ?").run(hashKey(doc));
        fix.close();
        store.close();
        fs.rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
        file = tempFile();
        store = DocumentStore.open(file, SECRET);
      }
    });
  });

  describe("deleted rows", function () {
    it("reports a deleted row for a hash it stored, not a missing document", function () {
      const [a, b, c] = [sampleDoc("a"), sampleDoc("b"), sampleDoc("c")];
      store.putMany([a, b, c]);
      const db = new Database(file);
      db.prepare("DELETE FROM documents WHERE content_hash = ?").run(hashKey(b));
      db.close();
      expect(() => store.get(b.contentHash)).to.throw(StoreTampered, "1 of its 3 documents were deleted");
      expect(() => store.has(b.contentHash)).to.throw(StoreTampered, "deleted");
      expect(() => store.count()).to.throw(StoreTampered, "deleted");
      expect(store.get(a.contentHash)!.document).to.deep.equal(a.document);
    });

    it("notices the last row deleted, and a forged row count", function () {
      const [a, b] = [sampleDoc("a"), sampleDoc("b")];
      store.putMany([a, b]);
      const db = new Database(file);
      db.prepare("DELETE FROM documents WHERE content_hash = ?").run(hashKey(b));
      db.prepare("UPDATE store_meta SET value = '1' WHERE key = 'rows'").run();
      db.close();
      expect(() => store.get(b.contentHash)).to.throw(StoreTampered, "row count was altered");
    });

    it("still answers a miss for a hash it never stored in an intact store", function () {
      store.put(sampleDoc("a"));
      expect(store.get(sampleDoc("never").contentHash)).to.equal(undefined);
      expect(store.has(sampleDoc("never").contentHash)).to.equal(false);
    });
  });

  describe("files and processes", function () {
    it("creates its folder and files for the owner only", function () {
      store.put(sampleDoc("a"));
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        expect(fs.statSync(f).mode & 0o777, f).to.equal(0o600);
      }
      expect(fs.statSync(path.dirname(file)).mode & 0o077).to.equal(0);
    });

    it("loses no write when two processes write one store at once", async function () {
      this.timeout(120_000);
      store.close();
      const perProcess = 150;
      const codes = await Promise.all([writer(file, "left", perProcess), writer(file, "right", perProcess)]);
      expect(codes).to.deep.equal([0, 0]);
      store = DocumentStore.open(file, SECRET);
      expect(store.count()).to.equal(2 * perProcess);
      for (const side of ["left", "right"]) {
        const listed = store.listBySubject(Subject.loan(side === "left" ? 1 : 2));
        expect(listed).to.have.length(perProcess);
        expect(store.get(listed[perProcess - 1].contentHash)!.meta).to.deep.equal({ side, i: perProcess - 1 });
      }
    });
  });

  describe("bad input", function () {
    it("rejects a content hash that does not match salt and document", function () {
      const doc = sampleDoc("x");
      expect(() => store.put({ ...doc, contentHash: contentHash(doc.document, newSalt()) })).to.throw(
        "is not keccak256(salt ‖ document)",
      );
      expect(store.count()).to.equal(0);
    });

    it("rejects a short salt, a malformed subject and a short secret", function () {
      const doc = sampleDoc("x");
      expect(() => store.put({ ...doc, salt: doc.salt.slice(1), contentHash: undefined })).to.throw(
        "salt must be 32 bytes",
      );
      expect(() => store.put({ ...doc, subject: "0x1234" })).to.throw(
        "subject must be a 0x-prefixed 32-byte hex string",
      );
      expect(() => DocumentStore.open(tempFile(), "0x1234")).to.throw("at least 16 bytes");
      expect(() => DocumentStore.open(tempFile(), "not hex")).to.throw("0x-prefixed hex");
    });

    it("rejects the same document under another subject", function () {
      const doc = sampleDoc("x");
      store.put(doc);
      expect(() => store.put({ ...doc, subject: Subject.loan(2) })).to.throw("already stored under subject");
    });

    it("rolls back a whole batch when one document is bad", function () {
      const good = sampleDoc("good");
      const bad = { ...sampleDoc("bad"), contentHash: contentHash(toUtf8Bytes("other"), newSalt()) };
      expect(() => store.putMany([good, bad])).to.throw();
      expect(store.count()).to.equal(0);
    });

    it("refuses a database that is not a document store", function () {
      const other = tempFile();
      fs.mkdirSync(path.dirname(other), { recursive: true });
      const db = new Database(other);
      db.exec("CREATE TABLE t (x)");
      db.close();
      expect(() => DocumentStore.open(other, SECRET)).to.throw("not a colend document store");
    });

    it("refuses use after close", function () {
      store.close();
      expect(() => store.count()).to.throw("is closed");
      store = DocumentStore.open(file, SECRET);
    });
  });
});

type Column = "iv" | "ciphertext" | "tag" | "key_iv" | "wrapped_key" | "key_tag";

function flip(b: Buffer): Buffer {
  const copy = Buffer.from(b);
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

function tamper(
  file: string,
  sql: string,
  change: (row: Record<Column, Buffer>) => Buffer,
  doc: { contentHash: string },
) {
  const db = new Database(file);
  const key = Buffer.from(doc.contentHash.slice(2), "hex");
  const row = db.prepare("SELECT * FROM documents WHERE content_hash = ?").get(key) as Record<Column, Buffer>;
  db.prepare(sql).run(change(row), key);
  db.close();
}

function hashKey(doc: { contentHash: string }): Buffer {
  return Buffer.from(doc.contentHash.slice(2), "hex");
}

/** A separate Node process that puts `n` documents into the store in `file`, one transaction each. */
function writer(file: string, side: string, n: number): Promise<number | null> {
  const root = path.join(__dirname, "..", "..");
  const script = [
    `require("ts-node").register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(root)}, compilerOptions: { module: "commonjs" } });`,
    `const { DocumentStore } = require(${JSON.stringify(path.join(root, "clients", "store", "documentStore.ts"))});`,
    `const { Subject, Kind } = require(${JSON.stringify(path.join(root, "clients", "core", "types.ts"))});`,
    `const crypto = require("node:crypto");`,
    `const store = DocumentStore.open(${JSON.stringify(file)}, ${JSON.stringify(SECRET)});`,
    `for (let i = 0; i < ${n}; i++) {`,
    `  store.put({ subject: Subject.loan(${side === "left" ? 1 : 2}), kind: Kind.Note, document: Buffer.from("${side} " + i), salt: crypto.randomBytes(32), meta: { side: "${side}", i } });`,
    `}`,
    `store.close();`,
  ].join("\n");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", resolve);
  });
}
