import path from "node:path";
import { performance } from "node:perf_hooks";
import { transferPlain } from "./cases/transfer";
import { oneTx } from "./cases/onetx";
import { vote } from "./cases/vote";
import { batch } from "./cases/batch";
import { verifyBundleCase } from "./cases/verify";
import { simDemo } from "./cases/sim";
import { consoleCase } from "./cases/console";
import { cycleAtScale, lifecycleBatched, lifecyclePerLoan } from "./cases/lifecycle";
import { BenchContext, CaseResult, Measured, fmtInt, table, writeResults } from "./lib/report";

/**
 * `npm run bench [-- --quick] [-- --only <prefix>]`: measures every case on Hardhat's in-process
 * chain, prints the table and writes bench/results/latest.json. See docs/BENCHMARKS.md.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const onlyAt = args.indexOf("--only");
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  const started = performance.now();
  const ctx: BenchContext = {
    quick,
    log: (line) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`),
  };
  const growthAt = quick ? [2, 10, 100, 1_000] : [2, 10, 100, 1_000, 10_000];
  const n = (full: number, short: number) => (quick ? short : full);
  const cycleAt = args.indexOf("--cycle-loans");
  const cycleLoans = cycleAt >= 0 ? Number(args[cycleAt + 1]) : n(2_000, 300);
  if (!Number.isSafeInteger(cycleLoans) || cycleLoans < 1 || cycleLoans > 1_000_000) {
    throw new Error(`--cycle-loans must be a whole number of loans from 1 to 1,000,000, got ${args[cycleAt + 1]}`);
  }
  const threadsAt = args.indexOf("--cycle-threads");
  const cycleThreads = threadsAt >= 0 ? Number(args[threadsAt + 1]) : 2;
  if (!Number.isSafeInteger(cycleThreads) || cycleThreads < 0 || cycleThreads > 64) {
    throw new Error(`--cycle-threads must be a whole number from 0 to 64, got ${args[threadsAt + 1]}`);
  }

  const cases: { name: string; run: () => Promise<Measured> }[] = [
    { name: "transfer.plain", run: () => transferPlain(ctx) },
    { name: "record.onetx.n5", run: () => oneTx(ctx, { members: 5, records: n(1_000, 100) }) },
    {
      name: "record.onetx.n7",
      run: () => oneTx(ctx, { members: 7, records: n(9_999, 999), growthAt }),
    },
    { name: "record.onetx.n15", run: () => oneTx(ctx, { members: 15, records: n(1_000, 100) }) },
    { name: "record.onetx.n25", run: () => oneTx(ctx, { members: 25, records: n(1_000, 100) }) },
    { name: "record.onetx.n7.first", run: () => oneTx(ctx, { members: 7, records: n(1_000, 100), first: true }) },
    { name: "record.vote.n7", run: () => vote(ctx, { members: 7, records: n(500, 50) }) },
    { name: "record.batch.n7.b64", run: () => batch(ctx, { members: 7, leaves: 64, batches: n(200, 16) }) },
    { name: "record.batch.n7.b1024", run: () => batch(ctx, { members: 7, leaves: 1_024, batches: n(40, 4) }) },
    {
      // Quick runs verify a 200-record bundle: recovering 4,000 signatures in JavaScript alone
      // takes longer than the quick budget on a shared 2-core machine.
      name: quick ? "verify.bundle.r200" : "verify.bundle.r1000",
      run: () => verifyBundleCase(ctx, { records: n(1_000, 200), members: 7, rounds: n(2, 1) }),
    },
    // The demo's scenario on the contracts; its rate is transactions per second of the whole run.
    { name: quick ? "sim.demo.l30" : "sim.demo.l100", run: () => simDemo(ctx, { loans: n(100, 30) }) },
    ...(quick ? [] : [{ name: "sim.demo.l1000", run: () => simDemo(ctx, { loans: 1_000 }) }]),
    {
      // The arbitrator's case page for a loan with 1,000 records (docs/CONSOLE.md).
      name: quick ? "console.case.r200" : "console.case.r1000",
      run: () => consoleCase(ctx, { records: n(1_000, 200), rounds: n(3, 1) }),
    },
    // docs/CYCLE.md: a loan's life (12 installments) on the per-loan and the batched path, and one day's cycle
    { name: "loan.lifecycle.per-loan.n7", run: () => lifecyclePerLoan(ctx, { members: 7, loans: n(4, 1) }) },
    { name: "loan.lifecycle.batched.n7", run: () => lifecycleBatched(ctx, { members: 7, loans: n(256, 64) }) },
    {
      name: `loan.cycle.n7.l${cycleLoans}`,
      run: () => cycleAtScale(ctx, { members: 7, loans: cycleLoans, threads: cycleThreads }),
    },
  ];

  const results: CaseResult[] = [];
  let baseline = 0;
  for (const c of cases) {
    if (only && !c.name.startsWith(only) && c.name !== "transfer.plain") continue;
    ctx.log(`${c.name} ...`);
    const t0 = performance.now();
    const m = await c.run();
    if (m.name === "transfer.plain") baseline = m.recordsPerSecond;
    const base: number = m.baselineRecordsPerSecond ?? baseline;
    const r: CaseResult = { ...m, baselineRecordsPerSecond: base, ratio: base > 0 ? m.recordsPerSecond / base : 0 };
    results.push(r);
    ctx.log(
      `${c.name}: ${Math.round(r.gasPerRecord).toLocaleString("en-US")} gas/record, ` +
        `${Math.round(r.recordsPerSecond).toLocaleString("en-US")} records/s ` +
        `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  const file = path.join(__dirname, "results", "latest.json");
  writeResults(file, results);
  console.log("\n" + table(results) + "\n");
  for (const line of growthSummary(results)) console.log(line);
  console.log(
    `wrote ${path.relative(process.cwd(), file)}; ${quick ? "quick" : "full"} run took ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}

/** How gas per record grows with the consortium and with a subject's chain, from the one-tx cases. */
function growthSummary(results: CaseResult[]): string[] {
  const lines: string[] = [];
  const onetx = results.filter((r) => /^record\.onetx\.n\d+$/.test(r.name)).sort((a, b) => a.members - b.members);
  if (onetx.length > 1) {
    const [lo, hi] = [onetx[0], onetx[onetx.length - 1]];
    const perEndorsement =
      (hi.gasPerRecord - lo.gasPerRecord) / (Number(hi.endorsementsPerRecord) - Number(lo.endorsementsPerRecord));
    lines.push(
      `gas/record by members: ${onetx.map((r) => `${r.members}: ${fmtInt(r.gasPerRecord)}`).join(", ")} ` +
        `(+${fmtInt(perEndorsement)} per endorsement)`,
    );
  }
  const chain = results.find((r) => Array.isArray(r.gasByRecordNumber));
  if (chain) {
    const points = chain.gasByRecordNumber as { record: number; gas: number }[];
    lines.push(
      `gas by record number of one subject: ${points.map((p) => `#${fmtInt(p.record)} ${fmtInt(p.gas)}`).join(", ")}`,
    );
  }
  return lines;
}

main().catch((e) => {
  console.error(e);
  // Exit even when something (the in-process chain, a worker) still holds the event loop: a failed
  // case once left the process waiting forever.
  process.exit(1);
});
