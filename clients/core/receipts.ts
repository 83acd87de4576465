import { TransactionReceipt } from "ethers";
import type { EventFragment, Interface, Log } from "ethers";

/**
 * A receipt's logs as the node returned them. A contract's receipt (`ContractTransactionReceipt`)
 * decodes every log against the whole ABI each time its `logs` is read; this skips that.
 */
export function rawLogs(receipt: TransactionReceipt): readonly Log[] {
  return Reflect.get(TransactionReceipt.prototype, "logs", receipt) as readonly Log[];
}

const fragments = new WeakMap<Interface, Map<string, { fragment: EventFragment; topicHash: string }>>();

/** An event of an ABI and its topic, looked up (and hashed) once per interface. */
export function eventFragment(iface: Interface, name: string): { fragment: EventFragment; topicHash: string } {
  let byName = fragments.get(iface);
  if (!byName) fragments.set(iface, (byName = new Map()));
  let entry = byName.get(name);
  if (!entry) {
    const fragment = iface.getEvent(name);
    if (!fragment) throw new Error(`no event ${name} in the ABI`);
    entry = { fragment, topicHash: fragment.topicHash };
    byName.set(name, entry);
  }
  return entry;
}
