/**
 * `npm run console -- --node NAME [options]`: serves one node's web console on 127.0.0.1 and
 * prints a one-time login link. The node is one of a network's (`npm run network`): its key,
 * the address book and the chain come from the network directory.
 */
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { ArbitratorNode } from "../clients/arbitration";
import { ArbitratorDesk, BankDesk, DirectoryInbox, storedDecisions } from "../clients/console/adapter";
import { startConsole } from "../clients/console/server";
import { readAddressBook } from "../clients/core/addressBook";
import { LeadBankNode, PartnerBankNode } from "../clients/lending";
import { addressBookFile, memberRole, nodeDir, readConfig } from "../clients/network/config";
import { loadOrCreateSecrets, secretsFile } from "../clients/network/secrets";
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
    description: "arbitrator: folder where disclosure packages arrive (default: DIR/nodes/ID/inbox)",
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
  const members = config.nodes.filter((n) => memberRole(n.kind) !== undefined);
  if (!spec || memberRole(spec.kind) === undefined) {
    console.error(
      `error: ${spec ? `${spec.id} is not a member node: it has no console` : `no node "${wanted}" in ${dir}`}; ` +
        `nodes: ${members.map((n) => n.id).join(", ")}`,
    );
    return 2;
  }
  const own = nodeDir(dir, spec.id);
  if (!fs.existsSync(secretsFile(own))) {
    console.error(`error: ${spec.id} has no secrets in ${own}: start the network once first`);
    return 2;
  }
  // The node's own key and store secret (mode 0600; never sent to the browser).
  const { secrets } = loadOrCreateSecrets(own);
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
  const wallet = new Wallet(secrets.privateKey, provider);
  // The node's encrypted store, shared with its running process (the store takes two processes).
  const store = DocumentStore.open(path.join(own, "store.db"), secrets.storeSecret);
  let desk;
  if (spec.kind === "arbitrator") {
    // In network mode a member's encryption key is its account key (clients/network/node-main.ts).
    const node = new ArbitratorNode(spec.name, wallet, book, store, secrets.privateKey);
    await node.checkEncryptionKey();
    const inbox = o.inbox ? path.resolve(String(o.inbox)) : path.join(own, "inbox");
    desk = new ArbitratorDesk(node, secrets.privateKey, new DirectoryInbox(inbox), path.join(own, "console"));
    console.log(`disclosure packages for ${spec.name} are read from ${inbox}`);
  } else {
    const node =
      spec.kind === "lead" ? new LeadBankNode(spec.name, wallet, book) : new PartnerBankNode(spec.name, wallet, book);
    desk = new BankDesk(node, storedDecisions(store));
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
  store.close();
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
