import fs from "node:fs";
import path from "node:path";
import { getAddress } from "ethers";
import type { Log, Provider } from "ethers";
import { TOPIC, ledgerInterface } from "./abi";
import { ROLE_NAMES, Role } from "../core/types";
import { BundleReadError, oneLine, readBoundedFile } from "./bundle";

/**
 * The trust anchor of offline verification: the consortium file written when the consortium is
 * formed (`npm run deploy` writes it beside the address book) and published to whoever must later
 * judge its evidence, an arbitration commission above all. It names the chain, the ledger and the
 * founding members; `npx colend verify bundle.json --trust consortium.json` then proves every later
 * membership change from what the members signed instead of taking the bundle's word for it.
 */

export const CONSORTIUM_FORMAT = "colend-consortium";
export const CONSORTIUM_VERSION = 1;
/** A consortium file is small: the founders of a consortium. */
export const CONSORTIUM_MAX_BYTES = 1024 * 1024;
const MAX_FOUNDERS = 256;

export interface ConsortiumMember {
  account: string; // EIP-55 address
  role: { id: number; name: string };
  name: string; // the institution
  encryptionKey: string; // 33-byte compressed secp256k1 key registered for disclosures
}

export interface ConsortiumAnchor {
  format: typeof CONSORTIUM_FORMAT;
  version: typeof CONSORTIUM_VERSION;
  chainId: string; // decimal
  ledger: string; // EIP-55 address of the EvidenceLedger
  deployBlock: number; // block of the ledger's deployment
  founders: ConsortiumMember[]; // in the ledger's admission order
  modules: string[]; // modules enabled at genesis (loan book, court...), before the genesis was sealed
}

/** The anchor of a freshly deployed consortium. */
export function consortiumAnchor(
  at: { chainId: string | bigint; ledger: string; deployBlock: number },
  founders: readonly { account: string; role: number; name: string; encryptionKey: string }[],
  modules: readonly string[] = [],
): ConsortiumAnchor {
  return {
    format: CONSORTIUM_FORMAT,
    version: CONSORTIUM_VERSION,
    chainId: at.chainId.toString(),
    ledger: getAddress(at.ledger),
    deployBlock: at.deployBlock,
    founders: founders.map((f) => ({
      account: getAddress(f.account),
      role: { id: f.role, name: ROLE_NAMES[f.role as Role] ?? `role ${f.role}` },
      name: f.name,
      encryptionKey: f.encryptionKey.toLowerCase(),
    })),
    modules: modules.map((m) => getAddress(m)),
  };
}

/**
 * The anchor of a consortium as its chain holds it at formation: the founders admitted in the
 * ledger's deployment and the modules enabled before the genesis was sealed. Run by whoever forms
 * the consortium (`npm run deploy`), who then publishes the file.
 */
export async function consortiumAnchorFromChain(
  provider: Provider,
  at: { chainId: string; ledger: string; deployBlock: number },
): Promise<ConsortiumAnchor> {
  const ledger = getAddress(at.ledger);
  const range = { address: ledger, fromBlock: at.deployBlock };
  const byPos = (a: Log, b: Log): number => a.blockNumber - b.blockNumber || a.index - b.index;
  const admitted = (await provider.getLogs({ ...range, toBlock: at.deployBlock, topics: [TOPIC.MemberAdmitted] })).sort(
    byPos,
  );
  if (admitted.length === 0) throw new Error(`no founder was admitted at block ${at.deployBlock} by ledger ${ledger}`);
  const deployTx = admitted[0].transactionHash;
  const founders = admitted
    .filter((l) => l.transactionHash === deployTx)
    .map((l) => {
      const e = ledgerInterface.parseLog(l)!;
      return {
        account: e.args.account as string,
        role: Number(e.args.role),
        name: e.args.name as string,
        encryptionKey: e.args.encryptionKey as string,
      };
    });
  const sealed = (await provider.getLogs({ ...range, topics: [TOPIC.GenesisSealed] })).sort(byPos)[0];
  const enabled = new Map<string, boolean>();
  if (sealed) {
    const moduleLogs = await provider.getLogs({ ...range, toBlock: sealed.blockNumber, topics: [TOPIC.ModuleSet] });
    for (const l of moduleLogs.sort(byPos)) {
      if (l.blockNumber === sealed.blockNumber && l.index > sealed.index) continue;
      const e = ledgerInterface.parseLog(l)!;
      enabled.set(getAddress(e.args.module as string), e.args.enabled as boolean);
    }
  }
  return consortiumAnchor(
    at,
    founders,
    [...enabled].filter(([, on]) => on).map(([m]) => m),
  );
}

export function serializeConsortium(anchor: ConsortiumAnchor): string {
  return JSON.stringify(anchor, null, 2) + "\n";
}

/** Writes the consortium file (creating its folder). */
export function writeConsortiumFile(file: string, anchor: ConsortiumAnchor): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, serializeConsortium(anchor));
}

/** Reads and checks a consortium file; every problem is a one-line `BundleReadError`. */
export function readConsortiumFile(file: string): ConsortiumAnchor {
  const bytes = readBoundedFile(file, CONSORTIUM_MAX_BYTES, "consortium file");
  return parseConsortium(bytes.toString("utf8"), file);
}

export function parseConsortium(text: string, source = "consortium file"): ConsortiumAnchor {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new BundleReadError(`${source} is not valid JSON: ${oneLine((e as Error).message, 120)}`);
  }
  const bad = (what: string): never => {
    throw new BundleReadError(`${source}: ${what}`);
  };
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad("not a JSON object");
  const o = v as Record<string, unknown>;
  if (o.format !== CONSORTIUM_FORMAT) bad(`format is not "${CONSORTIUM_FORMAT}"`);
  if (o.version !== CONSORTIUM_VERSION) bad(`unsupported version (this verifier reads ${CONSORTIUM_VERSION})`);
  if (typeof o.chainId !== "string" || !/^[1-9][0-9]{0,77}$/.test(o.chainId)) bad("chainId is not a decimal string");
  const address = (x: unknown, where: string): string => {
    if (typeof x !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(x)) bad(`${where} is not an address`);
    return getAddress(x as string);
  };
  const ledger = address(o.ledger, "ledger");
  if (typeof o.deployBlock !== "number" || !Number.isSafeInteger(o.deployBlock) || o.deployBlock < 0)
    bad("deployBlock is not a block number");
  if (!Array.isArray(o.founders) || o.founders.length === 0 || o.founders.length > MAX_FOUNDERS)
    bad(`founders must list 1 to ${MAX_FOUNDERS} members`);
  const seen = new Set<string>();
  const founders = (o.founders as unknown[]).map((f, i): ConsortiumMember => {
    const where = `founders[${i}]`;
    if (typeof f !== "object" || f === null) bad(`${where} is not an object`);
    const m = f as Record<string, unknown>;
    const account = address(m.account, `${where}.account`);
    if (seen.has(account)) bad(`${where}: ${account} is listed twice`);
    seen.add(account);
    const role = m.role as { id?: unknown; name?: unknown } | undefined;
    if (!role || typeof role.id !== "number" || !(role.id in ROLE_NAMES) || role.id === Role.None)
      bad(`${where}.role.id is not a role (1 lead bank, 2 partner bank, 3 arbitrator, 4 regulator)`);
    if (typeof m.name !== "string" || m.name.length === 0 || m.name.length > 256)
      bad(`${where}.name must be 1 to 256 characters`);
    if (typeof m.encryptionKey !== "string" || !/^0x0[23][0-9a-fA-F]{64}$/.test(m.encryptionKey))
      bad(`${where}.encryptionKey is not a 33-byte compressed secp256k1 key`);
    const id = role!.id as number;
    return {
      account,
      role: { id, name: ROLE_NAMES[id as Role] },
      name: m.name as string,
      encryptionKey: (m.encryptionKey as string).toLowerCase(),
    };
  });
  const modules = o.modules === undefined ? [] : o.modules;
  if (!Array.isArray(modules) || modules.length > MAX_FOUNDERS) bad(`modules must be a list of addresses`);
  const moduleList = (modules as unknown[]).map((m, i) => address(m, `modules[${i}]`));
  if (!founders.some((f) => f.role.id === Role.LeadBank || f.role.id === Role.PartnerBank))
    bad("no founder is a bank: nobody could endorse a record");
  return {
    format: CONSORTIUM_FORMAT,
    version: CONSORTIUM_VERSION,
    chainId: o.chainId as string,
    ledger,
    deployBlock: o.deployBlock as number,
    founders,
    modules: moduleList,
  };
}
