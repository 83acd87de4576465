import { keccak256, toUtf8Bytes } from "ethers";
import { nextHead, recordHash } from "../../clients/core/records";
import { Kind, RecordInput, Subject, ZERO_HASH } from "../../clients/core/types";
import { RawSender, blockGasLimit, latestTimestamp, perBlock, resetChain, submitTimed } from "../lib/chain";
import { BenchConsortium } from "../lib/consortium";
import { BenchContext, Measured, Progress } from "../lib/report";

function record(subject: string, i: number, prev: string): RecordInput {
  return {
    subject,
    kind: Kind.Note,
    contentHash: keccak256(toUtf8Bytes(`colend.bench.vote.${i}`)),
    attrs: ZERO_HASH,
    prev,
  };
}

const limitFor = (gas: bigint) => (gas * 12n) / 10n + 5_000n;

/**
 * `record.vote.n{members}`: the on-chain voting path. The lead bank proposes `records` records
 * (each on its own subject, which already has one record) in one block; then each of the quorum's
 * endorsers sends one `endorse` per record, one block per endorser; the last endorsement commits.
 * Gas per record is the total of the proposal and all its endorsement transactions.
 */
export async function vote(ctx: BenchContext, opts: { members: number; records: number }): Promise<Measured> {
  const name = `record.vote.n${opts.members}`;
  await resetChain();
  const c = await BenchConsortium.deploy(opts.members);
  const ledger = await c.ledger.getAddress();
  const chainId = BigInt(c.book.chainId);
  const proposer = c.proposerAddress;
  const endorsers = c.endorsers.map((w) => new RawSender(w, chainId));
  const issuedAt = await latestTimestamp();
  const deadline = issuedAt + 86_400n;
  const iface = c.ledger.interface;
  const commitData = (r: RecordInput) =>
    iface.encodeFunctionData("commit", [r, issuedAt, deadline, c.endorse(r, issuedAt, deadline)]);
  const subjects = Array.from({ length: opts.records + 1 }, (_, i) => Subject.loan(i + 1));

  // Untimed warm-up on subject 0: one seed record by signatures, then one full vote, to learn each step's gas.
  const seed0 = record(subjects[0], 0, ZERO_HASH);
  const seedGas = await c.proposer.sendNow(await c.proposer.sign(ledger, commitData(seed0), 1_000_000n));
  const warm = record(subjects[0], 1, nextHead(ZERO_HASH, recordHash(seed0, proposer)));
  const warmId = recordHash(warm, proposer);
  const gas: bigint[] = [
    await c.proposer.sendNow(
      await c.proposer.sign(ledger, iface.encodeFunctionData("propose", [warm, deadline]), 2_000_000n),
    ),
  ];
  for (const e of endorsers) {
    gas.push(await e.sendNow(await e.sign(ledger, iface.encodeFunctionData("endorse", [warmId]), 2_000_000n)));
  }
  if ((await c.ledger.proposalInfo(warmId)).state !== 2n) throw new Error(`${name}: warm-up vote did not commit`);

  // Untimed: every measured subject gets its first record.
  const timed = subjects.slice(1);
  const seeds = timed.map((s, i) => record(s, 1_000_000 + i, ZERO_HASH));
  const seedRaws: string[] = [];
  for (const r of seeds) seedRaws.push(await c.proposer.sign(ledger, commitData(r), limitFor(seedGas)));
  const limit = await blockGasLimit();
  await submitTimed(
    c.proposer,
    seedRaws,
    perBlock(limit, limitFor(seedGas)),
    new Progress(ctx, `${name} seed`, timed.length),
  );

  // Pre-signed: the proposals and every endorsement transaction.
  const records = timed.map((s, i) => record(s, i + 2, nextHead(ZERO_HASH, recordHash(seeds[i], proposer))));
  const ids = records.map((r) => recordHash(r, proposer));
  const phases: { sender: RawSender; raws: string[]; fit: number }[] = [];
  const proposeLimit = limitFor(gas[0]);
  const proposals: string[] = [];
  for (const r of records) {
    proposals.push(await c.proposer.sign(ledger, iface.encodeFunctionData("propose", [r, deadline]), proposeLimit));
  }
  phases.push({ sender: c.proposer, raws: proposals, fit: perBlock(limit, proposeLimit) });
  for (const [k, e] of endorsers.entries()) {
    const endorseLimit = limitFor(gas[k + 1]);
    const raws: string[] = [];
    for (const id of ids) raws.push(await e.sign(ledger, iface.encodeFunctionData("endorse", [id]), endorseLimit));
    phases.push({ sender: e, raws, fit: perBlock(limit, endorseLimit) });
  }

  const progress = new Progress(ctx, name, phases.length * records.length, "transactions");
  let ms = 0;
  let gasUsed = 0n;
  let blocks = 0;
  for (const p of phases) {
    const sent = await submitTimed(p.sender, p.raws, p.fit, progress);
    ms += sent.ms;
    gasUsed += sent.gasUsed;
    blocks += sent.blocks.length;
  }

  for (const [i, r] of records.entries()) {
    const expected = nextHead(r.prev, ids[i]);
    if ((await c.ledger.headOf(r.subject)) !== expected) throw new Error(`${name}: record ${i} was not committed`);
  }
  return {
    name,
    members: opts.members,
    records: records.length,
    gasPerRecord: Number(gasUsed) / records.length,
    recordsPerSecond: records.length / (ms / 1000),
    transactionsPerRecord: phases.length,
    gasPropose: Number(gas[0]),
    gasEndorse: gas.slice(1).map(Number),
    timing: "pre-signed transactions; timed = send + mine, one block per voting round",
    blocks,
    timedMs: Math.round(ms),
  };
}
