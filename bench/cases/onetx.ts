import { performance } from "node:perf_hooks";
import { keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { nextHead, recordHash } from "../../clients/core/records";
import { Kind, RecordInput, Subject, ZERO_HASH } from "../../clients/core/types";
import { blockGasLimit, gasOf, latestTimestamp, perBlock, resetChain, submitTimed } from "../lib/chain";
import { BenchConsortium } from "../lib/consortium";
import { BenchContext, Measured, Progress, fmtInt } from "../lib/report";

/** The i-th document's record fields (content and parameters differ per record). */
function fields(i: number): Pick<RecordInput, "kind" | "contentHash" | "attrs"> {
  return {
    kind: Kind.RepaymentReceipt,
    contentHash: keccak256(toUtf8Bytes(`colend.bench.document.${i}`)),
    attrs: keccak256(toBeHex(i + 1, 32)),
  };
}

/** Gas limit for the timed transactions: the measured gas plus headroom. */
function limitFor(gas: bigint): bigint {
  return (gas * 12n) / 10n + 5_000n;
}

export interface OneTxOptions {
  members: number;
  records: number;
  /** Each record is the first of a new subject (instead of appending to one subject). */
  first?: boolean;
  /** Record numbers of the subject (1 = its first record) whose gas is reported. */
  growthAt?: number[];
}

/**
 * `record.onetx.n{members}`: one majority-endorsed record per transaction (`commit` with EIP-712
 * compact signatures of a quorum of the other banks). The endorsements and the transactions
 * are signed before the clock starts (that work happens on the endorsing nodes, in parallel, in
 * a real consortium; its single-core rate is reported as `offchainRecordsPerSecond`); the timed
 * part is sending and mining.
 *
 * Appending case: record 1 of the subject is committed first (untimed), then records 2..N+1 are
 * timed, each extending the head the previous one left. First-record case: every record starts
 * a new subject.
 */
export async function oneTx(ctx: BenchContext, opts: OneTxOptions): Promise<Measured> {
  const name = `record.onetx.n${opts.members}${opts.first ? ".first" : ""}`;
  await resetChain();
  const c = await BenchConsortium.deploy(opts.members);
  const ledger = await c.ledger.getAddress();
  const issuedAt = await latestTimestamp();
  const deadline = issuedAt + 86_400n;
  const proposer = c.proposerAddress;
  const commitData = (record: RecordInput) =>
    c.ledger.interface.encodeFunctionData("commit", [
      record,
      issuedAt,
      deadline,
      c.endorse(record, issuedAt, deadline),
    ]);

  // Untimed: the subject's first record (append case) or a warm-up first record; its gas sets the limit.
  const seedSubject = opts.first ? Subject.loan(1_000_000_000) : Subject.loan(1);
  const seed: RecordInput = { subject: seedSubject, ...fields(0), prev: ZERO_HASH };
  const gasRecord1 = await c.proposer.sendNow(await c.proposer.sign(ledger, commitData(seed), 1_000_000n));
  let prev = nextHead(ZERO_HASH, recordHash(seed, proposer));

  const signing = new Progress(ctx, `${name} pre-sign`, opts.records);
  const raws: string[] = [];
  let signMs = 0;
  const gasLimit = limitFor(gasRecord1);
  for (let i = 1; i <= opts.records; i++) {
    const record: RecordInput = opts.first
      ? { subject: Subject.loan(i), ...fields(i), prev: ZERO_HASH }
      : { subject: seedSubject, ...fields(i), prev };
    const t0 = performance.now();
    const data = commitData(record);
    signMs += performance.now() - t0;
    raws.push(await c.proposer.sign(ledger, data, gasLimit));
    if (!opts.first) prev = nextHead(prev, recordHash(record, proposer));
    signing.tick();
  }

  const fit = perBlock(await blockGasLimit(), gasLimit);
  const sent = await submitTimed(c.proposer, raws, fit, new Progress(ctx, name, opts.records));

  // Every record landed, in order: the chain ends where the pre-computed chain ends.
  if (!opts.first) {
    const head = await c.ledger.headOf(seedSubject);
    if (head !== prev) throw new Error(`${name}: head ${head} differs from the expected ${prev}`);
  } else if ((await c.ledger.headOf(Subject.loan(opts.records))) === ZERO_HASH) {
    throw new Error(`${name}: the last record is missing`);
  }
  const growth: { record: number; gas: number }[] = [{ record: 1, gas: Number(gasRecord1) }];
  for (const n of opts.growthAt ?? []) {
    if (n >= 2 && n <= opts.records + 1) growth.push({ record: n, gas: Number(await gasOf(raws[n - 2])) });
  }
  if (growth.length > 1) {
    ctx.log(`  ${name}: gas by record number ${growth.map((g) => `#${fmtInt(g.record)}=${fmtInt(g.gas)}`).join(" ")}`);
  }
  return {
    name,
    members: opts.members,
    records: opts.records,
    gasPerRecord: Number(sent.gasUsed) / opts.records,
    recordsPerSecond: opts.records / (sent.ms / 1000),
    endorsementsPerRecord: c.quorum,
    gasFirstRecordOfSubject: opts.first ? Number(sent.gasUsed) / opts.records : Number(gasRecord1),
    gasFirst: Number(await gasOf(raws[0])),
    gasLast: Number(await gasOf(raws[raws.length - 1])),
    ...(growth.length > 1 ? { gasByRecordNumber: growth } : {}),
    offchainRecordsPerSecond: opts.records / (signMs / 1000),
    timing: "pre-signed endorsements and transactions; timed = send + mine",
    blocks: sent.blocks.length,
    timedMs: Math.round(sent.ms),
  };
}
