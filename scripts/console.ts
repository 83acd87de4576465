/**
 * `npm run console -- --node NAME [options]`: serves one node's web console on 127.0.0.1 and
 * prints a one-time login link. The node is one of a network's (`npm run network`): its key,
 * the address book and the chain come from the network directory.
 */
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { ConsoleSetupError, consoleNode, openNodeConsole } from "../clients/console/launch";
import { readAddressBook } from "../clients/core/addressBook";
import { addressBookFile, readConfig } from "../clients/network/config";
import { OptionSpec, UsageError, parseOptions, usage } from "../clients/sim/cli";

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
  let spec;
  try {
    spec = consoleNode(config, dir, String(o.node));
  } catch (e) {
    if (!(e instanceof ConsoleSetupError)) throw e;
    console.error(`error: ${e.message}`);
    return 2;
  }
  const book = readAddressBook(addressBookFile(dir));
  const rpc = o.rpc ? String(o.rpc) : `http://127.0.0.1:${config.port}`;
  const probe = new JsonRpcProvider(rpc, Number(book.chainId), { staticNetwork: true });
  try {
    await probe.getBlockNumber();
  } catch {
    console.error(`error: the chain at ${rpc} does not answer: is the network running?`);
    return 1;
  } finally {
    probe.destroy();
  }
  const running = await openNodeConsole({
    dir,
    spec,
    rpc,
    host: String(o.host),
    port: o.port as number | undefined,
    log: (line) => console.log(`${new Date().toISOString()} console: ${line}`),
  });
  if (String(o.host) !== "127.0.0.1") {
    console.log(`warning: listening on ${String(o.host)}: anyone who can reach it and has the link can sign in`);
  }
  console.log(`console of ${spec.name} (${running.address}) on ${running.url}`);
  console.log(`open this one-time login link (it works once):\n\n  ${running.loginUrl}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await running.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
