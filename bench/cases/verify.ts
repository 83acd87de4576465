import { benchVerify } from "../../clients/evidence/synthetic";
import { BenchContext, Measured, fmtInt } from "../lib/report";

/**
 * `verify.bundle.r{records}`: offline verification of a synthetic `records`-record evidence
 * bundle (`verifyBundle`: parse, schema, hashes, chain links, every signature recovered and
 * checked against membership, every document re-hashed) against its own baseline, the bare
 * signature recoveries the bundle requires on precomputed digests. The two are timed
 * alternately `rounds` times and the best of each is kept (the machine is shared).
 */
export async function verifyBundleCase(
  ctx: BenchContext,
  opts: { records: number; members: number; rounds: number },
): Promise<Measured> {
  const name = `verify.bundle.r${opts.records}`;
  ctx.log(`  ${name}: building and signing a ${fmtInt(opts.records)}-record bundle, then ${opts.rounds} round(s)`);
  const b = await benchVerify(opts.records, opts.members, opts.rounds);
  if (!b.ok) throw new Error(`${name}: the synthetic bundle did not verify`);
  ctx.log(
    `  ${name}: verify ${b.verifyMs.toFixed(0)} ms, bare recoveries ${b.bareRecoveriesMs.toFixed(0)} ms ` +
      `(${fmtInt(b.signatures)} signatures)`,
  );
  return {
    name,
    members: opts.members,
    records: b.records,
    gasPerRecord: 0,
    recordsPerSecond: b.records / (b.verifyMs / 1000),
    baselineRecordsPerSecond: b.records / (b.bareRecoveriesMs / 1000),
    signatures: b.signatures,
    verifyMs: Math.round(b.verifyMs),
    bareRecoveriesMs: Math.round(b.bareRecoveriesMs),
    buildMs: Math.round(b.buildMs),
    cpuVerifyMs: Math.round(b.cpu.verifyMs),
    cpuBareRecoveriesMs: Math.round(b.cpu.bareRecoveriesMs),
    cpuRatio: b.cpu.ratio,
    timing: `offline; best of ${opts.rounds} alternating rounds; baseline = bare signature recoveries`,
  };
}
