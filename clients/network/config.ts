import fs from "node:fs";
import path from "node:path";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { Role } from "../core/types";
import { ARBITRATOR_NAME, LEAD_NAME, REGULATOR_NAME, partnerName } from "../sim/consortium";
import { Applicant, makeApplicant, pseudonymOf } from "../sim/model";
import { Rng } from "../sim/rng";

/** One node of the network: which process runs it, with which key. */
export interface NodeSpec {
  /** Process name, also its store's file name: "lead", "partner-1", "arbitrator", "borrower-1". */
  id: string;
  name: string;
  role: Role | "borrower";
  privateKey: string;
}

/** A borrower the lead bank serves in network mode (identity stays off chain). */
export interface BorrowerSpec {
  id: string;
  applicant: Applicant;
  pseudonym: string;
  loanId: number;
}

/** Everything a network is made of; written once to `<dir>/network.json` at the first start. */
export interface NetworkConfig {
  version: 1;
  seed: string;
  port: number;
  blockTime: number;
  confirmations: number;
  nodes: NodeSpec[];
  borrowers: BorrowerSpec[];
  /** Consortium secret for pseudonyms (kept by the members, never on chain). */
  secret: string;
}

export function configFile(dir: string): string {
  return path.join(dir, "network.json");
}

export function addressBookFile(dir: string): string {
  return path.join(dir, "addresses.json");
}

/** A new network's configuration: keys derived from the seed, borrowers the lead will serve. */
export function newConfig(o: {
  seed: string;
  port: number;
  blockTime: number;
  partners: number;
  borrowers: number;
  confirmations: number;
}): NetworkConfig {
  const key = (label: string): string => keccak256(toUtf8Bytes(`colend.network.${o.seed}.${label}`));
  const nodes: NodeSpec[] = [{ id: "lead", name: LEAD_NAME, role: Role.LeadBank, privateKey: key("lead") }];
  for (let i = 0; i < o.partners; i++) {
    nodes.push({
      id: `partner-${i + 1}`,
      name: partnerName(i),
      role: Role.PartnerBank,
      privateKey: key(`partner.${i}`),
    });
  }
  nodes.push({ id: "arbitrator", name: ARBITRATOR_NAME, role: Role.Arbitrator, privateKey: key("arbitrator") });
  nodes.push({ id: "regulator", name: REGULATOR_NAME, role: Role.Regulator, privateKey: key("regulator") });
  const secret = key("consortium-secret");
  const rng = new Rng(`network.${o.seed}`);
  const borrowers: BorrowerSpec[] = [];
  for (let i = 0; borrowers.length < o.borrowers; i++) {
    const a = makeApplicant(rng, i);
    // Network borrowers are ones the lead will admit, with a good score.
    a.score = Math.max(a.score, 700);
    a.outsideLenders = Math.min(a.outsideLenders, 1);
    a.outsideExposureCny = a.outsideLenders === 0 ? 0 : Math.min(a.outsideExposureCny, 5_000);
    const id = `borrower-${borrowers.length + 1}`;
    borrowers.push({ id, applicant: a, pseudonym: pseudonymOf(secret, a.identity), loanId: borrowers.length + 1 });
    nodes.push({ id, name: `Borrower ${borrowers.length}`, role: "borrower", privateKey: key(id) });
  }
  return {
    version: 1,
    seed: o.seed,
    port: o.port,
    blockTime: o.blockTime,
    confirmations: o.confirmations,
    nodes,
    borrowers,
    secret,
  };
}

export function readConfig(dir: string): NetworkConfig | undefined {
  const file = configFile(dir);
  if (!fs.existsSync(file)) return undefined;
  const c = JSON.parse(fs.readFileSync(file, "utf8")) as NetworkConfig;
  if (c.version !== 1) throw new Error(`${file}: unsupported version ${String(c.version)}`);
  return c;
}

export function writeConfig(dir: string, c: NetworkConfig): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(configFile(dir), JSON.stringify(c, null, 2) + "\n", { mode: 0o600 });
}

export function walletOf(spec: NodeSpec): Wallet {
  return new Wallet(spec.privateKey);
}
