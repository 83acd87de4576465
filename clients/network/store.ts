import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

/**
 * A node's own durable store (SQLite, WAL): the last block it processed, the events it handled
 * (by event id `txHash:logIndex`, so none is handled twice), the actions it took, its documents
 * and small key/value state. Survives restarts; one file per node.
 */
export class NodeStore {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS processed (
        id TEXT PRIMARY KEY, block INTEGER NOT NULL, event TEXT NOT NULL, handled_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS actions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT, action TEXT NOT NULL, detail TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS documents (
        content_hash TEXT PRIMARY KEY, subject TEXT NOT NULL, kind TEXT NOT NULL, salt TEXT NOT NULL, body TEXT NOT NULL);
    `);
  }

  get(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  set(key: string, value: string): void {
    this.db
      .prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(key, value);
  }

  /** Last block whose events were all processed (-1 if none). */
  getCursor(): number {
    return Number(this.get("cursor") ?? "-1");
  }

  setCursor(block: number): void {
    this.set("cursor", String(block));
  }

  isProcessed(eventId: string): boolean {
    return this.db.prepare("SELECT 1 FROM processed WHERE id = ?").get(eventId) !== undefined;
  }

  /** Marks an event handled; returns false if it already was. */
  markProcessed(eventId: string, block: number, event: string): boolean {
    const r = this.db
      .prepare("INSERT OR IGNORE INTO processed (id, block, event, handled_at) VALUES (?, ?, ?, ?)")
      .run(eventId, block, event, Date.now());
    return r.changes === 1;
  }

  /** Runs `fn` in one SQLite transaction. */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  logAction(eventId: string | null, action: string, detail: string): void {
    this.db
      .prepare("INSERT INTO actions (event_id, action, detail, at) VALUES (?, ?, ?, ?)")
      .run(eventId, action, detail, Date.now());
  }

  actions(): { event_id: string | null; action: string; detail: string }[] {
    return this.db.prepare("SELECT event_id, action, detail FROM actions ORDER BY seq").all() as {
      event_id: string | null;
      action: string;
      detail: string;
    }[];
  }

  processedCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM processed").get() as { n: number }).n;
  }

  putDocument(contentHash: string, subject: string, kind: string, salt: string, body: string): void {
    this.db
      .prepare("INSERT OR IGNORE INTO documents (content_hash, subject, kind, salt, body) VALUES (?, ?, ?, ?, ?)")
      .run(contentHash, subject, kind, salt, body);
  }

  document(contentHash: string): { subject: string; kind: string; salt: string; body: string } | undefined {
    return this.db
      .prepare("SELECT subject, kind, salt, body FROM documents WHERE content_hash = ?")
      .get(contentHash) as { subject: string; kind: string; salt: string; body: string } | undefined;
  }

  close(): void {
    this.db.close();
  }
}
