import { hexlify } from "ethers";
import { DISCLOSURE_VERSION, DisclosurePackage, manifestOf, openDisclosure } from "../store/disclosure";
import type { DisclosureManifest } from "./bundle";
import type { EncryptedDocument, OpaqueObject } from "./bundle";
import type { SealedDocumentInput } from "./export";
import type { DecryptHook } from "./verify";
import { DISCLOSURE_SCHEME } from "./scheme";

/**
 * Bridges the document store's disclosure packages (docs/DISCLOSURE.md) and evidence bundles: a
 * package's items become sealed bundle documents, and the arbitrator's private encryption key
 * opens them again for the verifier. Loaded only when needed: it pulls in the document store.
 */

export { DISCLOSURE_SCHEME };

/**
 * The items of `pkg` as sealed bundle documents. Each keeps what opening it needs (the package's
 * chain, court, case, arbitrator and recipient key, the item's subject, kind, ciphertext and
 * wrapped key), so one item opens without the rest of the package.
 */
export function sealedDocumentsOf(pkg: DisclosurePackage): SealedDocumentInput[] {
  return pkg.items.map((item) => ({
    contentHash: item.contentHash,
    encrypted: {
      scheme: DISCLOSURE_SCHEME,
      chainId: pkg.chainId,
      ledger: pkg.ledger,
      court: pkg.court,
      caseId: pkg.caseId,
      arbitrator: pkg.arbitrator,
      recipientKey: pkg.recipientKey,
      subject: item.subject,
      kind: item.kind,
      document: { iv: item.document.iv, ciphertext: item.document.ciphertext, tag: item.document.tag },
      key: {
        recipient: item.key.recipient,
        ephemeralKey: item.key.ephemeralKey,
        iv: item.key.iv,
        ciphertext: item.key.ciphertext,
        tag: item.key.tag,
      },
    },
  }));
}

/**
 * A verifier hook that opens sealed documents of `DISCLOSURE_SCHEME` with the arbitrator's private
 * encryption key (throws for anything it cannot open, which the verifier reports as sealed).
 */
export function disclosureDecrypter(privateKey: string): DecryptHook {
  return (doc: EncryptedDocument) => {
    const e = doc.encrypted;
    if (e.scheme !== DISCLOSURE_SCHEME) throw new Error(`unknown scheme ${String(e.scheme)}`);
    const str = (v: string | OpaqueObject | undefined): string => {
      if (typeof v !== "string") throw new Error("malformed sealed document");
      return v;
    };
    const obj = (v: string | OpaqueObject | undefined): OpaqueObject => {
      if (typeof v !== "object") throw new Error("malformed sealed document");
      return v;
    };
    const document = obj(e.document);
    const key = obj(e.key);
    const pkg: DisclosurePackage = {
      format: "colend-disclosure",
      version: DISCLOSURE_VERSION,
      chainId: str(e.chainId),
      ledger: str(e.ledger),
      court: str(e.court),
      caseId: str(e.caseId),
      arbitrator: str(e.arbitrator),
      recipientKey: str(e.recipientKey),
      items: [
        {
          contentHash: doc.contentHash,
          subject: str(e.subject),
          kind: str(e.kind),
          document: { iv: str(document.iv), ciphertext: str(document.ciphertext), tag: str(document.tag) },
          key: {
            recipient: str(key.recipient),
            ephemeralKey: str(key.ephemeralKey),
            iv: str(key.iv),
            ciphertext: str(key.ciphertext),
            tag: str(key.tag),
          },
        },
      ],
    };
    const [opened] = openDisclosure(pkg, privateKey);
    return { salt: hexlify(opened.salt), document: opened.document };
  };
}

/** The manifest of a disclosure package, for `exportLoanBundle(..., { disclosures })`. */
export function disclosureManifest(pkg: DisclosurePackage): DisclosureManifest {
  return manifestOf(pkg);
}
