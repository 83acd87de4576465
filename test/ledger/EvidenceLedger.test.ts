import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import {
  TypedDataEncoder,
  concat,
  getBytes,
  hexlify,
  id,
  keccak256,
  recoverAddress,
  toBeHex,
  zeroPadValue,
} from "ethers";
import { evidenceLedgerFactory } from "../../clients/deploy";
import {
  ENDORSEMENT_TYPES,
  nextHead,
  packSignatures,
  recordHash,
  recoverEndorser,
  unpackAddresses,
  unpackSignatures,
} from "../../clients/core/records";
import { Attestation, Kind, RecordInput, Role, ZERO_HASH } from "../../clients/core/types";
import {
  deployTestModule,
  LedgerFixture,
  LedgerHelper,
  MembershipHelper,
  byAddress,
  commitRecord,
  committedRecords,
  deadlineIn,
  endorseRecord,
  ledgerFixture,
  makeRecord,
  othersOf,
  signEndorsements,
  testSubject,
  word,
  issuedAtFor,
} from "../helpers/consortium";
import { shouldBehaveLikeEndorsed, shouldBehaveLikeMemberGated } from "../helpers/behaviours";
import { rebuildChain } from "../helpers/chain";

/** Order of the secp256k1 group. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const LEAF_ENCODING = ["bytes32", "bytes32", "bytes32", "bytes32"];

function hex32(n: bigint): string {
  return zeroPadValue(toBeHex(n), 32);
}

type LeafValues = [string, string, string, string];

/** A batch leaf's four values (subject, kind, contentHash, attrs) as `verifyBatchLeaf` takes them. */
function leafOf(values: readonly string[]): LeafValues {
  if (values.length !== 4) throw new Error(`a leaf has 4 values, not ${values.length}`);
  return [values[0], values[1], values[2], values[3]];
}

/** An inner node's hash offered as a leaf's values. */
function asLeafValues(node: string): LeafValues {
  return [node, ZERO_HASH, ZERO_HASH, ZERO_HASH];
}

describe("EvidenceLedger", function () {
  const fixture = ledgerFixture();

  /** The default consortium with a TestModule enabled at genesis, then sealed. */
  async function moduleFixture() {
    const fx = await loadFixture(fixture);
    const module = await deployTestModule(fx.deployer, fx.ledger);
    const moduleAddress = await module.getAddress();
    await fx.ledger.connect(fx.deployer).setModuleAtGenesis(moduleAddress, true);
    await fx.ledger.connect(fx.deployer).sealGenesis();
    return { ...fx, module, moduleAddress };
  }

  /** A fresh record signed by exactly a quorum of the banks other than the lead bank. */
  async function signedRecord(fx: LedgerFixture, record: RecordInput = makeRecord(testSubject("signed"))) {
    const deadline = await deadlineIn();
    const endorsers = await othersOf(fx, fx.leadBank, 4);
    const endorsements = await signEndorsements(fx.domain, record, fx.leadBank, byAddress(endorsers), deadline);
    return {
      record,
      deadline,
      endorsers: byAddress(endorsers),
      endorsements,
      signatures: packSignatures(endorsements),
    };
  }

  describe("commit (one transaction)", function () {
    shouldBehaveLikeMemberGated({
      fixture,
      allowed: [Role.LeadBank, Role.PartnerBank],
      call: async (fx, caller) =>
        fx.ledger
          .connect(caller)
          .commit(makeRecord(testSubject("gate")), issuedAtFor(await deadlineIn()), await deadlineIn(), "0x"),
    });

    shouldBehaveLikeEndorsed({
      fixture,
      prepare: async (fx) => ({ record: makeRecord(testSubject("endorsed")), proposer: fx.leadBank }),
      submit: (fx, e) => fx.ledger.connect(e.proposer).commit(e.record, e.issuedAt, e.deadline, e.signatures),
    });

    it("commits a record endorsed by exactly a quorum: the proposer and 4 of the 6 other banks", async function () {
      const fx = await loadFixture(fixture);
      const { record, deadline, signatures } = await signedRecord(fx);
      const head = nextHead(ZERO_HASH, recordHash(record, fx.leadBank.address));
      await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures))
        .to.emit(fx.ledger, "RecordCommitted")
        .withArgs(
          record.subject,
          record.kind,
          fx.leadBank.address,
          record.contentHash,
          record.attrs,
          ZERO_HASH,
          head,
          Attestation.Signatures,
          issuedAtFor(deadline),
          deadline,
          signatures,
        );
      expect(await fx.ledger.headOf(record.subject)).to.equal(head);
    });

    it("commits a record endorsed by more than a quorum", async function () {
      const fx = await loadFixture(fixture);
      const record = makeRecord(testSubject("all"));
      const all = await othersOf(fx, fx.partners[2]);
      expect(all).to.have.length(6);
      const { receipt, signatures } = await commitRecord(fx, record, fx.partners[2], { endorsers: all });
      const [event] = committedRecords(fx.ledger, receipt);
      expect(unpackSignatures(event.endorsements)).to.have.length(6);
      expect(event.endorsements).to.equal(signatures);
      expect(event.proposer).to.equal(fx.partners[2].address);
    });

    it("chains each subject's records: head = keccak256(prev ‖ recordHash), as the TypeScript client computes", async function () {
      const fx = await loadFixture(fixture);
      const subject = testSubject("chain");
      let head = ZERO_HASH;
      for (const proposer of [fx.leadBank, fx.partners[0], fx.partners[3]]) {
        const record = makeRecord(subject, { prev: head, kind: Kind.RepaymentReceipt, attrs: keccak256("0x01") });
        const expected = nextHead(head, recordHash(record, proposer.address));
        expect(await fx.ledger.recordHash(record, proposer.address)).to.equal(recordHash(record, proposer.address));
        head = (await commitRecord(fx, record, proposer)).head;
        expect(head).to.equal(expected);
        expect(await fx.ledger.headOf(subject)).to.equal(expected);
      }
    });

    it("keeps separate subjects' chains apart", async function () {
      const fx = await loadFixture(fixture);
      const a = testSubject("a");
      const b = testSubject("b");
      const headA = (await commitRecord(fx, makeRecord(a), fx.leadBank)).head;
      const headB = (await commitRecord(fx, makeRecord(b), fx.leadBank)).head;
      await commitRecord(fx, makeRecord(a, { prev: headA }), fx.leadBank);
      expect(await fx.ledger.headOf(b)).to.equal(headB);
      expect(await fx.ledger.headOf(testSubject("never"))).to.equal(ZERO_HASH);
    });

    it("indexes the record by content with its block number and timestamp", async function () {
      const fx = await loadFixture(fixture);
      const record = makeRecord(testSubject("info"));
      const { receipt } = await commitRecord(fx, record, fx.leadBank);
      const block = (await receipt.getBlock())!;
      const info = await fx.ledger.recordInfo(record.subject, record.contentHash);
      expect(info.blockNumber).to.equal(receipt.blockNumber);
      expect(info.timestamp).to.equal(block.timestamp);
      expect(info.leafCount).to.equal(0);
      expect(info.attestation).to.equal(Attestation.Signatures);
      const none = await fx.ledger.recordInfo(record.subject, keccak256("0x02"));
      expect(none.blockNumber).to.equal(0);
      expect(none.timestamp).to.equal(0);
    });

    it("accepts the same content on another subject", async function () {
      const fx = await loadFixture(fixture);
      const first = makeRecord(testSubject("one"));
      await commitRecord(fx, first, fx.leadBank);
      const other = makeRecord(testSubject("two"), { contentHash: first.contentHash });
      const { head } = await commitRecord(fx, other, fx.leadBank);
      expect(await fx.ledger.headOf(other.subject)).to.equal(head);
      expect((await fx.ledger.recordInfo(other.subject, first.contentHash)).blockNumber).to.not.equal(0);
    });

    it("accepts endorsements in the very second of their deadline", async function () {
      const fx = await loadFixture(fixture);
      const { record, deadline, signatures } = await signedRecord(fx);
      await time.setNextBlockTimestamp(deadline);
      await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures)).to.emit(
        fx.ledger,
        "RecordCommitted",
      );
    });

    it("emits enough to rebuild a subject's chain from logs alone", async function () {
      const fx = await moduleFixture();
      const subject = testSubject("rebuild");
      const other = testSubject("rebuild-other");
      const helper = LedgerHelper.from(fx);
      await commitRecord(fx, makeRecord(subject), fx.leadBank);
      await commitRecord(fx, makeRecord(other), fx.leadBank);
      await (await fx.module.connect(fx.partners[0]).reportFact(subject, Kind.LoanFunded, keccak256("0x10"))).wait();
      await (await helper.next(subject, fx.partners[1])).commitByVotes();
      await commitRecord(fx, await nextOn(fx, subject), fx.partners[4]);
      await commitRecord(fx, await nextOn(fx, other), fx.partners[4]);

      const { head, entries } = await rebuildChain(fx.ledger, fx.domain, subject);
      expect(head).to.equal(await fx.ledger.headOf(subject));
      expect(entries.map((e) => e.attestation)).to.deep.equal([
        Attestation.Signatures,
        Attestation.Fact,
        Attestation.Votes,
        Attestation.Signatures,
      ]);
      expect(entries.map((e) => e.proposer)).to.deep.equal([
        fx.leadBank.address,
        fx.partners[0].address,
        fx.partners[1].address,
        fx.partners[4].address,
      ]);
      expect(entries[1].endorsers).to.deep.equal([fx.moduleAddress]);
      for (const e of [entries[0], entries[2], entries[3]]) {
        expect(e.endorsers).to.have.length(4);
        for (const signer of e.endorsers) expect(await fx.ledger.isVotingMember(signer)).to.equal(true);
        expect(e.endorsers).to.not.include(e.proposer);
      }
    });

    describe("quorum by consortium size", function () {
      const table: [number, number][] = [
        [3, 2],
        [4, 2],
        [5, 3],
        [7, 4],
        [15, 8],
        [25, 13],
      ];

      it("needs more than half of the other banks (quorumFor)", async function () {
        const { ledger } = await loadFixture(fixture);
        for (const [banks, quorum] of table) expect(await ledger.quorumFor(banks), `${banks} banks`).to.equal(quorum);
        expect(await ledger.quorumFor(6)).to.equal(3);
        expect(await ledger.quorumFor(64)).to.equal(32);
      });

      for (const [banks, quorum] of table) {
        it(`commits with ${quorum} endorsements among ${banks} banks and not with ${quorum - 1}`, async function () {
          const fx = await loadFixture(ledgerFixture({ banks, arbitrators: 0, regulators: 0, outsiders: 0 }));
          expect(await fx.ledger.votingMemberCount()).to.equal(banks);
          const record = makeRecord(testSubject(`size-${banks}`));
          const others = await othersOf(fx, fx.leadBank);
          const deadline = await deadlineIn();
          const short = await endorseRecord(
            fx.ledger,
            fx.domain,
            record,
            fx.leadBank,
            others.slice(0, quorum - 1),
            deadline,
          );
          await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, short))
            .to.be.revertedWithCustomError(fx.ledger, "QuorumNotMet")
            .withArgs(quorum - 1, quorum);
          const enough = await endorseRecord(
            fx.ledger,
            fx.domain,
            record,
            fx.leadBank,
            others.slice(0, quorum),
            deadline,
          );
          await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, enough)).to.emit(
            fx.ledger,
            "RecordCommitted",
          );
        });
      }
    });

    describe("rejections", function () {
      it("rejects a record with an empty subject, kind or content hash", async function () {
        const fx = await loadFixture(fixture);
        const base = makeRecord(testSubject("empty"));
        for (const field of ["subject", "kind", "contentHash"] as const) {
          const record = { ...base, [field]: ZERO_HASH };
          const { deadline, signatures } = await signedRecord(fx, record);
          await expect(
            fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures),
          ).to.be.revertedWithCustomError(fx.ledger, "EmptyRecordField");
        }
      });

      it("accepts empty attrs (a kind without on-chain parameters)", async function () {
        const fx = await loadFixture(fixture);
        const record = makeRecord(testSubject("no-attrs"), { attrs: ZERO_HASH });
        const { head } = await commitRecord(fx, record, fx.leadBank);
        expect(await fx.ledger.headOf(record.subject)).to.equal(head);
      });

      it("rejects no endorsements at all", async function () {
        const fx = await loadFixture(fixture);
        const record = makeRecord(testSubject("none"));
        await expect(
          fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(await deadlineIn()), await deadlineIn(), "0x"),
        )
          .to.be.revertedWithCustomError(fx.ledger, "QuorumNotMet")
          .withArgs(0, 4);
      });

      it("rejects a first record that claims a previous head", async function () {
        const fx = await loadFixture(fixture);
        const record = makeRecord(testSubject("claims"), { prev: keccak256("0x03") });
        const { deadline, signatures } = await signedRecord(fx, record);
        await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures))
          .to.be.revertedWithCustomError(fx.ledger, "StaleHead")
          .withArgs(record.subject, record.prev, ZERO_HASH);
      });

      it("rejects a record that extends a head the subject has moved past", async function () {
        const fx = await loadFixture(fixture);
        const subject = testSubject("stale");
        const head1 = (await commitRecord(fx, makeRecord(subject), fx.leadBank)).head;
        const head2 = (await commitRecord(fx, makeRecord(subject, { prev: head1 }), fx.leadBank)).head;
        const record = makeRecord(subject, { prev: head1 });
        const { deadline, signatures } = await signedRecord(fx, record);
        await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures))
          .to.be.revertedWithCustomError(fx.ledger, "StaleHead")
          .withArgs(subject, head1, head2);
      });

      it("rejects a replay of a committed record's transaction", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, signatures } = await signedRecord(fx);
        await fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures);
        const head = await fx.ledger.headOf(record.subject);
        await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures))
          .to.be.revertedWithCustomError(fx.ledger, "StaleHead")
          .withArgs(record.subject, ZERO_HASH, head);
      });

      it("rejects replayed signatures on the next record of the subject", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, signatures } = await signedRecord(fx);
        await fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures);
        const replay = { ...record, prev: await fx.ledger.headOf(record.subject) };
        const recovered = recoverEndorser(
          fx.domain,
          { ...replay, proposer: fx.leadBank.address, issuedAt: issuedAtFor(deadline), deadline },
          unpackSignatures(signatures)[0],
        );
        await expect(fx.ledger.connect(fx.leadBank).commit(replay, issuedAtFor(deadline), deadline, signatures))
          .to.be.revertedWithCustomError(fx.ledger, "UnknownSigner")
          .withArgs(0, recovered);
      });

      it("rejects the same content twice on one subject", async function () {
        const fx = await loadFixture(fixture);
        const first = makeRecord(testSubject("dup"));
        const head = (await commitRecord(fx, first, fx.leadBank)).head;
        const again = makeRecord(first.subject, {
          prev: head,
          contentHash: first.contentHash,
          kind: Kind.RepaymentReceipt,
        });
        const { deadline, signatures } = await signedRecord(fx, again);
        await expect(fx.ledger.connect(fx.leadBank).commit(again, issuedAtFor(deadline), deadline, signatures))
          .to.be.revertedWithCustomError(fx.ledger, "DuplicateContent")
          .withArgs(first.subject, first.contentHash);
      });

      it("rejects endorsements whose deadline has passed", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, signatures } = await signedRecord(fx);
        await time.setNextBlockTimestamp(deadline + 1n);
        await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures))
          .to.be.revertedWithCustomError(fx.ledger, "EndorsementExpired")
          .withArgs(deadline, deadline + 1n);
      });

      it("rejects a proposer that is not a bank, before looking at signatures", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, signatures } = await signedRecord(fx);
        for (const who of [fx.outsider, fx.arbitrator, fx.regulator, fx.deployer]) {
          await expect(fx.ledger.connect(who).commit(record, issuedAtFor(deadline), deadline, signatures))
            .to.be.revertedWithCustomError(fx.ledger, "NotVotingMember")
            .withArgs(who.address);
        }
      });

      it("rejects signatures the lead bank gathered, submitted by another bank", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, endorsements } = await signedRecord(fx);
        // Partner 6 is not among the signers: it may submit, but the signatures name the lead bank.
        const submitter = fx.partners[5];
        const recovered = recoverEndorser(
          fx.domain,
          { ...record, proposer: submitter.address, issuedAt: issuedAtFor(deadline), deadline },
          endorsements[0].signature,
        );
        await expect(
          fx.ledger.connect(submitter).commit(record, issuedAtFor(deadline), deadline, packSignatures(endorsements)),
        )
          .to.be.revertedWithCustomError(fx.ledger, "UnknownSigner")
          .withArgs(0, recovered);
      });

      it("rejects a signature blob that is not a whole number of 64-byte signatures", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, signatures } = await signedRecord(fx);
        const bytes = getBytes(signatures);
        for (const blob of [bytes.slice(0, 65), bytes.slice(0, 63), concat([bytes, "0x00"]), bytes.slice(0, 255)]) {
          await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, blob))
            .to.be.revertedWithCustomError(fx.ledger, "MalformedSignatures")
            .withArgs(getBytes(blob).length);
        }
      });

      it("cannot be given a malleated (high-s) signature: it does not fit in 64 bytes", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, endorsements } = await signedRecord(fx);
        const sig = getBytes(endorsements[0].signature);
        const r = hexlify(sig.slice(0, 32));
        const vs = BigInt(hexlify(sig.slice(32)));
        const parity = vs >> 255n;
        const highS = N - (vs & ((1n << 255n) - 1n));
        // The malleated twin (n - s, other parity) needs the top bit of its 32-byte s word.
        expect(highS >> 255n).to.equal(1n);
        const malleated = concat([r, hex32(highS), parity === 0n ? "0x1c" : "0x1b"]);
        const rest = endorsements.slice(1).map((e) => e.signature);
        const blob = concat([malleated, ...rest]);
        await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, blob))
          .to.be.revertedWithCustomError(fx.ledger, "MalformedSignatures")
          .withArgs(65 + 64 * 3);
      });

      it("rejects a compact signature whose s is above n/2", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, endorsements } = await signedRecord(fx);
        const r = hexlify(getBytes(endorsements[0].signature).slice(0, 32));
        const highS = N / 2n + 1n; // below 2^255, so it fits the compact form
        const blob = concat([r, hex32(highS), ...endorsements.slice(1).map((e) => e.signature)]);
        await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, blob))
          .to.be.revertedWithCustomError(fx.ledger, "InvalidSignature")
          .withArgs(0);
      });

      it("rejects bytes that recover to no address at all", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, endorsements } = await signedRecord(fx);
        const rest = endorsements.slice(1).map((e) => e.signature);
        // r = 0, and r = 5 (not the x-coordinate of any curve point).
        for (const r of [0n, 5n]) {
          const blob = concat([hex32(r), hex32(12345n), ...rest]);
          await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, blob))
            .to.be.revertedWithCustomError(fx.ledger, "InvalidSignature")
            .withArgs(0);
        }
      });

      it("rejects arbitrary bytes that recover to an account outside the consortium", async function () {
        const fx = await loadFixture(fixture);
        const { record, deadline, endorsements } = await signedRecord(fx);
        const forged = hexlify(concat([hex32(1n), hex32(0x1234567890abcdefn)]));
        const digest = await fx.ledger.endorsementDigest(record, fx.leadBank.address, issuedAtFor(deadline), deadline);
        const recovered = recoverAddress(digest, forged);
        const blob = concat([forged, ...endorsements.slice(1).map((e) => e.signature)]);
        await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, blob))
          .to.be.revertedWithCustomError(fx.ledger, "UnknownSigner")
          .withArgs(0, recovered);
      });

      for (const [label, foreign] of [
        ["another chain", async (fx: LedgerFixture) => ({ ...fx.domain, chainId: fx.chainId + 1n })],
        [
          "another ledger",
          async (fx: LedgerFixture) => {
            const twin = await (await evidenceLedgerFactory(fx.deployer)).deploy(fx.founders);
            return { ...fx.domain, verifyingContract: await twin.getAddress() };
          },
        ],
      ] as const) {
        it(`rejects endorsements signed for ${label}, naming the address they recover to`, async function () {
          const fx = await loadFixture(fixture);
          const record = makeRecord(testSubject("foreign"));
          const deadline = await deadlineIn();
          const signers = byAddress(await othersOf(fx, fx.leadBank, 4));
          const domain = await foreign(fx);
          const foreignSigs = await signEndorsements(domain, record, fx.leadBank, signers, deadline);
          const message = { ...record, proposer: fx.leadBank.address, issuedAt: issuedAtFor(deadline), deadline };
          // Valid where they were made...
          expect(recoverEndorser(domain, message, foreignSigs[0].signature)).to.equal(signers[0].address);
          // ...but here they recover to someone else.
          const recovered = recoverEndorser(fx.domain, message, foreignSigs[0].signature);
          expect(recovered).to.not.equal(signers[0].address);
          const blob = concat(foreignSigs.map((e) => e.signature));
          await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, blob))
            .to.be.revertedWithCustomError(fx.ledger, "UnknownSigner")
            .withArgs(0, recovered);
        });
      }
    });
  });

  describe("modules", function () {
    shouldBehaveLikeEndorsed({
      fixture: moduleFixture,
      prepare: async (fx) => ({ record: makeRecord(testSubject("module-endorsed")), proposer: fx.partners[0] }),
      submit: (fx, e) => fx.module.connect(e.proposer).commitFor(e.record, e.issuedAt, e.deadline, e.signatures),
    });

    it("commits a signed record on behalf of the module's caller", async function () {
      const fx = await moduleFixture();
      const record = makeRecord(testSubject("for"));
      const deadline = await deadlineIn();
      const signatures = await endorseRecord(
        fx.ledger,
        fx.domain,
        record,
        fx.partners[0],
        await othersOf(fx, fx.partners[0], 4),
        deadline,
      );
      const head = nextHead(ZERO_HASH, recordHash(record, fx.partners[0].address));
      await expect(fx.module.connect(fx.partners[0]).commitFor(record, issuedAtFor(deadline), deadline, signatures))
        .to.emit(fx.ledger, "RecordCommitted")
        .withArgs(
          record.subject,
          record.kind,
          fx.partners[0].address,
          record.contentHash,
          record.attrs,
          ZERO_HASH,
          head,
          Attestation.Signatures,
          issuedAtFor(deadline),
          deadline,
          signatures,
        );
      expect((await fx.ledger.recordInfo(record.subject, record.contentHash)).attestation).to.equal(
        Attestation.Signatures,
      );
    });

    it("rejects commitFor on behalf of a caller who is not a bank", async function () {
      const fx = await moduleFixture();
      const record = makeRecord(testSubject("for-outsider"));
      await expect(
        fx.module.connect(fx.arbitrator).commitFor(record, issuedAtFor(await deadlineIn()), await deadlineIn(), "0x"),
      )
        .to.be.revertedWithCustomError(fx.ledger, "NotVotingMember")
        .withArgs(fx.arbitrator.address);
    });

    it("rejects commitFor and recordFact from a member account", async function () {
      const fx = await moduleFixture();
      const record = makeRecord(testSubject("direct"));
      await expect(
        fx.ledger
          .connect(fx.leadBank)
          .commitFor(fx.leadBank.address, record, issuedAtFor(await deadlineIn()), await deadlineIn(), "0x"),
      )
        .to.be.revertedWithCustomError(fx.ledger, "NotModule")
        .withArgs(fx.leadBank.address);
      await expect(
        fx.ledger
          .connect(fx.leadBank)
          .recordFact(fx.leadBank.address, record.subject, record.kind, record.contentHash, ZERO_HASH),
      )
        .to.be.revertedWithCustomError(fx.ledger, "NotModule")
        .withArgs(fx.leadBank.address);
    });

    it("rejects a contract that was never enabled as a module", async function () {
      const fx = await moduleFixture();
      const rogue = await deployTestModule(fx.outsider, fx.ledger);
      const rogueAddress = await rogue.getAddress();
      await expect(rogue.connect(fx.leadBank).reportFact(testSubject("rogue"), Kind.Note, ZERO_HASH))
        .to.be.revertedWithCustomError(fx.ledger, "NotModule")
        .withArgs(rogueAddress);
      await expect(
        rogue
          .connect(fx.leadBank)
          .commitFor(makeRecord(testSubject("rogue")), issuedAtFor(await deadlineIn()), await deadlineIn(), "0x"),
      )
        .to.be.revertedWithCustomError(fx.ledger, "NotModule")
        .withArgs(rogueAddress);
    });

    it("rejects a module the banks have disabled", async function () {
      const fx = await moduleFixture();
      await MembershipHelper.from(fx).disableModule(fx.moduleAddress);
      await expect(fx.module.connect(fx.leadBank).reportFact(testSubject("disabled"), Kind.Note, ZERO_HASH))
        .to.be.revertedWithCustomError(fx.ledger, "NotModule")
        .withArgs(fx.moduleAddress);
    });

    it("appends facts to the subject's head, naming the actor and the reporting module", async function () {
      const fx = await moduleFixture();
      const subject = testSubject("facts");
      const prev = (await commitRecord(fx, makeRecord(subject), fx.leadBank)).head;
      const attrs = keccak256("0x42");
      const content = keccak256(abiEncodeModuleSeq(fx.moduleAddress, 1n));
      const record = { subject, kind: Kind.LoanFunded, contentHash: content, attrs, prev };
      const head = nextHead(prev, recordHash(record, fx.outsider.address));
      await expect(fx.module.connect(fx.outsider).reportFact(subject, Kind.LoanFunded, attrs))
        .to.emit(fx.ledger, "RecordCommitted")
        .withArgs(
          subject,
          Kind.LoanFunded,
          fx.outsider.address,
          content,
          attrs,
          prev,
          head,
          Attestation.Fact,
          0,
          0,
          fx.moduleAddress.toLowerCase(),
        );
      expect(await fx.ledger.headOf(subject)).to.equal(head);
    });

    it("chains facts and signed records in one subject", async function () {
      const fx = await moduleFixture();
      const subject = testSubject("mixed");
      await (await fx.module.connect(fx.leadBank).reportFact(subject, Kind.LoanDisbursed, ZERO_HASH)).wait();
      await (await fx.module.connect(fx.leadBank).reportFact(subject, Kind.Repayment, ZERO_HASH)).wait();
      await commitRecord(fx, await nextOn(fx, subject), fx.partners[1]);
      await (await fx.module.connect(fx.partners[2]).reportFact(subject, Kind.Classified, ZERO_HASH)).wait();
      const { head, entries } = await rebuildChain(fx.ledger, fx.domain, subject);
      expect(entries.map((e) => e.attestation)).to.deep.equal([
        Attestation.Fact,
        Attestation.Fact,
        Attestation.Signatures,
        Attestation.Fact,
      ]);
      expect(head).to.equal(await fx.ledger.headOf(subject));
    });

    it("does not index facts by content", async function () {
      const fx = await moduleFixture();
      const subject = testSubject("unindexed");
      const tx = await fx.module.connect(fx.leadBank).reportFact(subject, Kind.Note, ZERO_HASH);
      const [event] = committedRecords(fx.ledger, (await tx.wait())!);
      expect((await fx.ledger.recordInfo(subject, event.contentHash)).blockNumber).to.equal(0);
    });

    it("rejects a fact with an empty subject, kind or content hash", async function () {
      const fx = await moduleFixture();
      const cases = [
        [ZERO_HASH, Kind.Note, keccak256("0x01")],
        [testSubject("f"), ZERO_HASH, keccak256("0x01")],
        [testSubject("f"), Kind.Note, ZERO_HASH],
      ];
      for (const [subject, kind, content] of cases) {
        await expect(
          fx.module.connect(fx.leadBank).reportRawFact(subject, kind, content, ZERO_HASH),
        ).to.be.revertedWithCustomError(fx.ledger, "EmptyRecordField");
      }
    });
  });

  describe("batches", function () {
    async function batchFixture() {
      const fx = await loadFixture(fixture);
      const leaves: string[][] = [];
      for (let i = 0; i < 8; i++) {
        const r = makeRecord(testSubject(`leaf-${i}`), { kind: Kind.RepaymentReceipt, attrs: keccak256(toBeHex(i)) });
        leaves.push([r.subject, r.kind, r.contentHash, r.attrs]);
      }
      const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
      const subject = testSubject("batch");
      return { ...fx, leaves, tree, subject };
    }

    async function commitTree(
      fx: Awaited<ReturnType<typeof batchFixture>>,
      tree = fx.tree,
      count = BigInt(fx.leaves.length),
    ) {
      const deadline = await deadlineIn();
      const prev = await fx.ledger.headOf(fx.subject);
      const record = { subject: fx.subject, kind: Kind.Batch, contentHash: tree.root, attrs: word(count), prev };
      const signatures = await endorseRecord(
        fx.ledger,
        fx.domain,
        record,
        fx.leadBank,
        await othersOf(fx, fx.leadBank, 4),
        deadline,
      );
      return fx.ledger
        .connect(fx.leadBank)
        .commitBatch(fx.subject, tree.root, count, prev, issuedAtFor(deadline), deadline, signatures);
    }

    it("commits a Merkle root as an endorsed record of kind Batch", async function () {
      const fx = await batchFixture();
      const record = {
        subject: fx.subject,
        kind: Kind.Batch,
        contentHash: fx.tree.root,
        attrs: word(8),
        prev: ZERO_HASH,
      };
      const head = nextHead(ZERO_HASH, recordHash(record, fx.leadBank.address));
      const tx = commitTree(fx);
      await expect(tx).to.emit(fx.ledger, "BatchCommitted").withArgs(fx.subject, fx.tree.root, 8);
      await expect(tx)
        .to.emit(fx.ledger, "RecordCommitted")
        .withArgs(
          fx.subject,
          Kind.Batch,
          fx.leadBank.address,
          fx.tree.root,
          word(8),
          ZERO_HASH,
          head,
          Attestation.Signatures,
          anyValue,
          anyValue,
          anyValue,
        );
      const info = await fx.ledger.recordInfo(fx.subject, fx.tree.root);
      expect(info.leafCount).to.equal(8);
      expect(info.attestation).to.equal(Attestation.Signatures);
    });

    it("proves every real leaf's inclusion", async function () {
      const fx = await batchFixture();
      await commitTree(fx);
      for (const [i, leaf] of fx.tree.entries()) {
        expect(await fx.ledger.verifyBatchLeaf(fx.subject, fx.tree.root, fx.tree.getProof(i), leafOf(leaf))).to.equal(
          true,
        );
      }
    });

    it("refuses a forged leaf", async function () {
      const fx = await batchFixture();
      await commitTree(fx);
      const real = fx.leaves[3];
      const proof = fx.tree.getProof(real);
      const forged = [real[0], real[1], keccak256("0xbad0"), real[3]];
      expect(await fx.ledger.verifyBatchLeaf(fx.subject, fx.tree.root, proof, leafOf(forged))).to.equal(false);
      // A real leaf with another leaf's proof, or under a root that was never committed.
      const wrongProof = fx.tree.getProof(fx.leaves[4]);
      expect(await fx.ledger.verifyBatchLeaf(fx.subject, fx.tree.root, wrongProof, leafOf(real))).to.equal(false);
      const other = StandardMerkleTree.of([...fx.leaves, forged], LEAF_ENCODING);
      expect(await fx.ledger.verifyBatchLeaf(fx.subject, other.root, other.getProof(real), leafOf(real))).to.equal(
        false,
      );
      // The right root on the wrong subject.
      expect(await fx.ledger.verifyBatchLeaf(testSubject("elsewhere"), fx.tree.root, proof, leafOf(real))).to.equal(
        false,
      );
    });

    it("refuses the root or an inner node passed off as a leaf", async function () {
      const fx = await batchFixture();
      await commitTree(fx);
      const asLeaf = asLeafValues;
      expect(await fx.ledger.verifyBatchLeaf(fx.subject, fx.tree.root, [], asLeaf(fx.tree.root))).to.equal(false);
      // Heap layout: node 1 is the root's left child; its proof is node 2.
      const nodes = fx.tree.dump().tree;
      expect(await fx.ledger.verifyBatchLeaf(fx.subject, fx.tree.root, [nodes[2]], asLeaf(nodes[1]))).to.equal(false);
      expect(
        await fx.ledger.verifyBatchLeaf(fx.subject, fx.tree.root, [nodes[4], nodes[2]], asLeaf(nodes[3])),
      ).to.equal(false);
    });

    it("proves the leaves of 3-, 5-, 6- and 7-leaf batches and never an inner node (finding 5)", async function () {
      const fx = await batchFixture();
      for (const n of [3, 5, 6, 7]) {
        const tree = StandardMerkleTree.of(fx.leaves.slice(0, n), LEAF_ENCODING);
        const subject = testSubject(`odd-${n}`);
        await commitTree({ ...fx, subject }, tree, BigInt(n));
        for (const [i, leaf] of tree.entries()) {
          expect(await fx.ledger.verifyBatchLeaf(subject, tree.root, tree.getProof(i), leafOf(leaf))).to.equal(true);
        }
        // Every inner node but the root, with the proof that takes it to the root: before the fix
        // the hash itself was accepted as a leaf for these tree shapes.
        const nodes = tree.dump().tree;
        for (let k = 1; k < n - 1; k++) {
          const proof: string[] = [];
          for (let j = k; j > 0; j = Math.floor((j - 1) / 2)) proof.push(nodes[j % 2 === 1 ? j + 1 : j - 1]);
          expect(await fx.ledger.verifyBatchLeaf(subject, tree.root, proof, asLeafValues(nodes[k]))).to.equal(false);
        }
      }
    });

    it("refuses a root that was committed as an ordinary record", async function () {
      const fx = await batchFixture();
      const record = makeRecord(fx.subject, { kind: Kind.Note, contentHash: fx.tree.root });
      await commitRecord(fx, record, fx.leadBank);
      const leaf = fx.leaves[0];
      expect(await fx.ledger.verifyBatchLeaf(fx.subject, fx.tree.root, fx.tree.getProof(leaf), leafOf(leaf))).to.equal(
        false,
      );
    });

    it("proves the only leaf of a one-leaf batch with an empty proof", async function () {
      const fx = await batchFixture();
      const tree = StandardMerkleTree.of([fx.leaves[0]], LEAF_ENCODING);
      await commitTree(fx, tree, 1n);
      expect(await fx.ledger.verifyBatchLeaf(fx.subject, tree.root, [], leafOf(fx.leaves[0]))).to.equal(true);
      expect(await fx.ledger.verifyBatchLeaf(fx.subject, tree.root, [tree.root], leafOf(fx.leaves[0]))).to.equal(false);
    });

    it("proves leaves of an unbalanced tree at either depth", async function () {
      const fx = await batchFixture();
      const tree = StandardMerkleTree.of(fx.leaves.slice(0, 5), LEAF_ENCODING);
      await commitTree(fx, tree, 5n);
      const depths = new Set<number>();
      for (const [i, leaf] of tree.entries()) {
        const proof = tree.getProof(i);
        depths.add(proof.length);
        expect(await fx.ledger.verifyBatchLeaf(fx.subject, tree.root, proof, leafOf(leaf))).to.equal(true);
      }
      expect([...depths].sort()).to.deep.equal([2, 3]);
    });

    it("rejects a batch of no leaves or of more than MAX_BATCH_LEAVES", async function () {
      const fx = await batchFixture();
      const max = await fx.ledger.MAX_BATCH_LEAVES();
      for (const count of [0n, max + 1n]) {
        await expect(
          fx.ledger
            .connect(fx.leadBank)
            .commitBatch(
              fx.subject,
              fx.tree.root,
              count,
              ZERO_HASH,
              issuedAtFor(await deadlineIn()),
              await deadlineIn(),
              "0x",
            ),
        )
          .to.be.revertedWithCustomError(fx.ledger, "InvalidBatchSize")
          .withArgs(count, max);
      }
    });

    it("rejects endorsements of a different leaf count", async function () {
      const fx = await batchFixture();
      const deadline = await deadlineIn();
      const signed = {
        subject: fx.subject,
        kind: Kind.Batch,
        contentHash: fx.tree.root,
        attrs: word(8),
        prev: ZERO_HASH,
      };
      const sigs = await signEndorsements(
        fx.domain,
        signed,
        fx.leadBank,
        byAddress(await othersOf(fx, fx.leadBank, 4)),
        deadline,
      );
      const claimed = { ...signed, attrs: word(9) };
      const recovered = recoverEndorser(
        fx.domain,
        { ...claimed, proposer: fx.leadBank.address, issuedAt: issuedAtFor(deadline), deadline },
        sigs[0].signature,
      );
      await expect(
        fx.ledger
          .connect(fx.leadBank)
          .commitBatch(fx.subject, fx.tree.root, 9, ZERO_HASH, issuedAtFor(deadline), deadline, packSignatures(sigs)),
      )
        .to.be.revertedWithCustomError(fx.ledger, "UnknownSigner")
        .withArgs(0, recovered);
    });

    it("rejects the same root twice on one batch subject", async function () {
      const fx = await batchFixture();
      await commitTree(fx);
      await expect(commitTree(fx))
        .to.be.revertedWithCustomError(fx.ledger, "DuplicateContent")
        .withArgs(fx.subject, fx.tree.root);
    });

    it("rejects a batch from an account that is not a bank", async function () {
      const fx = await batchFixture();
      for (const who of [fx.arbitrator, fx.outsider]) {
        await expect(
          fx.ledger
            .connect(who)
            .commitBatch(
              fx.subject,
              fx.tree.root,
              8,
              ZERO_HASH,
              issuedAtFor(await deadlineIn()),
              await deadlineIn(),
              "0x",
            ),
        )
          .to.be.revertedWithCustomError(fx.ledger, "NotVotingMember")
          .withArgs(who.address);
      }
    });

    it("rejects a batch on an empty subject", async function () {
      const fx = await batchFixture();
      await expect(
        fx.ledger
          .connect(fx.leadBank)
          .commitBatch(
            ZERO_HASH,
            fx.tree.root,
            8,
            ZERO_HASH,
            issuedAtFor(await deadlineIn()),
            await deadlineIn(),
            "0x",
          ),
      ).to.be.revertedWithCustomError(fx.ledger, "EmptyRecordField");
    });
  });

  describe("views", function () {
    it("exposes the EIP-712 domain the clients sign for", async function () {
      const fx = await loadFixture(fixture);
      const d = await fx.ledger.eip712Domain();
      expect(d.name).to.equal("colend");
      expect(d.version).to.equal("1");
      expect(d.chainId).to.equal(fx.chainId);
      expect(d.verifyingContract).to.equal(await fx.ledger.getAddress());
      expect(await fx.ledger.domainSeparator()).to.equal(TypedDataEncoder.hashDomain(fx.domain));
    });

    it("computes the digest endorsers sign exactly as the clients do", async function () {
      const fx = await loadFixture(fixture);
      const record = makeRecord(testSubject("digest"), { prev: keccak256("0x05"), attrs: keccak256("0x06") });
      const deadline = 1_900_000_000n;
      const message = { ...record, proposer: fx.partners[3].address, issuedAt: issuedAtFor(deadline), deadline };
      expect(
        await fx.ledger.endorsementDigest(record, fx.partners[3].address, issuedAtFor(deadline), deadline),
      ).to.equal(TypedDataEncoder.hash(fx.domain, ENDORSEMENT_TYPES, message));
      expect(await fx.ledger.ENDORSEMENT_TYPEHASH()).to.equal(
        id(TypedDataEncoder.from(ENDORSEMENT_TYPES).encodeType("Endorsement")),
      );
    });

    it("unpacks the voters of a voting-path record from its event", async function () {
      const fx = await loadFixture(fixture);
      const flow = await LedgerHelper.from(fx).next(testSubject("voters"), fx.leadBank);
      const receipts = await flow.commitByVotes(4);
      const [event] = committedRecords(fx.ledger, receipts.at(-1)!);
      const voters = unpackAddresses(event.endorsements);
      expect(voters.map((v) => v.toLowerCase())).to.deep.equal(
        fx.partners.slice(0, 4).map((p) => p.address.toLowerCase()),
      );
    });
  });
});

/** A fresh record extending `subject`'s head. */
async function nextOn(fx: { ledger: LedgerFixture["ledger"] }, subject: string): Promise<RecordInput> {
  return makeRecord(subject, { prev: await fx.ledger.headOf(subject) });
}

/** keccak256 input of TestModule's n-th fact content: abi.encode(module, n). */
function abiEncodeModuleSeq(module: string, n: bigint): string {
  return concat([zeroPadValue(module, 32), hex32(n)]);
}
