import { AbiCoder, Wallet, keccak256 } from "ethers";
import type { Provider } from "ethers";
import { Role } from "../core/types";

const coder = AbiCoder.defaultAbiCoder();

/** Names of the simulated institutions (fictional). */
export const LEAD_NAME = "W Bank (lead)";
const PARTNER_NAMES = [
  "Pearl River Rural Bank",
  "Harbour City Commercial Bank",
  "Lotus Savings Bank",
  "North Gate Bank",
  "Jade Mountain Bank",
  "Silk Road City Bank",
  "East Lake Rural Bank",
  "Twin Rivers Bank",
  "Golden Bay Bank",
  "Red Cliff Bank",
];
export const ARBITRATOR_NAME = "Guangzhou Arbitration Commission";
export const REGULATOR_NAME = "Regulator (observer)";

export function partnerName(i: number): string {
  return i < PARTNER_NAMES.length ? PARTNER_NAMES[i] : `Partner Bank ${i + 1}`;
}

/** A deterministic wallet for a run: the same seed gives the same accounts. */
export function seededWallet(seed: string, label: string, provider: Provider): Wallet {
  return new Wallet(keccak256(coder.encode(["string", "string"], [`colend.sim.${seed}`, label])), provider);
}

/** One founding member of the simulated consortium. */
export interface SimMember {
  name: string;
  role: Role;
  wallet: Wallet;
}

export function consortiumMembers(seed: string, partners: number, provider: Provider): SimMember[] {
  const out: SimMember[] = [{ name: LEAD_NAME, role: Role.LeadBank, wallet: seededWallet(seed, "lead", provider) }];
  for (let i = 0; i < partners; i++) {
    out.push({ name: partnerName(i), role: Role.PartnerBank, wallet: seededWallet(seed, `partner.${i}`, provider) });
  }
  out.push({ name: ARBITRATOR_NAME, role: Role.Arbitrator, wallet: seededWallet(seed, "arbitrator", provider) });
  out.push({ name: REGULATOR_NAME, role: Role.Regulator, wallet: seededWallet(seed, "regulator", provider) });
  return out;
}
