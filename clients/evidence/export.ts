import fs from "node:fs";
import path from "node:path";
import { Transaction, getAddress, getBytes, hexlify, toBeHex, zeroPadValue } from "ethers";
import type { BytesLike, Log, Provider, TransactionResponse } from "ethers";
import type { AddressBook } from "../core/addressBook";
import { CommittedRecord, contentHash as saltedHash, recordHash, unpackAddresses } from "../core/records";
import { Attestation, Kind, ROLE_NAMES, Role, Subject, ZERO_HASH, kindName } from "../core/types";
import { TOPIC, courtInterface, ledgerInterface } from "./abi";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BatchLeaf,
  BatchRoot,
  BatchedRecord,
  BundleAssent,
  BundleDocument,
  BundleRecord,
  CaseInfo,
  DecodedAttrs,
  DisclosureManifest,
  EvidenceBundle,
  JsonValue,
  MembershipChange,
  MembershipEvent,
  ModuleEvent,
  OpaqueObject,
  SignedTx,
  SubjectChain,
  SubjectRole,
  serializeBundle,
} from "./bundle";

/** What to export: a loan (by id) or any subject's chain. */
export type ExportTarget = bigint | number | { loanId: bigint | number } | { subject: string };

/** An original document the exporting node holds in clear. */
export interface DocumentInput {
  salt: BytesLike;
  document: BytesLike;
  /** If given, checked against keccak256(salt ‖ document). */
  contentHash?: string;
}

/** A document sealed to the arbitrator (the document store's disclosure form), passed through opaque. */
export interface SealedDocumentInput {
  contentHash: string;
  salt?: string;
  encrypted: OpaqueObject;
}

/** The decoded parameters behind a record's `attrs`. */
export interface AttrsInput {
  contentHash: string;
  types: readonly string[];
  values: readonly unknown[];
}

/** A batched record with its inclusion proof in a committed batch root. */
export interface BatchProofInput {
  batchSubject: string;
  root: string;
  leaf: BatchLeaf;
  proof: readonly string[];
  attrs?: { types: readonly string[]; values: readonly unknown[] };
}

export interface ExportOptions {
  /** Documents to disclose (only those of records in the bundle may be given). */
  documents?: (DocumentInput | SealedDocumentInput)[];
  /** Decoded attrs of records in the bundle, by content hash. */
  attrs?: AttrsInput[];
  /** Further subjects' chains to carry (role "subject"), e.g. the borrower's credit chain. */
  subjects?: string[];
  /** The borrower's assent to the loan contract (`loanReceipts`): the verifier checks its signature. */
  assent?: BundleAssent;
  /** Export for this arbitration case: adds the case chain and the case info (needs `book.court`). */
  caseId?: bigint | number;
  /** Batched records of the bundle's subjects, with their proofs. */
  batchProofs?: BatchProofInput[];
  /** The manifests of the case's disclosures (`manifestOf(pkg)` of each package). */
  disclosures?: DisclosureManifest[];
  /** First block to scan (default `book.deployBlock`). */
  fromBlock?: number;
  /** Last block to scan (default: the latest block when the export starts). */
  toBlock?: number;
}

/** A bundle could not be exported; the message says why. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

interface ParsedRecord extends CommittedRecord {
  log: Log;
}

const ATTESTATION_NAMES = ["Signatures", "Votes", "Fact"];
/** Blocks asked for at once. */
const BLOCK_QUERIES = 32;
const lower = (h: string): string => h.toLowerCase();
const byPosition = (a: Log, b: Log): number => a.blockNumber - b.blockNumber || a.index - b.index;

/**
 * Exports the evidence bundle of a loan (or any subject), optionally for an arbitration case.
 * Reads logs (one query per subject through its indexed topic, one for membership, one for
 * modules, one per batch subject and two for all voting trails), the blocks the records are in,
 * and the raw transactions of votes and facts. The same chain state and options give the same
 * bundle, byte for byte (`serializeBundle`).
 */
export async function exportLoanBundle(
  provider: Provider,
  book: AddressBook,
  target: ExportTarget,
  opts: ExportOptions = {},
): Promise<EvidenceBundle> {
  const network = await provider.getNetwork();
  if (network.chainId.toString() !== book.chainId) {
    throw new ExportError(`provider is on chain ${network.chainId}, the address book on chain ${book.chainId}`);
  }
  const ledger = getAddress(book.ledger);
  const fromBlock = opts.fromBlock ?? book.deployBlock;
  const toBlock = opts.toBlock ?? (await provider.getBlockNumber());
  const exportBlock = await provider.getBlock(toBlock);
  if (!exportBlock || !exportBlock.hash) throw new ExportError(`block ${toBlock} not found`);
  const range = { fromBlock, toBlock };
  const logs = (filter: { address: string; topics: (string | string[] | null)[] }): Promise<Log[]> =>
    provider.getLogs({ ...filter, ...range }).then((l) => [...l].sort(byPosition));

  // ------------------------------------------------ what to export
  let main: { role: SubjectRole; id?: string; subject: string };
  if (typeof target === "bigint" || typeof target === "number") {
    main = { role: "loan", id: BigInt(target).toString(), subject: Subject.loan(target) };
  } else if ("loanId" in target) {
    main = { role: "loan", id: BigInt(target.loanId).toString(), subject: Subject.loan(target.loanId) };
  } else {
    main = { role: "subject", subject: lower(zeroPadValue(target.subject, 32)) };
  }
  const chains: { role: SubjectRole; id?: string; subject: string }[] = [main];

  let caseInfo: CaseInfo | undefined;
  let caseLogs: { opened: Log; award?: Log } | undefined;
  if (opts.caseId !== undefined) {
    if (!book.court) throw new ExportError("the address book has no court: cannot export a case");
    const court = getAddress(book.court);
    const caseTopic = toBeHex(BigInt(opts.caseId), 32);
    const opened = await logs({ address: court, topics: [TOPIC.CaseOpened, caseTopic] });
    if (opened.length === 0) throw new ExportError(`case ${opts.caseId} was never opened at court ${court}`);
    const award = await logs({ address: court, topics: [TOPIC.AwardIssued, caseTopic] });
    caseLogs = { opened: opened[0], award: award[0] };
    const loanId = BigInt(opened[0].topics[2]).toString();
    if (main.role === "loan" && main.id !== loanId) {
      throw new ExportError(`case ${opts.caseId} is about loan ${loanId}, not loan ${main.id}`);
    }
    if (main.role === "subject" && main.subject !== lower(Subject.loan(BigInt(loanId)))) {
      throw new ExportError(`case ${opts.caseId} is about loan ${loanId}, whose subject is not ${main.subject}`);
    }
    main.role = "loan";
    main.id = loanId;
    chains.push({
      role: "case",
      id: BigInt(opts.caseId).toString(),
      subject: lower(Subject.arbitrationCase(opts.caseId)),
    });
  }

  for (const extra of opts.subjects ?? []) {
    const subject = lower(zeroPadValue(extra, 32));
    if (chains.some((c) => c.subject === subject)) throw new ExportError(`subject ${subject} is exported twice`);
    chains.push({ role: "subject", subject });
  }

  // ------------------------------------------------ logs
  const subjectLogs = await Promise.all(
    chains.map((c) => logs({ address: ledger, topics: [TOPIC.RecordCommitted, c.subject] })),
  );
  const membershipLogs = await logs({
    address: ledger,
    topics: [[TOPIC.MemberAdmitted, TOPIC.MemberRemoved, TOPIC.MemberRoleChanged]],
  });
  const changeLogs = await logs({ address: ledger, topics: [TOPIC.MembershipChangeExecuted] });
  const moduleLogs = await logs({ address: ledger, topics: [TOPIC.ModuleSet] });

  const batchInputs = opts.batchProofs ?? [];
  const batchKeys = [...new Set(batchInputs.map((p) => `${lower(p.batchSubject)}:${lower(p.root)}`))];
  const batchSubjects = [...new Set(batchInputs.map((p) => lower(p.batchSubject)))];
  const batchLogsBySubject = new Map<string, Log[]>();
  for (const s of batchSubjects) {
    batchLogsBySubject.set(s, await logs({ address: ledger, topics: [TOPIC.RecordCommitted, s] }));
  }

  const parsedChains = subjectLogs.map((l) => l.map(parseRecord));
  const batchRoots: { subject: string; index: number; parsed: ParsedRecord }[] = [];
  for (const key of batchKeys) {
    const [subject, root] = key.split(":");
    const parsed = batchLogsBySubject.get(subject)!.map(parseRecord);
    const index = parsed.findIndex((r) => r.contentHash === root && r.kind === lower(Kind.Batch));
    if (index < 0) throw new ExportError(`no batch with root ${root} was committed on batch subject ${subject}`);
    batchRoots.push({ subject, index, parsed: parsed[index] });
  }
  batchRoots.sort((a, b) => byPosition(a.parsed.log, b.parsed.log));

  // Voting trails: all proposals and endorsements of vote-attested records, two queries.
  const allRecords = [...parsedChains.flat(), ...batchRoots.map((b) => b.parsed)];
  const voted = allRecords.filter((r) => r.attestation === Attestation.Votes);
  const proposalId = (r: ParsedRecord): string => lower(recordHash(r, r.proposer));
  const proposedLogs = new Map<string, Log>();
  const endorsedLogs = new Map<string, Log>();
  if (voted.length > 0) {
    const ids = voted.map(proposalId);
    for (const l of await logs({ address: ledger, topics: [TOPIC.RecordProposed, ids] })) {
      proposedLogs.set(lower(l.topics[1]), l);
    }
    for (const l of await logs({ address: ledger, topics: [TOPIC.RecordEndorsed, ids] })) {
      endorsedLogs.set(`${lower(l.topics[1])}:${lower(hexlify(getBytes(l.topics[2]).slice(12)))}`, l);
    }
  }

  // ------------------------------------------------ blocks and transactions
  const blockNumbers = [
    ...new Set([...allRecords.map((r) => r.log.blockNumber), ...(caseLogs ? caseBlocks(caseLogs) : [])]),
  ];
  const blocks = new Map<number, { hash: string; timestamp: number }>();
  for (let i = 0; i < blockNumbers.length; i += BLOCK_QUERIES) {
    await Promise.all(
      blockNumbers.slice(i, i + BLOCK_QUERIES).map(async (n) => {
        const b = await provider.getBlock(n);
        if (!b || !b.hash) throw new ExportError(`block ${n} not found`);
        blocks.set(n, { hash: lower(b.hash), timestamp: b.timestamp });
      }),
    );
  }
  const signedTx = async (hash: string): Promise<SignedTx> => {
    const tx = await provider.getTransaction(hash);
    if (!tx || tx.blockNumber === null) throw new ExportError(`transaction ${hash} not found or not mined`);
    return { txHash: lower(hash), blockNumber: tx.blockNumber, raw: serializeSigned(tx) };
  };

  // ------------------------------------------------ records
  const attrsByHash = new Map<string, DecodedAttrs>();
  for (const a of opts.attrs ?? []) attrsByHash.set(lower(a.contentHash), decoded(a.types, a.values));

  const buildRecord = async (r: ParsedRecord, index: number): Promise<BundleRecord> => {
    const block = blocks.get(r.log.blockNumber)!;
    const out: BundleRecord = {
      index,
      kind: { id: r.kind, name: kindName(r.kind) },
      proposer: getAddress(r.proposer),
      contentHash: r.contentHash,
      attrs: r.attrs,
      decodedAttrs: attrsByHash.get(r.contentHash),
      prev: r.prev,
      head: r.head,
      attestation: { id: r.attestation, name: ATTESTATION_NAMES[r.attestation] ?? `Unknown(${r.attestation})` },
      issuedAt: r.issuedAt.toString(),
      deadline: r.deadline.toString(),
      endorsements: r.endorsements,
      votes: undefined,
      fact: undefined,
      blockNumber: r.log.blockNumber,
      blockHash: lower(r.log.blockHash),
      timestamp: block.timestamp,
      txHash: lower(r.log.transactionHash),
      logIndex: r.log.index,
    };
    if (r.attestation === Attestation.Votes) {
      const id = proposalId(r);
      const proposed = proposedLogs.get(id);
      if (!proposed) throw new ExportError(`no RecordProposed event for voted record ${id}`);
      const endorsements: SignedTx[] = [];
      for (const endorser of unpackAddresses(r.endorsements)) {
        const l = endorsedLogs.get(`${id}:${lower(endorser)}`);
        if (!l) throw new ExportError(`no RecordEndorsed event of ${endorser} for voted record ${id}`);
        endorsements.push(await signedTx(l.transactionHash));
      }
      out.votes = { proposal: await signedTx(proposed.transactionHash), endorsements };
    } else if (r.attestation === Attestation.Fact) {
      out.fact = { module: getAddress(r.endorsements), tx: (await signedTx(r.log.transactionHash)).raw };
    }
    return out;
  };

  const subjects: SubjectChain[] = [];
  for (let i = 0; i < chains.length; i++) {
    const records: BundleRecord[] = [];
    for (let j = 0; j < parsedChains[i].length; j++) records.push(await buildRecord(parsedChains[i][j], j));
    subjects.push({
      role: chains[i].role,
      id: chains[i].id,
      subject: chains[i].subject,
      head: records.length > 0 ? records[records.length - 1].head : ZERO_HASH,
      records,
    });
  }

  const batches: BatchRoot[] = [];
  for (const b of batchRoots) {
    batches.push({
      subject: b.subject,
      leafCount: Number(BigInt(b.parsed.attrs)),
      record: await buildRecord(b.parsed, b.index),
    });
  }
  const rootPosition = new Map(batchRoots.map((b, i) => [`${b.subject}:${b.parsed.contentHash}`, i]));
  const bundleSubjects = new Set(chains.map((c) => c.subject));
  const batched: BatchedRecord[] = batchInputs
    .map((p) => {
      const leaf: BatchLeaf = {
        subject: lower(p.leaf.subject),
        kind: lower(p.leaf.kind),
        contentHash: lower(p.leaf.contentHash),
        attrs: lower(p.leaf.attrs),
      };
      if (!bundleSubjects.has(leaf.subject)) {
        throw new ExportError(`batched record ${leaf.contentHash} is on subject ${leaf.subject}, not in this bundle`);
      }
      const attrs = p.attrs ? decoded(p.attrs.types, p.attrs.values) : attrsByHash.get(leaf.contentHash);
      return {
        batch: { subject: lower(p.batchSubject), root: lower(p.root) },
        leaf,
        kindName: kindName(leaf.kind),
        proof: p.proof.map(lower),
        decodedAttrs: attrs,
      };
    })
    .sort(
      (a, b) =>
        rootPosition.get(`${a.batch.subject}:${a.batch.root}`)! -
          rootPosition.get(`${b.batch.subject}:${b.batch.root}`)! || compareHex(a.leaf.contentHash, b.leaf.contentHash),
    );

  // ------------------------------------------------ documents
  const order = new Map<string, number>();
  for (const s of subjects)
    for (const r of s.records) if (!order.has(r.contentHash)) order.set(r.contentHash, order.size);
  for (const b of batched) if (!order.has(b.leaf.contentHash)) order.set(b.leaf.contentHash, order.size);
  // A reminder's notice stands behind its Reminder fact through the notice hash in the fact's attrs.
  for (const s of subjects)
    for (const r of s.records) {
      const notice = noticeHashOf(r);
      if (notice && !order.has(notice)) order.set(notice, order.size);
    }
  const documents = new Map<string, BundleDocument>();
  for (const d of opts.documents ?? []) {
    const doc = documentEntry(d);
    if (!order.has(doc.contentHash)) {
      throw new ExportError(`document ${doc.contentHash} belongs to no record in this bundle`);
    }
    documents.set(doc.contentHash, doc);
  }

  // ------------------------------------------------ case and membership
  if (caseLogs) {
    const o = courtInterface.parseLog(caseLogs.opened)!;
    const openedBlock = blocks.get(caseLogs.opened.blockNumber)!;
    caseInfo = {
      caseId: BigInt(o.args.caseId).toString(),
      loanId: BigInt(o.args.loanId).toString(),
      court: getAddress(caseLogs.opened.address),
      subject: chains[1].subject,
      claimant: getAddress(o.args.claimant),
      arbitrator: getAddress(o.args.arbitrator),
      frozenHead: lower(o.args.frozenHead),
      claimHash: lower(o.args.claimHash),
      openedBlock: caseLogs.opened.blockNumber,
      openedAt: openedBlock.timestamp,
      openedTxHash: lower(caseLogs.opened.transactionHash),
      award: undefined,
    };
    if (caseLogs.award) {
      const a = courtInterface.parseLog(caseLogs.award)!;
      caseInfo.award = {
        awardHash: lower(a.args.awardHash),
        amountOwed: BigInt(a.args.amountOwed).toString(),
        blockNumber: caseLogs.award.blockNumber,
        timestamp: blocks.get(caseLogs.award.blockNumber)!.timestamp,
        txHash: lower(caseLogs.award.transactionHash),
      };
    }
  }

  const roleOf = (id: number): { id: number; name: string } => ({
    id,
    name: ROLE_NAMES[id as Role] ?? `unknown(${id})`,
  });
  const membership: MembershipEvent[] = membershipLogs.map((l) => {
    const e = ledgerInterface.parseLog(l)!;
    const admitted = e.name === "MemberAdmitted";
    const roleChange = e.name === "MemberRoleChanged";
    return {
      type: e.name as MembershipEvent["type"],
      account: getAddress(e.args.account),
      role: roleOf(Number(roleChange ? e.args.to : e.args.role)),
      fromRole: roleChange ? roleOf(Number(e.args.from)) : undefined,
      name: admitted ? (e.args.name as string) : undefined,
      encryptionKey: admitted ? lower(e.args.encryptionKey as string) : undefined,
      seq: Number(e.args.seq),
      blockNumber: l.blockNumber,
      logIndex: l.index,
      txHash: lower(l.transactionHash),
    };
  });
  const changeBlocks = new Map<number, number>();
  for (const n of new Set(changeLogs.map((l) => l.blockNumber))) {
    const blk = blocks.get(n) ?? (await provider.getBlock(n));
    if (!blk) throw new ExportError(`block ${n} not found`);
    changeBlocks.set(n, blk.timestamp);
  }
  const changes: MembershipChange[] = changeLogs.map((l) => {
    const e = ledgerInterface.parseLog(l)!;
    return {
      epoch: Number(e.args.epoch),
      action: Number(e.args.action),
      account: getAddress(e.args.account),
      role: Number(e.args.role),
      data: lower(e.args.data as string),
      issuedAt: BigInt(e.args.issuedAt).toString(),
      deadline: BigInt(e.args.deadline).toString(),
      signatures: lower(e.args.signatures as string),
      timestamp: changeBlocks.get(l.blockNumber)!,
      blockNumber: l.blockNumber,
      logIndex: l.index,
      txHash: lower(l.transactionHash),
    };
  });
  const modules: ModuleEvent[] = moduleLogs.map((l) => {
    const e = ledgerInterface.parseLog(l)!;
    return {
      module: getAddress(e.args.module),
      enabled: e.args.enabled as boolean,
      blockNumber: l.blockNumber,
      logIndex: l.index,
      txHash: lower(l.transactionHash),
    };
  });

  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    chainId: book.chainId,
    ledger,
    domain: { name: "colend", version: "1", chainId: book.chainId, verifyingContract: ledger },
    exportedAt: { blockNumber: toBlock, blockHash: lower(exportBlock.hash), timestamp: exportBlock.timestamp },
    subjects,
    case: caseInfo,
    assent: opts.assent
      ? {
          loanBook: getAddress(opts.assent.loanBook),
          borrower: getAddress(opts.assent.borrower),
          deadline: BigInt(opts.assent.deadline).toString(),
          signature: lower(opts.assent.signature),
        }
      : undefined,
    membership,
    changes,
    modules,
    batches,
    batched,
    disclosures: (opts.disclosures ?? []).map((d) => ({
      header: {
        chainId: d.header.chainId,
        ledger: getAddress(d.header.ledger),
        court: getAddress(d.header.court),
        caseId: d.header.caseId,
        arbitrator: getAddress(d.header.arbitrator),
        recipientKey: lower(d.header.recipientKey),
      },
      items: d.items.map((i) => ({
        contentHash: lower(i.contentHash),
        subject: lower(i.subject),
        kind: lower(i.kind),
        documentHash: lower(i.documentHash),
        keyHash: lower(i.keyHash),
      })),
    })),
    documents: [...documents.values()].sort((a, b) => order.get(a.contentHash)! - order.get(b.contentHash)!),
  };
}

/** Writes `bundle` to `file` (creating its folder), as `serializeBundle` prints it. */
export function writeBundle(file: string, bundle: EvidenceBundle): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, serializeBundle(bundle));
  fs.renameSync(tmp, file);
}

/** Batch proofs for the leaves of `tree` (an OpenZeppelin StandardMerkleTree) on `subjects`. */
export function batchProofsFromTree(
  batchSubject: string,
  tree: { root: string; entries(): Iterable<[number, string[]]>; getProof(i: number): string[] },
  subjects: readonly string[],
): BatchProofInput[] {
  const wanted = new Set(subjects.map(lower));
  const out: BatchProofInput[] = [];
  for (const [i, [subject, kind, contentHash, attrs]] of tree.entries()) {
    if (!wanted.has(lower(subject))) continue;
    out.push({ batchSubject, root: tree.root, leaf: { subject, kind, contentHash, attrs }, proof: tree.getProof(i) });
  }
  return out;
}

function parseRecord(log: Log): ParsedRecord {
  const e = ledgerInterface.parseLog(log);
  if (!e) throw new ExportError(`log ${log.transactionHash}#${log.index} is not a RecordCommitted event`);
  return {
    log,
    subject: lower(e.args.subject),
    kind: lower(e.args.kind),
    proposer: lower(e.args.proposer),
    contentHash: lower(e.args.contentHash),
    attrs: lower(e.args.attrs),
    prev: lower(e.args.prev),
    head: lower(e.args.head),
    attestation: Number(e.args.attestation),
    issuedAt: BigInt(e.args.issuedAt),
    deadline: BigInt(e.args.deadline),
    endorsements: lower(e.args.endorsements),
  };
}

/** The notice hash in a Reminder fact's decoded attrs (installment, noticeHash), if it has them. */
export function noticeHashOf(r: { kind: { id: string }; decodedAttrs?: DecodedAttrs }): string | undefined {
  if (lower(r.kind.id) !== lower(Kind.Reminder) || !r.decodedAttrs || r.decodedAttrs.values.length !== 2)
    return undefined;
  const v = r.decodedAttrs.values[1];
  return typeof v === "string" ? lower(v) : undefined;
}

function caseBlocks(c: { opened: Log; award?: Log }): number[] {
  return c.award ? [c.opened.blockNumber, c.award.blockNumber] : [c.opened.blockNumber];
}

function documentEntry(d: DocumentInput | SealedDocumentInput): BundleDocument {
  if ("encrypted" in d) {
    const sealed: BundleDocument = { contentHash: lower(d.contentHash), encrypted: structuredClone(d.encrypted) };
    return d.salt ? { contentHash: sealed.contentHash, salt: lower(d.salt), encrypted: sealed.encrypted } : sealed;
  }
  const salt = getBytes(d.salt);
  const bytes = getBytes(d.document);
  const hash = saltedHash(bytes, salt);
  if (d.contentHash !== undefined && lower(d.contentHash) !== hash) {
    throw new ExportError(`document given for ${d.contentHash} hashes to ${hash} with its salt`);
  }
  return { contentHash: hash, salt: hexlify(salt), document: Buffer.from(bytes).toString("base64") };
}

/** Decoded attrs in JSON form: bigints become decimal strings, bytes become hex. */
function decoded(types: readonly string[], values: readonly unknown[]): DecodedAttrs {
  return { types: [...types], values: values.map(toJson) };
}

function toJson(v: unknown): JsonValue {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return hexlify(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new ExportError(`attrs value ${v} is not a safe integer: pass it as a bigint`);
    return v;
  }
  throw new ExportError(`attrs value of type ${typeof v} cannot be written to a bundle`);
}

/** The signed transaction as it was broadcast, rebuilt from its RPC form and checked against its hash. */
export function serializeSigned(tx: TransactionResponse): string {
  if (tx.type > 2) throw new ExportError(`transaction ${tx.hash} has type ${tx.type}, which bundles do not carry`);
  const rebuilt = Transaction.from({
    type: tx.type,
    chainId: tx.chainId,
    nonce: tx.nonce,
    to: tx.to,
    data: tx.data,
    value: tx.value,
    gasLimit: tx.gasLimit,
    gasPrice: tx.type === 2 ? null : tx.gasPrice,
    maxFeePerGas: tx.type === 2 ? tx.maxFeePerGas : null,
    maxPriorityFeePerGas: tx.type === 2 ? tx.maxPriorityFeePerGas : null,
    accessList: tx.type === 0 ? null : tx.accessList,
    signature: tx.signature,
  });
  if (rebuilt.hash !== tx.hash) {
    throw new ExportError(`transaction ${tx.hash} could not be re-serialized (got ${rebuilt.hash})`);
  }
  return rebuilt.serialized;
}

function compareHex(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
