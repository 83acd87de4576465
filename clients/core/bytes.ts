/**
 * Fast conversions for the hashing hot paths (batch trees, the cycle's leaves and state): Node's
 * native hex decoding instead of ethers' generic `getBytes`, which parses hex two characters at a
 * time and was an eighth of a cycle check's profile. Inputs are checked as strictly as `getBytes`.
 */

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const UINT256_LIMIT = 1n << 256n;

/** The 32 bytes of a 0x-prefixed 32-byte hex value. */
export function bytes32(hex: string): Uint8Array {
  return Buffer.from(bytes32Hex(hex), "hex");
}

/** The 64 hex digits of a 0x-prefixed 32-byte hex value (checked). */
export function bytes32Hex(hex: string): string {
  if (typeof hex !== "string" || hex.length !== 66 || !HEX32.test(hex)) {
    throw new TypeError(`not a 32-byte hex value: ${String(hex).slice(0, 80)}`);
  }
  return hex.slice(2);
}

/** A uint256 as 64 hex digits without 0x (what `toBeHex(x, 32)` gives after its 0x). */
export function uint256Hex(x: bigint | number): string {
  const v = BigInt(x);
  if (v < 0n || v >= UINT256_LIMIT) throw new RangeError(`${v} is not a uint256`);
  return v.toString(16).padStart(64, "0");
}

/** The bytes of a 0x-prefixed hex string of whole bytes. */
export function hexBytes(hex: string): Uint8Array {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^0x[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`not a hex string of whole bytes: ${String(hex).slice(0, 80)}`);
  }
  return Buffer.from(hex.slice(2), "hex");
}
