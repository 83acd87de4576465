/**
 * `npm run deploy -- [--network NAME] [--members FILE] [--out FILE]`: deploys the consortium with
 * `deployColend` and writes the address book every client reads, and beside it `consortium.json`,
 * the trust anchor for `npx colend verify --trust` (chain id, ledger, founders, genesis modules).
 */
import fs from "node:fs";
import path from "node:path";
import { OptionSpec, ParsedOptions, UsageError, parseOptions, usage } from "../clients/sim/cli";

const SPECS: OptionSpec[] = [
  {
    name: "network",
    kind: "string",
    description: "a network of hardhat.config.ts (hardhat, anvil, besu)",
    default: "hardhat",
  },
  {
    name: "members",
    kind: "string",
    description: "JSON file of founding members (default: a dev consortium from --seed)",
  },
  { name: "partners", kind: "int", description: "dev consortium: partner banks", default: 6, min: 2, max: 60 },
  { name: "seed", kind: "string", description: "dev consortium: seed of the member keys", default: "colend" },
  { name: "out", kind: "string", description: "address book file (default out/<network>/addresses.json)" },
];
const USAGE = usage("npm run deploy --", SPECS);
const ROLES: Record<string, number> = { lead: 1, partner: 2, arbitrator: 3, regulator: 4 };

interface MemberFileEntry {
  name: string;
  role: keyof typeof ROLES;
  address: string;
  encryptionKey: string;
}

function readMembers(file: string): MemberFileEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`--members ${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new UsageError(`--members ${file}: expected a non-empty array`);
  parsed.forEach((m: Partial<MemberFileEntry>, i) => {
    if (typeof m.name !== "string" || m.name.length === 0) throw new UsageError(`--members: entry ${i} has no name`);
    if (!m.role || !(m.role in ROLES))
      throw new UsageError(`--members: entry ${i} role must be one of ${Object.keys(ROLES).join(", ")}`);
    if (typeof m.address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(m.address)) {
      throw new UsageError(`--members: entry ${i} address is not an address`);
    }
    if (typeof m.encryptionKey !== "string" || !/^0x0[23][0-9a-fA-F]{64}$/.test(m.encryptionKey)) {
      throw new UsageError(
        `--members: entry ${i} encryptionKey must be a 33-byte compressed secp256k1 key (0x02…/0x03…)`,
      );
    }
  });
  return parsed as MemberFileEntry[];
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let options: ParsedOptions;
  let members: MemberFileEntry[] | undefined;
  try {
    options = parseOptions(argv, SPECS).options;
    if (options.members) members = readMembers(String(options.members));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  const networkName = String(options.network);
  process.env.HARDHAT_NETWORK = networkName;
  const hre = await import("hardhat");
  if (!(networkName in hre.config.networks)) {
    console.error(`error: --network ${networkName} is not in hardhat.config.ts`);
    return 2;
  }
  const { VoidSigner } = await import("ethers");
  const { deployColend } = await import("../clients/deploy");
  const { writeAddressBook } = await import("../clients/core/addressBook");
  const { consortiumMembers } = await import("../clients/sim/consortium");
  const { ROLE_NAMES } = await import("../clients/core/types");
  const provider = hre.ethers.provider;
  const signers = await hre.ethers.getSigners();
  if (signers.length === 0) {
    console.error(`error: network ${networkName} has no deployer account (for besu set BESU_PRIVATE_KEYS)`);
    return 2;
  }
  const deployer = signers[0];
  const founders = members
    ? members.map((m) => ({
        name: m.name,
        role: ROLES[m.role],
        signer: new VoidSigner(m.address, provider),
        encryptionKey: m.encryptionKey,
      }))
    : consortiumMembers(String(options.seed), Number(options.partners), provider).map((m) => ({
        name: m.name,
        role: m.role,
        signer: m.wallet,
        encryptionKey: m.wallet.signingKey.compressedPublicKey,
      }));
  if (!members)
    console.log(
      `dev consortium: member keys derived from seed "${String(options.seed)}" (never use on a real network)`,
    );
  const { book } = await deployColend(deployer, founders);
  const out = path.resolve(String(options.out ?? path.join("out", networkName, "addresses.json")));
  writeAddressBook(out, book);
  console.log(
    `deployed on ${networkName} (chain ${book.chainId}) by ${await deployer.getAddress()} in block ${book.deployBlock}`,
  );
  console.log(`  ledger ${book.ledger}`);
  for (const key of ["token", "registry", "loanBook", "loanUse", "court", "cycleSettlement"] as const) {
    if (book[key]) console.log(`  ${key} ${book[key]}`);
  }
  for (const m of book.members) console.log(`  ${ROLE_NAMES[m.role].padEnd(12)} ${m.address}  ${m.name}`);
  console.log(`address book: ${path.relative(process.cwd(), out)}`);
  // The trust anchor of offline verification: publish it to the arbitration commission.
  const { consortiumAnchorFromChain, writeConsortiumFile } = await import("../clients/evidence/consortium");
  const consortiumFile = path.join(path.dirname(out), "consortium.json");
  writeConsortiumFile(consortiumFile, await consortiumAnchorFromChain(provider, book));
  console.log(
    `consortium file: ${path.relative(process.cwd(), consortiumFile)} (publish it: \`npx colend verify --trust\` checks bundles against it)`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
