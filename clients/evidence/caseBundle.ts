import { Interface, getAddress, toBeHex } from "ethers";
import type { Provider } from "ethers";
import type { AddressBook } from "../core/addressBook";
import { Kind, Subject } from "../core/types";
import type { DocumentStore } from "../store/documentStore";
import { TOPIC } from "./abi";
import type { DisclosureManifest, EvidenceBundle } from "./bundle";
import { DocumentInput, ExportError, SealedDocumentInput, exportLoanBundle } from "./export";
import { loanReceipts } from "./receipts";

/**
 * The loan book's one read a case bundle needs (which borrower a loan is to), written out like its
 * events (`LOAN_BOOK_EVENTS`) so that the evidence package needs no compiled artifacts (a test
 * checks it matches the contract).
 */
export const LOAN_BOOK_READS = new Interface([
  "function borrowerOf(uint256 loanId) view returns (address account, bytes32 pseudonym)",
]);

/**
 * Everything the claimant holds behind a case (`clients/lending` `LeadBankNode.keepDocuments`),
 * each document once: every document of the loan's chain (contract, reminder notices, default
 * notice, collection), the borrower's credit decisions and the case's own documents (claim,
 * statements). These are what a full disclosure sends the arbitrator; the receipts of the loan's
 * facts and the borrower's assent come from the chain (`loanReceipts`).
 */
export function caseDocuments(store: DocumentStore, loanId: bigint, pseudonym: string, caseId: bigint): string[] {
  const credit = store.listBySubject(Subject.borrower(pseudonym)).filter((d) => d.kind === Kind.CreditDecision);
  // Each document once, even when it is kept under more than one subject.
  const hashes = [
    ...store.listBySubject(Subject.loan(loanId)),
    ...credit,
    ...store.listBySubject(Subject.arbitrationCase(caseId)),
  ].map((d) => d.contentHash);
  return [...new Set(hashes)];
}

export interface CaseBundleOptions {
  /**
   * What is disclosed: the claimant's document store (every document `caseDocuments` lists, in
   * clear), or the documents of the case's disclosure packages as the arbitrator holds them
   * (opened, or still sealed to it). Each document goes into the bundle once.
   */
  documents: DocumentStore | readonly (DocumentInput | SealedDocumentInput)[];
  /** The manifests of the case's disclosure packages (`disclosureManifest(pkg)`). */
  disclosures?: DisclosureManifest[];
  /** Last block to read (default: the latest block when the export starts). */
  toBlock?: number;
}

/**
 * The evidence bundle of arbitration case `caseId` with full disclosure (docs/DISCLOSURE.md), as
 * the demo, the network arbitrator and the arbitrator's console export it: the loan's chain and
 * the case's chain, the borrower's credit chain (its credit decision), the disclosed documents,
 * the receipts of the loan's facts (disbursement, repayments, reminders, cures, as decoded attrs)
 * and the borrower's signed assent to the contract (`loanReceipts`). Which loan and borrower come
 * from the chain: the court's CaseOpened event and the loan book's `borrowerOf`.
 */
export async function exportCaseBundle(
  provider: Provider,
  book: AddressBook,
  caseId: bigint,
  opts: CaseBundleOptions,
): Promise<EvidenceBundle> {
  if (!book.court) throw new ExportError("the address book has no court: cannot export a case");
  if (!book.loanBook) throw new ExportError("the address book has no loan book: a case's full disclosure needs it");
  const toBlock = opts.toBlock ?? (await provider.getBlockNumber());
  const court = getAddress(book.court);
  const [opened] = await provider.getLogs({
    address: court,
    topics: [TOPIC.CaseOpened, toBeHex(caseId, 32)],
    fromBlock: book.deployBlock,
    toBlock,
  });
  if (!opened) throw new ExportError(`case ${caseId} was never opened at court ${court}`);
  const loanId = BigInt(opened.topics[2]);
  const pseudonym = await borrowerOf(provider, book, loanId, toBlock);
  const receipts = await loanReceipts(provider, book, loanId, toBlock);
  return exportLoanBundle(
    provider,
    book,
    { loanId },
    {
      caseId,
      subjects: [Subject.borrower(pseudonym)],
      attrs: receipts.attrs,
      assent: receipts.assent,
      disclosures: opts.disclosures,
      documents: disclosedDocuments(opts.documents, loanId, pseudonym, caseId),
      toBlock,
    },
  );
}

/** The pseudonym of loan `loanId`'s borrower (the subject of its credit chain), from the loan book. */
export async function borrowerOf(
  provider: Provider,
  book: AddressBook,
  loanId: bigint,
  blockTag?: number,
): Promise<string> {
  if (!book.loanBook) throw new ExportError("the address book has no loan book");
  const [, pseudonym] = LOAN_BOOK_READS.decodeFunctionResult(
    "borrowerOf",
    await provider.call({
      to: book.loanBook,
      data: LOAN_BOOK_READS.encodeFunctionData("borrowerOf", [loanId]),
      blockTag,
    }),
  ) as unknown as [string, string];
  return pseudonym;
}

/** The claimant's documents behind the case, in clear; or the disclosed documents as given. */
function disclosedDocuments(
  from: CaseBundleOptions["documents"],
  loanId: bigint,
  pseudonym: string,
  caseId: bigint,
): (DocumentInput | SealedDocumentInput)[] {
  if (Array.isArray(from)) return [...from];
  const store = from as DocumentStore;
  return caseDocuments(store, loanId, pseudonym, caseId).map((contentHash) => {
    const d = store.require(contentHash);
    return { contentHash, salt: d.salt, document: d.document };
  });
}
