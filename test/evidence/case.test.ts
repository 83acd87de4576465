import { ethers } from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toUtf8Bytes } from "ethers";
import { cny } from "../../clients/lending";
import { DocumentStore } from "../../clients/store";
import {
  ArbitratorNode,
  discloseToArbitrator,
  fileStatement,
  openCase,
  respondToCase,
} from "../../clients/arbitration";
import { EXIT, main } from "../../clients/evidence/cli";
import { EncryptedDocument, OpaqueObject, serializeBundle } from "../../clients/evidence/bundle";
import { disclosureDecrypter, disclosureManifest, sealedDocumentsOf } from "../../clients/evidence/disclosure";
import { exportLoanBundle } from "../../clients/evidence/export";
import { deployDefaultedLoan } from "../arbitration/defaultedLoan";
import { encryptionPrivateKey } from "../arbitration/fixture";
import { expectRejected, expectVerified, tampered } from "./helpers";

const SECRET = "0x" + "24".repeat(32);
const text = (s: string): Uint8Array => toUtf8Bytes(s);

/**
 * The real lending modules and court: a standard loan defaults, partner 1 files a case with a
 * statement, the borrower responds, the claimant discloses its documents to the arbitrator, who
 * opens them and issues the award.
 */
async function awardedCaseFixture() {
  const { fx, arbitration, loanId } = await deployDefaultedLoan();
  const { lead, partnerNodes, borrowers, book } = fx;

  const claimant = partnerNodes[0];
  const peers = [lead, ...partnerNodes.slice(1)];
  const store = DocumentStore.open(":memory:", SECRET);
  const filed = await openCase({
    bank: claimant,
    peers,
    loanId,
    arbitrator: fx.arbitrator.address,
    claim: text("Partner 1 claims its share of the unpaid installments of loan 1"),
    store,
  });
  const statement = await fileStatement({
    bank: claimant,
    peers,
    caseId: filed.caseId,
    document: text("Statement: the repayment schedule and the unanswered reminder"),
    store,
  });
  const responseDoc = text("Response: I was abroad");
  const response = await respondToCase({
    borrower: borrowers[0],
    court: arbitration.address,
    caseId: filed.caseId,
    document: responseDoc,
  });
  const disclosed = await discloseToArbitrator({
    bank: claimant,
    store,
    caseId: filed.caseId,
    contentHashes: [filed.claim.contentHash, statement.contentHash],
  });
  const arbitratorKey = encryptionPrivateKey(fx.arbitrator.address);
  const arbitrator = new ArbitratorNode(
    "Arbitration Commission 1",
    fx.arbitrator,
    book,
    DocumentStore.open(":memory:", SECRET),
    arbitratorKey,
  );
  await arbitrator.receiveDisclosure(disclosed.package);
  const awardDoc = text("Award: the borrower owes 12,000.00 CNY");
  const award = await arbitrator.issueAward(filed.caseId, awardDoc, cny(12_000));

  // What the arbitrator exports: the case, its disclosed documents still sealed to its key, and
  // the documents it holds in clear (its award, the borrower's response).
  const bundle = await exportLoanBundle(ethers.provider, book, loanId, {
    caseId: filed.caseId,
    disclosures: [disclosureManifest(disclosed.package)],
    documents: [
      ...sealedDocumentsOf(disclosed.package),
      { salt: award.salt, document: awardDoc },
      { salt: response.salt, document: responseDoc },
    ],
  });
  return { ...fx, loanId, filed, disclosed, award, arbitratorKey, bundle };
}

describe("Evidence bundle of an arbitration case (real court and loan book)", function () {
  it("verifies the case from filing to award, the disclosed documents sealed to the arbitrator", async function () {
    const { bundle, filed, award } = await loadFixture(awardedCaseFixture);
    expect(bundle.case).to.include({
      caseId: filed.caseId.toString(),
      frozenHead: filed.frozenHead.toLowerCase(),
      claimHash: filed.claim.contentHash.toLowerCase(),
    });
    expect(bundle.case!.award).to.include({
      awardHash: award.awardHash.toLowerCase(),
      amountOwed: cny(12_000).toString(),
    });
    expect(bundle.subjects[1].records.map((r) => r.kind.name)).to.deep.equal([
      "CaseOpened",
      "CaseStatement",
      "CaseResponse",
      "Disclosure",
      "Award",
    ]);
    const report = await expectVerified(bundle, { rpc: ethers.provider });
    expect(report.documents).to.deep.equal({ verified: 2, sealed: 2, failed: 0 });
    expect(report.frozenHead!.reached).to.equal(true);
    const loanRows = report.records.filter((r) => r.chain === "loan");
    expect(loanRows[loanRows.length - 1]).to.include({ kind: "Award", postFiling: true, ok: true });
    expect(loanRows.filter((r) => !r.postFiling).map((r) => r.kind)).to.include.members([
      "LoanContract",
      "DefaultNotice",
    ]);
  });

  it("opens and checks the sealed documents with the arbitrator's key", async function () {
    const { bundle, arbitratorKey } = await loadFixture(awardedCaseFixture);
    const report = await expectVerified(bundle, { decrypt: disclosureDecrypter(arbitratorKey) });
    expect(report.documents).to.deep.equal({ verified: 4, sealed: 0, failed: 0 });
  });

  it("rejects a sealed document altered in the bundle, or opened with another key", async function () {
    const { bundle, arbitratorKey, partners } = await loadFixture(awardedCaseFixture);
    const altered = tampered(bundle, (b) => {
      const claim = b.documents.find((d) => d.contentHash === b.case!.claimHash) as EncryptedDocument;
      const sealed = claim.encrypted.document as OpaqueObject;
      const c = sealed.ciphertext as string;
      sealed.ciphertext = c.slice(0, -2) + (c.endsWith("00") ? "01" : "00");
    });
    await expectRejected(
      altered,
      [/^case record 0 \(CaseOpened\): document: the sealed copy does not open: .*altered/],
      {
        decrypt: disclosureDecrypter(arbitratorKey),
      },
    );
    await expectRejected(
      bundle,
      [/^case record 0 \(CaseOpened\): document: the sealed copy does not open: .*was wrapped to key/],
      {
        decrypt: disclosureDecrypter(encryptionPrivateKey(partners[0].address)),
      },
    );
  });

  it("rejects case info that is not what the claim's endorsers signed", async function () {
    const { bundle, outsider } = await loadFixture(awardedCaseFixture);
    await expectRejected(
      tampered(bundle, (b) => {
        b.case!.arbitrator = outsider.address;
      }),
      [/^case \d+: the claim's endorsers signed attrs/],
    );
  });

  it("verifies sealed documents from the command line with --key-file", async function () {
    const { bundle, arbitratorKey } = await loadFixture(awardedCaseFixture);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-case-"));
    try {
      const file = path.join(dir, "case.json");
      const keyFile = path.join(dir, "arbitrator.key");
      fs.writeFileSync(file, serializeBundle(bundle));
      fs.writeFileSync(keyFile, arbitratorKey + "\n");
      let out = "";
      const io = { out: (t: string) => (out += t), err: (t: string) => (out += t) };
      // Offline and without a trust file nothing fails, but the consortium is the bundle's word.
      expect(await main(["verify", file, "--key-file", keyFile], io)).to.equal(EXIT.unproven);
      expect(out).to.include("documents: 4 verified, 0 sealed, 0 failed");
      expect(out).to.include("consortium: the bundle's own word (no --trust file)");
      expect(out).to.match(/^UNPROVEN: nothing in the \d+ records failed/m);
      expect(out).to.match(/case 1 on loan 1: claimant 0x[0-9a-fA-F]+, arbitrator 0x[0-9a-fA-F]+/);
      out = "";
      fs.writeFileSync(keyFile, "not a key");
      expect(await main(["verify", file, "--key-file", keyFile], io)).to.equal(EXIT.usage);
      expect(out).to.match(/does not hold a 32-byte hex private key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
