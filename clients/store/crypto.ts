import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/** AES-256-GCM: 32-byte key, 12-byte IV, 16-byte tag. */
export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

/** An AES-256-GCM ciphertext with its IV and authentication tag. */
export interface Sealed {
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/** Decryption failed: wrong key, wrong associated data, or altered bytes (GCM cannot tell which). */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthenticationError";
  }
}

/** Encrypts `plaintext` under `key` with a fresh random IV; `aad` is authenticated, not encrypted. */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Sealed {
  checkLength("key", key, KEY_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: new Uint8Array(iv), ciphertext: new Uint8Array(ciphertext), tag: new Uint8Array(cipher.getAuthTag()) };
}

/**
 * Decrypts and authenticates. Throws `AuthenticationError` with `what` in the message if the key,
 * the associated data, the IV, the ciphertext or the tag is not what was sealed.
 */
export function unseal(key: Uint8Array, sealed: Sealed, aad: Uint8Array, what: string): Uint8Array {
  checkLength("key", key, KEY_BYTES);
  if (sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) {
    throw new AuthenticationError(
      `${what}: malformed ciphertext (IV ${sealed.iv.length} bytes, tag ${sealed.tag.length})`,
    );
  }
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.tag);
  try {
    return new Uint8Array(Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]));
  } catch {
    throw new AuthenticationError(
      `${what}: authentication failed (wrong key, or the ciphertext or its binding was altered)`,
    );
  }
}

/** HKDF-SHA256 to a 32-byte key. */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, KEY_BYTES));
}

/** A fresh random 32-byte key. */
export function newKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_BYTES));
}

/** Concatenates byte strings. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function checkLength(name: string, value: Uint8Array, length: number): void {
  if (value.length !== length) throw new Error(`${name} must be ${length} bytes, got ${value.length}`);
}
