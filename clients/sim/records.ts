import type { TypedDataDomain } from "ethers";
import { recoverEndorser, unpackAddresses, unpackSignatures } from "../core/records";
import { Attestation, RecordInput } from "../core/types";

export { attrsHash, contentHash, nextHead, recordHash } from "../core/records";

/**
 * The endorsers of a committed record, from its `RecordCommitted` event: signatures are
 * recovered (Signatures), addresses read (Votes); a fact names its reporting module.
 */
export function recordEndorsers(
  domain: TypedDataDomain,
  record: RecordInput,
  proposer: string,
  issuedAt: bigint,
  deadline: bigint,
  attestation: Attestation,
  endorsements: string,
): string[] {
  if (attestation === Attestation.Votes) return unpackAddresses(endorsements);
  if (attestation === Attestation.Fact) return [];
  return unpackSignatures(endorsements).map((sig) =>
    recoverEndorser(domain, { ...record, proposer, issuedAt, deadline }, sig),
  );
}
