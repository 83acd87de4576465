import { ChildProcess, execFile, fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { JsonRpcProvider, VoidSigner, Wallet } from "ethers";
import { deployColend } from "../deploy";
import { readAddressBook, writeAddressBook } from "../core/addressBook";
import { formatTable } from "../sim/table";
import { AnvilHandle, freePort, rpcCall, startAnvil } from "./anvil";
import {
  NetworkConfig,
  NodeSpec,
  addressBookFile,
  memberRole,
  newConfig,
  nodeDir,
  readConfig,
  writeConfig,
} from "./config";
import { call } from "./endpoint";
import { NodeStatus, readStatus } from "./runtime";
import { loadOrCreateSecrets } from "./secrets";
import type { ScenarioSize } from "../sim/plan";
import { NodeConsole, openNodeConsole } from "../console/launch";

export interface StartOptions {
  dir: string;
  /** First start: the scenario (later starts keep the network's). */
  scenario?: ScenarioSize & { maxCases?: number; caseStudies?: boolean };
  /** 0 = a free port (first start); later starts reuse the network's port unless given. */
  port?: number;
  blockTime?: number;
  /** Seconds of chain time events may be grouped by when the clock advances (default 600). */
  slack?: number;
  /** Serve each member node's web console (clients/console) on 127.0.0.1 (default false). */
  consoles?: boolean;
  log?: (line: string) => void;
}

/** A node process as the supervisor keeps it. */
interface Supervised {
  spec: NodeSpec;
  child?: ChildProcess;
  restarts: number;
  lastExit?: string;
  startedAt: number;
  /** Pending restart (after a crash, with back-off). */
  timer?: NodeJS.Timeout;
}

/** What `pids.json` holds: the processes of a running network and their history. */
export interface PidFile {
  supervisor: number;
  anvil: number;
  url: string;
  nodes: Record<string, { pid?: number; restarts: number; lastExit?: string }>;
}

/** A running network: the chain and one process per node, kept alive by the supervisor. */
export interface NetworkHandle {
  dir: string;
  url: string;
  config: NetworkConfig;
  anvil: AnvilHandle;
  /** The current process of each node (replaced after a restart). */
  pid(id: string): number | undefined;
  /** The web console of each member node (with `consoles`), in the order of the nodes. */
  consoles: NodeConsole[];
  /** Plays the scenario to its end: advances chain time whenever every node is idle. */
  runScenario(progress?: (line: string) => void): Promise<{ steps: number; seconds: number }>;
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

/** The checkout's root: the folder above this file with a package.json (this file also runs from dist/). */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}
const REPO_ROOT = repoRoot();

/**
 * The node processes run the plain JavaScript of dist/, transpiled by the project's one build
 * (scripts/build.js: only files that changed), so a node starts without compiling TypeScript.
 */
function buildNodeEntry(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildDist } = require(path.join(REPO_ROOT, "scripts", "build.js")) as { buildDist: () => number };
  buildDist();
  return path.join(REPO_ROOT, "dist", "clients", "network", "node-main.js");
}

const NODE_ENV = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_PATH: path.join(REPO_ROOT, "node_modules") });

/**
 * Starts (or restarts) a network in `dir`: anvil with its saved state; on the first start each
 * node creates its own secrets and the consortium is deployed with their public keys; then a
 * process per node, restarted with back-off whenever it dies.
 */
export async function startNetwork(o: StartOptions): Promise<NetworkHandle> {
  installExitHook();
  const log = o.log ?? (() => undefined);
  const dir = path.resolve(o.dir);
  fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
  let config = readConfig(dir);
  if (!config) {
    if (!o.scenario) throw new Error(`no network in ${dir} and no scenario to create one`);
    const nodeCount = o.scenario.partners + 3;
    const ports: number[] = [];
    while (ports.length < nodeCount) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    config = newConfig({
      scenario: { ...o.scenario, maxCases: o.scenario.maxCases ?? 3 },
      port: o.port || (await freePort()),
      blockTime: o.blockTime ?? 0,
      nodePorts: ports,
    });
    writeConfig(dir, config);
    log(`new network in ${dir}: ${config.nodes.length} node processes, scenario ${describe(config)}`);
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
  const entry = buildNodeEntry();
  try {
    await ensureDeployed(dir, config, anvil.url, entry, log);
  } catch (e) {
    await anvil.stop();
    throw e;
  }
  config = readConfig(dir)!;

  const nodes = new Map<string, Supervised>();
  let stopping = false;
  const writePids = (): void => {
    const pids: PidFile = {
      supervisor: process.pid,
      anvil: anvil.pid,
      url: anvil.url,
      nodes: Object.fromEntries(
        [...nodes].map(([k, s]) => [k, { pid: s.child?.pid, restarts: s.restarts, lastExit: s.lastExit }]),
      ),
    };
    fs.writeFileSync(pidFile(dir), JSON.stringify(pids, null, 2) + "\n");
  };
  const launch = (s: Supervised): void => {
    const out = fs.openSync(path.join(dir, "logs", `${s.spec.id}.log`), "a");
    const child = fork(entry, ["--dir", dir, "--node", s.spec.id, "--rpc", anvil.url], {
      execArgv: [],
      stdio: ["ignore", out, out, "ipc"],
      env: NODE_ENV(),
    });
    fs.closeSync(out);
    s.child = child;
    s.startedAt = Date.now();
    live.add(child);
    child.once("exit", (code, signal) => {
      live.delete(child);
      if (stopping) return;
      s.lastExit = `${signal ? `killed by ${signal}` : `exit code ${code}`} at ${new Date().toISOString()}`;
      s.child = undefined;
      // Back-off: 0.5 s after a crash, doubling while it keeps crashing soon after a start (max 30 s).
      const quick = Date.now() - s.startedAt < 60_000;
      const delay = quick ? Math.min(30_000, 500 * 2 ** Math.min(6, s.restarts)) : 500;
      s.restarts++;
      log(
        `node ${s.spec.id} (pid ${child.pid}) died: ${s.lastExit}; restarting in ${delay / 1000} s (restart ${s.restarts})`,
      );
      writePids();
      s.timer = setTimeout(() => {
        s.timer = undefined;
        if (stopping) return;
        launch(s);
        log(`node ${s.spec.id} restarted as pid ${s.child?.pid}`);
        writePids();
      }, delay);
    });
  };
  for (const spec of config.nodes) {
    const s: Supervised = { spec, restarts: 0, startedAt: Date.now() };
    nodes.set(spec.id, s);
    launch(s);
  }
  writePids();
  log(`started ${nodes.size} node processes; logs in ${path.join(dir, "logs")}`);

  // One console per member node, served by the supervisor beside the node's process.
  const consoles: NodeConsole[] = [];
  if (o.consoles) {
    for (const spec of config.nodes.filter((n) => memberRole(n.kind) !== undefined)) {
      consoles.push(
        await openNodeConsole({
          dir,
          spec,
          rpc: anvil.url,
          log: (line) => log(`console of ${spec.id}: ${line}`),
        }),
      );
    }
  }

  const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const handle: NetworkHandle = {
    dir,
    url: anvil.url,
    config,
    anvil,
    pid: (id) => nodes.get(id)?.child?.pid,
    consoles,
    async runScenario(progress) {
      const started = Date.now();
      const clock = new Clock(anvil.url, provider, config!, o.slack ?? 600);
      if (config!.t0 === undefined) {
        await clock.quiescent();
        config!.t0 = (await provider.getBlock("latest"))!.timestamp;
        writeConfig(dir, config!);
        log(`consortium set up; the scenario starts at chain time ${new Date(config!.t0 * 1000).toISOString()}`);
      }
      const steps = await clock.run(progress ?? log);
      return { steps, seconds: (Date.now() - started) / 1000 };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      provider.destroy();
      await Promise.all(consoles.map((c) => c.close()));
      await Promise.all(
        [...nodes.values()].map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.timer) clearTimeout(s.timer);
              const c = s.child;
              if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
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
  return handle;
}

/** The consoles and their one-time login links, as a table for the terminal. */
export function formatConsoles(consoles: readonly NodeConsole[]): string {
  if (consoles.length === 0) return "";
  const table = formatTable(
    [{ header: "node" }, { header: "name" }, { header: "console" }, { header: "one-time login link" }],
    consoles.map((c) => [c.spec.id, c.spec.name, c.url, c.loginUrl]),
  );
  return `web consoles (127.0.0.1 only; each link signs in once, then the session cookie does):\n\n${table}`;
}

function describe(c: NetworkConfig): string {
  const s = c.scenario;
  return `${s.loans} loans over ${s.months} months, ${s.partners} partners, seed "${s.seed}"`;
}

/**
 * The scenario's clock. Chain time moves only when every node is idle: each has handled every
 * block up to the head, has nothing queued, and the same activity count twice in a row. Then the
 * clock jumps to the earliest time a node waits for (grouping what falls within `slack` seconds
 * after it) and mines a block there, which wakes the nodes.
 */
class Clock {
  constructor(
    private readonly url: string,
    private readonly provider: JsonRpcProvider,
    private readonly config: NetworkConfig,
    private readonly slack: number,
  ) {}

  private async statuses(): Promise<NodeStatus[] | undefined> {
    try {
      return await Promise.all(
        this.config.nodes.map((n) => call<NodeStatus>(n.port, "GET", "/status", undefined, 5_000)),
      );
    } catch {
      return undefined; // a node is down or restarting: wait for it
    }
  }

  /** Waits until every node is idle at the head; returns their statuses. */
  async quiescent(log?: (line: string) => void): Promise<NodeStatus[]> {
    let previous: string | undefined;
    let since = Date.now();
    for (;;) {
      const head = await this.provider.getBlockNumber();
      const s = await this.statuses();
      if (log && Date.now() - since > 30_000) {
        since = Date.now();
        const busy = s
          ? s.filter((x) => x.busy || x.block < head).map((x) => `${x.id} (${x.waiting})`)
          : ["a node is down"];
        log(`still waiting for ${busy.join(", ") || "the nodes to settle"}`);
      }
      if (s && s.every((x) => !x.busy && x.block >= head)) {
        const key = `${head}:${s.map((x) => `${x.pid}.${x.activity}`).join(",")}`;
        if (key === previous) return s;
        previous = key;
        continue;
      }
      previous = undefined;
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  async run(progress: (line: string) => void): Promise<number> {
    const t0 = this.config.t0!;
    const end = t0 + this.config.scenario.months * 30 * 86_400;
    let steps = 0;
    let lastReport = 0;
    let stuck = 0;
    let lastNext = 0;
    for (;;) {
      const s = await this.quiescent(progress);
      const wakes = s.map((x) => x.wakeAt).filter((w): w is number => w !== undefined && w < end);
      if (wakes.length === 0) return steps;
      const now = (await this.provider.getBlock("latest"))!.timestamp;
      const next = Math.min(...wakes);
      stuck = next === lastNext && next <= now ? stuck + 1 : 0;
      if (stuck > 20) throw new Error(`a node keeps asking for time ${next} it has already had; see the node logs`);
      lastNext = next;
      const group = wakes.filter((w) => w <= next + this.slack);
      const target = Math.max(now + 1, ...group);
      await rpcCall(this.url, "evm_setNextBlockTimestamp", [target]);
      await rpcCall(this.url, "evm_mine", []);
      steps++;
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        const day = Math.floor((target - t0) / 86_400);
        progress(`day ${day} of ${this.config.scenario.months * 30} (${steps} clock steps)`);
      }
    }
  }
}

async function ensureDeployed(
  dir: string,
  config: NetworkConfig,
  url: string,
  entry: string,
  log: (l: string) => void,
): Promise<void> {
  const file = addressBookFile(dir);
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
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
    // Each node creates its own secrets and tells the supervisor only its public keys.
    const accounts: string[] = [];
    const infos = await Promise.all(
      config.nodes.map(async (spec) => {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [entry, "--dir", dir, "--node", spec.id, "--init"],
          { env: NODE_ENV(), maxBuffer: 64 * 1024 * 1024 },
        );
        return JSON.parse(stdout.trim().split("\n").pop()!) as {
          address: string;
          encryptionKey: string;
          accounts: string[];
        };
      }),
    );
    config.nodes.forEach((spec, i) => {
      spec.address = infos[i].address;
      spec.encryptionKey = infos[i].encryptionKey;
      accounts.push(infos[i].address, ...infos[i].accounts);
    });
    writeConfig(dir, config);
    // The deployer (genesis administrator until genesis is sealed) is the supervisor's own key.
    const { secrets } = loadOrCreateSecrets(path.join(dir, "supervisor"));
    const deployer = new Wallet(secrets.privateKey, provider);
    const hex = "0x" + (10n ** 24n).toString(16);
    for (const a of [deployer.address, ...accounts]) await rpcCall(url, "anvil_setBalance", [a, hex]);
    const founders = config.nodes
      .filter((n) => memberRole(n.kind) !== undefined)
      .map((n) => ({
        name: n.name,
        role: memberRole(n.kind)!,
        signer: new VoidSigner(n.address!, provider),
        encryptionKey: n.encryptionKey!,
      }));
    const { book } = await deployColend(deployer, founders);
    writeAddressBook(file, book);
    log(
      `deployed the consortium at ${book.ledger} in block ${book.deployBlock}; ${accounts.length} accounts funded with gas`,
    );
  } finally {
    provider.destroy();
  }
}

/** What `status` prints: the chain, and each node's process and progress. */
export async function networkStatus(dir: string): Promise<string> {
  const config = readConfig(dir);
  if (!config) return `no network in ${dir} (start one with \`npm run network -- start\`)`;
  const pids = fs.existsSync(pidFile(dir)) ? (JSON.parse(fs.readFileSync(pidFile(dir), "utf8")) as PidFile) : undefined;
  const url = pids?.url ?? `http://127.0.0.1:${config.port}`;
  let head = "unreachable";
  try {
    head = String(BigInt((await rpcCall(url, "eth_blockNumber")) as string));
  } catch {
    /* chain down */
  }
  const rows = config.nodes.map((n) => {
    const p = pids?.nodes[n.id];
    const s = readStatus(nodeDir(dir, n.id));
    const up = alive(p?.pid);
    const process = up ? `up (pid ${p!.pid})` : pids && alive(pids.supervisor) ? "down, restarting" : "down";
    const restarts = p ? `${p.restarts}${p.lastExit ? `, last ${p.lastExit}` : ""}` : "-";
    const processed = s
      ? Object.entries(s.processed)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")
      : "-";
    return [n.id, process, restarts, s ? String(s.block) : "-", processed || "-", s ? s.waiting : "-"];
  });
  const table = formatTable(
    [
      { header: "node" },
      { header: "process" },
      { header: "restarts" },
      { header: "block", align: "right" },
      { header: "processed" },
      { header: "waiting on" },
    ],
    rows,
  );
  return [
    `network in ${dir}: ${describe(config)}`,
    `  chain ${url}: ${alive(pids?.anvil) ? `up (pid ${pids?.anvil})` : "down"}, head block ${head}, block time ${config.blockTime || "instant"}`,
    `  supervisor: ${alive(pids?.supervisor) ? `up (pid ${pids?.supervisor})` : "down"}`,
    "",
    table,
  ].join("\n");
}

function alive(pid?: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
