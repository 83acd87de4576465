/**
 * `npm run demo`: deploys the consortium and plays a seeded scenario over simulated months,
 * then prints the report and writes out/demo/report.json, out/demo/npl.svg and evidence bundles.
 */
import path from "node:path";
import { AnvilHandle, freePort, startAnvil } from "../clients/network/anvil";
import { HttpJsonRpcProvider } from "../clients/core/httpProvider";
import type { SimEnv } from "../clients/sim/lendingScenario";
import { OptionSpec, ParsedOptions, UsageError, parseOptions, usage } from "../clients/sim/cli";

const SPECS: OptionSpec[] = [
  { name: "loans", kind: "int", description: "loans to originate", default: 100, min: 1, max: 1_000_000 },
  { name: "banks", kind: "int", description: "partner banks besides the lead bank", default: 6, min: 2, max: 60 },
  { name: "months", kind: "int", description: "simulated months", default: 12, min: 1, max: 120 },
  { name: "seed", kind: "string", description: "seed of the scenario (same seed, same run)", default: "colend" },
  {
    name: "network",
    kind: "string",
    description: "anvil (ANVIL_URL, else a private anvil) or hardhat (in-process); needs a development chain",
    default: "anvil",
    choices: ["hardhat", "anvil"],
  },
  { name: "out", kind: "string", description: "output directory", default: "out/demo" },
  { name: "cases", kind: "int", description: "most arbitration cases to open", default: 5, min: 0, max: 10_000 },
  { name: "quiet", kind: "flag", description: "no progress bar" },
  {
    name: "settlement",
    kind: "string",
    description: "per-loan (every step its own transaction) or batched (one endorsed cycle a day, docs/CYCLE.md)",
    default: "per-loan",
    choices: ["per-loan", "batched"],
  },
];

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage("npm run demo --", SPECS));
    return 0;
  }
  let options;
  try {
    options = parseOptions(argv, SPECS).options;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n\n${usage("npm run demo --", SPECS)}`);
      return 2;
    }
    throw e;
  }
  // `--network anvil` without ANVIL_URL: run a private anvil for this demo (no history kept, so
  // memory stays bounded on long runs) and stop it at the end.
  let anvil: AnvilHandle | undefined;
  if (options.network === "anvil" && !process.env.ANVIL_URL) {
    try {
      anvil = await startAnvil({
        port: await freePort(),
        blockTime: 0,
        pruneHistory: true,
        logFile: path.resolve(String(options.out), "anvil.log"),
      });
    } catch (e) {
      console.error(
        `error: ${(e as Error).message} (or run the demo on Hardhat's in-process chain: --network hardhat)`,
      );
      return 1;
    }
    process.env.ANVIL_URL = anvil.url;
    console.log(`started anvil at ${anvil.url} for this run`);
    // Interrupted: stop the private anvil too.
    const running = anvil;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        console.error(`\n${signal}: stopping anvil`);
        void running.stop().finally(() => process.exit(130));
      });
    }
  }
  try {
    return await run(options, anvil);
  } finally {
    await anvil?.stop();
  }
}

/**
 * The chain the scenario runs on: anvil through ethers' JSON-RPC provider with native decoding (Hardhat is not
 * loaded at all), or Hardhat's in-process chain. On the default run the in-process chain cost
 * twice the CPU time and four times the memory of a private anvil (docs/BENCHMARKS.md, "The
 * demo"), so anvil is the default.
 */
async function chainEnv(network: string): Promise<SimEnv | undefined> {
  if (network === "anvil") {
    const url = process.env.ANVIL_URL ?? "http://127.0.0.1:8545";
    // Requests made in the same tick (the concurrent loans' reads and sends) go in one batch.
    const provider = new HttpJsonRpcProvider(url, undefined, {
      staticNetwork: true,
      batchMaxCount: 200,
      batchStallTime: 0,
      cacheTimeout: -1,
    });
    return { provider, rpc: { send: (method, params) => provider.send(method, params ?? []) } };
  }
  // Hardhat reads the network when it is first imported: set it before.
  process.env.HARDHAT_NETWORK = network;
  // Run from dist/ (scripts/build.js): use the compiled config, so nothing loads TypeScript.
  if (__filename.endsWith(".js")) process.env.HARDHAT_CONFIG ??= path.join(__dirname, "..", "hardhat.config.js");
  const hre = await import("hardhat");
  if (!(network in hre.config.networks)) return undefined;
  return { provider: hre.ethers.provider, rpc: hre.network.provider as never };
}

async function run(options: ParsedOptions, anvil?: AnvilHandle): Promise<number> {
  const env = await chainEnv(String(options.network));
  if (!env) {
    console.error(`error: --network ${String(options.network)} is not in hardhat.config.ts`);
    return 2;
  }
  if (options.settlement === "batched") return runBatched(env, options);
  const { LendingScenario } = await import("../clients/sim/lendingScenario");
  const { formatReport, writeReport } = await import("../clients/sim/report");
  const out = path.resolve(String(options.out));
  const scenario = new LendingScenario(env, {
    loans: Number(options.loans),
    partners: Number(options.banks),
    months: Number(options.months),
    seed: String(options.seed),
    out,
    network: String(options.network),
    maxCases: Number(options.cases),
    lendingShowcase: true,
    progress: !options.quiet,
    log: (line) => console.log(line),
  });
  const report = await scenario.run();
  if (anvil) report.run.chainPeakRssMb = anvil.peakRssMb();
  const files = writeReport(out, report);
  console.log(formatReport(report));
  console.log(
    `wrote ${path.relative(process.cwd(), files.json)}, ${path.relative(process.cwd(), files.svg)}, ${path.relative(process.cwd(), path.join(out, "evidence"))}/`,
  );
  return report.payments.balanced && report.cases.every((c) => c.verified) && (report.lendingShowcase?.settled ?? true)
    ? 0
    : 1;
}

/** The same seed on the batched path: one cycle a simulated day, committed and settled. */
async function runBatched(env: SimEnv, options: ParsedOptions): Promise<number> {
  const { runBatchedScenario } = await import("../clients/sim/cycleScenario");
  const r = await runBatchedScenario(env, {
    loans: Number(options.loans),
    partners: Number(options.banks),
    months: Number(options.months),
    seed: String(options.seed),
    log: (line) => console.log(line),
  });
  const gas = r.gas.commit + r.gas.settle;
  console.log(
    `batched settlement: ${r.loans} loans in ${r.cycles} daily cycles (${r.leaves} leaves): ${r.repayments} repayments, ${r.reminders} reminders, ${r.defaults} defaults`,
  );
  console.log(
    `gas: ${gas} (commitBatch ${r.gas.commit}, settle ${r.gas.settle}), ${r.loans > 0 ? gas / BigInt(r.loans) : 0n} a loan; ${r.settledGross} token units moved between the banks net`,
  );
  return 0;
}

// A run whose promises can no longer settle would otherwise end silently with status 0.
process.on("beforeExit", () => {
  console.error("error: the demo stopped before it finished (a step waited for something that never came)");
  process.exit(1);
});

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
