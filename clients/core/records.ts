import {
  AbiCoder,
  Signature,
  TypedDataDomain,
  TypedDataEncoder,
  concat,
  getBytes,
  hexlify,
  keccak256,
  randomBytes,
  solidityPacked,
  verifyTypedData,
} from "ethers";
import type { Signer, SigningKey } from "ethers";
import { RecordInput } from "./types";

const coder = AbiCoder.defaultAbiCoder();

/** EIP-712 type of an endorsement, identical to `EvidenceLedger.ENDORSEMENT_TYPEHASH`. */
export const ENDORSEMENT_TYPES = {
  Endorsement: [
    { name: "subject", type: "bytes32" },
    { name: "kind", type: "bytes32" },
    { name: "contentHash", type: "bytes32" },
    { name: "attrs", type: "bytes32" },
    { name: "prev", type: "bytes32" },
    { name: "proposer", type: "address" },
    { name: "issuedAt", type: "uint64" },
    { name: "deadline", type: "uint64" },
  ],
};

/** Longest a signature may live, `deadline - issuedAt` (`EvidenceLedger.MAX_SIGNATURE_WINDOW`). */
export const MAX_SIGNATURE_WINDOW = 86_400n;

/** EIP-712 type of a membership change, identical to `EvidenceLedger.MEMBERSHIP_CHANGE_TYPEHASH`. */
export const MEMBERSHIP_CHANGE_TYPES = {
  MembershipChange: [
    { name: "action", type: "uint8" },
    { name: "account", type: "address" },
    { name: "role", type: "uint8" },
    { name: "data", type: "bytes32" },
    { name: "epoch", type: "uint64" },
    { name: "issuedAt", type: "uint64" },
    { name: "deadline", type: "uint64" },
  ],
};

/** What a bank signs to change the membership (see `IMembership.executeChange`). */
export interface MembershipChangeMessage {
  action: number;
  account: string;
  role: number;
  /** `membershipChangeData(action, name, encryptionKey)`. */
  data: string;
  /** The membership epoch the change is made at (`membershipEpoch()`). */
  epoch: bigint;
  issuedAt: bigint;
  deadline: bigint;
}

/** The `data` a membership change signs: keccak256(abi.encode(name, key)) for an admission, else 0. */
export function membershipChangeData(action: number, name: string, encryptionKey: string): string {
  return action === 0 ? keccak256(coder.encode(["string", "bytes"], [name, encryptionKey])) : "0x" + "00".repeat(32);
}

/** Signs a membership change with `signer`, returning the compact (EIP-2098) form. */
export async function signMembershipChange(
  signer: Signer,
  domain: TypedDataDomain,
  message: MembershipChangeMessage,
): Promise<Endorsement> {
  const raw = await signer.signTypedData(domain, MEMBERSHIP_CHANGE_TYPES, message);
  return { signer: await signer.getAddress(), signature: Signature.from(raw).compactSerialized };
}

/** The ledger's EIP-712 domain: bound to the chain and the ledger contract. */
export function ledgerDomain(chainId: bigint, ledger: string): TypedDataDomain {
  return { name: "colend", version: "1", chainId, verifyingContract: ledger };
}

/** What an endorser signs. */
export interface EndorsementMessage extends RecordInput {
  proposer: string;
  /** When the endorsers signed: not after the commit's block time, not before a signer's admission. */
  issuedAt: bigint;
  deadline: bigint;
}

/** The message the endorsers of `p.record` sign: the record, its proposer and the signing window. */
export function endorsementMessage(p: {
  record: RecordInput;
  proposer: string;
  issuedAt: bigint;
  deadline: bigint;
}): EndorsementMessage {
  return { ...p.record, proposer: p.proposer, issuedAt: p.issuedAt, deadline: p.deadline };
}

/** A decoded `RecordCommitted` event: one record as the ledger's logs carry it. */
export interface CommittedRecord {
  subject: string;
  kind: string;
  proposer: string;
  contentHash: string;
  attrs: string;
  prev: string;
  head: string;
  attestation: number;
  /** When the endorsers signed (0 for votes and facts). */
  issuedAt: bigint;
  deadline: bigint;
  /** Packed compact signatures (Signatures), endorser addresses (Votes) or the module (Fact). */
  endorsements: string;
}

/** One member's endorsement: its address and 64-byte compact signature. */
export interface Endorsement {
  signer: string;
  signature: string;
}

/** Signs an endorsement of `message` with `signer`, returning the compact (EIP-2098) form. */
export async function signEndorsement(
  signer: Signer,
  domain: TypedDataDomain,
  message: EndorsementMessage,
): Promise<Endorsement> {
  // A wallet signs the EIP-712 digest directly (the encoder and domain separator are reused);
  // any other signer (a hardware or remote one) gets the typed data.
  const key = (signer as { signingKey?: SigningKey }).signingKey;
  if (key) {
    const signature = key.sign(endorsementDigest(domain, message)).compactSerialized;
    return { signer: await signer.getAddress(), signature };
  }
  const raw = await signer.signTypedData(domain, ENDORSEMENT_TYPES, message);
  return { signer: await signer.getAddress(), signature: Signature.from(raw).compactSerialized };
}

let endorsementEncoder: TypedDataEncoder | undefined;
const domainSeparators = new Map<string, string>();

/** The EIP-712 digest an endorsement signs: the same as `TypedDataEncoder.hash(domain, ENDORSEMENT_TYPES, message)`. */
export function endorsementDigest(domain: TypedDataDomain, message: EndorsementMessage): string {
  endorsementEncoder ??= TypedDataEncoder.from(ENDORSEMENT_TYPES);
  const key = `${domain.name}|${domain.version}|${String(domain.chainId)}|${String(domain.verifyingContract)}`;
  let separator = domainSeparators.get(key);
  if (!separator) {
    separator = TypedDataEncoder.hashDomain(domain);
    domainSeparators.set(key, separator);
  }
  return keccak256(
    concat(["0x1901", separator, endorsementEncoder.hash(message as unknown as Record<string, unknown>)]),
  );
}

/** Recovers the signer of a compact endorsement signature. */
export function recoverEndorser(domain: TypedDataDomain, message: EndorsementMessage, compact: string): string {
  return verifyTypedData(domain, ENDORSEMENT_TYPES, message, Signature.from(compact));
}

/** Concatenates endorsements in ascending signer order, as the ledger requires. */
export function packSignatures(endorsements: Endorsement[]): string {
  const sorted = [...endorsements].sort((a, b) => compareAddresses(a.signer, b.signer));
  return sorted.length === 0 ? "0x" : hexlify(concat(sorted.map((e) => e.signature)));
}

/** Splits a packed blob into 64-byte compact signatures. */
export function unpackSignatures(packed: string): string[] {
  const bytes = getBytes(packed);
  if (bytes.length % 64 !== 0) throw new Error(`signature blob of ${bytes.length} bytes is not a multiple of 64`);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 64) out.push(hexlify(bytes.slice(i, i + 64)));
  return out;
}

/** Splits a packed blob of 20-byte addresses. */
export function unpackAddresses(packed: string): string[] {
  const bytes = getBytes(packed);
  if (bytes.length % 20 !== 0) throw new Error(`address blob of ${bytes.length} bytes is not a multiple of 20`);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 20) out.push(hexlify(bytes.slice(i, i + 20)));
  return out;
}

export function compareAddresses(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Hash linking a record into its chain, as `EvidenceLedger.recordHash`. */
export function recordHash(record: RecordInput, proposer: string): string {
  return keccak256(
    coder.encode(
      ["bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "address"],
      [record.subject, record.kind, record.contentHash, record.attrs, record.prev, proposer],
    ),
  );
}

/** The head after appending a record with `recordHash` to a chain whose head was `prev`. */
export function nextHead(prev: string, hash: string): string {
  return keccak256(solidityPacked(["bytes32", "bytes32"], [prev, hash]));
}

/** Salted content hash: keccak256(salt ‖ document). The salt keeps low-entropy documents unguessable. */
export function contentHash(document: Uint8Array, salt: Uint8Array): string {
  if (salt.length !== 32) throw new Error(`salt must be 32 bytes, got ${salt.length}`);
  // Hashed as bytes: `concat` would build a hex string twice the document's size first.
  const bytes = new Uint8Array(32 + document.length);
  bytes.set(salt, 0);
  bytes.set(document, 32);
  return keccak256(bytes);
}

/** A fresh 32-byte salt. */
export function newSalt(): Uint8Array {
  return randomBytes(32);
}

/** Hash of a kind's on-chain parameters: keccak256(abi.encode(types, values)). */
export function attrsHash(types: readonly string[], values: readonly unknown[]): string {
  return keccak256(coder.encode(types as string[], values as unknown[]));
}
