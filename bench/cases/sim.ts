import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ethers, network } from "hardhat";
import { LendingScenario } from "../../clients/sim/lendingScenario";
import { resetChain } from "../lib/chain";
import { BenchContext, Measured } from "../lib/report";

/**
 * `sim.demo.l<N>`: the demo's scenario (`LendingScenario`, the one `npm run demo` runs) with N
 * loans over 12 months on the contracts, timed from deployment to the report. Its rate is
 * transactions per second of the whole run (role-node work, endorsements, chain), next to
 * `transfer.plain` of the same run; `gasPerRecord` is the average gas of its transactions.
 */
export async function simDemo(ctx: BenchContext, opts: { loans: number; months?: number }): Promise<Measured> {
  const name = `sim.demo.l${opts.loans}`;
  await resetChain();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "colend-bench-sim-"));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    let month = 0;
    const months = opts.months ?? 12;
    const report = await new LendingScenario(
      { provider: ethers.provider, rpc: network.provider as never },
      {
        loans: opts.loans,
        partners: 6,
        months,
        seed: "bench",
        out,
        network: "hardhat",
        maxCases: 5,
        progress: false,
        log: () => undefined,
        onMonth: () =>
          ctx.log(`  ${name}: month ${++month}/${months} (${((performance.now() - t0) / 1000).toFixed(1)} s)`),
      },
    ).run();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (!report.payments.balanced) throw new Error(`${name}: the money does not balance`);
    const gas = report.gas.reduce((a, g) => a + BigInt(g.total), 0n);
    return {
      name,
      members: 7,
      records: report.chain.transactions,
      gasPerRecord: Number(gas) / report.chain.transactions,
      recordsPerSecond: report.chain.transactions / (ms / 1000),
      loans: report.loans.count,
      months,
      recordsCommitted: report.records.total,
      blocks: report.chain.blocks,
      timedMs: Math.round(ms),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      peakRssMb: report.run.peakRssMb,
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
