import { Signature, SignatureLike, recoverAddress as ethersRecoverAddress } from "ethers";
import { hexBytes, keccak256Bytes } from "./bytes";

/**
 * Signer recovery for the hot paths (each borrower's assent in a cycle, every endorsement the
 * verifier checks) on libsecp256k1 through the `secp256k1` package's native binding, about
 * thirty times faster than ethers' pure-JavaScript curve. The signature is parsed by ethers'
 * own `Signature.from`, so what ethers refuses (bad length, bad v, non-canonical s bits, bad
 * yParityAndS) is refused here with the same error; only the curve arithmetic is native.
 * Falls back to ethers' `recoverAddress` when the binding cannot load.
 */

type Secp256k1 = {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
};

function nativeSecp256k1(): Secp256k1 | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("secp256k1/bindings") as Secp256k1;
  } catch {
    return undefined;
  }
}

const native = nativeSecp256k1();
const COMPACT = /^0x[0-9a-fA-F]{128}$/;

/** Whether `recoverSigner` runs on the native binding (benchmarks report it). */
export const NATIVE_SECP256K1 = native !== undefined;

/**
 * The address (lowercase) that signed the 32-byte `digest` with `signature`: the same address
 * ethers' `recoverAddress` gives, lowercased, and a throw wherever it throws.
 */
export function recoverSigner(digest: string | Uint8Array, signature: SignatureLike): string {
  if (native === undefined) return ethersRecoverAddress(digest, signature).toLowerCase();
  const d = typeof digest === "string" ? hexBytes(digest) : digest;
  if (d.length !== 32) throw new TypeError(`a digest is 32 bytes, got ${d.length}`);
  let rs: Buffer;
  let recid: number;
  if (typeof signature === "string" && signature.length === 130 && COMPACT.test(signature)) {
    // a compact (EIP-2098) signature, read as ethers' Signature.from reads 64 bytes: r, then
    // s with the y parity in its top bit (the assents' form; skips building a Signature)
    rs = Buffer.from(signature.slice(2), "hex");
    recid = rs[32] >> 7;
    rs[32] &= 0x7f;
  } else {
    const sig = Signature.from(signature);
    rs = Buffer.from(sig.r.slice(2) + sig.s.slice(2), "hex");
    recid = sig.yParity;
  }
  // throws for r or s out of [1, n-1] and for an r that is no point's x, as @noble/curves does
  const pub = native.ecdsaRecover(rs, recid, d, false);
  return (
    "0x" +
    Buffer.from(keccak256Bytes(pub.subarray(1)))
      .subarray(12)
      .toString("hex")
  );
}
