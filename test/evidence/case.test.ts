import { ethers } from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toUtf8Bytes } from "ethers";
import { AddressBook } from "../../clients/core/addressBook";
import { Role } from "../../clients/core/types";
import { LeadBankNode, PartnerBankNode, cny, deployLending } from "../../clients/lending";
import { DocumentStore } from "../../clients/store";
import {
  ArbitratorNode,
  deployArbitration,
  discloseToArbitrator,
  fileStatement,
  installCaseReviewers,
  openCase,
  respondToCase,
} from "../../clients/arbitration";
import { EXIT, main } from "../../clients/evidence/cli";
import { EncryptedDocument, OpaqueObject, serializeBundle } from "../../clients/evidence/bundle";
import { disclosureDecrypter, sealedDocumentsOf } from "../../clients/evidence/disclosure";
import { exportLoanBundle } from "../../clients/evidence/export";
import { deployLedgerFixture } from "../helpers/consortium";
import { BANK_FLOAT, LendingFixture, admit, openLoan, standardTerms } from "../lending/fixtures";
import { encryptionPrivateKey } from "../arbitration/fixture";
import { expectRejected, expectVerified, tampered } from "./helpers";

const DAY = 86_400n;
const SECRET = "0x" + "24".repeat(32);
const text = (s: string): Uint8Array => toUtf8Bytes(s);

/**
 * The real lending modules and court: a standard loan defaults, partner 1 files a case with a
 * statement, the borrower responds, the claimant discloses its documents to the arbitrator, who
 * opens them and issues the award.
 */
async function awardedCaseFixture() {
  const base = await deployLedgerFixture({ banks: 5, outsiders: 8 });
  const lending = await deployLending(base.deployer, base.ledger);
  const arbitration = await deployArbitration(base.deployer, base.ledger, lending.addresses.loanBook);
  await (await base.ledger.sealGenesis()).wait();
  const book: AddressBook = {
    version: 1,
    chainId: base.chainId.toString(),
    deployBlock: 0,
    ledger: await base.ledger.getAddress(),
    ...lending.addresses,
    court: arbitration.address,
    members: base.founders.map((f) => ({ name: f.name, role: Number(f.role) as Role, address: String(f.account) })),
  };
  const lead = new LeadBankNode("W Bank", base.leadBank, book);
  const partnerNodes = base.partners.map((p, i) => new PartnerBankNode(`Partner ${i + 1}`, p, book));
  for (const node of [lead, ...partnerNodes]) {
    await node.deposit(BANK_FLOAT);
    installCaseReviewers(node);
  }
  const [, payee, ...borrowers] = base.outsiders;
  const fx: LendingFixture = {
    ...base,
    params: lending.params,
    book,
    token: lending.token,
    registry: lending.registry,
    loanBook: lending.loanBook,
    loanUse: lending.loanUse,
    lead,
    partnerNodes,
    borrowers: borrowers.slice(0, 4),
    payee,
  };
  const pseudonym = await admit(fx, 0);
  const { loanId, disbursedAt } = await openLoan(fx, standardTerms(pseudonym));
  await time.setNextBlockTimestamp(disbursedAt + 31n * DAY);
  const { remindedAt } = await lead.remind(loanId, "SMS: installment 1 is overdue");
  await time.increaseTo(remindedAt + DAY);
  await lead.declareDefault(loanId, partnerNodes);

  const claimant = partnerNodes[0];
  const peers = [lead, ...partnerNodes.slice(1)];
  const store = DocumentStore.open(":memory:", SECRET);
  const filed = await openCase({
    bank: claimant,
    peers,
    loanId,
    arbitrator: base.arbitrator.address,
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
  const arbitratorKey = encryptionPrivateKey(base.arbitrator.address);
  const arbitrator = new ArbitratorNode(
    "Arbitration Commission 1",
    base.arbitrator,
    book,
    DocumentStore.open(":memory:", SECRET),
    arbitratorKey,
  );
  await arbitrator.receiveDisclosure(disclosed.package);
  const awardDoc = text("Award: the borrower owes 12,500.00 CNY");
  const award = await arbitrator.issueAward(filed.caseId, awardDoc, cny(12_500));

  // What the arbitrator exports: the case, its disclosed documents still sealed to its key, and
  // the documents it holds in clear (its award, the borrower's response).
  const bundle = await exportLoanBundle(ethers.provider, book, loanId, {
    caseId: filed.caseId,
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
      amountOwed: cny(12_500).toString(),
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
      expect(await main(["verify", file, "--key-file", keyFile], io)).to.equal(EXIT.ok);
      expect(out).to.include("documents: 4 verified, 0 sealed, 0 failed");
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
