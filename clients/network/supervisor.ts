import { ChildProcess, fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet, keccak256, toUtf8Bytes } from "ethers";
import { deployColend } from "../deploy";
import { readAddressBook, writeAddressBook } from "../core/addressBook";
import { AnvilHandle, freePort, rpcCall, startAnvil } from "./anvil";
import { REPO_ROOT, buildNodeBundle } from "./build";
import { NetworkConfig, addressBookFile, newConfig, readConfig, writeConfig } from "./config";

export interface StartOptions {
  dir: string;
  /** 0 = a free port (first start); later starts reuse the network's port unless given. */
  port?: number;
  blockTime?: number;
  partners?: number;
  borrowers?: number;
  seed?: string;
  confirmations?: number;
  log?: (line: string) => void;
}

/** A running network: the chain and one process per node. */
export interface NetworkHandle {
  dir: string;
  url: string;
  config: NetworkConfig;
  anvil: AnvilHandle;
  nodes: Map<string, ChildProcess>;
  /** Stops every node (SIGTERM, then SIGKILL after 10 s), then the chain (which saves its state). */
  stop(): Promise<void>;
}

export function pidFile(dir: string): string {
  return path.join(dir, "pids.json");
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Whatever happens to this process, its children do not outlive it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });
}

/**
 * Starts (or restarts) a network in `dir`: anvil with its saved state, a one-time deployment on the
 * first start, and a process per node (lead, partners, arbitrator, regulator, borrowers).
 */
export async function startNetwork(o: StartOptions): Promise<NetworkHandle> {
  installExitHook();
  const log = o.log ?? (() => undefined);
  const dir = path.resolve(o.dir);
  fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
  let config = readConfig(dir);
  if (!config) {
    config = newConfig({
      seed: o.seed ?? "colend",
      port: o.port || (await freePort()),
      blockTime: o.blockTime ?? 0,
      partners: o.partners ?? 6,
      borrowers: o.borrowers ?? 3,
      confirmations: o.confirmations ?? 0,
    });
    writeConfig(dir, config);
    log(`new network in ${dir}: ${config.nodes.length} nodes`);
  } else {
    if (o.port) config.port = o.port;
    if (o.blockTime !== undefined) config.blockTime = o.blockTime;
    writeConfig(dir, config);
  }
  const anvil = await startAnvil({
    port: config.port,
    stateFile: path.join(dir, "chain-state.json"),
    blockTime: config.blockTime,
    logFile: path.join(dir, "logs", "anvil.log"),
  });
  live.add(anvil.process);
  log(
    `chain at ${anvil.url} (block time ${config.blockTime || "instant"}), state in ${path.join(dir, "chain-state.json")}`,
  );
  try {
    await ensureDeployed(dir, config, anvil.url, log);
  } catch (e) {
    await anvil.stop();
    throw e;
  }
  const nodes = new Map<string, ChildProcess>();
  const entry = buildNodeBundle(path.join(dir, "build"));
  for (const spec of config.nodes) {
    const out = fs.openSync(path.join(dir, "logs", `${spec.id}.log`), "a");
    const child = fork(entry, ["--dir", dir, "--node", spec.id, "--rpc", anvil.url], {
      execArgv: [],
      stdio: ["ignore", out, out, "ipc"],
      // The compiled clients live outside the repository: resolve packages from its node_modules.
      env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, "node_modules") },
    });
    fs.closeSync(out);
    live.add(child);
    child.once("exit", () => live.delete(child));
    nodes.set(spec.id, child);
  }
  const pids = {
    supervisor: process.pid,
    anvil: anvil.pid,
    url: anvil.url,
    nodes: Object.fromEntries([...nodes].map(([k, c]) => [k, c.pid])),
  };
  fs.writeFileSync(pidFile(dir), JSON.stringify(pids, null, 2) + "\n");
  log(`started ${nodes.size} node processes; logs in ${path.join(dir, "logs")}`);
  let stopped = false;
  return {
    dir,
    url: anvil.url,
    config,
    anvil,
    nodes,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(
        [...nodes.values()].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
              c.once("exit", () => {
                clearTimeout(timer);
                resolve();
              });
              c.kill("SIGTERM");
            }),
        ),
      );
      await anvil.stop();
      live.delete(anvil.process);
      fs.rmSync(pidFile(dir), { force: true });
      log("network stopped; chain state saved");
    },
  };
}

async function ensureDeployed(
  dir: string,
  config: NetworkConfig,
  url: string,
  log: (l: string) => void,
): Promise<void> {
  const file = addressBookFile(dir);
  const provider = new JsonRpcProvider(url, undefined, {
    staticNetwork: true,
    pollingInterval: 250,
    // No response cache: two nonce reads in quick succession must both reach the node.
    cacheTimeout: -1,
  });
  try {
    if (fs.existsSync(file)) {
      const book = readAddressBook(file);
      if ((await provider.getCode(book.ledger)) === "0x") {
        throw new Error(
          `the chain has no ledger at ${book.ledger}: its state was lost; run \`npm run network -- reset\``,
        );
      }
      log(`resuming the deployment of block ${book.deployBlock} (ledger ${book.ledger})`);
      return;
    }
    const deployer = new Wallet(keccak256(toUtf8Bytes(`colend.network.${config.seed}.deployer`)), provider);
    for (const w of [deployer.address, ...config.nodes.map((n) => new Wallet(n.privateKey).address)]) {
      await rpcCall(url, "anvil_setBalance", [w, "0x" + (10n ** 24n).toString(16)]);
    }
    const founders = config.nodes
      .filter((n) => n.role !== "borrower")
      .map((n) => {
        const w = new Wallet(n.privateKey, provider);
        return { name: n.name, role: n.role as number, signer: w, encryptionKey: w.signingKey.compressedPublicKey };
      });
    const { book } = await deployColend(deployer, founders);
    writeAddressBook(file, book);
    log(`deployed the ledger at ${book.ledger} in block ${book.deployBlock}`);
  } finally {
    provider.destroy();
  }
}

/** What `status` prints: the chain, and each node's process and progress from its store. */
export async function networkStatus(dir: string): Promise<string> {
  const config = readConfig(dir);
  if (!config) return `no network in ${dir} (start one with \`npm run network -- start\`)`;
  const pids = fs.existsSync(pidFile(dir))
    ? (JSON.parse(fs.readFileSync(pidFile(dir), "utf8")) as {
        anvil: number;
        url: string;
        nodes: Record<string, number>;
        supervisor: number;
      })
    : undefined;
  const alive = (pid?: number): boolean => {
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const url = pids?.url ?? `http://127.0.0.1:${config.port}`;
  let head = "unreachable";
  try {
    head = String(BigInt((await rpcCall(url, "eth_blockNumber")) as string));
  } catch {
    /* chain down */
  }
  const { NodeStore } = await import("./store");
  const { formatTable } = await import("../sim/table");
  const rows = config.nodes.map((n) => {
    const dbFile = path.join(dir, "nodes", `${n.id}.db`);
    let cursor = "-";
    let processed = "-";
    let actions = "-";
    if (fs.existsSync(dbFile)) {
      const s = new NodeStore(dbFile);
      cursor = String(s.getCursor());
      processed = String(s.processedCount());
      actions = String(s.actions().length);
      s.close();
    }
    const pid = pids?.nodes[n.id];
    return [n.id, n.name, alive(pid) ? `up (${pid})` : "down", cursor, processed, actions];
  });
  const table = formatTable(
    [
      { header: "node" },
      { header: "institution" },
      { header: "process" },
      { header: "last block", align: "right" },
      { header: "events", align: "right" },
      { header: "actions", align: "right" },
    ],
    rows,
  );
  return [
    `network in ${dir}`,
    `  chain ${url}: ${alive(pids?.anvil) ? `up (pid ${pids?.anvil})` : "down"}, head block ${head}, block time ${config.blockTime || "instant"}`,
    `  supervisor: ${alive(pids?.supervisor) ? `up (pid ${pids?.supervisor})` : "down"}`,
    "",
    table,
  ].join("\n");
}
