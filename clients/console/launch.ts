/**
 * The console of one node of a network (`npm run network`): its key, store secret, address book
 * and chain come from the network directory. Used by `npm run console -- --node NAME` and by the
 * network supervisor, which serves one console per member node.
 */
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { ArbitratorNode } from "../arbitration";
import { readAddressBook } from "../core/addressBook";
import { LeadBankNode, PartnerBankNode } from "../lending";
import { NetworkConfig, NodeSpec, addressBookFile, memberRole, nodeDir } from "../network/config";
import { loadOrCreateSecrets, secretsFile } from "../network/secrets";
import { DocumentStore } from "../store";
import { ArbitratorDesk, BankDesk, NodeInbox, storedDecisions } from "./adapter";
import { startConsole } from "./server";

/** A node's console, serving. */
export interface NodeConsole {
  spec: NodeSpec;
  address: string;
  url: string;
  /** The one-time login link (it works once). */
  loginUrl: string;
  close(): Promise<void>;
}

/** What cannot be served: the node is unknown, not a member, or has no secrets yet. */
export class ConsoleSetupError extends Error {}

/** The member node `wanted` (its id or name) of `config`; throws `ConsoleSetupError` naming the choices. */
export function consoleNode(config: NetworkConfig, dir: string, wanted: string): NodeSpec {
  const spec = config.nodes.find((n) => n.id === wanted || n.name === wanted);
  const members = config.nodes.filter((n) => memberRole(n.kind) !== undefined);
  if (!spec || memberRole(spec.kind) === undefined) {
    throw new ConsoleSetupError(
      `${spec ? `${spec.id} is not a member node: it has no console` : `no node "${wanted}" in ${dir}`}; ` +
        `nodes: ${members.map((n) => n.id).join(", ")}`,
    );
  }
  if (!fs.existsSync(secretsFile(nodeDir(dir, spec.id)))) {
    throw new ConsoleSetupError(`${spec.id} has no secrets in ${nodeDir(dir, spec.id)}: start the network once first`);
  }
  return spec;
}

/**
 * Serves the console of member node `spec` beside its running process: the node's own key and
 * store (shared with the process; never sent to the browser), the arbitrator's disclosures as its
 * process received them, a bank's review decisions as its process keeps them.
 */
export async function openNodeConsole(o: {
  dir: string;
  spec: NodeSpec;
  rpc: string;
  host?: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<NodeConsole> {
  const own = nodeDir(o.dir, o.spec.id);
  const { secrets } = loadOrCreateSecrets(own);
  const book = readAddressBook(addressBookFile(o.dir));
  const provider = new JsonRpcProvider(o.rpc, Number(book.chainId), { staticNetwork: true });
  const wallet = new Wallet(secrets.privateKey, provider);
  const store = DocumentStore.open(path.join(own, "store.db"), secrets.storeSecret);
  try {
    let desk;
    if (o.spec.kind === "arbitrator") {
      // In network mode a member's encryption key is its account key (clients/network/node-main.ts).
      const node = new ArbitratorNode(o.spec.name, wallet, book, store, secrets.privateKey);
      await node.checkEncryptionKey();
      desk = new ArbitratorDesk(node, secrets.privateKey, new NodeInbox(store), path.join(own, "console"));
    } else {
      const node =
        o.spec.kind === "lead"
          ? new LeadBankNode(o.spec.name, wallet, book)
          : new PartnerBankNode(o.spec.name, wallet, book);
      desk = new BankDesk(node, storedDecisions(store));
    }
    const running = await startConsole({ desk, host: o.host, port: o.port, log: o.log });
    return {
      spec: o.spec,
      address: wallet.address,
      url: running.url,
      loginUrl: running.loginUrl,
      async close() {
        await running.close();
        store.close();
        provider.destroy();
      },
    };
  } catch (e) {
    store.close();
    provider.destroy();
    throw e;
  }
}
