import { SigningKey, Wallet, computeAddress, getAddress, hexlify, keccak256, toUtf8Bytes } from "ethers";
import { contentHash as saltedHash, nextHead, recordHash } from "../core/records";
import { Attestation, Kind, ROLE_NAMES, Role, Subject, ZERO_HASH } from "../core/types";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BundleRecord,
  EvidenceBundle,
  MembershipEvent,
  PlainDocument,
  serializeBundle,
} from "./bundle";
import { EndorsementHasher } from "./hashing";
import { quorumFor, verifyBundle } from "./verify";
import { ConsortiumAnchor, consortiumAnchor } from "./consortium";

export interface SyntheticOptions {
  /** Records in the loan chain (default 1,000). */
  records?: number;
  /** Voting members (default 7); each record carries exactly the quorum of signatures. */
  members?: number;
  /** Include a disclosed document per record (default true). */
  documents?: boolean;
  /** Seed of the deterministic keys and hashes (default "colend"). */
  seed?: string;
  /** Size in bytes of record 0's document (default: a short receipt), to exercise large disclosures. */
  firstDocumentBytes?: number;
}

export interface SyntheticBundle {
  bundle: EvidenceBundle;
  /** The members' wallets, in admission order. */
  members: Wallet[];
  /** Total endorsement signatures in the bundle. */
  signatures: number;
  /** The consortium file of the synthetic consortium (its founders are the members). */
  anchor: ConsortiumAnchor;
}

const h = (s: string): string => keccak256(toUtf8Bytes(s));

/**
 * Builds a valid bundle of one loan chain without any chain: members are deterministic wallets,
 * heads are computed locally and endorsements are signed offline (each record by the quorum of
 * the members other than its proposer). Used to measure verification at scale.
 */
export function buildSyntheticBundle(opts: SyntheticOptions = {}): SyntheticBundle {
  const n = opts.records ?? 1_000;
  const m = opts.members ?? 7;
  const seed = opts.seed ?? "colend";
  const withDocs = opts.documents ?? true;
  const chainId = "31337";
  const ledger = getAddress("0x" + h(`${seed}.ledger`).slice(26));
  const domain = { name: "colend", version: "1", chainId, verifyingContract: ledger };
  const hasher = new EndorsementHasher(domain);
  const wallets = Array.from({ length: m }, (_, i) => new Wallet(h(`${seed}.member.${i}`)));

  const membership: MembershipEvent[] = wallets.map((w, i) => {
    const role = i === 0 ? Role.LeadBank : Role.PartnerBank;
    return {
      type: "MemberAdmitted",
      account: w.address,
      role: { id: role, name: ROLE_NAMES[role] },
      name: `bank ${i}`,
      encryptionKey: w.signingKey.compressedPublicKey,
      seq: i + 1,
      blockNumber: 1,
      logIndex: i,
      txHash: h(`${seed}.deploy`),
    };
  });

  const subject = Subject.loan(1);
  const quorum = quorumFor(m);
  const records: BundleRecord[] = [];
  const documents: PlainDocument[] = [];
  let prev = ZERO_HASH;
  let signatures = 0;
  for (let i = 0; i < n; i++) {
    const proposer = wallets[i % m];
    const doc =
      i === 0 && opts.firstDocumentBytes !== undefined
        ? new Uint8Array(opts.firstDocumentBytes).fill(0x41)
        : toUtf8Bytes(`repayment receipt ${i} of loan 1`);
    const salt = new Uint8Array(32).fill(i % 251);
    const fields = {
      subject,
      kind: Kind.Repayment,
      contentHash: saltedHash(doc, salt),
      attrs: ZERO_HASH,
      prev,
    };
    const timestamp = 1_700_000_000 + 12 * i;
    const deadline = BigInt(timestamp + 3_600);
    const issuedAt = BigInt(timestamp);
    const digest = hasher.digest(fields, proposer.address, issuedAt, deadline);
    const signers = Array.from({ length: quorum }, (_, k) => wallets[(i + 1 + k) % m]).sort((a, b) =>
      BigInt(a.address) < BigInt(b.address) ? -1 : 1,
    );
    const blob = signers.map((w) => w.signingKey.sign(digest).compactSerialized.slice(2)).join("");
    signatures += signers.length;
    const head = nextHead(prev, recordHash(fields, proposer.address));
    records.push({
      index: i,
      kind: { id: Kind.Repayment, name: "Repayment" },
      proposer: proposer.address,
      contentHash: fields.contentHash,
      attrs: ZERO_HASH,
      prev,
      head,
      attestation: { id: Attestation.Signatures, name: "Signatures" },
      issuedAt: issuedAt.toString(),
      deadline: deadline.toString(),
      endorsements: "0x" + blob,
      blockNumber: 10 + i,
      blockHash: h(`${seed}.block.${i}`),
      timestamp,
      txHash: h(`${seed}.tx.${i}`),
      logIndex: 0,
    });
    if (withDocs) {
      documents.push({
        contentHash: fields.contentHash,
        salt: hexlify(salt),
        document: Buffer.from(doc).toString("base64"),
      });
    }
    prev = head;
  }

  const bundle: EvidenceBundle = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    chainId,
    ledger,
    domain,
    exportedAt: { blockNumber: 10 + n, blockHash: h(`${seed}.block.${n}`), timestamp: 1_700_000_000 + 12 * n },
    subjects: [{ role: "loan", id: "1", subject, head: prev, records }],
    membership,
    changes: [],
    modules: [],
    batches: [],
    batched: [],
    disclosures: [],
    documents,
  };
  const anchor = consortiumAnchor(
    { chainId, ledger, deployBlock: 1 },
    membership.map((e) => ({ account: e.account, role: e.role.id, name: e.name!, encryptionKey: e.encryptionKey! })),
  );
  return { bundle, members: wallets, signatures, anchor };
}

export interface VerifyBenchmark {
  records: number;
  signatures: number;
  /** Building and signing the synthetic bundle (wall time). */
  buildMs: number;
  /** `verifyBundle` on the serialized bundle (parse, schema, hashes, recoveries, membership, documents). */
  verifyMs: number;
  /** The signature recoveries alone, digests precomputed: the floor of any verifier. */
  bareRecoveriesMs: number;
  /** verifyMs / bareRecoveriesMs. */
  ratio: number;
  /** The same two measurements in CPU time of this process, which a busy machine disturbs less. */
  cpu: { verifyMs: number; bareRecoveriesMs: number; ratio: number };
  ok: boolean;
}

/** Wall and CPU milliseconds of `fn`. */
async function timed(fn: () => unknown): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

/**
 * Measures offline verification of an `n`-record bundle against the bare signature recoveries it
 * requires (`SigningKey.recoverPublicKey` + `computeAddress` on precomputed digests). The two are
 * measured alternately `rounds` times and the best time of each is kept, in wall and CPU time.
 */
export async function benchVerify(n = 1_000, members = 7, rounds = 2): Promise<VerifyBenchmark> {
  const t = performance.now();
  const synthetic = buildSyntheticBundle({ records: n, members });
  const { bundle, signatures } = synthetic;
  const buildMs = performance.now() - t;
  const text = serializeBundle(bundle);

  // The bare work: every recovery the verifier must do, on digests computed beforehand.
  const hasher = new EndorsementHasher(bundle.domain);
  const work: { digest: string; sig: string }[] = [];
  for (const r of bundle.subjects[0].records) {
    const fields = {
      subject: bundle.subjects[0].subject,
      kind: r.kind.id,
      contentHash: r.contentHash,
      attrs: r.attrs,
      prev: r.prev,
    };
    const digest = hasher.digest(fields, r.proposer, BigInt(r.issuedAt), BigInt(r.deadline));
    for (let k = 2; k < r.endorsements.length; k += 128) {
      work.push({ digest, sig: "0x" + r.endorsements.slice(k, k + 128) });
    }
  }
  // Alternate the two measurements and keep the best of each: the machine may be shared.
  const best = { bare: { wall: Infinity, cpu: Infinity }, verify: { wall: Infinity, cpu: Infinity } };
  let ok = true;
  for (let round = 0; round < rounds; round++) {
    const bare = await timed(() => {
      for (const w of work) computeAddress(SigningKey.recoverPublicKey(w.digest, w.sig));
    });
    const verify = await timed(async () => {
      ok &&= (await verifyBundle(text, { trust: synthetic.anchor })).ok;
    });
    best.bare = { wall: Math.min(best.bare.wall, bare.wall), cpu: Math.min(best.bare.cpu, bare.cpu) };
    best.verify = { wall: Math.min(best.verify.wall, verify.wall), cpu: Math.min(best.verify.cpu, verify.cpu) };
  }
  return {
    records: n,
    signatures,
    buildMs,
    verifyMs: best.verify.wall,
    bareRecoveriesMs: best.bare.wall,
    ratio: best.verify.wall / best.bare.wall,
    cpu: { verifyMs: best.verify.cpu, bareRecoveriesMs: best.bare.cpu, ratio: best.verify.cpu / best.bare.cpu },
    ok,
  };
}
