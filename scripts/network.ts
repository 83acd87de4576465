/**
 * `npm run network -- start|stop|status|reset [options]`: a persistent local chain (anvil with
 * --state) and one OS process per node (the lead bank, the partner banks, the arbitrator, the
 * borrowers), which play the lending scenario, talking only through the chain and their endpoints.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { OptionSpec, UsageError, parseOptions, usage } from "../clients/sim/cli";
import { formatConsoles, networkStatus, pidFile, startNetwork } from "../clients/network/supervisor";
import { formatSummary, networkSummary } from "../clients/network/summary";
import { addressBookFile } from "../clients/network/config";
import { readAddressBook } from "../clients/core/addressBook";
import { JsonRpcProvider } from "ethers";

const SPECS: OptionSpec[] = [
  {
    name: "dir",
    kind: "string",
    description: "network directory (chain state, address book, node stores, logs)",
    default: ".network",
  },
  { name: "port", kind: "int", description: "JSON-RPC port (first start: a free port)", min: 1, max: 65_535 },
  {
    name: "block-time",
    kind: "int",
    description: "seconds per block, 0 = instant (first start default 0)",
    min: 0,
    max: 60,
  },
  {
    name: "loans",
    kind: "int",
    description: "loans in the scenario (first start only)",
    default: 20,
    min: 1,
    max: 100_000,
  },
  {
    name: "months",
    kind: "int",
    description: "months of the scenario (first start only)",
    default: 12,
    min: 1,
    max: 120,
  },
  { name: "partners", kind: "int", description: "partner banks (first start only)", default: 6, min: 2, max: 20 },
  { name: "seed", kind: "string", description: "seed of the scenario (first start only)", default: "colend" },
  { name: "max-cases", kind: "int", description: "most arbitration cases (first start only)", default: 3, min: 0 },
  {
    name: "keep-running",
    kind: "flag",
    description: "start: keep the nodes running after the scenario's end (until Ctrl-C or `stop`)",
  },
  {
    name: "duration",
    kind: "int",
    description: "start with --keep-running: stop after N seconds",
    min: 1,
  },
  { name: "detach", kind: "flag", description: "start: run in the background and return" },
  { name: "no-consoles", kind: "flag", description: "start: do not serve the member nodes' web consoles" },
];
const COMMANDS = ["start", "stop", "status", "reset"];
const USAGE = usage("npm run network -- <start|stop|status|reset>", SPECS);

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pids: number[], ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pids.every((p) => !isAlive(p))) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return pids.every((p) => !isAlive(p));
}

async function stop(dir: string): Promise<void> {
  const file = pidFile(dir);
  if (!fs.existsSync(file)) {
    console.log(`no running network in ${dir}`);
    return;
  }
  const pids = JSON.parse(fs.readFileSync(file, "utf8")) as {
    supervisor: number;
    anvil: number;
    nodes: Record<string, { pid?: number }>;
  };
  if (isAlive(pids.supervisor)) {
    process.kill(pids.supervisor, "SIGTERM");
    if (await waitGone([pids.supervisor], 30_000)) {
      console.log("network stopped");
      return;
    }
  }
  // The supervisor is gone (killed hard): stop what it left behind, nodes first, then the chain.
  const nodes = Object.values(pids.nodes)
    .map((n) => n.pid)
    .filter((p): p is number => isAlive(p));
  for (const p of nodes) process.kill(p, "SIGTERM");
  await waitGone(nodes, 10_000);
  if (isAlive(pids.anvil)) {
    process.kill(pids.anvil, "SIGTERM");
    await waitGone([pids.anvil], 10_000);
  }
  fs.rmSync(file, { force: true });
  console.log("network stopped (left-over processes cleaned up)");
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let parsed;
  try {
    parsed = parseOptions(argv, SPECS);
    if (parsed.positional.length !== 1 || !COMMANDS.includes(parsed.positional[0])) {
      throw new UsageError(
        parsed.positional.length === 0 ? "missing command" : `unknown command "${parsed.positional.join(" ")}"`,
      );
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  const o = parsed.options;
  const dir = path.resolve(String(o.dir));
  const command = parsed.positional[0];
  if (command === "status") {
    console.log(await networkStatus(dir));
    return 0;
  }
  if (command === "stop") {
    await stop(dir);
    return 0;
  }
  if (command === "reset") {
    await stop(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`removed ${dir}`);
    return 0;
  }
  if (fs.existsSync(pidFile(dir))) {
    const pids = JSON.parse(fs.readFileSync(pidFile(dir), "utf8")) as { supervisor: number };
    if (isAlive(pids.supervisor)) {
      console.error(`error: a network is already running in ${dir} (supervisor pid ${pids.supervisor}); stop it first`);
      return 1;
    }
  }
  if (o.detach) {
    fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
    const out = fs.openSync(path.join(dir, "logs", "supervisor.log"), "a");
    const args = argv.filter((a) => a !== "--detach");
    // From dist/ (npm run network) the script is plain JavaScript; from its TypeScript source it needs ts-node.
    const preload = __filename.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
    const child = spawn(process.execPath, [...preload, __filename, ...args], {
      detached: true,
      stdio: ["ignore", out, out],
    });
    child.unref();
    console.log(
      `network starting in the background (supervisor pid ${child.pid}); log: ${path.join(dir, "logs", "supervisor.log")}`,
    );
    console.log("check it with `npm run network -- status`, stop it with `npm run network -- stop`");
    if (!o["no-consoles"])
      console.log("the nodes' web consoles and their one-time login links are printed in that log");
    return 0;
  }
  const log = (line: string): void => console.log(`${new Date().toISOString()} network: ${line}`);
  const net = await startNetwork({
    dir,
    port: o.port as number | undefined,
    blockTime: o["block-time"] as number | undefined,
    scenario: {
      seed: String(o.seed),
      loans: o.loans as number,
      months: o.months as number,
      partners: o.partners as number,
      maxCases: o["max-cases"] as number,
    },
    consoles: !o["no-consoles"],
    log,
  });
  if (net.consoles.length > 0) console.log(`\n${formatConsoles(net.consoles)}\n`);
  let interrupted = false;
  const interrupt = (): void => {
    interrupted = true;
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    const run = await Promise.race([
      net.runScenario(log),
      new Promise<undefined>((resolve) => {
        const timer = setInterval(() => interrupted && (clearInterval(timer), resolve(undefined)), 200);
      }),
    ]);
    if (run) {
      log(`scenario done: ${run.steps} clock steps in ${run.seconds.toFixed(1)} s of wall time`);
      const provider = new JsonRpcProvider(net.url, undefined, { staticNetwork: true });
      const summary = await networkSummary(dir, net.config, provider, readAddressBook(addressBookFile(dir)));
      provider.destroy();
      fs.writeFileSync(path.join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
      console.log(`\n${formatSummary(summary)}\n\n(summary in ${path.join(dir, "summary.json")})`);
      if (o["keep-running"] && !interrupted) {
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => interrupted && (clearInterval(timer), resolve()), 200);
          if (o.duration) setTimeout(resolve, Number(o.duration) * 1000);
        });
      }
    }
  } finally {
    console.log(await networkStatus(dir));
    await net.stop();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
