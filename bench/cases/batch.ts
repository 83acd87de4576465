import { performance } from "node:perf_hooks";
import { keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { nextHead, recordHash } from "../../clients/core/records";
import { Kind, Subject, ZERO_HASH } from "../../clients/core/types";
import { BatchBuilder, BatchRecord, verifyInclusion } from "../../clients/ledger/batch";
import { blockGasLimit, latestTimestamp, perBlock, resetChain, submitTimed } from "../lib/chain";
import { BenchConsortium } from "../lib/consortium";
import { BenchContext, Measured, Progress } from "../lib/report";

/** The i-th repayment receipt of the run. */
function receipt(i: number): BatchRecord {
  return {
    subject: Subject.loan(i % 100_000),
    kind: Kind.RepaymentReceipt,
    contentHash: keccak256(toUtf8Bytes(`colend.bench.receipt.${i}`)),
    attrs: keccak256(toBeHex(i + 1, 32)),
  };
}

/**
 * `record.batch.n{members}.b{leaves}`: `batches` batches of `leaves` records each, on one batch
 * subject, each endorsed once by a quorum and committed in one `commitBatch`. Trees, proofs,
 * endorsements and transactions are built before the clock starts (their single-core rate is
 * `offchainRecordsPerSecond`); the timed part is sending and mining.
 */
export async function batch(
  ctx: BenchContext,
  opts: { members: number; leaves: number; batches: number },
): Promise<Measured> {
  const name = `record.batch.n${opts.members}.b${opts.leaves}`;
  await resetChain();
  const c = await BenchConsortium.deploy(opts.members);
  const ledger = await c.ledger.getAddress();
  const proposer = c.proposerAddress;
  const issuedAt = await latestTimestamp();
  const deadline = issuedAt + 86_400n;
  const subject = Subject.batch(proposer, "bench");
  const commitData = (b: BatchBuilder, prev: string) => {
    const built = b.build(prev);
    const sigs = c.endorse(built.record, issuedAt, deadline);
    const data = c.ledger.interface.encodeFunctionData("commitBatch", [
      subject,
      built.root,
      built.leafCount,
      prev,
      issuedAt,
      deadline,
      sigs,
    ]);
    return { built, data };
  };

  // Untimed warm-up batch (the subject's first record): its gas sets the limit.
  const warm = new BatchBuilder(subject);
  for (let i = 0; i < opts.leaves; i++) warm.add(receipt(10_000_000 + i));
  const w = commitData(warm, ZERO_HASH);
  const warmGas = await c.proposer.sendNow(await c.proposer.sign(ledger, w.data, 1_000_000n));
  let prev = nextHead(ZERO_HASH, recordHash(w.built.record, proposer));
  const gasLimit = warmGas + 20_000n;

  const total = opts.leaves * opts.batches;
  const building = new Progress(ctx, `${name} build`, total);
  const raws: string[] = [];
  const samples: ReturnType<BatchBuilder["inclusions"]>[number][] = [];
  let buildMs = 0;
  for (let k = 0; k < opts.batches; k++) {
    const t0 = performance.now();
    const b = new BatchBuilder(subject);
    for (let i = 0; i < opts.leaves; i++) b.add(receipt(k * opts.leaves + i));
    const { built, data } = commitData(b, prev);
    const proofs = b.inclusions();
    buildMs += performance.now() - t0;
    samples.push(proofs[k % opts.leaves]);
    raws.push(await c.proposer.sign(ledger, data, gasLimit));
    prev = nextHead(prev, recordHash(built.record, proposer));
    building.tick(opts.leaves);
  }

  const fit = perBlock(await blockGasLimit(), gasLimit);
  const sent = await submitTimed(c.proposer, raws, fit, new Progress(ctx, name, total), opts.leaves);

  if ((await c.ledger.headOf(subject)) !== prev) throw new Error(`${name}: batch chain ends at the wrong head`);
  for (const p of samples.slice(0, 8)) {
    if (!verifyInclusion(p) || !(await c.ledger.verifyBatchLeaf(p.batchSubject, p.root, p.proof, p.leafHash))) {
      throw new Error(`${name}: an inclusion proof failed`);
    }
  }
  return {
    name,
    members: opts.members,
    records: total,
    gasPerRecord: Number(sent.gasUsed) / total,
    recordsPerSecond: total / (sent.ms / 1000),
    leavesPerBatch: opts.leaves,
    batches: opts.batches,
    gasPerBatch: Number(sent.gasUsed) / opts.batches,
    offchainRecordsPerSecond: total / (buildMs / 1000),
    timing: "pre-built trees, proofs and endorsements; timed = send + mine",
    blocks: sent.blocks.length,
    timedMs: Math.round(sent.ms),
  };
}
