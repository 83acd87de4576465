import fs from "node:fs";
import path from "node:path";
import { isAddress } from "ethers";
import { Role } from "./types";

/** One member as deployed. */
export interface MemberEntry {
  name: string;
  role: Role;
  address: string;
}

/**
 * Where everything is deployed: the one JSON file every client reads.
 * Contracts a deployment does not have are omitted.
 */
export interface AddressBook {
  /** Format version of this file. */
  version: 1;
  /** Chain id as a decimal string. */
  chainId: string;
  /** Block of the ledger's deployment: event scans start here. */
  deployBlock: number;
  ledger: string;
  token?: string;
  registry?: string;
  loanBook?: string;
  loanUse?: string;
  court?: string;
  /** The batched cycle's net settlement (`CycleSettlement`). */
  cycleSettlement?: string;
  members: MemberEntry[];
}

const CONTRACT_KEYS = ["ledger", "token", "registry", "loanBook", "loanUse", "court", "cycleSettlement"] as const;

/** Checks a parsed address book and says exactly what is wrong. */
export function parseAddressBook(value: unknown, source = "address book"): AddressBook {
  if (typeof value !== "object" || value === null) throw new Error(`${source}: not a JSON object`);
  const v = value as Record<string, unknown>;
  if (v.version !== 1) throw new Error(`${source}: unsupported version ${String(v.version)} (expected 1)`);
  if (typeof v.chainId !== "string" || !/^[0-9]+$/.test(v.chainId)) {
    throw new Error(`${source}: chainId must be a decimal string`);
  }
  if (typeof v.deployBlock !== "number" || !Number.isInteger(v.deployBlock) || v.deployBlock < 0) {
    throw new Error(`${source}: deployBlock must be a non-negative integer`);
  }
  for (const key of CONTRACT_KEYS) {
    const a = v[key];
    if (a === undefined && key !== "ledger") continue;
    if (typeof a !== "string" || !isAddress(a)) throw new Error(`${source}: ${key} is not an address: ${String(a)}`);
  }
  if (!Array.isArray(v.members)) throw new Error(`${source}: members must be an array`);
  v.members.forEach((m: unknown, i: number) => {
    const e = m as Partial<MemberEntry>;
    if (typeof e?.name !== "string" || typeof e.role !== "number" || !isAddress(e.address ?? "")) {
      throw new Error(`${source}: members[${i}] needs name, role and address`);
    }
  });
  return v as unknown as AddressBook;
}

export function readAddressBook(file: string): AddressBook {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new Error(`address book ${file} not found: deploy first (npm run deploy)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`address book ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseAddressBook(json, file);
}

export function writeAddressBook(file: string, book: AddressBook): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(book, null, 2) + "\n");
  fs.renameSync(tmp, file);
}
