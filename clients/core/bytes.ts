import { keccak256 as ethersKeccak256 } from "ethers";

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

// ------------------------------------------------------------------ keccak256

type KeccakState = {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  squeeze(length: number): Buffer;
};

/** keccak256 of the empty input, to check the binding once before trusting it. */
const EMPTY_KECCAK = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";

/**
 * The `keccak` package's native sponge (XKCP), one state reused for every hash: its public API
 * builds a stream object per hash. Falls back to ethers' (pure JavaScript) keccak256 when the
 * binding cannot load (no prebuild for the platform) or does not give the known empty hash.
 */
function nativeKeccak(): ((data: Buffer) => Buffer) | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const create = require("keccak/bindings") as (algorithm: string) => { _state: KeccakState };
    const State = create("keccak256")._state.constructor as new () => KeccakState;
    const state = new State();
    const hash = (data: Buffer): Buffer => {
      state.initialize(1088, 512); // keccak256: rate 1088 bits, capacity 512, padding 0x01
      state.absorb(data);
      return state.squeeze(32);
    };
    return hash(Buffer.alloc(0)).toString("hex") === EMPTY_KECCAK ? hash : undefined;
  } catch {
    return undefined;
  }
}

const native = nativeKeccak();

/** Whether `keccak256` runs on the native binding (benchmarks report it). */
export const NATIVE_KECCAK = native !== undefined;

function asBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === "string") return hexBytes(data) as Buffer;
  if (!(data instanceof Uint8Array)) throw new TypeError(`not bytes or a hex string: ${String(data).slice(0, 80)}`);
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** keccak256 of `data` (bytes, or a 0x-prefixed hex string of whole bytes), as ethers' `keccak256` returns it. */
export function keccak256(data: Uint8Array | string): string {
  if (native === undefined) return ethersKeccak256(typeof data === "string" ? hexBytes(data) : data);
  return "0x" + native(asBuffer(data)).toString("hex");
}

/** The 32 bytes of keccak256(`data`) (no hex round trip). */
export function keccak256Bytes(data: Uint8Array | string): Uint8Array {
  if (native === undefined) return Buffer.from(keccak256(data).slice(2), "hex");
  return native(asBuffer(data));
}
