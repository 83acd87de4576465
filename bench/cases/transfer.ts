import { ethers } from "hardhat";
import { RawSender, benchWallet, blockGasLimit, fund, perBlock, resetChain, submitTimed } from "../lib/chain";
import { BenchContext, Measured, Progress } from "../lib/report";

/**
 * `transfer.plain`: plain value transfers between two existing accounts, pre-signed, sent and
 * mined exactly like the record cases. 21,000 gas each: the chain's floor, and the baseline of
 * every on-chain case's ratio.
 */
export async function transferPlain(ctx: BenchContext): Promise<Measured> {
  const count = ctx.quick ? 1_000 : 10_000;
  await resetChain();
  const from = benchWallet("transfer", 0);
  const to = benchWallet("transfer", 1).address;
  await fund([from.address, to]);
  const sender = new RawSender(from, (await ethers.provider.getNetwork()).chainId);
  await sender.sendNow(await sender.sign(to, "0x", 21_000n, 1n)); // warm-up

  const raws: string[] = [];
  for (let i = 0; i < count; i++) raws.push(await sender.sign(to, "0x", 21_000n, 1n));
  const fit = perBlock(await blockGasLimit(), 21_000n);
  const before = await ethers.provider.getBalance(to);
  const sent = await submitTimed(sender, raws, fit, new Progress(ctx, "transfer.plain", count, "transfers"));
  const received = (await ethers.provider.getBalance(to)) - before;
  if (received !== BigInt(count)) throw new Error(`transfer.plain: ${received} of ${count} transfers arrived`);
  return {
    name: "transfer.plain",
    members: 0,
    records: count,
    gasPerRecord: Number(sent.gasUsed) / count,
    recordsPerSecond: count / (sent.ms / 1000),
    blocks: sent.blocks.length,
    timedMs: Math.round(sent.ms),
  };
}
