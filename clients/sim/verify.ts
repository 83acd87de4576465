import type { TypedDataDomain } from "ethers";
import type { EvidenceLedger } from "../../typechain-types";
import { Attestation, ZERO_HASH, kindName } from "../core/types";
import { contentHash, nextHead, recordEndorsers, recordHash } from "./records";

/** One record of a chain as rebuilt from the ledger's logs. */
export interface ChainRecord {
  index: number;
  kind: string;
  contentHash: string;
  attrs: string;
  prev: string;
  head: string;
  proposer: string;
  attestation: number;
  deadline: number;
  endorsers: string[];
  txHash: string;
  blockNumber: number;
}

export interface ChainCheck {
  ok: boolean;
  problem?: string;
  records: ChainRecord[];
}

/**
 * Rebuilds `subject`'s chain from `RecordCommitted` logs up to `frozenHead` and checks every link,
 * every endorsement (distinct voting members, at least `quorum`, never the proposer) and every
 * document given against its content hash.
 */
export async function verifyChain(args: {
  ledger: EvidenceLedger;
  fromBlock: number;
  subject: string;
  frozenHead: string;
  quorum: number;
  domain: TypedDataDomain;
  isVoting: (address: string) => Promise<boolean> | boolean;
  documents?: Map<string, { salt: Uint8Array; document: Uint8Array }>;
}): Promise<ChainCheck> {
  const { ledger } = args;
  const logs = await ledger.queryFilter(ledger.filters.RecordCommitted(args.subject), args.fromBlock);
  const records: ChainRecord[] = [];
  let head = ZERO_HASH;
  const fail = (problem: string): ChainCheck => ({ ok: false, problem, records });
  if (args.frozenHead === ZERO_HASH) return { ok: true, records };
  for (const log of logs) {
    const a = log.args;
    const n = records.length;
    const record = { subject: a.subject, kind: a.kind, contentHash: a.contentHash, attrs: a.attrs, prev: a.prev };
    if (a.prev !== head) return fail(`record ${n} does not extend the chain`);
    head = nextHead(head, recordHash(record, a.proposer));
    if (head !== a.head) return fail(`record ${n}: head mismatch`);
    const attestation = Number(a.attestation) as Attestation;
    const endorsers = recordEndorsers(
      args.domain,
      record,
      a.proposer,
      a.issuedAt,
      a.deadline,
      attestation,
      a.endorsements,
    );
    if (attestation !== Attestation.Fact) {
      const distinct = new Set(endorsers.map((e) => e.toLowerCase()));
      if (distinct.size !== endorsers.length) return fail(`record ${n}: an endorser signed twice`);
      if (distinct.has(a.proposer.toLowerCase())) return fail(`record ${n}: the proposer endorsed itself`);
      for (const e of endorsers) if (!(await args.isVoting(e))) return fail(`record ${n}: ${e} is not a voting member`);
      if (endorsers.length < args.quorum)
        return fail(`record ${n}: ${endorsers.length} endorsements, ${args.quorum} needed`);
    }
    const doc = args.documents?.get(a.contentHash);
    if (doc && contentHash(doc.document, doc.salt) !== a.contentHash)
      return fail(`record ${n}: document does not match`);
    records.push({
      index: n,
      kind: kindName(a.kind),
      contentHash: a.contentHash,
      attrs: a.attrs,
      prev: a.prev,
      head: a.head,
      proposer: a.proposer,
      attestation,
      deadline: Number(a.deadline),
      endorsers,
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
    });
    if (head === args.frozenHead) return { ok: true, records };
  }
  return fail("the chain does not reach the frozen head");
}
