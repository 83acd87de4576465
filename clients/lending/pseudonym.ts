import { createHmac } from "node:crypto";
import { getBytes, hexlify, isHexString, keccak256, toUtf8Bytes } from "ethers";

/**
 * Borrower pseudonyms. The chain only ever sees HMAC-SHA256(consortium secret, identity number):
 * without the secret, a pseudonym cannot be linked to a person, not even by hashing every
 * possible identity number (an unkeyed hash of an 18-digit number would fall to that).
 */

/** The consortium secret: at least 32 bytes, held by the member banks, never on chain. */
export type ConsortiumSecret = Uint8Array | string;

function secretBytes(secret: ConsortiumSecret): Uint8Array {
  const bytes = typeof secret === "string" ? (isHexString(secret) ? getBytes(secret) : toUtf8Bytes(secret)) : secret;
  if (bytes.length < 32) throw new Error(`consortium secret must be at least 32 bytes, got ${bytes.length}`);
  return bytes;
}

/** Canonical form of an identity number: trimmed, inner spaces removed, letters upper-case. */
export function normalizeIdentity(idNumber: string): string {
  const id = idNumber.replace(/\s+/g, "").toUpperCase();
  if (id.length === 0) throw new Error("identity number is empty");
  return id;
}

/** The borrower's pseudonym: HMAC-SHA256(secret, normalized identity number), as bytes32. */
export function pseudonymOf(secret: ConsortiumSecret, idNumber: string): string {
  const mac = createHmac("sha256", secretBytes(secret)).update(normalizeIdentity(idNumber), "utf8").digest();
  return hexlify(mac);
}

/** Identifier of an institution outside the consortium (a public name, not personal data). */
export function institutionId(name: string): string {
  const n = name.trim();
  if (n.length === 0) throw new Error("institution name is empty");
  return keccak256(toUtf8Bytes(`colend.institution.${n}`));
}
