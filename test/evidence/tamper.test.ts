import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { keccak256, toUtf8Bytes } from "ethers";
import { ledgerDomain, signEndorsement } from "../../clients/core/records";
import { BundleReadError, EvidenceBundle, PlainDocument } from "../../clients/evidence/bundle";
import { EndorsementHasher, recoverCompact } from "../../clients/evidence/hashing";
import { verifyBundle } from "../../clients/evidence/verify";
import { expectFailure, expectRejected, expectVerified, exportedCaseFixture, tampered } from "./helpers";

const flipHex = (hex: string, at: number): string =>
  hex.slice(0, at) + (parseInt(hex[at], 16) ^ 1).toString(16) + hex.slice(at + 1);

function documentOf(b: EvidenceBundle, contentHash: string): PlainDocument {
  return b.documents.find((d) => d.contentHash === contentHash) as PlainDocument;
}

/** The record's endorsement signatures with their recovered signers. */
function signaturesOf(b: EvidenceBundle, chain: number, index: number): { signer: string; sig: string }[] {
  const r = b.subjects[chain].records[index];
  const digest = new EndorsementHasher(b.domain).digest(
    { ...r, subject: b.subjects[chain].subject, kind: r.kind.id },
    r.proposer,
    BigInt(r.issuedAt),
    BigInt(r.deadline),
  );
  return (r.endorsements.slice(2).match(/.{128}/g) ?? []).map((s) => ({
    signer: recoverCompact(digest, "0x" + s),
    sig: s,
  }));
}

/** Replaces signature `k` of a record by `signer`'s endorsement of the same record, keeping ascending order. */
async function replaceSignature(
  b: EvidenceBundle,
  chain: number,
  index: number,
  k: number,
  signer: Signer,
): Promise<void> {
  const r = b.subjects[chain].records[index];
  const sigs = signaturesOf(b, chain, index);
  const e = await signEndorsement(signer, ledgerDomain(BigInt(b.chainId), b.ledger), {
    subject: b.subjects[chain].subject,
    kind: r.kind.id,
    contentHash: r.contentHash,
    attrs: r.attrs,
    prev: r.prev,
    proposer: r.proposer,
    issuedAt: BigInt(r.issuedAt),
    deadline: BigInt(r.deadline),
  });
  sigs[k] = { signer: e.signer.toLowerCase(), sig: e.signature.slice(2) };
  sigs.sort((x, y) => (BigInt(x.signer) < BigInt(y.signer) ? -1 : 1));
  r.endorsements = "0x" + sigs.map((s) => s.sig).join("");
}

describe("Evidence bundle tampering", function () {
  it("accepts the untouched bundle", async function () {
    const { bundle } = await loadFixture(exportedCaseFixture);
    await expectVerified(bundle);
  });

  describe("documents", function () {
    it("rejects a document with one byte changed", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const doc = documentOf(b, b.subjects[0].records[0].contentHash);
        const bytes = Buffer.from(doc.document, "base64");
        bytes[5] ^= 0x01;
        doc.document = bytes.toString("base64");
      });
      const report = await expectRejected(bad, [
        /^loan record 0 \(LoanContract\): document: keccak256\(salt ‖ document\) = .*, not the record's contentHash/,
      ]);
      expect(report.documents.failed).to.equal(1);
    });

    it("rejects a document with its salt changed", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const doc = documentOf(b, b.subjects[1].records[1].contentHash);
        doc.salt = flipHex(doc.salt, 40);
      });
      await expectRejected(bad, [/^case record 1 \(CaseStatement\): document: keccak256\(salt ‖ document\)/]);
    });

    it("rejects a document of a batched record with one byte changed", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const doc = documentOf(b, b.batched[1].leaf.contentHash);
        doc.document = Buffer.from("receipt 3 of loan 7").toString("base64");
      });
      await expectRejected(bad, [/^batched record 1 \(RepaymentReceipt\): document: keccak256/]);
    });

    it("rejects a document that belongs to no record", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.documents.push({ contentHash: keccak256("0x01"), salt: keccak256("0x02"), document: "AAAA" });
      });
      await expectRejected(bad, [/^documents\[13\]: contentHash 0x[0-9a-f]+ belongs to no record in the bundle/]);
    });
  });

  describe("record fields", function () {
    it("rejects a changed contentHash", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records[1].contentHash = keccak256(toUtf8Bytes("another document"));
      });
      await expectRejected(bad, [
        /^loan record 1 \(LoanFunded\): head .* is not keccak256\(prev ‖ recordHash\)/,
        /^documents\[1\]: .* belongs to no record/,
      ]);
    });

    it("rejects changed attrs", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records[0].attrs = keccak256(toUtf8Bytes("20,000 CNY"));
      });
      await expectRejected(bad, [
        /^loan record 0 \(LoanContract\): head .* is not keccak256/,
        /^loan record 0 \(LoanContract\): signature \d does not count: .* was never a member/,
        /^loan record 0 \(LoanContract\): decodedAttrs hash to .*, not to the record's attrs/,
      ]);
    });

    it("rejects decoded attrs that are not the ones hashed", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records[0].decodedAttrs!.values[0] = "2000000";
      });
      await expectRejected(bad, [/^loan record 0 \(LoanContract\): decodedAttrs hash to/]);
    });

    it("rejects a changed proposer", async function () {
      const { bundle, partners } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records[5].proposer = partners[4].address;
      });
      await expectRejected(bad, [
        /^loan record 5 \(DefaultNotice\): head .* is not keccak256/,
        /^loan record 5 \(DefaultNotice\): \d valid endorsements; quorum at block \d+ is 3/,
      ]);
    });

    it("rejects a changed kind name", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records[6].kind.name = "Award";
      });
      await expectRejected(bad, [/^loan record 6 \(Award\): kind name "Award" does not match kind id/]);
    });
  });

  describe("chain order and completeness", function () {
    it("rejects two swapped records", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const r = b.subjects[0].records;
        [r[3], r[4]] = [r[4], r[3]];
      });
      await expectRejected(bad, [
        /^loan record 3 \(Reminder\): index is 4 at position 3 \(records missing or reordered\)/,
        /^loan record 3 \(Reminder\): prev .* is not the head of record 2 .*: the chain is broken/,
      ]);
    });

    it("rejects a record removed from the middle", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records.splice(2, 1);
      });
      await expectRejected(bad, [
        /^loan record 2 \(Repayment\): prev .* is not the head of record 1 .*: the chain is broken/,
      ]);
    });

    it("rejects a record inserted from another chain", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records.splice(3, 0, structuredClone(b.subjects[1].records[1]));
      });
      await expectRejected(bad, [
        /^loan record 3 \(CaseStatement\): prev .* the chain is broken/,
        /^loan record 3 .*: head .* is not keccak256/,
      ]);
    });

    it("rejects a chain whose first record is missing", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[1].records.shift();
      });
      await expectRejected(bad, [
        /^case record 0 \(CaseStatement\): prev .* but the first record of a chain extends 0/,
      ]);
    });

    it("rejects a bundle whose last record was removed", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records.pop();
      });
      await expectRejected(bad, [
        /^loan chain .*: its head .* is not the last record's head .* \(records missing at the end, or added\)/,
      ]);
    });

    it("rejects a loan chain cut short of the head frozen at filing", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const chain = b.subjects[0];
        chain.records = chain.records.slice(0, 5); // drop the default notice and everything after
        chain.head = chain.records[4].head;
        b.documents = b.documents.filter(
          (d) =>
            chain.records.some((r) => r.contentHash === d.contentHash) ||
            b.subjects[1].records.some((r) => r.contentHash === d.contentHash) ||
            b.batched.some((x) => x.leaf.contentHash === d.contentHash),
        );
      });
      const report = await expectRejected(bad, [
        /^loan 1: the chain never reaches the head frozen at filing \(.*\): records from before the filing are missing or altered/,
      ]);
      expect(report.frozenHead!.reached).to.equal(false);
    });

    it("rejects case info with a frozen head other than the one the claim's endorsers signed", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.case!.frozenHead = b.subjects[0].records[4].head; // pretend the default notice came later
      });
      await expectRejected(bad, [
        /^case 1: the claim's endorsers signed attrs .*, not keccak256\(loanId, arbitrator, frozenHead\) of the case info .*: the loan, arbitrator or frozen head is not what was filed/,
        /^loan record 5 \(DefaultNotice\): committed at block \d+, before the filing, yet beyond the frozen head/,
      ]);
    });

    it("rejects case info naming another arbitrator or claim", async function () {
      const { bundle, outsider } = await loadFixture(exportedCaseFixture);
      await expectRejected(
        tampered(bundle, (b) => {
          b.case!.arbitrator = outsider.address;
        }),
        [/^case 1: the claim's endorsers signed attrs/],
      );
      await expectRejected(
        tampered(bundle, (b) => {
          b.case!.claimHash = b.subjects[1].records[1].contentHash;
        }),
        [/^case 1: case.claimHash .* is not the claim record's contentHash/],
      );
    });

    it("rejects a case chain that does not begin with the claim", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[1].records.shift();
      });
      await expectRejected(bad, [/^case 1: the case chain does not begin with the CaseOpened claim/]);
    });

    it("rejects a post-filing record moved before the frozen head", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.case!.frozenHead = b.subjects[0].records[6].head;
      });
      await expectRejected(bad, [
        /^loan record 6 \(Note\): committed at block \d+, after the filing \(block \d+\), yet inside the frozen head/,
      ]);
    });
  });

  describe("signatures", function () {
    it("rejects a forged signature", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const r = b.subjects[0].records[0];
        r.endorsements = flipHex(r.endorsements, 2 + 128 + 10); // inside r of signature 1
      });
      await expectRejected(bad, [
        // The flipped signature recovers to some address (named when it recovers), time-dependent.
        /^loan record 0 \(LoanContract\): signature 1( \(0x[0-9a-fA-F]{40}\))? (is not a valid signature|is repeated or out of order|does not count)/,
      ]);
    });

    it("rejects a signature replaced by one from a non-member", async function () {
      const { bundle, outsider } = await loadFixture(exportedCaseFixture);
      const bad = structuredClone(bundle);
      await replaceSignature(bad, 0, 4, 0, outsider);
      await expectRejected(bad, [
        new RegExp(
          `^loan record 4 \\(Reminder\\): signature \\d does not count: ${outsider.address} was never a member`,
        ),
        /^loan record 4 \(Reminder\): 2 valid endorsements; quorum at block \d+ is 3 \(6 voting members\)/,
      ]);
    });

    it("rejects a signature replaced by the arbitrator's, who does not vote", async function () {
      const { bundle, arbitrator } = await loadFixture(exportedCaseFixture);
      const bad = structuredClone(bundle);
      await replaceSignature(bad, 0, 5, 1, arbitrator);
      await expectRejected(bad, [
        new RegExp(`signature \\d does not count: ${arbitrator.address} is arbitrator, not a voting member`),
      ]);
    });

    it("rejects a signature of a bank removed before the record's block", async function () {
      const { bundle, partners, removalBlock } = await loadFixture(exportedCaseFixture);
      const bad = structuredClone(bundle);
      await replaceSignature(bad, 0, 4, 2, partners[5]);
      await expectRejected(bad, [
        new RegExp(
          `^loan record 4 \\(Reminder\\): signature \\d does not count: ${partners[5].address} was removed from the consortium at block ${removalBlock}`,
        ),
      ]);
    });

    it("rejects a duplicated signature", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const r = b.subjects[0].records[5];
        const sigs = r.endorsements.slice(2).match(/.{128}/g)!;
        r.endorsements = "0x" + [sigs[0], sigs[0], sigs[1]].join("");
      });
      await expectRejected(bad, [
        /^loan record 5 \(DefaultNotice\): signature 1 .* is repeated or out of order: signers must be distinct, ascending/,
        /^loan record 5 \(DefaultNotice\): 2 valid endorsements; quorum/,
      ]);
    });

    it("rejects the proposer's own signature counted as an endorsement", async function () {
      const { bundle, leadBank } = await loadFixture(exportedCaseFixture);
      const bad = structuredClone(bundle);
      await replaceSignature(bad, 0, 6, 0, leadBank);
      await expectRejected(bad, [/^loan record 6 \(Note\): signature \d is the proposer's own/]);
    });

    it("rejects a signature blob cut mid-signature", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const r = b.subjects[1].records[0];
        r.endorsements = r.endorsements.slice(0, -20);
      });
      await expectRejected(bad, [
        /^case record 0 \(CaseOpened\): endorsements: 182 bytes is not a whole number of 64-byte signatures/,
      ]);
    });

    it("rejects a changed chain id: the signatures no longer recover to members", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.chainId = "1";
        b.domain.chainId = "1";
      });
      const report = await expectRejected(bad, [
        /^loan record 0 \(LoanContract\): signature \d does not count: .* was never a member/,
      ]);
      expect(report.records.filter((r) => r.attestation === "Signatures").every((r) => !r.ok)).to.equal(true);
    });

    it("rejects a changed ledger address: the signatures no longer recover to members", async function () {
      const { bundle, outsider } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.ledger = outsider.address;
        b.domain.verifyingContract = outsider.address;
      });
      await expectRejected(bad, [
        /^case record 1 \(CaseStatement\): signature \d does not count/,
        /^loan record 2 \(DisbursementReceipt\): vote 0 .*: its transaction is not addressed to the ledger/,
      ]);
    });

    it("rejects a domain that disagrees with the bundle's chain", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.domain.chainId = "5";
      });
      await expectRejected(bad, [/^domain\.chainId 5 does not match chainId 31337/]);
    });
  });

  describe("votes and facts", function () {
    it("rejects a vote whose transaction was sent by another member", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const v = b.subjects[0].records[2].votes!.endorsements;
        [v[0], v[1]] = [v[1], v[0]];
      });
      await expectRejected(bad, [
        /^loan record 2 \(DisbursementReceipt\): vote 0 \(0x[0-9a-fA-F]+\): its transaction was sent by 0x[0-9a-fA-F]+, not by the endorser/,
      ]);
    });

    it("rejects a voter list that names a member who did not vote", async function () {
      const { bundle, partners } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        const r = b.subjects[0].records[2];
        r.endorsements = r.endorsements.slice(0, 2 + 40 * 3) + partners[4].address.slice(2).toLowerCase();
      });
      await expectRejected(bad, [
        /^loan record 2 \(DisbursementReceipt\): vote 3 \(0x[0-9a-fA-F]+\): its transaction was sent by 0x[0-9a-fA-F]+, not by the endorser/,
      ]);
    });

    it("rejects a proposal transaction that proposed another record", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records[2].votes!.proposal = b.subjects[0].records[2].votes!.endorsements[0];
      });
      await expectRejected(bad, [
        /^loan record 2 \(DisbursementReceipt\): votes.proposal was sent by .*, not by the proposer/,
        /votes.proposal does not call propose\(\)/,
      ]);
    });

    it("rejects a fact whose transaction is another one", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.subjects[0].records[1].fact!.tx = b.subjects[0].records[3].fact!.tx;
      });
      await expectRejected(bad, [
        /^loan record 1 \(LoanFunded\): fact.tx \(the actor's transaction\) hashes to .*, not /,
        /^loan record 1 \(LoanFunded\): fact.tx was sent by 0x[0-9a-fA-F]+, not by the record's actor/,
      ]);
    });

    it("rejects a fact reported by a contract that is not a module", async function () {
      const { bundle, outsider } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.modules = [];
      });
      await expectRejected(bad, [/^loan record 1 \(LoanFunded\): 0x[0-9a-fA-F]+ was not an enabled consortium module/]);
      const other = tampered(bundle, (b) => {
        b.subjects[0].records[3].fact!.module = outsider.address;
      });
      await expectRejected(other, [/^loan record 3 \(Repayment\): endorsements .* is not the reporting module/]);
    });
  });

  describe("membership history", function () {
    it("rejects a history with a member's admission missing", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.membership.splice(3, 1);
      });
      await expectRejected(bad, [
        /^membership\[3\]: sequence number 5, expected 4: the membership history is incomplete/,
      ]);
    });

    it("rejects a history that removes a stranger", async function () {
      const { bundle, outsider } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.membership[8].account = outsider.address;
      });
      await expectRejected(bad, [/^membership\[8\]: .* is removed but was not a member/]);
    });
  });

  describe("batches", function () {
    it("rejects a bad Merkle proof", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.batched[0].proof[0] = flipHex(b.batched[0].proof[0], 9);
      });
      await expectRejected(bad, [
        /^batched record 0 \(RepaymentReceipt\): inclusion proof leads to .*, not to the batch root .* \(leaf or proof altered\)/,
      ]);
    });

    it("rejects a proof that stops short of a leaf", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.batched[0].proof.pop();
      });
      await expectRejected(bad, [
        /^batched record 0 \(RepaymentReceipt\): inclusion proof has 1 steps; a leaf of a 4-leaf batch needs 2 to 2/,
      ]);
    });

    it("rejects a batched leaf moved to another loan", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.batched[1].leaf.subject = b.subjects[1].subject;
      });
      await expectRejected(bad, [/^batched record 1 \(RepaymentReceipt\): inclusion proof leads to/]);
    });

    it("rejects a batched record whose batch root is not in the bundle", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.batches = [];
      });
      await expectRejected(bad, [
        /^batched record 0 \(RepaymentReceipt\): its batch root .* is not among the committed batches/,
      ]);
    });

    it("rejects a batch root whose signatures were altered", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        b.batches[0].record.endorsements = flipHex(b.batches[0].record.endorsements, 200);
      });
      await expectRejected(bad, [
        /^batch root 0 of .*: signature \d/,
        /^batched record 0 \(RepaymentReceipt\): its batch root record failed verification/,
      ]);
    });
  });

  describe("file and schema", function () {
    it("rejects a truncated file as unreadable", async function () {
      const { text } = await loadFixture(exportedCaseFixture);
      await expectFailure(
        verifyBundle(text.slice(0, Math.floor(text.length / 2))),
        BundleReadError,
        /is not valid JSON \(truncated or corrupted\?\)/,
      );
      await expectFailure(verifyBundle(""), BundleReadError, /is empty/);
    });

    it("rejects another format or version as unreadable", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      await expectFailure(
        verifyBundle({ ...bundle, format: "eas-attestation" }),
        BundleReadError,
        /not an evidence bundle: format is "eas-attestation"/,
      );
      await expectFailure(
        verifyBundle({ ...bundle, version: 3 }),
        BundleReadError,
        /unsupported bundle version 3: this verifier reads version 2/,
      );
      await expectFailure(
        verifyBundle({ ...bundle, version: 1 }),
        BundleReadError,
        /bundle version 1 is no longer accepted: it does not state the block it was exported at/,
      );
      await expectFailure(verifyBundle([bundle]), BundleReadError, /not a JSON object/);
    });

    it("rejects missing and mistyped fields, naming each field's path", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const bad = tampered(bundle, (b) => {
        delete (b.subjects[0].records[2] as Partial<(typeof b.subjects)[0]["records"][2]>).head;
        (b.subjects[0].records[0] as unknown as Record<string, unknown>).blockNumber = "5";
        (b.case as unknown as Record<string, unknown>).frozenHead = "0x1234";
        (b.documents[3] as unknown as Record<string, unknown>).document = "not base64!";
        delete (b as Partial<EvidenceBundle>).membership;
      });
      const report = await expectRejected(bad, [
        /^malformed bundle: subjects\[0\]\.records\[2\]\.head: missing \(expected a 32-byte 0x-hex hash\)/,
        /^malformed bundle: subjects\[0\]\.records\[0\]\.blockNumber: expected a non-negative integer, got "5"/,
        /^malformed bundle: case\.frozenHead: expected a 32-byte 0x-hex hash, got "0x1234"/,
        /^malformed bundle: documents\[3\]\.document: expected base64 text/,
        /^malformed bundle: membership: missing \(expected an array\)/,
      ]);
      expect(report.errors).to.have.length(5);
    });
  });
});
