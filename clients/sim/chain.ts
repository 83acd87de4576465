import type { Provider, Wallet } from "ethers";
import { GasMeter } from "./gas";

/** The JSON-RPC calls the simulator needs (Hardhat's in-process provider or anvil's). */
export interface RpcLike {
  send(method: string, params: unknown[]): Promise<unknown>;
}

interface Pending {
  hash: string;
  op: string;
  gasLimit: bigint;
}

/** A transaction the chain reverted: which operation, and its hash. */
export class TxFailed extends Error {
  constructor(
    readonly op: string,
    readonly hash: string,
    readonly revertData = "",
  ) {
    super(`${op} transaction ${hash} reverted${revertData ? ` (revert data ${revertData.slice(0, 74)})` : ""}`);
    this.name = "TxFailed";
  }
}

/**
 * A fast transaction pipeline for simulations on a development chain: automining is switched
 * off, transactions are signed locally with explicit nonces (one tracker per sender) and sent raw,
 * then mined in blocks at chosen timestamps. Receipts are read once per block, their gas added to
 * a `GasMeter`, checked for success and dropped, so memory stays flat however long the run.
 */
export class SimChain {
  private readonly nonces = new Map<string, number>();
  private pending: Pending[] = [];
  /** The simulation's time: transactions sent now are mined at this time (or just after). */
  private clock = 0;
  /** Timestamp of the last mined block. */
  private lastBlock = 0;
  private pendingGas = 0n;
  readonly gas = new GasMeter();
  txCount = 0;
  blocks = 0;

  private constructor(
    readonly rpc: RpcLike,
    readonly provider: Provider,
    readonly chainId: bigint,
    private readonly blockGas: bigint,
  ) {}

  /** Takes over a development chain (Hardhat or anvil): automining off from here on. */
  static async open(rpc: RpcLike, provider: Provider): Promise<SimChain> {
    const chainId = (await provider.getNetwork()).chainId;
    const latest = await provider.getBlock("latest");
    // Fill blocks to at most 90% of their gas limit, counted by the transactions' gas limits.
    const chain = new SimChain(rpc, provider, chainId, (latest!.gasLimit * 9n) / 10n);
    await rpc.send("evm_setAutomine", [false]);
    chain.clock = latest!.timestamp;
    chain.lastBlock = latest!.timestamp;
    return chain;
  }

  /** Switches automining back on (for clients that wait for each transaction). */
  async close(): Promise<void> {
    await this.mine();
    await this.rpc.send("evm_setAutomine", [true]);
  }

  /** The simulation's current time, in seconds. */
  now(): number {
    return this.clock;
  }

  /** Gives `account` `wei` of gas money (development chains only). */
  async fund(account: string, wei: bigint): Promise<void> {
    const hex = "0x" + wei.toString(16);
    try {
      await this.rpc.send("hardhat_setBalance", [account, hex]);
    } catch {
      await this.rpc.send("anvil_setBalance", [account, hex]);
    }
  }

  /** Signs and sends a call from `wallet`; it is mined by the next `mine`. */
  async send(wallet: Wallet, to: string, data: string, op: string, gasLimit = 800_000n): Promise<string> {
    const from = wallet.address;
    let nonce = this.nonces.get(from);
    if (nonce === undefined) nonce = await this.provider.getTransactionCount(from, "pending");
    const raw = await wallet.signTransaction({
      to,
      data,
      nonce,
      gasLimit,
      chainId: this.chainId,
      type: 2,
      maxFeePerGas: 50_000_000_000n,
      maxPriorityFeePerGas: 0n,
    });
    this.nonces.set(from, nonce + 1);
    const hash = (await this.rpc.send("eth_sendRawTransaction", [raw])) as string;
    this.pending.push({ hash, op, gasLimit });
    this.pendingGas += gasLimit;
    this.txCount++;
    if (this.pendingGas >= this.blockGas) await this.mine();
    return hash;
  }

  /**
   * Mines everything pending in blocks no earlier than `atTime` (and strictly after the last
   * block), then checks every receipt and adds its gas to `gas`.
   */
  async mine(atTime?: number): Promise<void> {
    let target = Math.max(atTime ?? this.clock, this.lastBlock + 1);
    for (let round = 0; round === 0 || this.pending.length > 0; round++) {
      if (round > 1_000) throw new Error(`${this.pending.length} transactions stay pending`);
      await this.rpc.send("evm_setNextBlockTimestamp", [target]);
      await this.rpc.send("evm_mine", []);
      this.lastBlock = target;
      if (target > this.clock) this.clock = target;
      this.blocks++;
      target++;
      // A block holds what fits its gas limit; the rest waits for the next one.
      const still: Pending[] = [];
      for (const p of this.pending) {
        const r = await this.provider.getTransactionReceipt(p.hash);
        if (!r) {
          still.push(p);
          continue;
        }
        if (r.status !== 1) throw new TxFailed(p.op, p.hash, await this.revertData(p.hash, r.blockNumber));
        this.gas.add(p.op, r.gasUsed);
      }
      this.pending = still;
      this.pendingGas = still.reduce((a, p) => a + p.gasLimit, 0n);
    }
  }

  /**
   * Moves the simulation's clock forward to `time`: whatever is pending is mined first, at the
   * time it was sent; no block is mined for the move itself.
   */
  async advanceTo(time: number): Promise<void> {
    if (time <= this.clock) return;
    if (this.pending.length > 0) await this.mine();
    this.clock = time;
  }

  /** Replays a failed transaction as a call to read its revert data (best effort). */
  private async revertData(hash: string, blockNumber: number): Promise<string> {
    try {
      const tx = await this.provider.getTransaction(hash);
      if (!tx) return "";
      await this.provider.call({ from: tx.from, to: tx.to, data: tx.data, blockTag: blockNumber - 1 });
      return "";
    } catch (e) {
      const data = (e as { data?: string }).data;
      return typeof data === "string" ? data : "";
    }
  }
}
