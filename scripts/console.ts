/**
 * `npm run console -- --node NAME [options]`: serves one node's web console on 127.0.0.1 and
 * prints a one-time login link. The node is one of a network's (`npm run network`): its key,
 * the address book and the chain come from the network directory.
 */
import path from "node:path";
import { JsonRpcProvider, Wallet, concat, keccak256, toUtf8Bytes } from "ethers";
import { EvidenceLedger__factory } from "../typechain-types";
import { ArbitratorNode } from "../clients/arbitration";
import { ArbitratorDesk, BankDesk, DirectoryInbox, networkDecisions } from "../clients/console/adapter";
import { startConsole } from "../clients/console/server";
import { readAddressBook } from "../clients/core/addressBook";
import { Role } from "../clients/core/types";
import { LeadBankNode, PartnerBankNode } from "../clients/lending";
import { addressBookFile, readConfig } from "../clients/network/config";
import { OptionSpec, UsageError, parseOptions, usage } from "../clients/sim/cli";
import { DocumentStore } from "../clients/store";

const SPECS: OptionSpec[] = [
  { name: "node", kind: "string", description: "the node: its id (lead, partner-1, arbitrator) or its name" },
  { name: "dir", kind: "string", description: "network directory", default: ".network" },
  { name: "rpc", kind: "string", description: "JSON-RPC URL of the chain (default: the network's own port)" },
  { name: "port", kind: "int", description: "port to serve on (default: a free port)", min: 0, max: 65_535 },
  {
    name: "host",
    kind: "string",
    description: "interface to listen on; anything but 127.0.0.1 exposes the console to others",
    default: "127.0.0.1",
  },
  {
    name: "inbox",
    kind: "string",
    description: "arbitrator: folder where disclosure packages arrive (default: DIR/inbox/ID)",
  },
];
const USAGE = usage("npm run console -- --node NAME", SPECS);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let o;
  try {
    const parsed = parseOptions(argv, SPECS);
    if (parsed.positional.length > 0) throw new UsageError(`unexpected argument "${parsed.positional[0]}"`);
    o = parsed.options;
    if (!o.node) throw new UsageError("--node is required");
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  const dir = path.resolve(String(o.dir));
  const config = readConfig(dir);
  if (!config) {
    console.error(`error: no network in ${dir}: start one with \`npm run network -- start\`, or pass --dir`);
    return 2;
  }
  const wanted = String(o.node);
  const spec = config.nodes.find((n) => n.id === wanted || n.name === wanted);
  if (!spec) {
    console.error(
      `error: no node "${wanted}" in ${dir}; nodes: ${config.nodes
        .filter((n) => n.role !== "borrower" && n.role !== Role.Regulator)
        .map((n) => n.id)
        .join(", ")}`,
    );
    return 2;
  }
  const book = readAddressBook(addressBookFile(dir));
  const rpc = o.rpc ? String(o.rpc) : `http://127.0.0.1:${config.port}`;
  const provider = new JsonRpcProvider(rpc, Number(book.chainId), { staticNetwork: true });
  try {
    await provider.getBlockNumber();
  } catch {
    console.error(`error: the chain at ${rpc} does not answer: is the network running?`);
    provider.destroy();
    return 1;
  }
  const wallet = new Wallet(spec.privateKey, provider);
  const dataDir = path.join(dir, "console", spec.id);
  let desk;
  if (spec.role === Role.Arbitrator) {
    // In network mode a member's encryption key is its account key (clients/network/supervisor.ts).
    // The store's secret is derived from the node's key, never the key itself.
    const secret = keccak256(concat([toUtf8Bytes("colend.console.store."), spec.privateKey]));
    const store = DocumentStore.open(path.join(dataDir, "documents.db"), secret);
    const node = new ArbitratorNode(spec.name, wallet, book, store, spec.privateKey);
    await node.checkEncryptionKey();
    const inbox = o.inbox ? path.resolve(String(o.inbox)) : path.join(dir, "inbox", spec.id);
    desk = new ArbitratorDesk(node, spec.privateKey, new DirectoryInbox(inbox), dataDir);
    console.log(`disclosure packages for ${spec.name} are read from ${inbox}`);
  } else if (spec.role === Role.LeadBank || spec.role === Role.PartnerBank) {
    const node =
      spec.role === Role.LeadBank
        ? new LeadBankNode(spec.name, wallet, book)
        : new PartnerBankNode(spec.name, wallet, book);
    const ledger = EvidenceLedger__factory.connect(book.ledger, provider);
    desk = new BankDesk(node, networkDecisions(path.join(dir, "nodes", `${spec.id}.db`), ledger));
  } else {
    console.error(`error: ${spec.id} is a ${spec.role === "borrower" ? "borrower" : "regulator"}: it has no console`);
    return 2;
  }
  const running = await startConsole({
    desk,
    host: String(o.host),
    port: o.port as number | undefined,
    log: (line) => console.log(`${new Date().toISOString()} console: ${line}`),
  });
  if (String(o.host) !== "127.0.0.1") {
    console.log(`warning: listening on ${String(o.host)}: anyone who can reach it and has the link can sign in`);
  }
  console.log(`console of ${spec.name} (${wallet.address}) on ${running.url}`);
  console.log(`open this one-time login link (it works once):\n\n  ${running.loginUrl}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await running.close();
  provider.destroy();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
