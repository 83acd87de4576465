import { ethers } from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { EvidenceLedger__factory, IArbitrationCourt__factory } from "../../typechain-types";
import { proposeAndCommit } from "../../clients/core/node";
import { nextHead, recordHash } from "../../clients/core/records";
import { Attestation, Kind, Subject } from "../../clients/core/types";
import { COURT_ABI, LEDGER_ABI, courtInterface, ledgerInterface } from "../../clients/evidence/abi";
import { BATCH_LEAF_TYPES, EvidenceBundle, OpaqueObject, serializeBundle } from "../../clients/evidence/bundle";
import { DISCLOSURE_SCHEME } from "../../clients/evidence/scheme";
import { ExportError, exportLoanBundle } from "../../clients/evidence/export";
import { EndorsementHasher, batchLeafHash, domainSeparator, processProof } from "../../clients/evidence/hashing";
import { RpcUnavailableError, quorumFor } from "../../clients/evidence/verify";
import { CASE_ID, LOAN_ID } from "./fixture";
import { expectFailure, expectRejected, expectVerified, exportedCaseFixture, tampered } from "./helpers";

describe("Evidence bundle export", function () {
  describe("exporting", function () {
    it("exports the loan and case chains in chain order with every kind of attestation", async function () {
      const { bundle, loan, caseSubject, frozenHead, ledger } = await loadFixture(exportedCaseFixture);
      const [loanChain, caseChain] = bundle.subjects;
      expect(loanChain).to.include({ role: "loan", id: "1", subject: loan.toLowerCase() });
      expect(caseChain).to.include({ role: "case", id: "1", subject: caseSubject.toLowerCase() });
      expect(loanChain.records.map((r) => r.kind.name)).to.deep.equal([
        "LoanContract",
        "LoanFunded",
        "LoanDisbursed",
        "Repayment",
        "Reminder",
        "DefaultNotice",
        "Note",
        "Award",
      ]);
      expect(loanChain.records.map((r) => r.attestation.id)).to.deep.equal([
        Attestation.Signatures,
        Attestation.Fact,
        Attestation.Votes,
        Attestation.Fact,
        Attestation.Signatures,
        Attestation.Signatures,
        Attestation.Signatures,
        Attestation.Fact,
      ]);
      expect(caseChain.records.map((r) => r.kind.name)).to.deep.equal([
        "CaseOpened",
        "CaseStatement",
        "CaseResponse",
        "Award",
      ]);
      expect(loanChain.head).to.equal((await ledger.headOf(loan)).toLowerCase());
      expect(bundle.case).to.include({ caseId: "1", loanId: "1", frozenHead: frozenHead.toLowerCase() });
      expect(bundle.case!.award!.amountOwed).to.equal("10450");
      expect(bundle.membership.map((m) => m.type).filter((t) => t === "MemberRemoved")).to.have.length(1);
      expect(bundle.membership).to.have.length(9);
      expect(bundle.modules).to.have.length(1);
      expect(bundle.batches).to.have.length(1);
      expect(bundle.batched).to.have.length(2);
      expect(bundle.documents).to.have.length(13);
      expect(loanChain.records[2].votes!.endorsements).to.have.length(4);
      expect(loanChain.records[0].decodedAttrs).to.deep.equal({
        types: ["uint256", "uint8", "uint16"],
        values: ["1000000", 10, 650],
      });
    });

    it("re-exports the same bytes from the same chain state", async function () {
      const f = await loadFixture(exportedCaseFixture);
      const again = await exportLoanBundle(ethers.provider, f.book, LOAN_ID, {
        caseId: CASE_ID,
        documents: [...f.documents].reverse(),
        attrs: [...f.attrs].reverse(),
        batchProofs: [...f.batchProofs].reverse(),
      });
      expect(serializeBundle(again)).to.equal(f.text);
    });

    it("exports any subject's chain without a case", async function () {
      const f = await loadFixture(exportedCaseFixture);
      const bundle = await exportLoanBundle(ethers.provider, f.book, { subject: f.batchSubject });
      expect(bundle.subjects[0].role).to.equal("subject");
      expect(bundle.subjects[0].records.map((r) => r.kind.name)).to.deep.equal(["Batch"]);
      await expectVerified(bundle);
    });

    it("accepts a fact whose actor is a module, sent by anyone through a module", async function () {
      const f = await loadFixture(exportedCaseFixture);
      const subject = Subject.loan(3);
      await (await f.module.connect(f.borrower).reportOwnFact(subject, Kind.Classified, keccak256("0x03"))).wait();
      const bundle = await exportLoanBundle(ethers.provider, f.book, 3n);
      expect(bundle.subjects[0].records[0].proposer).to.equal(await f.module.getAddress());
      const report = await expectVerified(bundle);
      expect(report.notes.join()).to.match(
        /reported for module 0x[0-9a-fA-F]+ in a transaction sent by 0x[0-9a-fA-F]+/,
      );
      const stranger = tampered(bundle, (b) => {
        b.modules = [];
      });
      await expectRejected(stranger, [/fact.tx was sent by .*, not by the record's actor/]);
    });

    it("refuses a document that belongs to no record of the bundle", async function () {
      const f = await loadFixture(exportedCaseFixture);
      const stray = { salt: new Uint8Array(32), document: toUtf8Bytes("unrelated") };
      await expectFailure(
        exportLoanBundle(ethers.provider, f.book, LOAN_ID, { documents: [stray] }),
        ExportError,
        /belongs to no record in this bundle/,
      );
    });

    it("refuses a document whose given content hash it does not have", async function () {
      const f = await loadFixture(exportedCaseFixture);
      const wrong = { ...f.documents[0], contentHash: keccak256("0x01") };
      await expectFailure(
        exportLoanBundle(ethers.provider, f.book, LOAN_ID, { documents: [wrong] }),
        ExportError,
        /hashes to 0x[0-9a-f]{64} with its salt/,
      );
    });

    it("refuses a case that is about another loan", async function () {
      const f = await loadFixture(exportedCaseFixture);
      await expectFailure(
        exportLoanBundle(ethers.provider, f.book, 2n, { caseId: CASE_ID }),
        ExportError,
        /case 1 is about loan 1, not loan 2/,
      );
    });

    it("refuses a case that was never opened, or without a court", async function () {
      const f = await loadFixture(exportedCaseFixture);
      await expectFailure(
        exportLoanBundle(ethers.provider, f.book, LOAN_ID, { caseId: 7n }),
        ExportError,
        /case 7 was never opened/,
      );
      await expectFailure(
        exportLoanBundle(ethers.provider, { ...f.book, court: undefined }, LOAN_ID, { caseId: CASE_ID }),
        ExportError,
        /no court/,
      );
    });

    it("refuses a provider on another chain than the address book", async function () {
      const f = await loadFixture(exportedCaseFixture);
      await expectFailure(
        exportLoanBundle(ethers.provider, { ...f.book, chainId: "1" }, LOAN_ID),
        ExportError,
        /provider is on chain 31337, the address book on chain 1/,
      );
    });

    it("refuses a batch root that was never committed", async function () {
      const f = await loadFixture(exportedCaseFixture);
      const proof = { ...f.batchProofs[0], root: keccak256("0x02") };
      await expectFailure(
        exportLoanBundle(ethers.provider, f.book, LOAN_ID, { batchProofs: [proof] }),
        ExportError,
        /no batch with root .* was committed/,
      );
    });
  });

  describe("offline verification of an exported bundle", function () {
    it("verifies every record, document, signature, vote, fact and inclusion proof", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const report = await expectVerified(bundle);
      expect(report.records).to.have.length(8 + 4 + 1 + 2);
      expect(report.records.every((r) => r.ok)).to.equal(true);
      expect(report.documents).to.deep.equal({ verified: 13, sealed: 0, failed: 0 });
      const loanRows = report.records.filter((r) => r.chain === "loan");
      expect(loanRows.map((r) => [r.signers, r.quorum])).to.deep.equal([
        [4, 4], // 7 voting members
        [null, null],
        [4, 4], // votes, quorum fixed at the proposal
        [null, null],
        [3, 3], // 6 voting members after the removal
        [3, 3],
        [3, 3],
        [null, null],
      ]);
      // Signatures + vote and fact transactions: each recovered once.
      expect(report.stats.recoveries).to.equal(4 + 1 + 5 + 1 + 3 + 3 + 3 + 1 + 3 + 3 + 1 + 1 + 3);
    });

    it("accepts the signature of a bank on a record from before the bank's removal", async function () {
      const { bundle, partners } = await loadFixture(exportedCaseFixture);
      const first = bundle.subjects[0].records[0];
      const hasher = new EndorsementHasher(bundle.domain);
      const digest = hasher.digest(
        { ...first, subject: bundle.subjects[0].subject, kind: first.kind.id },
        first.proposer,
        BigInt(first.issuedAt),
        BigInt(first.deadline),
      );
      const signers = (first.endorsements.slice(2).match(/.{128}/g) ?? []).map((s) =>
        ethers.recoverAddress(digest, "0x" + s),
      );
      expect(signers).to.include(partners[5].address);
      const report = await expectVerified(bundle);
      expect(report.records[0]).to.include({ ok: true, signers: 4 });
    });

    it("marks the records after the frozen head as post-filing, not as evidence of the past", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const report = await expectVerified(bundle);
      expect(report.frozenHead).to.deep.equal({
        head: bundle.case!.frozenHead,
        reached: true,
        index: 5,
        postFiling: 2,
      });
      const loanRows = report.records.filter((r) => r.chain === "loan");
      expect(loanRows.map((r) => r.postFiling)).to.deep.equal([false, false, false, false, false, false, true, true]);
      expect(report.notes.join()).to.match(/2 loan record\(s\) were committed after the filing/);
    });

    it("reports sealed documents as sealed, and checks them once a decrypt hook opens them", async function () {
      const f = await loadFixture(exportedCaseFixture);
      const { documents } = f;
      const sealedHash = f.bundle.documents[0].contentHash;
      const encrypted = sealedHeader(f.bundle);
      const sealed = await exportLoanBundle(ethers.provider, f.book, LOAN_ID, {
        caseId: CASE_ID,
        documents: [{ contentHash: sealedHash, encrypted }, ...documents.filter((d) => d.contentHash !== sealedHash)],
        batchProofs: f.batchProofs,
      });
      expect(sealed.documents[0]).to.deep.equal({ contentHash: sealedHash, encrypted });
      const report = await expectVerified(sealed);
      expect(report.documents).to.deep.equal({ verified: 12, sealed: 1, failed: 0 });
      expect(report.records[0].document).to.equal("sealed");

      const original = documents.find((d) => d.contentHash === sealedHash)!;
      const opened = await expectVerified(sealed, {
        decrypt: () => ({ salt: original.salt as Uint8Array, document: original.document as Uint8Array }),
      });
      expect(opened.documents).to.deep.equal({ verified: 13, sealed: 0, failed: 0 });
      await expectRejected(sealed, [/loan record 0 \(LoanContract\): document: keccak256\(salt ‖ document\)/], {
        decrypt: () => ({ salt: new Uint8Array(32), document: toUtf8Bytes("forged") }),
      });
    });
  });

  describe("sealed documents: chain, ledger, case and the arbitrator's registered key", function () {
    const cases: [string, (e: OpaqueObject, b: EvidenceBundle) => void, RegExp][] = [
      ["another chain", (e) => (e.chainId = "1"), /sealed for chain 1, not this bundle's chain/],
      [
        "another ledger",
        (e) => (e.ledger = "0x" + "11".repeat(20)),
        /sealed for ledger 0x1111.*, not this bundle's ledger/,
      ],
      ["another case", (e) => (e.caseId = "2"), /sealed for case 2, not case 1/],
      ["another court", (e) => (e.court = "0x" + "22".repeat(20)), /sealed for another court/],
      [
        "a key the arbitrator did not register",
        (e) => {
          const other = new Wallet(keccak256(toUtf8Bytes("not the arbitrator"))).signingKey.compressedPublicKey;
          e.recipientKey = other;
          (e.key as OpaqueObject).recipient = other;
        },
        /wrapped to a key that is not the one the arbitrator .* registered/,
      ],
      ["an unknown scheme", (e) => (e.scheme = "rot13"), /sealed in scheme "rot13", which this verifier cannot check/],
    ];
    for (const [what, edit, pattern] of cases) {
      it(`rejects a document sealed for ${what}`, async function () {
        const f = await loadFixture(exportedCaseFixture);
        const bad = tampered(f.bundle, (b) => {
          const encrypted = sealedHeader(b);
          edit(encrypted, b);
          b.documents[0] = { contentHash: b.documents[0].contentHash, encrypted };
        });
        await expectRejected(bad, [new RegExp(`^documents\\[0\\] \\(sealed\\): ${pattern.source}`)]);
      });
    }
  });

  describe("verification against the live chain", function () {
    it("confirms every record, block, vote and head on the chain", async function () {
      const { bundle, loan, caseSubject } = await loadFixture(exportedCaseFixture);
      const report = await expectVerified(bundle, { rpc: ethers.provider });
      expect(report.rpc!.errors).to.deep.equal([]);
      expect(report.rpc!.recordsAddedSince).to.deep.equal({ [loan.toLowerCase()]: 0, [caseSubject.toLowerCase()]: 0 });
    });

    it("reports how many records were added to a chain since the export", async function () {
      const { bundle, nodes, loan } = await loadFixture(exportedCaseFixture);
      for (const body of ["later note 1", "later note 2"]) {
        await proposeAndCommit(nodes[0], nodes.slice(1, 6), {
          subject: loan,
          kind: Kind.Note,
          document: toUtf8Bytes(body),
        });
      }
      const report = await expectVerified(bundle, { rpc: ethers.provider });
      expect(report.rpc!.recordsAddedSince[loan.toLowerCase()]).to.equal(2);
    });

    it("rejects a changed block timestamp, which only the live chain reveals", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const { blockNumber } = bundle.subjects[0].records[3];
      const changed = tampered(bundle, (b) => {
        b.subjects[0].records[3].timestamp -= 1;
      });
      await expectVerified(changed);
      await expectRejected(
        changed,
        [
          new RegExp(
            `^live chain: loan record 3: block ${blockNumber} has timestamp \\d+ on chain, \\d+ in the bundle`,
          ),
        ],
        { rpc: ethers.provider },
      );
    });

    it("rejects a changed block number, which only the live chain reveals", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const { blockNumber } = bundle.subjects[0].records[3];
      expect(bundle.subjects[0].records[4].blockNumber).to.be.greaterThan(blockNumber + 1);
      const changed = tampered(bundle, (b) => {
        b.subjects[0].records[3].blockNumber = blockNumber + 1;
      });
      await expectVerified(changed);
      await expectRejected(
        changed,
        [
          new RegExp(
            `^live chain: loan record 3: the chain has it in block ${blockNumber}, the bundle says block ${blockNumber + 1}`,
          ),
        ],
        { rpc: ethers.provider },
      );
    });

    it("rejects a consistently re-hashed fact that the chain does not hold", async function () {
      const { book } = await loadFixture(exportedCaseFixture);
      // Exported without the case, the award's amount is not cross-checked offline.
      const bundle = await exportLoanBundle(ethers.provider, book, LOAN_ID);
      const changed = tampered(bundle, (b) => {
        const chain = b.subjects[0];
        const r = chain.records[7];
        r.attrs = keccak256("0x" + (20_000).toString(16).padStart(64, "0"));
        r.head = nextHead(r.prev, recordHash({ ...r, subject: chain.subject, kind: r.kind.id }, r.proposer));
        chain.head = r.head;
      });
      await expectVerified(changed);
      await expectRejected(
        changed,
        [
          /loan record 7: its transaction's RecordCommitted log differs/,
          /loan chain .*: the bundle leaves out 1 record\(s\) committed at or before its export block \d+: Award \(block \d+\)/,
          /loan chain .*: record 7 is not on the chain by the export block/,
        ],
        { rpc: ethers.provider },
      );
    });

    it("checks the case info against the claim its endorsers signed and the award on both chains", async function () {
      const { bundle, text } = await loadFixture(exportedCaseFixture);
      expect((await expectVerified(text)).ok).to.equal(true);
      await expectRejected(
        tampered(bundle, (b) => {
          b.case!.award!.amountOwed = "1";
        }),
        [
          /^case 1: the case chain's Award record does not carry keccak256\(caseId, loanId, amountOwed 1\)/,
          /^case 1: the loan chain's Award record does not carry/,
        ],
      );
      await expectRejected(
        tampered(bundle, (b) => {
          delete b.case!.award;
        }),
        [/^case 1: the case chain holds an Award record but case.award is missing/],
      );
    });

    it("rejects a membership history that hides a removal before the last record", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const hidden = tampered(bundle, (b) => {
        b.membership.pop();
      });
      // Offline, the hidden removal shows as a quorum shortfall: 3 signatures where 7 banks need 4.
      await expectRejected(hidden, [
        /loan record 4 \(Reminder\): 3 valid endorsements; quorum at block \d+ is 4 \(7 voting members\)/,
      ]);
      await expectRejected(hidden, [/live chain: the membership history omits MemberRemoved/], {
        rpc: ethers.provider,
      });
    });

    it("fails with RpcUnavailableError when the node cannot be reached", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const { verifyBundle } = await import("../../clients/evidence/verify");
      await expectFailure(verifyBundle(bundle, { rpc: "http://127.0.0.1:9" }), RpcUnavailableError, /cannot reach/);
    });
  });

  describe("hashing and fragments agree with the contracts", function () {
    it("computes the ledger's domain separator and endorsement digests", async function () {
      const { bundle, ledger } = await loadFixture(exportedCaseFixture);
      expect(domainSeparator(bundle.domain)).to.equal(await ledger.domainSeparator());
      const hasher = new EndorsementHasher(bundle.domain);
      for (const r of bundle.subjects[0].records.slice(0, 3)) {
        const fields = {
          subject: bundle.subjects[0].subject,
          kind: r.kind.id,
          contentHash: r.contentHash,
          attrs: r.attrs,
          prev: r.prev,
        };
        expect(hasher.digest(fields, r.proposer, BigInt(r.issuedAt), BigInt(r.deadline))).to.equal(
          await ledger.endorsementDigest(fields, r.proposer, BigInt(r.issuedAt), BigInt(r.deadline)),
        );
      }
    });

    it("proves batch leaves exactly as the OpenZeppelin tree and verifyBatchLeaf do", async function () {
      const { bundle, ledger, tree, batchSubject } = await loadFixture(exportedCaseFixture);
      for (const x of bundle.batched) {
        const values = [x.leaf.subject, x.leaf.kind, x.leaf.contentHash, x.leaf.attrs];
        const leafHash = batchLeafHash(x.leaf);
        expect(leafHash).to.equal(tree.leafHash(values));
        expect(processProof(leafHash, x.proof)).to.equal(tree.root);
        expect(StandardMerkleTree.verify(tree.root, [...BATCH_LEAF_TYPES], values, x.proof)).to.equal(true);
        expect(await ledger.verifyBatchLeaf(batchSubject, tree.root, x.proof, leafHash)).to.equal(true);
      }
    });

    it("uses the ledger's quorum rule", async function () {
      const { ledger } = await loadFixture(exportedCaseFixture);
      for (let n = 3; n <= 25; n++) expect(quorumFor(n)).to.equal(Number(await ledger.quorumFor(n)));
    });

    it("declares the same events and functions as the compiled contracts", async function () {
      const ledgerAbi = EvidenceLedger__factory.createInterface();
      const courtAbi = IArbitrationCourt__factory.createInterface();
      for (const fragment of LEDGER_ABI) {
        const name = fragment.split(/[ (]/)[1];
        if (fragment.startsWith("event")) {
          expect(ledgerInterface.getEvent(name)!.topicHash, name).to.equal(
            ledgerAbi.getEvent(name as "RecordCommitted").topicHash,
          );
        } else {
          expect(ledgerInterface.getFunction(name)!.selector, name).to.equal(
            ledgerAbi.getFunction(name as "headOf").selector,
          );
        }
      }
      for (const fragment of COURT_ABI) {
        const name = fragment.split(/[ (]/)[1];
        expect(courtInterface.getEvent(name)!.topicHash, name).to.equal(
          courtAbi.getEvent(name as "CaseOpened").topicHash,
        );
      }
    });
  });
});

/** The clear header of a document sealed to the case's arbitrator (ciphertext fields are dummies). */
function sealedHeader(b: EvidenceBundle): OpaqueObject {
  const c = b.case!;
  const key = b.membership.find((m) => m.account === c.arbitrator)!.encryptionKey!;
  return {
    scheme: DISCLOSURE_SCHEME,
    chainId: b.chainId,
    ledger: b.ledger,
    court: c.court,
    caseId: c.caseId,
    arbitrator: c.arbitrator,
    recipientKey: key,
    subject: b.subjects[0].subject,
    kind: b.subjects[0].records[0].kind.id,
    document: { iv: "0x00", ciphertext: "0xdead", tag: "0xbeef" },
    key: { recipient: key, ephemeralKey: "0x02ab", iv: "0x01", ciphertext: "0x02", tag: "0x03" },
  };
}
