import {
  SigningKey,
  getAddress,
  getBytes,
  hexlify,
  isAddress,
  isHexString,
  keccak256,
  randomBytes,
  toBeHex,
  toUtf8Bytes,
} from "ethers";
import { createECDH } from "node:crypto";
import { contentHash as saltedHash } from "../core/records";
import { AuthenticationError, Sealed, concatBytes, hkdf, seal, unseal } from "./crypto";
import { DocumentStore, documentAad } from "./documentStore";
import { MANIFEST_LABEL, ManifestHeader, ManifestItem, manifestHashOf } from "./manifest";

/** Format tag and version of a disclosure package (see docs/DISCLOSURE.md). */
export const DISCLOSURE_FORMAT = "colend-disclosure";
export const DISCLOSURE_VERSION = 2;
const LABEL = MANIFEST_LABEL;
const SALT_BYTES = 32;

/** What a wrapped value is bound to: the chain, the ledger, the case, the document, and (implicitly) the recipient key. */
export interface DisclosureContext {
  /** Chain id of the consortium's chain. */
  chainId: bigint;
  /** The consortium's EvidenceLedger. */
  ledger: string;
  /** The court contract of the case. */
  court: string;
  caseId: bigint;
  /** Content hash of the document whose key is wrapped. */
  contentHash: string;
}

/** A value (a document's data key) encrypted to one recipient's secp256k1 key. All fields hex. */
export interface WrappedKey {
  /** 33-byte compressed public key it was wrapped to. */
  recipient: string;
  /** 33-byte compressed ephemeral public key of the sender. */
  ephemeralKey: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** One disclosed document: its record, its ciphertext under its data key, and that key wrapped. */
export interface DisclosureItem {
  contentHash: string;
  subject: string;
  kind: string;
  /** AES-256-GCM of `salt ‖ document` under the data key (associated data: content hash, subject, kind). */
  document: { iv: string; ciphertext: string; tag: string };
  /** The data key, wrapped to the arbitrator. */
  key: WrappedKey;
}

/** What a claimant sends the arbitrator of a case. Nothing in it is readable without the arbitrator's key. */
export interface DisclosurePackage {
  format: typeof DISCLOSURE_FORMAT;
  version: typeof DISCLOSURE_VERSION;
  /** Decimal chain id. */
  chainId: string;
  /** The consortium's EvidenceLedger. */
  ledger: string;
  court: string;
  /** Decimal case id. */
  caseId: string;
  arbitrator: string;
  /** The arbitrator's registered encryption key every item is wrapped to. */
  recipientKey: string;
  items: DisclosureItem[];
}

/** A disclosed document as the arbitrator reads it, checked against its content hash. */
export interface OpenedDocument {
  contentHash: string;
  subject: string;
  kind: string;
  salt: Uint8Array;
  document: Uint8Array;
}

/** A disclosure could not be opened or does not hold together. */
export class DisclosureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DisclosureError";
  }
}

/**
 * Encrypts `plaintextOrKey` to `recipientPubKey` (33-byte compressed secp256k1): ephemeral ECDH,
 * HKDF-SHA256 over the shared x-coordinate (salt: the ephemeral key; info: label, chain id, ledger,
 * court, case id, content hash, recipient key), AES-256-GCM with that info as associated data.
 */
export function wrapForRecipient(
  recipientPubKey: string | Uint8Array,
  plaintextOrKey: Uint8Array,
  context: DisclosureContext,
): WrappedKey {
  const recipient = compressedKey(recipientPubKey, "recipient key");
  const ephemeral = new SigningKey(hexlify(randomBytes(32)));
  const ephemeralKey = ephemeral.compressedPublicKey;
  const key = deriveKey(sharedX(ephemeral.privateKey, recipient), ephemeralKey, recipient, context);
  const sealed = seal(key, plaintextOrKey, wrapAad(ephemeralKey, recipient, context));
  return {
    recipient,
    ephemeralKey,
    iv: hexlify(sealed.iv),
    ciphertext: hexlify(sealed.ciphertext),
    tag: hexlify(sealed.tag),
  };
}

/**
 * Opens a value wrapped by `wrapForRecipient` with the recipient's private key. Throws
 * `DisclosureError` if it was wrapped to another key, for another case or document, or altered.
 */
export function unwrapWithKey(privateKey: string, wrapped: WrappedKey, context: DisclosureContext): Uint8Array {
  const me = new SigningKey(privateKey);
  const recipient = compressedKey(wrapped.recipient, "wrapped recipient key");
  if (recipient !== me.compressedPublicKey) {
    throw new DisclosureError(
      `document ${context.contentHash} was wrapped to key ${recipient}, not to this key ${me.compressedPublicKey}`,
    );
  }
  const ephemeralKey = compressedKey(wrapped.ephemeralKey, "ephemeral key");
  const key = deriveKey(sharedX(me.privateKey, ephemeralKey), ephemeralKey, recipient, context);
  try {
    return unseal(key, hexSealed(wrapped), wrapAad(ephemeralKey, recipient, context), "wrapped key");
  } catch (e) {
    if (!(e instanceof AuthenticationError)) throw e;
    throw new DisclosureError(
      `cannot open the key of document ${context.contentHash} for case ${context.caseId}: ` +
        "not wrapped for this case, document and key, or altered in transit",
    );
  }
}

/**
 * Builds the package disclosing `contentHashes` from `store` to the arbitrator whose registered
 * encryption key is `recipientKey`. Documents stay encrypted under their own data keys; only the
 * keys are wrapped.
 */
export function buildDisclosure(args: {
  store: DocumentStore;
  chainId: bigint;
  ledger: string;
  court: string;
  caseId: bigint;
  arbitrator: string;
  recipientKey: string | Uint8Array;
  contentHashes: readonly string[];
}): DisclosurePackage {
  const recipientKey = compressedKey(args.recipientKey, "arbitrator's encryption key");
  if (args.contentHashes.length === 0) throw new DisclosureError("nothing to disclose: no content hashes given");
  const seen = new Set<string>();
  const items = args.contentHashes.map((hash): DisclosureItem => {
    const h = hash.toLowerCase();
    if (seen.has(h)) throw new DisclosureError(`document ${hash} is listed twice`);
    seen.add(h);
    const { sealed, dataKey } = args.store.sealedWithKey(hash);
    const context = {
      chainId: args.chainId,
      ledger: args.ledger,
      court: args.court,
      caseId: args.caseId,
      contentHash: sealed.contentHash,
    };
    return {
      contentHash: sealed.contentHash,
      subject: sealed.subject,
      kind: sealed.kind,
      document: { iv: hexlify(sealed.iv), ciphertext: hexlify(sealed.ciphertext), tag: hexlify(sealed.tag) },
      key: wrapForRecipient(recipientKey, dataKey, context),
    };
  });
  return {
    format: DISCLOSURE_FORMAT,
    version: DISCLOSURE_VERSION,
    chainId: args.chainId.toString(),
    ledger: getAddress(args.ledger),
    court: getAddress(args.court),
    caseId: args.caseId.toString(),
    arbitrator: getAddress(args.arbitrator),
    recipientKey,
    items,
  };
}

/** The package as its manifest commits to it: the header and each item's hashes. */
export function manifestOf(pkg: DisclosurePackage): { header: ManifestHeader; items: ManifestItem[] } {
  return {
    header: {
      chainId: pkg.chainId,
      ledger: pkg.ledger,
      court: pkg.court,
      caseId: pkg.caseId,
      arbitrator: pkg.arbitrator,
      recipientKey: pkg.recipientKey,
    },
    items: pkg.items.map((i) => ({
      contentHash: i.contentHash,
      subject: i.subject,
      kind: i.kind,
      documentHash: keccak256(
        concatBytes(getBytes(i.document.iv), getBytes(i.document.ciphertext), getBytes(i.document.tag)),
      ),
      keyHash: keccak256(
        concatBytes(getBytes(i.key.ephemeralKey), getBytes(i.key.iv), getBytes(i.key.ciphertext), getBytes(i.key.tag)),
      ),
    })),
  };
}

/** Hash committing to everything in the package, in order: what `recordDisclosure` puts on chain. */
export function manifestHash(pkg: DisclosurePackage): string {
  const { header, items } = manifestOf(pkg);
  return manifestHashOf(header, items);
}

/**
 * Opens every document of a package with the arbitrator's private encryption key and checks each
 * against its content hash (keccak256(salt ‖ document)). Throws `DisclosureError` naming the first
 * item that fails.
 */
export function openDisclosure(pkg: DisclosurePackage, privateKey: string): OpenedDocument[] {
  const checked = parseDisclosurePackage(pkg);
  const caseId = BigInt(checked.caseId);
  return checked.items.map((item, index) => {
    const context = {
      chainId: BigInt(checked.chainId),
      ledger: checked.ledger,
      court: checked.court,
      caseId,
      contentHash: item.contentHash,
    };
    if (item.key.recipient.toLowerCase() !== checked.recipientKey.toLowerCase()) {
      throw new DisclosureError(`item ${index} is wrapped to ${item.key.recipient}, not the package's recipient`);
    }
    const dataKey = unwrapWithKey(privateKey, item.key, context);
    let payload: Uint8Array;
    try {
      payload = unseal(
        dataKey,
        hexSealed(item.document),
        documentAad(item.contentHash, item.subject, item.kind),
        "disclosed document",
      );
    } catch (e) {
      if (!(e instanceof AuthenticationError)) throw e;
      throw new DisclosureError(`item ${index} (document ${item.contentHash}) was altered or relabelled: ${e.message}`);
    }
    if (payload.length < SALT_BYTES) throw new DisclosureError(`item ${index} is shorter than its salt`);
    const salt = payload.slice(0, SALT_BYTES);
    const document = payload.slice(SALT_BYTES);
    if (saltedHash(document, salt) !== item.contentHash.toLowerCase()) {
      throw new DisclosureError(`item ${index}: document does not hash to its content hash ${item.contentHash}`);
    }
    return {
      contentHash: item.contentHash.toLowerCase(),
      subject: item.subject.toLowerCase(),
      kind: item.kind.toLowerCase(),
      salt,
      document,
    };
  });
}

/** Checks the shape of a (parsed JSON) disclosure package and says exactly what is wrong. */
export function parseDisclosurePackage(value: unknown): DisclosurePackage {
  const fail = (what: string): never => {
    throw new DisclosureError(`malformed disclosure package: ${what}`);
  };
  if (typeof value !== "object" || value === null) fail("not an object");
  const v = value as Record<string, unknown>;
  if (v.format !== DISCLOSURE_FORMAT) fail(`format is ${String(v.format)}, expected ${DISCLOSURE_FORMAT}`);
  if (v.version !== DISCLOSURE_VERSION) fail(`unsupported version ${String(v.version)}`);
  for (const key of ["chainId", "caseId"]) {
    if (typeof v[key] !== "string" || !/^[0-9]{1,78}$/.test(v[key] as string)) fail(`${key} must be a decimal string`);
  }
  for (const key of ["ledger", "court", "arbitrator"]) {
    if (typeof v[key] !== "string" || !isAddress(v[key])) fail(`${key} is not an address`);
  }
  if (typeof v.recipientKey !== "string" || !isHexString(v.recipientKey, 33)) fail("recipientKey is not a 33-byte key");
  if (!Array.isArray(v.items) || v.items.length === 0) fail("items must be a non-empty array");
  (v.items as unknown[]).forEach((raw, i) => {
    const item = raw as Record<string, unknown>;
    for (const key of ["contentHash", "subject", "kind"]) {
      if (typeof item?.[key] !== "string" || !isHexString(item[key], 32)) fail(`items[${i}].${key} is not 32 bytes`);
    }
    const doc = item.document as Record<string, unknown> | undefined;
    const key = item.key as Record<string, unknown> | undefined;
    for (const [obj, name, fields] of [
      [doc, "document", ["iv", "ciphertext", "tag"]],
      [key, "key", ["recipient", "ephemeralKey", "iv", "ciphertext", "tag"]],
    ] as const) {
      if (typeof obj !== "object" || obj === null) fail(`items[${i}].${name} is missing`);
      for (const f of fields) {
        if (typeof obj![f] !== "string" || !isHexString(obj![f])) fail(`items[${i}].${name}.${f} is not hex`);
      }
    }
  });
  return v as unknown as DisclosurePackage;
}

// -------------------------------------------------------------------- internals

/**
 * The x-coordinate of the ECDH point of `privateKey` and the (compressed, checked) `publicKey`:
 * Node's native secp256k1, the same value as ethers' `computeSharedSecret` (bytes 1..33) at a
 * fraction of the cost (the arbitrator opens one per disclosed document).
 */
export function sharedX(privateKey: string, publicKey: string): Uint8Array {
  const ecdh = createECDH("secp256k1");
  ecdh.setPrivateKey(getBytes(privateKey));
  return new Uint8Array(ecdh.computeSecret(getBytes(publicKey)));
}

function deriveKey(x: Uint8Array, ephemeralKey: string, recipient: string, context: DisclosureContext): Uint8Array {
  return hkdf(x, getBytes(ephemeralKey), wrapInfo(recipient, context));
}

function wrapInfo(recipient: string, context: DisclosureContext): Uint8Array {
  if (!isAddress(context.court)) throw new DisclosureError(`court ${context.court} is not an address`);
  if (!isAddress(context.ledger)) throw new DisclosureError(`ledger ${context.ledger} is not an address`);
  if (context.chainId <= 0n || context.chainId >= 1n << 256n) throw new DisclosureError("chain id out of range");
  if (!isHexString(context.contentHash, 32))
    throw new DisclosureError(`content hash ${context.contentHash} is not 32 bytes`);
  if (context.caseId < 0n) throw new DisclosureError("case id must not be negative");
  return concatBytes(
    toUtf8Bytes(LABEL),
    getBytes(toBeHex(context.chainId, 32)),
    getBytes(getAddress(context.ledger)),
    getBytes(getAddress(context.court)),
    getBytes(toBeHex(context.caseId, 32)),
    getBytes(context.contentHash),
    getBytes(recipient),
  );
}

function wrapAad(ephemeralKey: string, recipient: string, context: DisclosureContext): Uint8Array {
  return concatBytes(wrapInfo(recipient, context), getBytes(ephemeralKey));
}

function hexSealed(s: { iv: string; ciphertext: string; tag: string }): Sealed {
  return { iv: getBytes(s.iv), ciphertext: getBytes(s.ciphertext), tag: getBytes(s.tag) };
}

/** Normalises a 33-byte compressed secp256k1 public key, rejecting anything else. */
export function compressedKey(key: string | Uint8Array, name: string): string {
  const bytes = typeof key === "string" ? (isHexString(key) ? getBytes(key) : undefined) : key;
  if (!bytes || bytes.length !== 33 || (bytes[0] !== 2 && bytes[0] !== 3)) {
    throw new DisclosureError(`${name} is not a 33-byte compressed secp256k1 public key`);
  }
  try {
    return SigningKey.computePublicKey(bytes, true);
  } catch {
    throw new DisclosureError(`${name} is not a point on secp256k1`);
  }
}
