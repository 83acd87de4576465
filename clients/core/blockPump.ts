import { AsyncLocalStorage } from "node:async_hooks";
import { Transaction, TransactionReceipt, TransactionResponse, Wallet, getAddress } from "ethers";
import type { Block, Provider, TransactionReceiptParams, TransactionRequest } from "ethers";

/** What the pump needs of a development chain: JSON-RPC `send` (Hardhat's provider, or an HTTP one to anvil). */
export interface RawRpc {
  send(method: string, params?: unknown[]): Promise<unknown>;
}

/** A mined transaction as the pump saw it. */
export interface MinedTx {
  hash: string;
  blockNumber: number;
  status: number;
  gasUsed: bigint;
  /** The called address and the call's 4-byte selector, for transactions sent through the pump. */
  to?: string;
  selector?: string;
}

/** A transaction receipt as JSON-RPC returns it. */
interface RawReceipt {
  transactionHash: string;
  transactionIndex: string;
  blockHash: string;
  blockNumber: string;
  from: string;
  to: string | null;
  contractAddress?: string | null;
  cumulativeGasUsed: string;
  gasUsed: string;
  effectiveGasPrice?: string;
  logsBloom: string;
  status: string;
  type?: string;
  root?: string | null;
  logs: {
    address: string;
    topics: string[];
    data: string;
    logIndex: string;
    transactionIndex: string;
    transactionHash: string;
    blockHash: string;
    blockNumber: string;
  }[];
}

/** How many blocks a mined transaction's receipt is kept for its sender's `wait()`. */
const RECEIPT_BLOCKS = 8;

/** A raw receipt as ethers' `TransactionReceipt` (the fields ethers' own formatter reads). */
function receiptParams(r: RawReceipt): TransactionReceiptParams {
  const address = (a: string | null | undefined) => (a ? getAddress(a) : null);
  return {
    to: address(r.to),
    from: getAddress(r.from),
    contractAddress: address(r.contractAddress),
    hash: r.transactionHash,
    index: Number(r.transactionIndex),
    blockHash: r.blockHash,
    blockNumber: Number(r.blockNumber),
    logsBloom: r.logsBloom,
    gasUsed: BigInt(r.gasUsed),
    blobGasUsed: null,
    cumulativeGasUsed: BigInt(r.cumulativeGasUsed),
    gasPrice: BigInt(r.effectiveGasPrice ?? 0),
    effectiveGasPrice: BigInt(r.effectiveGasPrice ?? 0),
    type: Number(r.type ?? 0),
    status: Number(r.status),
    root: r.root ?? null,
    logs: r.logs.map((l) => ({
      transactionHash: l.transactionHash,
      blockHash: l.blockHash,
      blockNumber: Number(l.blockNumber),
      removed: false,
      address: getAddress(l.address),
      data: l.data,
      topics: l.topics,
      index: Number(l.logIndex),
      transactionIndex: Number(l.transactionIndex),
    })),
  };
}

interface Waiter {
  to: string;
  selector: string;
  resolve: (tx: MinedTx) => void;
  reject: (e: Error) => void;
}

/** Gas limit of every pumped transaction: above any single colend operation, checked on chain. */
export const PUMPED_GAS_LIMIT = 3_000_000n;
/** Block gas limit while the pump runs: room for 500 pumped transactions per block. */
export const PUMPED_BLOCK_GAS_LIMIT = 1_500_000_000n;

/**
 * Mines blocks on a development chain (Hardhat's in-process chain or anvil) for a simulation that
 * runs many independent actors at once: automining is off, and a block is mined as soon as every
 * running actor is waiting for one of its transactions, so each block carries one transaction of
 * every actor instead of one transaction in all. Blocks get the simulated time the driver sets
 * (`time`), one second apart when several fall on the same time. The chain is a free-gas chain
 * (base fee 0, as a consortium chain is configured), so accounts need no ether.
 *
 * Actors are `run` by the pump; code outside any actor (the driver's own steps) also works: with
 * no actor running, every transaction is mined at once.
 */
export class BlockPump {
  /** Simulated time (seconds) of the next block; blocks never go back in time. */
  time = 0;
  blocks = 0;
  transactions = 0;
  private active = 0;
  /** Set inside an actor's async context. */
  private readonly actor = new AsyncLocalStorage<boolean>();
  private readonly waiting = new Map<string, Waiter>();
  private mining = false;
  private lastTimestamp = 0;
  private idleBlocks = 0;
  private gasLimitBefore?: string;
  /** Results of `eth_call`s on the current head, by target and calldata; dropped at every block. */
  private readonly reads = new Map<string, Promise<string>>();
  /** Called with every mined transaction (the simulation's gas meter). */
  onMined?: (tx: MinedTx) => void;
  /** Receipts of the last blocks' transactions, for their senders' `wait()` (no second request). */
  private readonly receipts = new Map<string, { block: number; raw: RawReceipt }>();
  /** Whether the chain answers `eth_getBlockReceipts` (anvil does): one request per block for every receipt. */
  private blockReceipts = true;
  private readonly providers = new WeakMap<Provider, Provider>();
  /** The latest block while the pump runs (it cannot change before the pump mines the next one). */
  private latestBlock?: Promise<Block | null>;
  private running = false;

  constructor(readonly rpc: RawRpc) {}

  /** Turns automining off, zeroes the base fee and makes room in blocks. Call once before sending. */
  async start(): Promise<void> {
    const latest = (await this.rpc.send("eth_getBlockByNumber", ["latest", false])) as {
      timestamp: string;
      gasLimit: string;
    };
    this.gasLimitBefore = latest.gasLimit;
    this.lastTimestamp = Number(latest.timestamp);
    this.time = Math.max(this.time, this.lastTimestamp);
    try {
      await this.rpc.send("hardhat_setNextBlockBaseFeePerGas", ["0x0"]);
    } catch {
      await this.rpc.send("anvil_setNextBlockBaseFeePerGas", ["0x0"]);
    }
    await this.rpc.send("evm_setBlockGasLimit", ["0x" + PUMPED_BLOCK_GAS_LIMIT.toString(16)]);
    await this.rpc.send("evm_setAutomine", [false]);
    this.running = true;
  }

  /** Turns automining back on and restores the block gas limit. */
  async stop(): Promise<void> {
    this.running = false;
    this.latestBlock = undefined;
    this.reads.clear();
    if (this.gasLimitBefore) await this.rpc.send("evm_setBlockGasLimit", [this.gasLimitBefore]);
    await this.rpc.send("evm_setAutomine", [true]);
  }

  /** Runs `fn` as one actor. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await this.actor.run(true, fn);
    } finally {
      this.active--;
      this.kick();
    }
  }

  /**
   * Runs every task as its own actor, all at once; resolves when all are done (rejects on the
   * first failure, after all settle). Called inside an actor, that actor waits for its tasks and
   * does not hold back the blocks they need.
   */
  async all<T>(tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
    const nested = this.actor.getStore() === true;
    if (nested) this.active--;
    let settled: PromiseSettledResult<T>[];
    try {
      settled = await Promise.allSettled(tasks.map((t) => this.run(t)));
    } finally {
      if (nested) this.active++;
    }
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  }

  /** Sends a signed transaction and resolves once it is mined. */
  async submit(raw: string, call: { to: string; data: string }): Promise<MinedTx> {
    const hash = (await this.rpc.send("eth_sendRawTransaction", [raw])) as string;
    return new Promise<MinedTx>((resolve, reject) => {
      this.waiting.set(hash.toLowerCase(), { to: call.to, selector: call.data.slice(0, 10), resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.mining || this.waiting.size === 0 || this.waiting.size < this.active) return;
    this.mining = true;
    this.mine().then(
      () => {
        this.mining = false;
        this.kick();
      },
      (e: Error) => {
        this.mining = false;
        const waiters = [...this.waiting.values()];
        this.waiting.clear();
        for (const w of waiters) w.reject(e);
      },
    );
  }

  /**
   * Mines a block at `time` now (an empty one when nothing is pending): moves the chain's clock
   * for the reads that follow. Only between stages, when no actor runs.
   */
  async tick(): Promise<void> {
    if (this.active > 0 || this.waiting.size > 0 || this.mining) {
      throw new Error("BlockPump.tick: actors are still running");
    }
    await this.mineBlock();
  }

  /**
   * A read of the current head, shared by every node of this process: partners that review the
   * same proposal ask the chain the same questions, and the answer cannot change before the
   * pump mines the next block. (colend's external view functions do not depend on the caller.)
   */
  read(to: string, data: string, call: () => Promise<string>): Promise<string> {
    const key = `${to.toLowerCase()}${data}`;
    let result = this.reads.get(key);
    if (!result) {
      result = call();
      this.reads.set(key, result);
      result.catch(() => this.reads.delete(key));
    }
    return result;
  }

  private async mineBlock(): Promise<void> {
    this.reads.clear();
    this.latestBlock = undefined;
    const timestamp = Math.max(this.time, this.lastTimestamp + 1);
    // The base fee stays 0 (set at start): blocks never fill half the pump's block gas limit, so
    // it never rises.
    await this.rpc.send("evm_mine", [timestamp]);
    this.reads.clear();
    this.latestBlock = undefined;
    this.lastTimestamp = timestamp;
    this.blocks++;
  }

  private async mine(): Promise<void> {
    await this.mineBlock();
    const raws = await this.latestReceipts();
    if (raws.length === 0) {
      if (++this.idleBlocks >= 3)
        throw new Error(`${this.waiting.size} pending transactions were not mined in 3 blocks`);
      return;
    }
    this.idleBlocks = 0;
    const blockNumber = Number(raws[0].blockNumber);
    for (const [hash, kept] of this.receipts)
      if (kept.block <= blockNumber - RECEIPT_BLOCKS) this.receipts.delete(hash);
    for (const r of raws) {
      const hash = r.transactionHash.toLowerCase();
      const waiter = this.waiting.get(hash);
      this.waiting.delete(hash);
      if (waiter) this.receipts.set(hash, { block: blockNumber, raw: r });
      const tx: MinedTx = {
        hash: r.transactionHash,
        blockNumber,
        status: Number(r.status),
        gasUsed: BigInt(r.gasUsed),
        to: waiter?.to,
        selector: waiter?.selector,
      };
      this.transactions++;
      this.onMined?.(tx);
      waiter?.resolve(tx);
    }
  }

  /** The receipts of the latest block: one `eth_getBlockReceipts`, or the block and each receipt. */
  private async latestReceipts(): Promise<RawReceipt[]> {
    if (this.blockReceipts) {
      try {
        return ((await this.rpc.send("eth_getBlockReceipts", ["latest"])) as RawReceipt[] | null) ?? [];
      } catch {
        this.blockReceipts = false;
      }
    }
    const block = (await this.rpc.send("eth_getBlockByNumber", ["latest", false])) as { transactions: string[] };
    return (await Promise.all(
      block.transactions.map((h) => this.rpc.send("eth_getTransactionReceipt", [h])),
    )) as RawReceipt[];
  }

  /**
   * `provider` as the pump's senders see it: the same provider, except that the receipt of a
   * transaction the pump just mined is answered from the block's receipts it already holds, and
   * the latest block is asked once per block.
   */
  provider(provider: Provider): Provider {
    if (this.providers.has(provider)) return this.providers.get(provider)!;
    const wrapped: Provider = new Proxy(provider, {
      get: (target, key) => {
        if (key === "getTransactionReceipt") {
          return (hash: string) => {
            const kept = this.receipts.get(hash.toLowerCase());
            if (!kept) return target.getTransactionReceipt(hash);
            this.receipts.delete(hash.toLowerCase());
            return Promise.resolve(new TransactionReceipt(receiptParams(kept.raw), wrapped));
          };
        }
        if (key === "getBlock") {
          return (tag: unknown, prefetch?: boolean) => {
            if (tag !== "latest" || prefetch || !this.running) return target.getBlock(tag as number, prefetch);
            if (!this.latestBlock) {
              const block = target.getBlock("latest");
              this.latestBlock = block;
              block.catch(() => {
                if (this.latestBlock === block) this.latestBlock = undefined;
              });
            }
            return this.latestBlock;
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    this.providers.set(provider, wrapped);
    this.providers.set(wrapped, wrapped);
    return wrapped;
  }
}

/**
 * A wallet that sends through a `BlockPump`: nonces counted locally (so one member can have
 * transactions of several actors in the same block), chain id and gas fixed (no estimate, no fee
 * queries), the signed bytes sent raw. `sendTransaction` resolves once the transaction is mined,
 * so the caller's `wait()` finds the receipt at once; a reverted transaction is replayed as a call
 * on the state before its block to report why it reverted.
 */
export class PumpedWallet extends Wallet {
  private nonce?: number;
  private nonceLock: Promise<unknown> = Promise.resolve();

  constructor(
    privateKey: string,
    provider: Provider,
    readonly pump: BlockPump,
    readonly chainId: bigint,
  ) {
    super(privateKey, pump.provider(provider));
  }

  override connect(provider: Provider | null): PumpedWallet {
    return new PumpedWallet(this.privateKey, provider!, this.pump, this.chainId);
  }

  private async nextNonce(): Promise<number> {
    const take = this.nonceLock.then(async () => {
      this.nonce ??= await this.provider!.getTransactionCount(this.address, "pending");
      return this.nonce++;
    });
    this.nonceLock = take.catch(() => undefined);
    return take;
  }

  /** Reads of the latest state go through the pump's per-block cache. */
  override async call(tx: TransactionRequest): Promise<string> {
    if (tx.blockTag != null || typeof tx.to !== "string" || typeof tx.data !== "string" || tx.value) {
      return super.call(tx);
    }
    return this.pump.read(tx.to, tx.data, () => super.call(tx));
  }

  override async sendTransaction(request: TransactionRequest): Promise<TransactionResponse> {
    if (request.to == null || typeof request.to !== "string") {
      throw new Error("PumpedWallet sends calls to a known address only (deploy with an ordinary signer)");
    }
    const tx = Transaction.from({
      type: 2,
      chainId: this.chainId,
      nonce: await this.nextNonce(),
      to: request.to,
      data: request.data ?? "0x",
      value: request.value ?? 0n,
      gasLimit: request.gasLimit ?? PUMPED_GAS_LIMIT,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
    });
    tx.signature = this.signingKey.sign(tx.unsignedHash);
    let mined: MinedTx;
    try {
      mined = await this.pump.submit(tx.serialized, { to: tx.to!, data: tx.data });
    } catch (e) {
      this.nonce = undefined; // resynchronise from the chain on the next transaction
      throw e;
    }
    if (mined.status !== 1) {
      // Replay on the state before the block to get the revert reason (throws with it).
      await this.provider!.call({ from: this.address, to: tx.to, data: tx.data, blockTag: mined.blockNumber - 1 });
      throw new Error(`transaction ${mined.hash} reverted in block ${mined.blockNumber}`);
    }
    return new TransactionResponse(
      {
        blockNumber: mined.blockNumber,
        blockHash: null,
        hash: mined.hash,
        index: 0,
        type: 2,
        from: this.address,
        to: tx.to,
        gasLimit: tx.gasLimit,
        nonce: tx.nonce,
        data: tx.data,
        value: tx.value,
        gasPrice: 0n,
        maxPriorityFeePerGas: 0n,
        maxFeePerGas: 0n,
        maxFeePerBlobGas: null,
        chainId: tx.chainId,
        signature: tx.signature!,
        accessList: [],
        blobVersionedHashes: null,
        authorizationList: null,
      },
      this.provider!,
    );
  }
}
