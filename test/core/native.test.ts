import { expect } from "chai";
import {
  Signature,
  SigningKey,
  Wallet,
  keccak256 as ethersKeccak256,
  randomBytes,
  recoverAddress,
  toBeHex,
} from "ethers";
import { NATIVE_KECCAK, keccak256, keccak256Bytes } from "../../clients/core/bytes";
import { NATIVE_SECP256K1, recoverSigner } from "../../clients/core/recover";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

/** What ethers gives (lowercased address) or the fact that it throws. */
function viaEthers(digest: string, sig: string): string {
  try {
    return recoverAddress(digest, sig).toLowerCase();
  } catch {
    return "throws";
  }
}
function viaNative(digest: string, sig: string): string {
  try {
    return recoverSigner(digest, sig);
  } catch {
    return "throws";
  }
}

describe("core: native keccak256 and signer recovery", function () {
  it("load the native bindings on this platform", function () {
    expect(NATIVE_KECCAK).to.equal(true);
    expect(NATIVE_SECP256K1).to.equal(true);
  });

  it("keccak256 gives ethers' hash for empty, random and long inputs, as bytes or hex", function () {
    const lengths = [0, 1, 31, 32, 33, 64, 135, 136, 137, 271, 272, 1000, 4096, 100_000];
    for (let i = 0; i < 300; i++) lengths.push(Math.floor(Math.random() * 2000));
    for (const n of lengths) {
      const b = randomBytes(n);
      const want = ethersKeccak256(b);
      expect(keccak256(b), `length ${n}`).to.equal(want);
      expect(keccak256(Buffer.from(b).toString("hex").replace(/^/, "0x")), `hex length ${n}`).to.equal(want);
      expect(Buffer.from(keccak256Bytes(b)).toString("hex")).to.equal(want.slice(2));
    }
    // a view into a larger buffer hashes only its own bytes
    const big = randomBytes(100);
    expect(keccak256(big.subarray(10, 42))).to.equal(ethersKeccak256(big.subarray(10, 42)));
    expect(keccak256("0xABCDEF")).to.equal(ethersKeccak256("0xabcdef"));
    // the reused state carries nothing from one hash to the next
    expect(keccak256("0x")).to.equal("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  });

  it("keccak256 refuses what ethers refuses: odd or non-hex strings, non-bytes", function () {
    for (const bad of ["0x123", "1234", "0xzz"]) {
      expect(() => ethersKeccak256(bad)).to.throw();
      expect(() => keccak256(bad), bad).to.throw(TypeError, /whole bytes/);
    }
    expect(() => keccak256(42 as unknown as string)).to.throw(TypeError);
  });

  it("recoverSigner gives ethers' signer for valid signatures, compact and 65-byte", function () {
    for (let i = 0; i < 50; i++) {
      const key = new SigningKey(randomBytes(32));
      const digest = keccak256(randomBytes(40));
      const sig = Signature.from(key.sign(digest));
      const want = new Wallet(key).address.toLowerCase();
      expect(recoverSigner(digest, sig.compactSerialized)).to.equal(want);
      expect(recoverSigner(digest, sig.serialized)).to.equal(want);
      expect(recoverSigner(Buffer.from(digest.slice(2), "hex"), sig)).to.equal(want);
      // another digest: another (wrong) signer, the same one ethers recovers
      const other = keccak256(randomBytes(40));
      expect(viaNative(other, sig.compactSerialized)).to.equal(viaEthers(other, sig.compactSerialized));
      expect(viaNative(other, sig.compactSerialized)).to.not.equal(want);
    }
  });

  it("recoverSigner accepts and refuses exactly what ethers does: malformed, out-of-range, malleable", function () {
    const key = new SigningKey(randomBytes(32));
    const digest = keccak256("0x01");
    const sig = Signature.from(key.sign(digest));
    const r = BigInt(sig.r);
    const s = BigInt(sig.s);
    const word = (x: bigint) => toBeHex(x, 32).slice(2);
    const raw = (rr: bigint, ss: bigint, v: number) => "0x" + word(rr) + word(ss) + v.toString(16).padStart(2, "0");
    const cases: Record<string, string> = {
      empty: "0x",
      short: sig.compactSerialized.slice(0, 120),
      long: sig.serialized + "00",
      "not hex": "0x" + "zz".repeat(65),
      "v 29": raw(r, s, 29),
      "v 0": raw(r, s, 0),
      "v 1": raw(r, s, 1),
      "r 0": raw(0n, s, 27),
      "s 0": raw(r, 0n, 27),
      "r = n": raw(N, s, 27),
      "r = p - 1 (no point)": raw(P - 1n, s, 27),
      "r >= p": raw(P + 1n, s, 28),
      "s = n": raw(r, N, 27),
      "high s (n - s), flipped v": raw(r, N - s, sig.v === 27 ? 28 : 27),
      "high s (n - s), same v": raw(r, N - s, sig.v),
      "s top bit set": raw(r, s | (1n << 255n), 27),
      "all ff": "0x" + "ff".repeat(65),
      "all zero": "0x" + "00".repeat(65),
    };
    for (const [name, bad] of Object.entries(cases)) {
      expect(viaNative(digest, bad), name).to.equal(viaEthers(digest, bad));
    }
    // the digest must be 32 bytes, as for ethers
    expect(viaNative("0x1234", sig.serialized)).to.equal("throws");
    expect(viaEthers("0x1234", sig.serialized)).to.equal("throws");
    for (let i = 0; i < 400; i++) {
      const junk = "0x" + Buffer.from(randomBytes(i % 2 ? 64 : 65)).toString("hex");
      expect(viaNative(digest, junk), junk).to.equal(viaEthers(digest, junk));
      expect(viaNative(digest, junk.toUpperCase().replace("0X", "0x")), junk).to.equal(viaEthers(digest, junk));
    }
    // compact with the parity bit set, and with r or s out of range
    const c = sig.compactSerialized;
    const top = (w: string) => (parseInt(w.slice(0, 2), 16) | 0x80).toString(16) + w.slice(2);
    for (const compact of [
      "0x" + word(r) + top(word(s)),
      "0x" + word(0n) + word(s),
      "0x" + word(N) + word(s),
      "0x" + word(r) + word(0n),
      "0x" + word(r) + top(word(0n)),
      "0x" + word(r) + word(N - s),
      c.slice(0, -2),
      c + "0",
    ]) {
      expect(viaNative(digest, compact), compact).to.equal(viaEthers(digest, compact));
    }
  });
});
