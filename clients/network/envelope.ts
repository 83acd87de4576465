import { createCipheriv, createDecipheriv, createECDH, hkdfSync, randomBytes } from "node:crypto";

/**
 * Encrypted document envelopes for proposals on the voting path. Node processes share no channel
 * but the chain, so the lead bank appends to its `propose` transaction's calldata (after the ABI
 * arguments, which the contract ignores) the document encrypted under a fresh AES-256-GCM key, and
 * that key wrapped to each voting member's registered secp256k1 encryption key (ECDH + HKDF-SHA256
 * + AES-256-GCM). Only members can read it; the chain holds only ciphertext.
 */
export const ENVELOPE_MAGIC = "c01e0d0c"; // marks the start of an envelope in calldata

interface Wrapped {
  to: string; // recipient's compressed key (hex, no 0x)
  eph: string; // ephemeral compressed key
  iv: string;
  ct: string;
  tag: string;
}

interface Envelope {
  v: 1;
  iv: string;
  ct: string;
  tag: string;
  keys: Wrapped[];
}

function aesSeal(key: Buffer, plain: Buffer, aad: Buffer): { iv: string; ct: string; tag: string } {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return { iv: iv.toString("hex"), ct: ct.toString("hex"), tag: c.getAuthTag().toString("hex") };
}

function aesOpen(key: Buffer, s: { iv: string; ct: string; tag: string }, aad: Buffer): Buffer {
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(s.iv, "hex"));
  d.setAAD(aad);
  d.setAuthTag(Buffer.from(s.tag, "hex"));
  return Buffer.concat([d.update(Buffer.from(s.ct, "hex")), d.final()]);
}

function kek(shared: Buffer, context: string): Buffer {
  return Buffer.from(hkdfSync("sha256", shared, Buffer.alloc(0), `colend.envelope.v1.${context}`, 32));
}

const strip = (h: string): string => (h.startsWith("0x") ? h.slice(2) : h).toLowerCase();

/** Encrypts `payload` for every key in `recipients` (33-byte compressed keys), bound to `context`. */
export function sealEnvelope(payload: Uint8Array, recipients: string[], context: string): string {
  const dataKey = randomBytes(32);
  const body = aesSeal(dataKey, Buffer.from(payload), Buffer.from(context));
  const keys = recipients.map((r) => {
    const eph = createECDH("secp256k1");
    eph.generateKeys();
    const shared = eph.computeSecret(Buffer.from(strip(r), "hex"));
    const w = aesSeal(kek(shared, context), dataKey, Buffer.from(strip(r), "hex"));
    return { to: strip(r), eph: eph.getPublicKey("hex", "compressed"), ...w };
  });
  const env: Envelope = { v: 1, ...body, keys };
  return ENVELOPE_MAGIC + Buffer.from(JSON.stringify(env)).toString("hex");
}

/** Finds the envelope in calldata and opens it with `privateKey`; throws if absent or not for us. */
export function openEnvelope(calldata: string, privateKey: string, context: string): Uint8Array {
  const hex = strip(calldata);
  const at = hex.lastIndexOf(ENVELOPE_MAGIC);
  if (at < 0) throw new Error("no document envelope in the transaction");
  let env: Envelope;
  try {
    env = JSON.parse(Buffer.from(hex.slice(at + ENVELOPE_MAGIC.length), "hex").toString("utf8")) as Envelope;
  } catch {
    throw new Error("malformed document envelope");
  }
  const me = createECDH("secp256k1");
  me.setPrivateKey(Buffer.from(strip(privateKey), "hex"));
  const myKey = me.getPublicKey("hex", "compressed");
  const mine = env.keys.find((k) => k.to === myKey);
  if (!mine) throw new Error("the document was not encrypted to this member");
  const shared = me.computeSecret(Buffer.from(mine.eph, "hex"));
  const dataKey = aesOpen(kek(shared, context), mine, Buffer.from(myKey, "hex"));
  return aesOpen(dataKey, env, Buffer.from(context));
}
