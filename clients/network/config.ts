import fs from "node:fs";
import path from "node:path";
import { isAddress } from "ethers";
import { Role } from "../core/types";
import { ARBITRATOR_NAME, LEAD_NAME, partnerName } from "../sim/consortium";
import type { ScenarioSize } from "../sim/plan";
import type { CaseStudyOptions } from "../sim/caseStudies";

/** What a node process is. */
export type NodeKind = "lead" | "partner" | "arbitrator" | "borrowers";

/** One node process of the network, as everybody may know it (no secrets). */
export interface NodeSpec {
  /** Process name, also its directory under `nodes/`: "lead", "partner-1", "arbitrator", "borrowers". */
  id: string;
  kind: NodeKind;
  name: string;
  /** Loopback port of the node's endpoint (endorsements, applications, disclosures, status). */
  port: number;
  /** Member account (filled in at the first start, from the node's own key). */
  address?: string;
  /** Compressed secp256k1 key documents are disclosed to (members only). */
  encryptionKey?: string;
}

/**
 * `<dir>/network.json`: public data only. Keys and store secrets stay in each node's own
 * `nodes/<id>/secrets.json` (mode 0600); borrower identities in the borrowers process's file.
 */
export interface NetworkConfig {
  version: 2;
  scenario: ScenarioSize & CaseStudyOptions;
  port: number;
  blockTime: number;
  nodes: NodeSpec[];
  /** Chain time at which the scenario starts (set once the consortium is set up). */
  t0?: number;
}

export function configFile(dir: string): string {
  return path.join(dir, "network.json");
}

export function addressBookFile(dir: string): string {
  return path.join(dir, "addresses.json");
}

export function nodeDir(dir: string, id: string): string {
  return path.join(dir, "nodes", id);
}

export function memberRole(kind: NodeKind): Role | undefined {
  return kind === "lead"
    ? Role.LeadBank
    : kind === "partner"
      ? Role.PartnerBank
      : kind === "arbitrator"
        ? Role.Arbitrator
        : undefined;
}

/** A new network's layout: the lead, `partners` partner banks, the arbitrator, the borrowers process. */
export function newConfig(o: {
  scenario: ScenarioSize & CaseStudyOptions;
  port: number;
  blockTime: number;
  nodePorts: number[];
}): NetworkConfig {
  const specs: Omit<NodeSpec, "port">[] = [{ id: "lead", kind: "lead", name: LEAD_NAME }];
  for (let i = 0; i < o.scenario.partners; i++)
    specs.push({ id: `partner-${i + 1}`, kind: "partner", name: partnerName(i) });
  specs.push({ id: "arbitrator", kind: "arbitrator", name: ARBITRATOR_NAME });
  specs.push({ id: "borrowers", kind: "borrowers", name: "Borrowers" });
  if (o.nodePorts.length < specs.length) throw new Error(`need ${specs.length} node ports, got ${o.nodePorts.length}`);
  return {
    version: 2,
    scenario: o.scenario,
    port: o.port,
    blockTime: o.blockTime,
    nodes: specs.map((s, i) => ({ ...s, port: o.nodePorts[i] })),
  };
}

/** Reads `<dir>/network.json`, checking it; undefined if there is no network in `dir`. */
export function readConfig(dir: string): NetworkConfig | undefined {
  const file = configFile(dir);
  if (!fs.existsSync(file)) return undefined;
  let c: NetworkConfig;
  try {
    c = JSON.parse(fs.readFileSync(file, "utf8")) as NetworkConfig;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (c.version !== 2)
    throw new Error(`${file}: unsupported version ${String(c.version)} (expected 2; run \`npm run network -- reset\`)`);
  if (!Array.isArray(c.nodes) || c.nodes.length === 0) throw new Error(`${file}: no nodes`);
  for (const n of c.nodes) {
    if (!Number.isInteger(n.port) || n.port < 1 || n.port > 65_535)
      throw new Error(`${file}: node ${n.id} has no valid port`);
    if (n.address !== undefined && !isAddress(n.address)) throw new Error(`${file}: node ${n.id} has a bad address`);
  }
  return c;
}

export function writeConfig(dir: string, c: NetworkConfig): void {
  fs.mkdirSync(dir, { recursive: true });
  const tmp = configFile(dir) + ".tmp";
  fs.writeFileSync(tmp, JSON.stringify(c, null, 2) + "\n", { mode: 0o644 });
  fs.renameSync(tmp, configFile(dir));
}
