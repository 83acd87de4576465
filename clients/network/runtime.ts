import fs from "node:fs";
import path from "node:path";
import { Interface, JsonRpcProvider, LogDescription, Wallet } from "ethers";
import { HttpJsonRpcProvider } from "../core/httpProvider";
import type { Log, TransactionReceipt, TransactionRequest, TransactionResponse } from "ethers";
import type { AddressBook } from "../core/addressBook";
import { DocumentStore } from "../store";
import { ArbitrationCourt__factory, LoanBook__factory } from "../../typechain-types";
import type { NetworkConfig, NodeSpec } from "./config";
import { RemoteEndorser } from "./endpoint";
import type { ScenarioPlan } from "../sim/plan";
import type { NodeSecrets } from "./secrets";

/** Everything one node process has: its own key and store, the public config, the chain. */
export interface NodeContext {
  dir: string;
  config: NetworkConfig;
  spec: NodeSpec;
  book: AddressBook;
  plan: ScenarioPlan;
  t0: number;
  provider: JsonRpcProvider;
  wallet: Wallet;
  secrets: NodeSecrets;
  store: DocumentStore;
  log: (line: string) => void;
}

/**
 * The provider of a node process. A transaction's `wait()` first asks for its receipt, and if it is
 * not there yet waits for a *new* block; in a network whose clock mines only when every node is
 * idle, that block never comes. So a receipt is asked for again (every 20 ms, up to 30 s) before
 * `null` ("not mined") is answered. Answers are decoded natively (`HttpJsonRpcProvider`).
 */
export class NodeProvider extends HttpJsonRpcProvider {
  constructor(url: string, chainId: number) {
    super(url, chainId, {
      staticNetwork: true,
      pollingInterval: 50,
      cacheTimeout: -1,
      // Send each request at once: batching waits 10 ms per request, and a node's requests are sequential.
      batchMaxCount: 1,
    });
  }

  override async getTransactionReceipt(hash: string): Promise<null | TransactionReceipt> {
    const end = Date.now() + 30_000;
    for (;;) {
      const receipt = await super.getTransactionReceipt(hash);
      if (receipt || Date.now() > end) return receipt;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * A node's wallet. Sends are one at a time (nonce read, estimate, signature, broadcast), so a node
 * may prepare several operations at once without two transactions taking the same nonce; the
 * waits for receipts still overlap. Gas estimates get a margin, since other processes'
 * transactions may land between the estimate and the execution (partners funding the same loan,
 * say) and cost more.
 */
export class NodeWallet extends Wallet {
  private sending: Promise<unknown> = Promise.resolve();

  override async estimateGas(tx: TransactionRequest): Promise<bigint> {
    return ((await super.estimateGas(tx)) * 3n) / 2n;
  }

  override sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    const sent = this.sending.then(() => super.sendTransaction(tx));
    this.sending = sent.catch(() => undefined);
    return sent;
  }
}

/** Runs `fn` on every item, at most `limit` at a time; results in input order. */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A chain event, decoded. */
export interface ChainEvent {
  name: string;
  args: LogDescription["args"];
  log: Log;
}

/** What a node does: set itself up once, react to chain events, act when its time comes. */
export interface NodeRole {
  /** One-time setup (deposits, allowances); idempotent. */
  setup(): Promise<void>;
  /** Handles one event of the loan book or the court (each is handed over once). */
  onEvent(e: ChainEvent): Promise<void>;
  /** Does what is due at chain time `now`, and any queued work. */
  onTime(now: number): Promise<void>;
  /** Chain time of its next timed action, if any. */
  wakeAt(): number | undefined;
  /** Work queued that does not wait for time (an application received, say). */
  hasWork(): boolean;
  /** What it waits on, for `status`. */
  waiting(): string;
  /** Routes of its endpoint beyond `GET /status`. */
  routes(): Record<string, (body: unknown) => Promise<unknown> | unknown>;
}

/** The other members' endpoints, as endorsers (every bank but this one). */
export function remoteBanks(ctx: NodeContext): RemoteEndorser[] {
  return ctx.config.nodes
    .filter((n) => (n.kind === "lead" || n.kind === "partner") && n.id !== ctx.spec.id)
    .map((n) => new RemoteEndorser(n.name, n.address!, n.port));
}

/** Counters a node keeps in its store (plain cursors: numbers only). */
export class Counters {
  constructor(private readonly store: DocumentStore) {}
  get(name: string): number {
    return Number(this.store.getCursor(`count.${name}`) ?? "0");
  }
  add(name: string, n = 1): void {
    this.store.setCursor(`count.${name}`, this.get(name) + n);
  }
  all(names: readonly string[]): Record<string, number> {
    return Object.fromEntries(names.map((n) => [n, this.get(n)]));
  }
}

/** Store state holding a member node's review decisions (`LedgerNode.reviewDecisions()`). */
export const REVIEWS_STATE = "reviews";

/** JSON state kept in a store cursor (small: positions, ids, flags). */
export function loadState<T>(store: DocumentStore, name: string, initial: T): T {
  const text = store.getCursor(`state.${name}`);
  return text ? (JSON.parse(text) as T) : initial;
}

export function saveState(store: DocumentStore, name: string, value: unknown): void {
  store.setCursor(`state.${name}`, JSON.stringify(value));
}

const EVENT_SOURCES = [LoanBook__factory.createInterface(), ArbitrationCourt__factory.createInterface()];

/**
 * Reads the loan book's and the court's events after the node's cursor, hands each to `handle`
 * once, and moves the cursor past it in the node's store: a node killed at any point resumes
 * with the first event it had not finished.
 */
export async function pollEvents(
  ctx: NodeContext,
  head: number,
  handle: (e: ChainEvent) => Promise<void>,
): Promise<number> {
  const { store, book, provider } = ctx;
  const addresses = [book.loanBook!, book.court!];
  const ifaces = new Map<string, Interface>(
    addresses.map((a, i) => [a.toLowerCase(), EVENT_SOURCES[i] as unknown as Interface]),
  );
  let from = Number(store.getCursor("block") ?? String(book.deployBlock - 1)) + 1;
  const last = store.getCursor("log");
  let handled = 0;
  while (from <= head) {
    const to = Math.min(head, from + 1_999);
    const logs = await provider.getLogs({ address: addresses, fromBlock: from, toBlock: to });
    logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    for (const log of logs) {
      const pos = `${log.blockNumber}:${log.index}`;
      if (last && comparePos(pos, last) <= 0) continue;
      const parsed = ifaces.get(log.address.toLowerCase())!.parseLog(log);
      if (parsed) await handle({ name: parsed.name, args: parsed.args, log });
      store.setCursor("log", pos);
      handled++;
    }
    store.setCursor("block", to);
    from = to + 1;
  }
  return handled;
}

function comparePos(a: string, b: string): number {
  const [ab, ai] = a.split(":").map(Number);
  const [bb, bi] = b.split(":").map(Number);
  return ab - bb || ai - bi;
}

/** What a node reports on `GET /status` and in its status file. */
export interface NodeStatus {
  id: string;
  pid: number;
  /** Last block whose events and timed work are done. */
  block: number;
  busy: boolean;
  /** Grows with every unit of work (the supervisor's quiescence check). */
  activity: number;
  wakeAt?: number;
  processed: Record<string, number>;
  waiting: string;
  /** What the run's summary needs from this node (month rows, cases, rulings). */
  report?: unknown;
  lastError?: string;
  updatedAt: string;
}

export function statusFile(nodeDirectory: string): string {
  return path.join(nodeDirectory, "status.json");
}

export function writeStatus(nodeDirectory: string, s: NodeStatus): void {
  const file = statusFile(nodeDirectory);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(s) + "\n");
  fs.renameSync(`${file}.tmp`, file);
}

export function readStatus(nodeDirectory: string): NodeStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(statusFile(nodeDirectory), "utf8")) as NodeStatus;
  } catch {
    return undefined;
  }
}
