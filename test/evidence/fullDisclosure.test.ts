/**
 * Full disclosure (issue 10): for a case the claimant discloses every document behind the loan's
 * chain (credit decision, contract with the borrower's assent, disbursement and repayment
 * receipts, reminder, default notice, collection step); the bundle carries them and the verifier
 * matches each to its record and checks the borrower's EIP-712 assent with the loan book's own
 * encoding. Tampering with any of them is rejected with a reason.
 */
import { ethers } from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, toUtf8Bytes } from "ethers";
import { cny } from "../../clients/lending";
import { assentDomain, signAssent } from "../../clients/lending/assent";
import { DocumentStore } from "../../clients/store";
import { ArbitratorNode, discloseToArbitrator, openCase } from "../../clients/arbitration";
import { PlainDocument, serializeBundle } from "../../clients/evidence/bundle";
import { ExportError } from "../../clients/evidence/export";
import { LOAN_BOOK_EVENTS } from "../../clients/evidence/receipts";
import { LOAN_BOOK_READS, caseDocuments, exportCaseBundle } from "../../clients/evidence/caseBundle";
import { disclosureDecrypter, disclosureManifest, sealedDocumentsOf } from "../../clients/evidence/disclosure";
import { ILoanBook__factory } from "../../typechain-types";
import { deployDefaultedLoan } from "../arbitration/defaultedLoan";
import { encryptionPrivateKey } from "../arbitration/fixture";
import { expectFailure, expectRejected, expectVerified, tampered } from "./helpers";

const SECRET = "0x" + "31".repeat(32);

async function fullDisclosureFixture() {
  const store = DocumentStore.open(":memory:", SECRET);
  const { fx, loanId, pseudonym } = await deployDefaultedLoan({ store, paidOnDueDate: cny(100) });
  const filed = await openCase({
    bank: fx.lead,
    peers: fx.partnerNodes,
    loanId,
    arbitrator: fx.arbitrator.address,
    claim: toUtf8Bytes("W Bank claims the whole loan"),
    store,
  });
  const contentHashes = caseDocuments(store, loanId, pseudonym, filed.caseId);
  const disclosed = await discloseToArbitrator({ bank: fx.lead, store, caseId: filed.caseId, contentHashes });
  const arbitrator = new ArbitratorNode(
    "Arbitration Commission 1",
    fx.arbitrator,
    fx.book,
    DocumentStore.open(":memory:", SECRET),
    encryptionPrivateKey(fx.arbitrator.address),
  );
  const review = await arbitrator.receiveDisclosure(disclosed.package);
  const disclosures = [disclosureManifest(disclosed.package)];
  // The claimant's export: every document behind the case from its store.
  const bundle = await exportCaseBundle(ethers.provider, fx.book, filed.caseId, { documents: store, disclosures });
  return { ...fx, loanId, pseudonym, review, bundle, contentHashes, caseId: filed.caseId, disclosed, disclosures };
}
const plain = (b: { documents: unknown[] }, i: number) => b.documents[i] as PlainDocument;

describe("Full disclosure of a case", function () {
  it("discloses every document behind the loan's chain, each verified by the arbitrator and the verifier", async function () {
    const { review, bundle } = await loadFixture(fullDisclosureFixture);
    expect(review.verified, review.documents.map((d) => `${d.kindName}: ${d.problem}`).join("; ")).to.equal(true);
    expect(review.documents.map((d) => d.kindName).sort()).to.deep.equal(
      ["CaseOpened", "CollectionStarted", "CreditDecision", "DefaultNotice", "LoanContract", "Reminder"].sort(),
    );
    const report = await expectVerified(bundle, { rpc: ethers.provider });
    expect(report.documents.failed).to.equal(0);
    const kinds = bundle.subjects[0].records.filter((r) => r.decodedAttrs).map((r) => r.kind.name);
    expect(kinds).to.include.members(["LoanDisbursed", "Repayment", "Reminder"]);
    expect(bundle.assent).to.not.equal(undefined);
  });

  it("is one bundle whoever exports it: the claimant from its store, the arbitrator from what it opened or holds sealed", async function () {
    const { bundle, review, disclosed, disclosures, caseId, book, contentHashes } =
      await loadFixture(fullDisclosureFixture);
    const toBlock = bundle.exportedAt.blockNumber;
    // The loan's, the case's and the borrower's credit chain; every document once.
    expect(bundle.subjects.map((s) => s.role)).to.deep.equal(["loan", "case", "subject"]);
    expect(bundle.documents.map((d) => d.contentHash).sort()).to.deep.equal(
      contentHashes.map((h) => h.toLowerCase()).sort(),
    );
    const opened = await exportCaseBundle(ethers.provider, book, caseId, {
      // The same document twice goes in once.
      documents: [...review.documents, review.documents[0]].map((d) => ({ salt: d.salt, document: d.document })),
      disclosures,
      toBlock,
    });
    expect(serializeBundle(opened)).to.equal(serializeBundle(bundle));
    const sealed = await exportCaseBundle(ethers.provider, book, caseId, {
      documents: sealedDocumentsOf(disclosed.package),
      disclosures,
      toBlock,
    });
    expect(sealed.documents.length).to.equal(bundle.documents.length);
    const report = await expectVerified(sealed, {
      decrypt: disclosureDecrypter(encryptionPrivateKey(sealed.case!.arbitrator)),
    });
    expect(report.documents).to.deep.equal({ verified: bundle.documents.length, sealed: 0, failed: 0 });
  });

  it("refuses to export a case that was never opened, or a document that is not behind the case", async function () {
    const { book, caseId } = await loadFixture(fullDisclosureFixture);
    await expectFailure(
      exportCaseBundle(ethers.provider, book, caseId + 1n, { documents: [] }),
      ExportError,
      new RegExp(`^case ${caseId + 1n} was never opened at court 0x[0-9a-fA-F]{40}$`),
    );
    const stray = { salt: new Uint8Array(32).fill(7), document: toUtf8Bytes("a note on another loan") };
    await expectFailure(
      exportCaseBundle(ethers.provider, book, caseId, { documents: [stray] }),
      ExportError,
      /^document 0x[0-9a-f]{64} belongs to no record in this bundle$/,
    );
    await expectFailure(
      exportCaseBundle(ethers.provider, { ...book, loanBook: undefined }, caseId, { documents: [] }),
      ExportError,
      /no loan book/,
    );
  });

  it("reads the loan book with the events and call the contract declares", async function () {
    const compiled = ILoanBook__factory.createInterface();
    LOAN_BOOK_EVENTS.forEachEvent((e) =>
      expect(e.topicHash, e.name).to.equal(compiled.getEvent(e.name as "LoanFunded").topicHash),
    );
    LOAN_BOOK_READS.forEachFunction((f) => {
      const c = compiled.getFunction(f.name as "borrowerOf");
      expect(f.selector, f.name).to.equal(c.selector);
      expect(
        f.outputs.map((o) => o.type),
        f.name,
      ).to.deep.equal(c.outputs.map((o) => o.type));
    });
  });

  it("rejects a forged or altered borrower signature", async function () {
    const { bundle, loanBook } = await loadFixture(fullDisclosureFixture);
    const contract = bundle.subjects[0].records.find((r) => r.kind.name === "LoanContract")!;
    // Signed by someone else over the same contract.
    const forger = Wallet.createRandom();
    const forged = await signAssent(
      forger,
      assentDomain(bundle.chainId, await loanBook.getAddress()),
      contract.attrs,
      contract.contentHash,
      BigInt(bundle.assent!.deadline),
    );
    await expectRejected(
      tampered(bundle, (b) => (b.assent!.signature = forged.signature)),
      [/^loan record 0 \(LoanContract\): the borrower's assent was signed by 0x[0-9a-fA-F]{40}, not by the borrower/],
    );
    // One byte of the borrower's own signature changed.
    await expectRejected(
      tampered(bundle, (b) => {
        const s = b.assent!.signature;
        b.assent!.signature = s.slice(0, 10) + (s[10] === "0" ? "1" : "0") + s.slice(11);
      }),
      [/^loan record 0 \(LoanContract\): the borrower's assent (was signed by|signature is malformed)/],
    );
    // The assent claimed for another borrower than the contract binds.
    await expectRejected(
      tampered(bundle, (b) => (b.assent!.borrower = forger.address)),
      [/the assent is by 0x[0-9a-fA-F]{40}, but the contract binds borrower/],
    );
  });

  it("rejects a bundle missing a document, a receipt or the credit decision", async function () {
    const { bundle } = await loadFixture(fullDisclosureFixture);
    const notice = bundle.subjects[0].records.find((r) => r.kind.name === "DefaultNotice")!;
    await expectRejected(
      tampered(bundle, (b) => (b.documents = b.documents.filter((d) => d.contentHash !== notice.contentHash))),
      [/^loan record \d+ \(DefaultNotice\): its document was not disclosed/],
    );
    const repayment = bundle.subjects[0].records.find((r) => r.kind.name === "Repayment")!;
    await expectRejected(
      tampered(bundle, (b) => delete b.subjects[0].records[repayment.index].decodedAttrs),
      [/^loan record \d+ \(Repayment\): its receipt \(the fact's parameters\) was not disclosed/],
    );
    const decision = bundle.subjects[2].records.find((r) => r.kind.name === "CreditDecision")!;
    await expectRejected(
      tampered(bundle, (b) => (b.documents = b.documents.filter((d) => d.contentHash !== decision.contentHash))),
      [/CreditDecision\): the credit decision behind the loan was not disclosed/],
    );
    await expectRejected(
      tampered(bundle, (b) => (b.subjects = b.subjects.slice(0, 2))),
      [/the borrower's credit chain .* is not in the bundle/],
    );
  });

  it("rejects a document swapped between records and an altered receipt", async function () {
    const { bundle } = await loadFixture(fullDisclosureFixture);
    const records = bundle.subjects[0].records;
    const notice = records.find((r) => r.kind.name === "DefaultNotice")!;
    const collection = records.find((r) => r.kind.name === "CollectionStarted")!;
    const i = bundle.documents.findIndex((d) => d.contentHash === notice.contentHash);
    const j = bundle.documents.findIndex((d) => d.contentHash === collection.contentHash);
    await expectRejected(
      tampered(bundle, (b) => {
        const [x, y] = [plain(b, i), plain(b, j)];
        [x.document, y.document] = [y.document, x.document];
        [x.salt, y.salt] = [y.salt, x.salt];
      }),
      [
        /^loan record \d+ \(DefaultNotice\): document: keccak256\(salt ‖ document\)/,
        /^loan record \d+ \(CollectionStarted\): document: keccak256\(salt ‖ document\)/,
      ],
    );
    const repayment = records.find((r) => r.kind.name === "Repayment")!;
    await expectRejected(
      tampered(bundle, (b) => {
        const values = b.subjects[0].records[repayment.index].decodedAttrs!.values;
        values[1] = (BigInt(values[1] as string) + 100n).toString(); // 1 CNY more paid than recorded
      }),
      [/^loan record \d+ \(Repayment\): decodedAttrs hash to/],
    );
    const reminder = records.find((r) => r.kind.name === "Reminder")!;
    const notice2 = reminder.decodedAttrs!.values[1] as string;
    await expectRejected(
      tampered(bundle, (b) => {
        const d = b.documents.find((x) => x.contentHash === notice2) as PlainDocument;
        d.document = Buffer.from("SMS: nothing is overdue").toString("base64");
      }),
      [/^loan record \d+ \(Reminder\): document: keccak256\(salt ‖ document\)/],
    );
  });

  it("is unproven, not verified, without the borrower's assent", async function () {
    const { bundle } = await loadFixture(fullDisclosureFixture);
    const report = await expectVerified(tampered(bundle, (b) => delete b.assent));
    expect(report.status).to.equal("unproven");
    expect(report.unproven.join("\n")).to.match(/^disclosure: the bundle carries no borrower assent/m);
  });
});
