import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Wallet, hexlify, isHexString } from "ethers";

/** What one node keeps to itself, in `nodes/<id>/secrets.json` (mode 0600). */
export interface NodeSecrets {
  /** The node's member (or, for the borrowers process, unused) account key. */
  privateKey: string;
  /** Secret of its encrypted document store. */
  storeSecret: string;
  /** The lead bank's consortium pseudonym secret. */
  consortiumSecret?: string;
  /** The borrowers process: each borrower's account key and identity number, by applicant index. */
  borrowers?: Record<string, { privateKey: string; identity: string }>;
}

export function secretsFile(nodeDirectory: string): string {
  return path.join(nodeDirectory, "secrets.json");
}

const random32 = (): string => hexlify(randomBytes(32));

/**
 * The node's secrets: read from its own file, or created there at the first start (random keys;
 * the directory is made 0700 and the file 0600). A file readable by others is refused.
 */
export function loadOrCreateSecrets(
  nodeDirectory: string,
  extra: (s: NodeSecrets) => void = () => undefined,
): { secrets: NodeSecrets; created: boolean } {
  const file = secretsFile(nodeDirectory);
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) {
      throw new Error(`${file} is readable by others (mode ${mode.toString(8)}); run \`chmod 600 ${file}\``);
    }
    const s = JSON.parse(fs.readFileSync(file, "utf8")) as NodeSecrets;
    if (!isHexString(s.privateKey, 32) || !isHexString(s.storeSecret, 32))
      throw new Error(`${file}: privateKey and storeSecret must be 32-byte hex strings`);
    return { secrets: s, created: false };
  }
  fs.mkdirSync(nodeDirectory, { recursive: true, mode: 0o700 });
  fs.chmodSync(nodeDirectory, 0o700);
  const secrets: NodeSecrets = { privateKey: Wallet.createRandom().privateKey, storeSecret: random32() };
  extra(secrets);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
  return { secrets, created: true };
}

export function newConsortiumSecret(): string {
  return random32();
}
