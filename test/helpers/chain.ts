/**
 * Rebuilds and re-verifies a subject's evidence chain from `RecordCommitted` logs alone, as an
 * arbitrator would: every link must hash to the next head, and every endorsement must come from
 * the members the log names. Throws on the first inconsistency.
 */
import { getAddress } from "ethers";
import type { TypedDataDomain } from "ethers";
import { EvidenceLedger } from "../../typechain-types";
import { nextHead, recordHash, recoverEndorser, unpackAddresses, unpackSignatures } from "../../clients/core/records";
import { Attestation, RecordInput, ZERO_HASH } from "../../clients/core/types";

/** One link of a rebuilt chain. */
export interface ChainEntry {
  record: RecordInput;
  proposer: string;
  head: string;
  attestation: Attestation;
  issuedAt: bigint;
  deadline: bigint;
  /** Signers (Signatures), voters (Votes) or the reporting module (Fact), checksummed. */
  endorsers: string[];
  blockNumber: number;
  txHash: string;
}

/** Reads `subject`'s chain from logs with one indexed query and checks every link. */
export async function rebuildChain(
  ledger: EvidenceLedger,
  domain: TypedDataDomain,
  subject: string,
): Promise<{ head: string; entries: ChainEntry[] }> {
  const logs = await ledger.queryFilter(ledger.filters.RecordCommitted(subject));
  let head = ZERO_HASH;
  const entries: ChainEntry[] = [];
  for (const log of logs) {
    const a = log.args;
    if (a.subject !== subject) throw new Error(`log for ${a.subject} returned for ${subject}`);
    if (a.prev !== head) throw new Error(`record ${entries.length} extends ${a.prev}, expected ${head}`);
    const record: RecordInput = { subject, kind: a.kind, contentHash: a.contentHash, attrs: a.attrs, prev: a.prev };
    const expected = nextHead(a.prev, recordHash(record, a.proposer));
    if (a.head !== expected) throw new Error(`record ${entries.length} head ${a.head}, expected ${expected}`);
    const attestation = Number(a.attestation) as Attestation;
    const endorsers =
      attestation === Attestation.Signatures
        ? unpackSignatures(a.endorsements).map((sig) =>
            recoverEndorser(
              domain,
              { ...record, proposer: a.proposer, issuedAt: a.issuedAt, deadline: a.deadline },
              sig,
            ),
          )
        : unpackAddresses(a.endorsements).map((x) => getAddress(x));
    entries.push({
      record,
      proposer: a.proposer,
      head: a.head,
      attestation,
      issuedAt: a.issuedAt,
      deadline: a.deadline,
      endorsers,
      blockNumber: log.blockNumber,
      txHash: log.transactionHash,
    });
    head = a.head;
  }
  return { head, entries };
}
