import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { SigningKey, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { deployColend } from "../../clients/deploy";
import { EndorsementRefused, LedgerNode } from "../../clients/core/node";
import { packSignatures, signEndorsement } from "../../clients/core/records";
import { Kind, Role, Subject, ZERO_HASH } from "../../clients/core/types";
import { issuedAtFor } from "../helpers/consortium";
import {
  BatchBuilder,
  BatchInclusion,
  BatchLeaf,
  BatchRecord,
  BatchTree,
  batchLeafHash,
  batchRecord,
  reviewBatch,
  verifyInclusion,
  verifyInclusionWithLibrary,
} from "../../clients/ledger/batch";
import { underCoverage } from "../helpers/coverage";

const BANKS = 7;

/** A repayment receipt of loan `i`: what the batch path is for. */
function receipt(i: number): BatchRecord {
  return {
    subject: Subject.loan(i),
    kind: Kind.RepaymentReceipt,
    contentHash: keccak256(toUtf8Bytes(`receipt ${i}`)),
    attrs: keccak256(toBeHex(i, 32)),
  };
}

/** Awaits `promise` and returns what it rejected with; fails if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

function builderWith(subject: string, count: number, from = 0): BatchBuilder {
  const batch = new BatchBuilder(subject);
  for (let i = from; i < from + count; i++) batch.add(receipt(i));
  return batch;
}

describe("EvidenceLedger batches", function () {
  async function batchFixture() {
    const signers = await ethers.getSigners();
    const [deployer, ...rest] = signers;
    const bankSigners = rest.slice(0, BANKS);
    const arbitratorSigner = rest[BANKS];
    const key = (i: number) => SigningKey.computePublicKey(keccak256(toBeHex(i + 1, 32)), true);
    const { ledger, book } = await deployColend(
      deployer,
      [
        ...bankSigners.map((signer, i) => ({
          name: i === 0 ? "W Bank" : `Partner ${i}`,
          role: i === 0 ? Role.LeadBank : Role.PartnerBank,
          signer,
          encryptionKey: key(i),
        })),
        { name: "Guangzhou Arbitration", role: Role.Arbitrator, signer: arbitratorSigner, encryptionKey: key(BANKS) },
      ],
      { lending: false },
    );
    const banks = bankSigners.map((s, i) => new LedgerNode(i === 0 ? "W Bank" : `Partner ${i}`, s, book));
    const [leadBank, ...partners] = banks;
    const arbitrator = new LedgerNode("Guangzhou Arbitration", arbitratorSigner, book);
    const batchSubject = Subject.batch(await leadBank.address(), "2024-06-01");
    return { ledger, book, leadBank, partners, arbitrator, batchSubject };
  }

  /** Signs `record` (as proposed by the lead bank) with `signers` and packs the signatures. */
  async function sign(nodes: LedgerNode[], record: ReturnType<typeof batchRecord>, proposer: string, deadline: bigint) {
    const endorsements = await Promise.all(
      nodes.map((n) =>
        signEndorsement(n.signer, n.domain(), { ...record, proposer, issuedAt: issuedAtFor(deadline), deadline }),
      ),
    );
    return packSignatures(endorsements);
  }

  describe("committing", function () {
    it("commits 1,024 records among 7 banks for at most 1,000 gas per record", async function () {
      const { ledger, leadBank, partners, batchSubject } = await loadFixture(batchFixture);
      const batch = builderWith(batchSubject, 1024);
      const committed = await batch.commit(leadBank, partners);
      expect(committed.leafCount).to.equal(1024);
      expect(committed.endorsers).to.have.length(4);
      // Instrumented code costs more gas: the ceiling is checked by `npm test`.
      if (!underCoverage()) expect(committed.gasUsed / 1024n).to.be.at.most(1_000n);
      expect(await ledger.headOf(batchSubject)).to.equal(committed.head);
      const info = await ledger.recordInfo(batchSubject, committed.root);
      expect(info.blockNumber).to.equal(BigInt(committed.blockNumber));
    });

    it("emits BatchCommitted with the root and the leaf count", async function () {
      const { ledger, leadBank, partners, batchSubject } = await loadFixture(batchFixture);
      const batch = builderWith(batchSubject, 5);
      const built = batch.build(ZERO_HASH);
      const deadline = (await leadBank.now()) + 600n;
      const proposer = await leadBank.address();
      const sigs = await sign(partners.slice(0, 4), built.record, proposer, deadline);
      await expect(
        ledger
          .connect(leadBank.signer)
          .commitBatch(batchSubject, built.root, 5, ZERO_HASH, issuedAtFor(deadline), deadline, sigs),
      )
        .to.emit(ledger, "BatchCommitted")
        .withArgs(batchSubject, built.root, 5);
    });

    it("chains successive batches on the same batch subject", async function () {
      const { ledger, leadBank, partners, batchSubject } = await loadFixture(batchFixture);
      const first = await builderWith(batchSubject, 3).commit(leadBank, partners);
      const second = await builderWith(batchSubject, 3, 100).commit(leadBank, partners);
      expect(second.prev).to.equal(first.head);
      expect(await ledger.headOf(batchSubject)).to.equal(second.head);
    });

    it("commits a batch of a single record, proven by an empty proof", async function () {
      const { ledger, leadBank, partners, batchSubject } = await loadFixture(batchFixture);
      const { inclusions } = await builderWith(batchSubject, 1).commit(leadBank, partners);
      expect(inclusions[0].proof).to.deep.equal([]);
      const p = inclusions[0];
      expect(await ledger.verifyBatchLeaf(p.batchSubject, p.root, p.proof, p.leaf)).to.equal(true);
    });
  });

  describe("inclusion proofs", function () {
    async function committedFixture() {
      const f = await batchFixture();
      const committed = await builderWith(f.batchSubject, 64).commit(f.leadBank, f.partners);
      return { ...f, committed };
    }

    it("proves every record of a committed batch off chain and on chain", async function () {
      const { ledger, committed } = await loadFixture(committedFixture);
      expect(committed.inclusions).to.have.length(64);
      for (const [i, p] of committed.inclusions.entries()) {
        expect(p.leaf).to.deep.equal(Object.values(receipt(i)));
        expect(verifyInclusion(p)).to.equal(true);
      }
      expect(verifyInclusionWithLibrary(committed.inclusions[9])).to.equal(true);
      for (const i of [0, 1, 31, 63]) {
        const p = committed.inclusions[i];
        expect(await ledger.verifyBatchLeaf(p.batchSubject, p.root, p.proof, p.leaf)).to.equal(true);
      }
    });

    it("rejects a record that is not in the batch", async function () {
      const { ledger, committed } = await loadFixture(committedFixture);
      const stranger = receipt(9_999);
      const leaf = Object.values(stranger) as BatchInclusion["leaf"];
      const leafHash = batchLeafHash(leaf);
      const p = committed.inclusions[0];
      expect(await ledger.verifyBatchLeaf(p.batchSubject, p.root, p.proof, leaf)).to.equal(false);
      expect(verifyInclusion({ ...p, leaf, leafHash })).to.equal(false);
      expect(verifyInclusionWithLibrary({ ...p, leaf })).to.equal(false);
    });

    it("rejects a record whose content was altered after the batch", async function () {
      const { ledger, committed } = await loadFixture(committedFixture);
      const p = committed.inclusions[7];
      const altered: BatchInclusion["leaf"] = [p.leaf[0], p.leaf[1], keccak256(toUtf8Bytes("forged")), p.leaf[3]];
      const leafHash = batchLeafHash(altered);
      expect(await ledger.verifyBatchLeaf(p.batchSubject, p.root, p.proof, altered)).to.equal(false);
      expect(verifyInclusion({ ...p, leaf: altered, leafHash })).to.equal(false);
      expect(verifyInclusion({ ...p, leaf: altered })).to.equal(false);
    });

    it("rejects a proof that belongs to another record", async function () {
      const { ledger, committed } = await loadFixture(committedFixture);
      const [a, b] = committed.inclusions.slice(10, 12);
      expect(await ledger.verifyBatchLeaf(a.batchSubject, a.root, b.proof, a.leaf)).to.equal(false);
    });

    it("rejects an inner node of the tree presented as a leaf", async function () {
      const { ledger, committed } = await loadFixture(committedFixture);
      const p = committed.inclusions[20];
      const tree = BatchTree.of(committed.inclusions.map((i) => i.leaf));
      const sibling = p.proof[0];
      const parent = tree.nodes.findIndex((_, n) => {
        const [l, r] = [tree.nodes[2 * n + 1], tree.nodes[2 * n + 2]];
        return (l === p.leafHash && r === sibling) || (r === p.leafHash && l === sibling);
      });
      expect(parent).to.be.greaterThan(0);
      // The parent's hash can only be given as leaf values, which the ledger hashes again.
      const shortened = p.proof.slice(1);
      const asValues: BatchInclusion["leaf"] = [tree.nodes[parent], ZERO_HASH, ZERO_HASH, ZERO_HASH];
      expect(await ledger.verifyBatchLeaf(p.batchSubject, p.root, shortened, asValues)).to.equal(false);
    });

    it("rejects a valid proof against a root that was never committed", async function () {
      const { ledger, batchSubject, committed } = await loadFixture(committedFixture);
      const uncommitted = builderWith(batchSubject, 64, 1_000);
      uncommitted.build(committed.head);
      const p = uncommitted.inclusions()[5];
      expect(verifyInclusion(p)).to.equal(true);
      expect(await ledger.verifyBatchLeaf(p.batchSubject, p.root, p.proof, p.leaf)).to.equal(false);
    });

    it("rejects a committed root under another batch subject", async function () {
      const { ledger, committed } = await loadFixture(committedFixture);
      const p = committed.inclusions[3];
      const other = Subject.batch(ethers.ZeroAddress, "elsewhere");
      expect(await ledger.verifyBatchLeaf(other, p.root, p.proof, p.leaf)).to.equal(false);
    });
  });

  describe("quorum and signatures", function () {
    async function preparedFixture() {
      const f = await batchFixture();
      const built = builderWith(f.batchSubject, 16).build(ZERO_HASH);
      const deadline = (await f.leadBank.now()) + 3_600n;
      const proposer = await f.leadBank.address();
      const commit = (sigs: string, leafCount = 16) =>
        f.ledger
          .connect(f.leadBank.signer)
          .commitBatch(f.batchSubject, built.root, leafCount, ZERO_HASH, issuedAtFor(deadline), deadline, sigs);
      return { ...f, built, deadline, proposer, commit };
    }

    it("rejects a batch endorsed by fewer than more than half of the other banks", async function () {
      const { ledger, partners, built, proposer, deadline, commit } = await loadFixture(preparedFixture);
      const sigs = await sign(partners.slice(0, 3), built.record, proposer, deadline);
      await expect(commit(sigs)).to.be.revertedWithCustomError(ledger, "QuorumNotMet").withArgs(3, 4);
    });

    it("rejects a batch endorsed by a member that does not vote", async function () {
      const { ledger, partners, arbitrator, built, proposer, deadline, commit } = await loadFixture(preparedFixture);
      const nodes = [...partners.slice(0, 3), arbitrator];
      const sigs = await sign(nodes, built.record, proposer, deadline);
      await expect(commit(sigs)).to.be.revertedWithCustomError(ledger, "UnknownSigner");
    });

    it("rejects a batch whose leaf count differs from the one endorsed", async function () {
      const { ledger, partners, built, proposer, deadline, commit } = await loadFixture(preparedFixture);
      const sigs = await sign(partners.slice(0, 4), built.record, proposer, deadline);
      await expect(commit(sigs, 17)).to.be.revertedWithCustomError(ledger, "UnknownSigner").withArgs(0, anyValue);
    });

    it("rejects a batch submitted by a bank other than the one the endorsers signed for", async function () {
      const { ledger, partners, built, proposer, deadline, batchSubject } = await loadFixture(preparedFixture);
      const sigs = await sign(partners.slice(1, 5), built.record, proposer, deadline);
      const other = ledger.connect(partners[0].signer);
      await expect(
        other.commitBatch(batchSubject, built.root, 16, ZERO_HASH, issuedAtFor(deadline), deadline, sigs),
      ).to.be.revertedWithCustomError(ledger, "UnknownSigner");
    });

    it("rejects an empty batch and one above the leaf limit", async function () {
      const { ledger, partners, built, proposer, deadline, commit } = await loadFixture(preparedFixture);
      const sigs = await sign(partners.slice(0, 4), built.record, proposer, deadline);
      await expect(commit(sigs, 0)).to.be.revertedWithCustomError(ledger, "InvalidBatchSize").withArgs(0, 65_536);
      await expect(commit(sigs, 65_537))
        .to.be.revertedWithCustomError(ledger, "InvalidBatchSize")
        .withArgs(65_537, 65_536);
    });

    it("rejects a batch that does not extend the batch subject's head", async function () {
      const { ledger, leadBank, partners, batchSubject } = await loadFixture(batchFixture);
      const first = await builderWith(batchSubject, 2).commit(leadBank, partners);
      const stale = builderWith(batchSubject, 2, 50).build(ZERO_HASH);
      const deadline = (await leadBank.now()) + 600n;
      const sigs = await sign(partners.slice(0, 4), stale.record, await leadBank.address(), deadline);
      await expect(
        ledger
          .connect(leadBank.signer)
          .commitBatch(batchSubject, stale.root, 2, ZERO_HASH, issuedAtFor(deadline), deadline, sigs),
      )
        .to.be.revertedWithCustomError(ledger, "StaleHead")
        .withArgs(batchSubject, ZERO_HASH, first.head);
    });

    it("fails to commit when too many peers refuse the batch", async function () {
      const { ledger, leadBank, partners, batchSubject } = await loadFixture(batchFixture);
      const refuse = () => {
        throw new Error("unknown receipt");
      };
      const reviewers = new Map(partners.slice(0, 3).map((p) => [p, refuse]));
      const error = await rejection(builderWith(batchSubject, 4).commit(leadBank, partners, { reviewers }));
      expect(error.message).to.match(/quorum not reached: 3 of 4 endorsements .*unknown receipt/);
      expect(await ledger.headOf(batchSubject)).to.equal(ZERO_HASH);
    });

    it("has a peer refuse a batch whose root does not follow from its leaves", async function () {
      const { leadBank, partners, batchSubject } = await loadFixture(batchFixture);
      const batch = builderWith(batchSubject, 8);
      const built = batch.build(ZERO_HASH);
      const proposal = batch.proposal(
        built,
        await leadBank.address(),
        await leadBank.now(),
        (await leadBank.now()) + 600n,
      );
      proposal.leaves[3] = Object.values(receipt(77)) as BatchInclusion["leaf"];
      const error = await rejection(reviewBatch(partners[0], proposal));
      expect(error).to.be.instanceOf(EndorsementRefused);
      expect(error.message).to.match(/root does not match the leaves/);
    });
  });

  describe("tree layout", function () {
    const leaves = (count: number) => Array.from({ length: count }, (_, i) => Object.values(receipt(i)) as BatchLeaf);

    it("builds the same root and proofs as OpenZeppelin's StandardMerkleTree", function () {
      for (const count of [1, 2, 3, 7, 64, 100]) {
        const ours = BatchTree.of(leaves(count));
        const theirs = StandardMerkleTree.of(leaves(count), ["bytes32", "bytes32", "bytes32", "bytes32"]);
        expect(ours.root).to.equal(theirs.root);
        for (const i of [0, Math.floor(count / 2), count - 1]) {
          expect(ours.proof(i)).to.deep.equal(theirs.getProof(i));
          expect(ours.leafHash(i)).to.equal(theirs.leafHash(leaves(count)[i]));
        }
      }
    });

    it("dumps a tree that OpenZeppelin's library loads and validates", function () {
      const loaded = StandardMerkleTree.load(BatchTree.of(leaves(33)).dump());
      expect(() => loaded.validate()).not.to.throw();
      expect(loaded.root).to.equal(BatchTree.of(leaves(33)).root);
    });

    it("refuses a tree without leaves and a proof of a leaf it does not have", function () {
      expect(() => BatchTree.of([])).to.throw(/at least one leaf/);
      expect(() => BatchTree.of(leaves(2)).proof(2)).to.throw(/no leaf 2 in a tree of 2/);
    });
  });

  describe("BatchBuilder input", function () {
    const subject = Subject.batch(ethers.ZeroAddress, "input");

    it("rejects a record added twice", function () {
      const batch = builderWith(subject, 2);
      expect(() => batch.add(receipt(1))).to.throw(/batch record 2: duplicate/);
    });

    it("rejects a malformed or zero hash", function () {
      const batch = new BatchBuilder(subject);
      expect(() => batch.add({ ...receipt(0), contentHash: "0x1234" })).to.throw(/contentHash must be a 32-byte/);
      expect(() => batch.add({ ...receipt(0), subject: ZERO_HASH })).to.throw(/subject must not be zero/);
      expect(batch.size).to.equal(0);
    });

    it("refuses to build an empty batch and to add after building", function () {
      expect(() => new BatchBuilder(subject).build(ZERO_HASH)).to.throw(/batch is empty/);
      const batch = builderWith(subject, 1);
      batch.build(ZERO_HASH);
      expect(() => batch.add(receipt(5))).to.throw(/already built/);
    });

    it("refuses inclusion proofs before the batch is built", function () {
      expect(() => builderWith(subject, 1).inclusions()).to.throw(/not built yet/);
    });
  });
});
