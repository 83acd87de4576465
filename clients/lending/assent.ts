import { Signer, TypedDataDomain, verifyTypedData } from "ethers";
import { attrsHash, contentHash } from "../core/records";
import { ATTR_TYPES, LoanTermsInput, decodeDocument, loanContractAttrs, sameValue } from "./documents";

/**
 * The borrower's assent to a loan contract (`ILoanBook.Assent`): an EIP-712 signature by the
 * account bound to its credit line at whitelisting, over the LoanContract record's attrs (loan id,
 * borrower, pseudonym, every term) and content hash (the salted contract document, schedule
 * included), verified by the loan book at origination and kept as the `LoanAssented` event.
 */
export const ASSENT_TYPES = {
  LoanAssent: [
    { name: "termsHash", type: "bytes32" },
    { name: "contractHash", type: "bytes32" },
    { name: "deadline", type: "uint64" },
  ],
};

/** How long a borrower's assent stays valid by default: one day. */
export const ASSENT_LIFETIME = 86_400n;

/** The EIP-712 domain of a loan book's assents. */
export function assentDomain(chainId: bigint | string | number, loanBook: string): TypedDataDomain {
  return { name: "colend LoanBook", version: "1", chainId: BigInt(chainId), verifyingContract: loanBook };
}

/** A signed assent as the loan book takes it. */
export interface Assent {
  deadline: bigint;
  signature: string;
}

/** What the lead bank asks the borrower to accept: the contract document and the record it goes into. */
export interface AssentRequest {
  chainId: bigint;
  loanBook: string;
  loanId: bigint;
  terms: LoanTermsInput;
  /** The LoanContract record's attrs and content hash. */
  termsHash: string;
  contractHash: string;
  document: Uint8Array;
  salt: Uint8Array;
  /** Block time the assent is asked at; the assent expires `ASSENT_LIFETIME` later. */
  now: bigint;
}

/** Whoever can give a borrower's assent (the borrower's client). */
export interface Assenter {
  address(): Promise<string>;
  assent(request: AssentRequest): Promise<Assent>;
}

/** The borrower refuses to sign: what it was asked to sign is not what it was shown. */
export class AssentRefused extends Error {
  override readonly name = "AssentRefused";
}

/**
 * Checks an assent request as a borrower's client does before it signs: the document hashes to the
 * record's content hash, names this borrower and says exactly the terms, and the record's attrs
 * bind the same loan, borrower and terms. Throws `AssentRefused` saying what is wrong.
 */
export function checkAssentRequest(r: AssentRequest, borrower: string): void {
  if (contentHash(r.document, r.salt) !== r.contractHash)
    throw new AssentRefused("the contract document does not hash to the record's content hash");
  const doc = decodeDocument(r.document, "LoanContract");
  if (!sameValue(doc.borrower, borrower))
    throw new AssentRefused(`the contract names ${doc.borrower}, not ${borrower}`);
  if (!sameValue(doc.loanId, r.loanId))
    throw new AssentRefused(`the contract is for loan ${doc.loanId}, not ${r.loanId}`);
  for (const key of Object.keys(r.terms) as (keyof LoanTermsInput)[]) {
    if (!sameValue(doc[key], r.terms[key]))
      throw new AssentRefused(`the contract says ${key} ${doc[key]}, not ${r.terms[key]}`);
  }
  const attrs = loanContractAttrs(r.loanId, borrower, r.terms);
  if (attrsHash(ATTR_TYPES.LoanContract, attrs.values) !== r.termsHash)
    throw new AssentRefused("the record's attrs do not bind this loan, borrower and terms");
}

/** Signs an assent with `signer` (the borrower's bound account). */
export async function signAssent(
  signer: Signer,
  domain: TypedDataDomain,
  termsHash: string,
  contractHash: string,
  deadline: bigint,
): Promise<Assent> {
  const signature = await signer.signTypedData(domain, ASSENT_TYPES, { termsHash, contractHash, deadline });
  return { deadline, signature };
}

/** The account that signed an assent (what the loan book and the offline verifier check). */
export function assentSigner(domain: TypedDataDomain, termsHash: string, contractHash: string, a: Assent): string {
  return verifyTypedData(domain, ASSENT_TYPES, { termsHash, contractHash, deadline: a.deadline }, a.signature);
}
