/**
 * Entry point of one node process (started by the network supervisor):
 *   node node-main.js --dir DIR --node ID [--rpc URL] [--init]
 * `--init` creates the node's secrets file on the first start and prints its public data (address,
 * encryption key, borrower accounts) as JSON; without it the node runs until SIGTERM/SIGINT. It
 * talks only to the chain and to the other nodes' endpoints.
 */
import path from "node:path";
import { Wallet } from "ethers";
import { readAddressBook } from "../core/addressBook";
import { LedgerNode, ReviewDecision } from "../core/node";
import { DocumentStore } from "../store";
import { ArbitratorRole } from "./arbitrator";
import { BorrowersRole, borrowerSecrets } from "./borrowers";
import { addressBookFile, nodeDir, readConfig } from "./config";
import { Endpoint, serve } from "./endpoint";
import { LeadRole } from "./lead";
import { PartnerRole } from "./partner";
import { scenarioPlan } from "../sim/plan";
import {
  NodeContext,
  NodeProvider,
  NodeRole,
  NodeStatus,
  NodeWallet,
  REVIEWS_STATE,
  loadState,
  pollEvents,
  saveState,
  writeStatus,
} from "./runtime";
import { loadOrCreateSecrets, newConsortiumSecret } from "./secrets";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function required(name: string): string {
  const v = arg(name);
  if (!v) throw new Error(`node-main: missing --${name}`);
  return v;
}

async function main(): Promise<void> {
  const dir = required("dir");
  const id = required("node");
  const config = readConfig(dir);
  if (!config) throw new Error(`no network in ${dir}`);
  const spec = config.nodes.find((n) => n.id === id);
  if (!spec) throw new Error(`no node ${id} in ${dir}`);
  const plan = scenarioPlan(config.scenario);
  const own = nodeDir(dir, id);
  const { secrets } = loadOrCreateSecrets(own, (s) => {
    if (spec.kind === "lead") s.consortiumSecret = newConsortiumSecret();
    if (spec.kind === "borrowers") borrowerSecrets({ plan }, s);
  });
  if (process.argv.includes("--init")) {
    const w = new Wallet(secrets.privateKey);
    const accounts = Object.values(secrets.borrowers ?? {}).map((b) => new Wallet(b.privateKey).address);
    process.stdout.write(
      JSON.stringify({ address: w.address, encryptionKey: w.signingKey.compressedPublicKey, accounts }) + "\n",
    );
    return;
  }
  const rpc = required("rpc");
  const pollMs = Number(process.env.COLEND_POLL_MS ?? "25");
  const book = readAddressBook(addressBookFile(dir));
  const provider = new NodeProvider(rpc, Number(book.chainId));
  const wallet = new NodeWallet(secrets.privateKey, provider);
  const store = DocumentStore.open(path.join(own, "store.db"), secrets.storeSecret);
  const log = (line: string): void => {
    process.stdout.write(`${new Date().toISOString()} ${id}: ${line}\n`);
  };
  const ctx: NodeContext = { dir, config, spec, book, plan, t0: config.t0 ?? 0, provider, wallet, secrets, store, log };
  const role: NodeRole & { processed(): Record<string, number>; report?(): unknown } =
    spec.kind === "lead"
      ? new LeadRole(ctx)
      : spec.kind === "partner"
        ? new PartnerRole(ctx)
        : spec.kind === "arbitrator"
          ? new ArbitratorRole(ctx)
          : new BorrowersRole(ctx);

  // A member node's review decisions (what it signed or refused, and why) are kept in its store,
  // where its console (`npm run console`) reads them, and survive a restart.
  const roleNode = (role as unknown as { node?: unknown }).node;
  const member = roleNode instanceof LedgerNode ? roleNode : undefined;
  member?.restoreReviewDecisions(loadState<ReviewDecision[]>(store, REVIEWS_STATE, []));
  let savedReview = member?.reviewDecisions().at(-1);

  let ticking = false;
  let activity = 0;
  let handledBlock = Number(store.getCursor("block") ?? String(book.deployBlock - 1));
  let lastError: string | undefined;
  let setupDone = false;
  let serving = 0;
  const status = (): NodeStatus => ({
    id,
    pid: process.pid,
    block: handledBlock,
    busy: ticking || !setupDone || role.hasWork() || serving > 0,
    activity,
    wakeAt: role.wakeAt(),
    processed: { events: Number(store.getCursor("count.events") ?? "0"), ...role.processed() },
    waiting: setupDone ? role.waiting() : "setup",
    report: role.report?.(),
    lastError,
    updatedAt: new Date().toISOString(),
  });
  const routes = role.routes() as Record<string, (b: unknown) => unknown>;
  const wrapped: Record<string, (b: unknown) => unknown> = { "GET /status": () => status() };
  for (const [k, f] of Object.entries(routes)) {
    wrapped[k] = async (b) => {
      activity++;
      serving++;
      try {
        return await f(b);
      } finally {
        serving--;
        activity++;
      }
    };
  }
  const endpoint: Endpoint = await serve(spec.port, wrapped);
  log(
    `started as ${spec.name} (${wallet.address}), endpoint 127.0.0.1:${endpoint.port}; resuming after block ${handledBlock}`,
  );

  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("disconnect", stop);
  let failures = 0;
  let lastStatusWrite = 0;
  while (!stopping) {
    try {
      if (!setupDone) {
        await role.setup();
        setupDone = true;
        activity++;
      }
      // The scenario's start time is set by the supervisor once every node is set up.
      if (!ctx.t0) ctx.t0 = readConfig(dir)?.t0 ?? 0;
      const head = await provider.getBlockNumber();
      if (head > handledBlock || role.hasWork()) {
        ticking = true;
        activity++;
        const handled = await pollEvents(ctx, head, (e) => role.onEvent(e));
        if (handled) store.setCursor("count.events", Number(store.getCursor("count.events") ?? "0") + handled);
        const now = (await provider.getBlock(head))!.timestamp;
        if (ctx.t0 > 0) await role.onTime(now);
        handledBlock = head;
        ticking = false;
      }
      failures = 0;
    } catch (e) {
      ticking = false;
      failures++;
      lastError = (e as Error).message.split("\n")[0];
      // The chain or a peer may be restarting: back off and try again; the store keeps our place.
      log(`error (${failures}): ${lastError}`);
    }
    if (member && member.reviewDecisions().at(-1) !== savedReview) {
      savedReview = member.reviewDecisions().at(-1);
      saveState(store, REVIEWS_STATE, member.reviewDecisions());
    }
    if (Date.now() - lastStatusWrite > 500) {
      writeStatus(own, status());
      lastStatusWrite = Date.now();
    }
    await new Promise((r) => setTimeout(r, failures > 0 ? Math.min(5_000, pollMs * 2 ** failures) : pollMs));
  }
  writeStatus(own, { ...status(), busy: false, waiting: "stopped" });
  log(`stopping; processed up to block ${handledBlock}`);
  await endpoint.close();
  store.close();
  provider.destroy();
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
