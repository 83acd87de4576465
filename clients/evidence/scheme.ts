/**
 * Scheme tag of sealed bundle documents that came from a document-store disclosure package
 * (docs/DISCLOSURE.md). Version 2 names the ledger beside the chain, court and case.
 */
export const DISCLOSURE_SCHEME = "colend-disclosure-v2";
