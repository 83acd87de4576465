import type { JsonRpcProvider, TransactionReceipt, Wallet } from "ethers";

/**
 * Sends a process's transactions like a client of a real consortium chain: one in-flight nonce
 * tracker per process (so several transactions can be pending at once), explicit gas, waiting for
 * the receipt and `confirmations` blocks on top (0 on instant-finality chains such as QBFT), and a
 * nonce resync when the node says it is out of step.
 */
export class TxSender {
  private nonce?: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly wallet: Wallet,
    readonly provider: JsonRpcProvider,
    readonly confirmations = 0,
    readonly timeoutMs = 60_000,
  ) {}

  /**
   * Sends `data` to `to` and waits for it to be mined. Returns the receipt, also when the
   * transaction reverted (status 0): the caller decides what a revert means.
   */
  async send(to: string, data: string, gasLimit?: bigint): Promise<TransactionReceipt> {
    const hash = await this.enqueue(() => this.submit(to, data, gasLimit));
    const receipt = await this.provider.waitForTransaction(hash, this.confirmations + 1, this.timeoutMs);
    if (!receipt) throw new Error(`transaction ${hash} not mined within ${this.timeoutMs / 1000}s`);
    return receipt;
  }

  /** Sends are serialized so nonces are handed out in order, but mining is awaited in parallel. */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async submit(to: string, data: string, gasLimit?: bigint, retry = true): Promise<string> {
    this.nonce ??= await this.provider.getTransactionCount(this.wallet.address, "pending");
    const nonce = this.nonce;
    try {
      const limit =
        gasLimit ?? ((await this.provider.estimateGas({ from: this.wallet.address, to, data })) * 12n) / 10n;
      const fee = await this.provider.getFeeData();
      const tx = await this.wallet.sendTransaction({
        to,
        data,
        nonce,
        gasLimit: limit,
        maxFeePerGas: fee.maxFeePerGas ?? undefined,
        maxPriorityFeePerGas: fee.maxPriorityFeePerGas ?? undefined,
        gasPrice: fee.maxFeePerGas === null ? fee.gasPrice : undefined,
      });
      this.nonce = nonce + 1;
      return tx.hash;
    } catch (e) {
      const message = String((e as Error).message ?? e);
      if (retry && /nonce/i.test(message)) {
        // Someone (a restart, another tool) moved the account's nonce: resync once.
        this.nonce = await this.provider.getTransactionCount(this.wallet.address, "pending");
        return this.submit(to, data, gasLimit, false);
      }
      throw e;
    }
  }
}
