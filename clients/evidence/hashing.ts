import { getBytes, toUtf8Bytes } from "ethers";
import { keccak256, keccak256Bytes } from "../core/bytes";
import { recoverSigner } from "../core/recover";
import type { BatchLeaf, BundleDomain } from "./bundle";

/**
 * The hashes the verifier recomputes for every record, written for speed: the domain separator
 * and type hash are computed once, struct hashes are packed into one reused buffer, and
 * signatures are recovered straight from the digest.
 */

const DOMAIN_TYPEHASH = getBytes(
  keccak256(toUtf8Bytes("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")),
);
/** Same string as `EvidenceLedger.ENDORSEMENT_TYPEHASH`. */
export const ENDORSEMENT_TYPEHASH = keccak256(
  toUtf8Bytes(
    "Endorsement(bytes32 subject,bytes32 kind,bytes32 contentHash,bytes32 attrs,bytes32 prev,address proposer,uint64 issuedAt,uint64 deadline)",
  ),
);
const ENDORSEMENT_TYPEHASH_BYTES = getBytes(ENDORSEMENT_TYPEHASH);

/** The fields of a record the endorsers sign, as hex. */
export interface SignedFields {
  subject: string;
  kind: string;
  contentHash: string;
  attrs: string;
  prev: string;
}

function put(buf: Uint8Array, word: number, hex: string): void {
  const bytes = getBytes(hex);
  buf.set(bytes, word * 32 + (32 - bytes.length));
}

function putUint(buf: Uint8Array, word: number, value: bigint): void {
  let v = value;
  for (let i = word * 32 + 31; i >= word * 32 && v > 0n; i--) {
    buf[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** keccak256 of the EIP-712 domain, as the ledger's `domainSeparator()`. */
export function domainSeparator(domain: BundleDomain): string {
  const buf = new Uint8Array(5 * 32);
  buf.set(DOMAIN_TYPEHASH, 0);
  put(buf, 1, keccak256(toUtf8Bytes(domain.name)));
  put(buf, 2, keccak256(toUtf8Bytes(domain.version)));
  putUint(buf, 3, BigInt(domain.chainId));
  put(buf, 4, domain.verifyingContract);
  return keccak256(buf);
}

/** Computes endorsement digests for one domain (what `EvidenceLedger.endorsementDigest` returns). */
export class EndorsementHasher {
  private readonly struct = new Uint8Array(9 * 32);
  private readonly outer = new Uint8Array(2 + 32 + 32);

  constructor(readonly domain: BundleDomain) {
    this.outer[0] = 0x19;
    this.outer[1] = 0x01;
    this.outer.set(getBytes(domainSeparator(domain)), 2);
  }

  digest(r: SignedFields, proposer: string, issuedAt: bigint, deadline: bigint): string {
    const s = this.struct;
    s.fill(0);
    s.set(ENDORSEMENT_TYPEHASH_BYTES, 0);
    put(s, 1, r.subject);
    put(s, 2, r.kind);
    put(s, 3, r.contentHash);
    put(s, 4, r.attrs);
    put(s, 5, r.prev);
    put(s, 6, proposer);
    putUint(s, 7, issuedAt);
    putUint(s, 8, deadline);
    this.outer.set(keccak256Bytes(s), 34);
    return keccak256(this.outer);
  }
}

/**
 * Recovers the signer of a 64-byte compact (EIP-2098) signature over `digest`, lowercased.
 * Throws if the bytes are not a valid signature (as `ECDSA.tryRecover` would reject them).
 */
export function recoverCompact(digest: string, compact: string): string {
  return recoverSigner(digest, compact);
}

/** Leaf hash of a batched record: keccak256(keccak256(abi.encode(subject, kind, contentHash, attrs))). */
export function batchLeafHash(leaf: BatchLeaf): string {
  const buf = new Uint8Array(4 * 32);
  put(buf, 0, leaf.subject);
  put(buf, 1, leaf.kind);
  put(buf, 2, leaf.contentHash);
  put(buf, 3, leaf.attrs);
  return keccak256(keccak256Bytes(buf));
}

/** Root reached from `leaf` by `proof`, hashing sorted pairs (OpenZeppelin `MerkleProof.processProof`). */
export function processProof(leaf: string, proof: readonly string[]): string {
  let node = getBytes(leaf);
  const pair = new Uint8Array(64);
  for (const sibling of proof) {
    const s = getBytes(sibling);
    const [a, b] = compareBytes(node, s) <= 0 ? [node, s] : [s, node];
    pair.set(a, 0);
    pair.set(b, 32);
    node = keccak256Bytes(pair);
  }
  return bytesToHex(node);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function bytesToHex(b: Uint8Array): string {
  return "0x" + Buffer.from(b).toString("hex");
}
