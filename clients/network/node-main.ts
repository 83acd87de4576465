/**
 * Entry point of one node process (forked by the network supervisor):
 *   node -r ts-node/register/transpile-only clients/network/node-main.ts --dir DIR --node ID --rpc URL
 * It talks to nothing but the chain and its own store, and stops cleanly on SIGTERM/SIGINT.
 */
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { readAddressBook } from "../core/addressBook";
import { addressBookFile, readConfig } from "./config";
import { roleFor } from "./roles";
import { NodeStore } from "./store";

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`node-main: missing --${name}`);
  return v;
}

async function main(): Promise<void> {
  const dir = arg("dir");
  const id = arg("node");
  const rpc = arg("rpc");
  const pollMs = Number(process.env.COLEND_POLL_MS ?? "400");
  const config = readConfig(dir);
  if (!config) throw new Error(`no network in ${dir}`);
  const spec = config.nodes.find((n) => n.id === id);
  if (!spec) throw new Error(`no node ${id} in ${dir}`);
  const book = readAddressBook(addressBookFile(dir));
  const provider = new JsonRpcProvider(rpc, Number(book.chainId), {
    staticNetwork: true,
    pollingInterval: 250,
    // No response cache: two nonce reads in quick succession must both reach the node.
    cacheTimeout: -1,
  });
  const wallet = new Wallet(spec.privateKey, provider);
  const store = new NodeStore(path.join(dir, "nodes", `${id}.db`));
  const log = (line: string): void => {
    process.stdout.write(`${new Date().toISOString()} ${id}: ${line}\n`);
  };
  const role = roleFor({ config, spec, book, provider, wallet, store, log });
  log(`started as ${spec.name} (${wallet.address}); resuming after block ${store.getCursor()}`);

  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("disconnect", stop);
  let failures = 0;
  while (!stopping) {
    try {
      await role.tick();
      failures = 0;
    } catch (e) {
      failures++;
      // The chain may be restarting: back off and try again; the store keeps our place.
      log(`error (${failures}): ${(e as Error).message.split("\n")[0]}`);
    }
    await new Promise((r) => setTimeout(r, failures > 0 ? Math.min(5_000, pollMs * 2 ** failures) : pollMs));
  }
  log(`stopping; processed up to block ${store.getCursor()}`);
  store.close();
  provider.destroy();
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
