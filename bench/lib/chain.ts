import { performance } from "node:perf_hooks";
import { ethers, network } from "hardhat";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { Progress } from "./report";

/** A raw JSON-RPC call on Hardhat's in-process chain (no ethers wrapping on the hot path). */
export function rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
  return network.provider.request({ method, params }) as Promise<T>;
}

/** Fresh chain for the next case: nothing one case left behind slows the next. */
export async function resetChain(): Promise<void> {
  await rpc("hardhat_reset");
  await rpc("evm_setAutomine", [true]);
}

/** A deterministic funded account, connected to the in-process chain. */
export function benchWallet(label: string, index: number): Wallet {
  return new Wallet(keccak256(toUtf8Bytes(`colend.bench.${label}.${index}`)), ethers.provider);
}

export async function fund(addresses: string[]): Promise<void> {
  for (const a of addresses) await rpc("hardhat_setBalance", [a, "0x" + (10n ** 30n).toString(16)]);
}

export async function blockGasLimit(): Promise<bigint> {
  const block = await rpc<{ gasLimit: string }>("eth_getBlockByNumber", ["latest", false]);
  return BigInt(block.gasLimit);
}

export async function latestTimestamp(): Promise<bigint> {
  const block = await rpc<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
  return BigInt(block.timestamp);
}

/** Fee cap far above any base fee a run reaches (base fee grows 12.5% per full block). */
const MAX_FEE = 10n ** 13n;

/**
 * Signs transactions of one sender ahead of time, with consecutive nonces, so that the timed part
 * of a case is only what the chain does: accept, execute and mine.
 */
export class RawSender {
  private nonce = -1;

  constructor(
    readonly wallet: Wallet,
    private readonly chainId: bigint,
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  /** Nonce the next signed transaction gets (the chain's count until the first `sign`). */
  async nextNonce(): Promise<number> {
    if (this.nonce < 0) this.nonce = await ethers.provider.getTransactionCount(this.wallet.address, "latest");
    return this.nonce;
  }

  async sign(to: string, data: string, gasLimit: bigint, value = 0n): Promise<string> {
    const nonce = await this.nextNonce();
    this.nonce++;
    return this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce,
      to,
      data,
      value,
      gasLimit,
      maxFeePerGas: MAX_FEE,
      maxPriorityFeePerGas: 1n,
    });
  }

  /** Sends a pre-signed transaction with automine on and returns its receipt's gas. */
  async sendNow(raw: string): Promise<bigint> {
    const hash = await rpc<string>("eth_sendRawTransaction", [raw]);
    const receipt = await rpc<{ gasUsed: string; status: string }>("eth_getTransactionReceipt", [hash]);
    if (receipt.status !== "0x1") throw new Error(`setup transaction ${hash} reverted`);
    return BigInt(receipt.gasUsed);
  }
}

/** What one timed submission did. */
export interface Submitted {
  ms: number;
  blocks: number[];
  gasUsed: bigint;
  txCount: number;
}

/**
 * Sends one sender's pre-signed transactions `perBlock` at a time and mines a block after each
 * group (automine off, as a block producer would). The time covers sending and mining only.
 */
export async function submitTimed(
  sender: RawSender,
  raws: string[],
  perBlock: number,
  progress?: Progress,
  recordsPerTx = 1,
): Promise<Submitted> {
  const startNonce = await ethers.provider.getTransactionCount(sender.address, "latest");
  const firstBlock = (await ethers.provider.getBlockNumber()) + 1;
  await rpc("evm_setAutomine", [false]);
  const t0 = performance.now();
  for (let i = 0; i < raws.length; i += perBlock) {
    const end = Math.min(i + perBlock, raws.length);
    for (let j = i; j < end; j++) await rpc("eth_sendRawTransaction", [raws[j]]);
    await rpc("evm_mine");
    progress?.tick((end - i) * recordsPerTx);
  }
  // Anything the block did not fit (a group larger than the block gas limit) goes in further blocks.
  for (let guard = 0; ; guard++) {
    const mined = await ethers.provider.getTransactionCount(sender.address, "latest");
    if (mined === startNonce + raws.length) break;
    if (guard > raws.length) throw new Error(`only ${mined - startNonce} of ${raws.length} transactions were mined`);
    await rpc("evm_mine");
  }
  const ms = performance.now() - t0;
  await rpc("evm_setAutomine", [true]);
  const lastBlock = await ethers.provider.getBlockNumber();
  const blocks: number[] = [];
  let gasUsed = 0n;
  let txCount = 0;
  for (let b = firstBlock; b <= lastBlock; b++) {
    const block = await rpc<{ gasUsed: string; transactions: string[] }>("eth_getBlockByNumber", [
      "0x" + b.toString(16),
      false,
    ]);
    blocks.push(b);
    gasUsed += BigInt(block.gasUsed);
    txCount += block.transactions.length;
  }
  if (txCount !== raws.length) throw new Error(`mined ${txCount} transactions, sent ${raws.length}`);
  return { ms, blocks, gasUsed, txCount };
}

/** Gas used by the transaction `raw` (already mined); throws if it reverted. */
export async function gasOf(raw: string): Promise<bigint> {
  const receipt = await rpc<{ gasUsed: string; status: string } | null>("eth_getTransactionReceipt", [keccak256(raw)]);
  if (!receipt) throw new Error(`transaction ${keccak256(raw)} not mined`);
  if (receipt.status !== "0x1") throw new Error(`transaction ${keccak256(raw)} reverted`);
  return BigInt(receipt.gasUsed);
}

/** Transactions of `gasLimit` that fit in one block. */
export function perBlock(limit: bigint, gasLimit: bigint): number {
  return Math.max(1, Number(limit / gasLimit));
}
