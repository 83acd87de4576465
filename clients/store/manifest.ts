import { AbiCoder, keccak256 } from "ethers";

/**
 * The manifest hash of a disclosure: what `ArbitrationCourt.recordDisclosure` puts on the case
 * chain. One definition, used by the document store (which builds packages) and by the evidence
 * verifier (which checks that a bundle carries every document a case disclosed). Pure: no store.
 */

export const MANIFEST_LABEL = "colend.disclosure.v2";

/** What a disclosure was addressed to. */
export interface ManifestHeader {
  chainId: string; // decimal
  ledger: string;
  court: string;
  caseId: string; // decimal
  arbitrator: string;
  recipientKey: string; // the arbitrator's registered 33-byte key
}

/** One disclosed document as the manifest commits to it. */
export interface ManifestItem {
  contentHash: string;
  subject: string;
  kind: string;
  documentHash: string; // keccak256(iv ‖ ciphertext ‖ tag) of the document under its data key
  keyHash: string; // keccak256(ephemeralKey ‖ iv ‖ ciphertext ‖ tag) of the wrapped data key
}

/**
 * keccak256(abi.encode(label, chainId, ledger, court, caseId, arbitrator, recipientKey,
 * (contentHash, subject, kind, documentHash, keyHash)[]))
 */
export function manifestHashOf(header: ManifestHeader, items: readonly ManifestItem[]): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      [
        "string",
        "uint256",
        "address",
        "address",
        "uint256",
        "address",
        "bytes",
        "tuple(bytes32,bytes32,bytes32,bytes32,bytes32)[]",
      ],
      [
        MANIFEST_LABEL,
        BigInt(header.chainId),
        header.ledger,
        header.court,
        BigInt(header.caseId),
        header.arbitrator,
        header.recipientKey,
        items.map((i) => [i.contentHash, i.subject, i.kind, i.documentHash, i.keyHash]),
      ],
    ),
  );
}
