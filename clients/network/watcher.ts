import type { Interface, JsonRpcProvider, Log, LogDescription } from "ethers";
import { NodeStore } from "./store";

/** One decoded event with its id (`txHash:logIndex`), unique across the chain. */
export interface WatchedEvent {
  id: string;
  name: string;
  args: LogDescription["args"];
  log: Log;
}

export interface WatcherOptions {
  provider: JsonRpcProvider;
  store: NodeStore;
  /** Contracts to watch, with the interface that decodes their events. */
  sources: { address: string; iface: Interface }[];
  /** First block to scan when the store has no cursor (the deployment block). */
  startBlock: number;
  /** Blocks a log must be buried under before it is processed (0 for instant finality). */
  confirmations?: number;
  /** Most blocks per `eth_getLogs` call. */
  maxRange?: number;
}

/**
 * Follows contract events with a persistent cursor: scans confirmed blocks after the last
 * processed one, hands each event to the handler in chain order, and records it as processed (by
 * id) together with the cursor, so that after a crash or restart nothing is skipped and nothing is
 * handled twice.
 */
export class EventWatcher {
  private readonly confirmations: number;
  private readonly maxRange: number;

  constructor(private readonly o: WatcherOptions) {
    this.confirmations = o.confirmations ?? 0;
    this.maxRange = o.maxRange ?? 2_000;
  }

  /** Processes every confirmed block not yet processed; returns how many events were handled. */
  async poll(handle: (e: WatchedEvent) => Promise<void>): Promise<number> {
    const { provider, store } = this.o;
    const latest = await provider.getBlockNumber();
    const confirmed = latest - this.confirmations;
    let from = Math.max(store.getCursor() + 1, this.o.startBlock);
    let handled = 0;
    while (from <= confirmed) {
      const to = Math.min(confirmed, from + this.maxRange - 1);
      const logs = await provider.getLogs({
        address: this.o.sources.map((s) => s.address),
        fromBlock: from,
        toBlock: to,
      });
      logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const log of logs) {
        const id = `${log.transactionHash}:${log.index}`;
        if (store.isProcessed(id)) continue;
        const source = this.o.sources.find((s) => s.address.toLowerCase() === log.address.toLowerCase());
        const parsed = source?.iface.parseLog(log);
        if (parsed) await handle({ id, name: parsed.name, args: parsed.args, log });
        // The handler's own writes are idempotent; marking after it means a crash in between
        // re-delivers the event, and the handler sees its earlier effect on chain and skips.
        store.atomically(() => {
          store.markProcessed(id, log.blockNumber, parsed?.name ?? "unknown");
          store.setCursor(log.blockNumber - 1);
        });
        handled++;
      }
      store.setCursor(to);
      from = to + 1;
    }
    return handled;
  }
}
