import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, hexlify, keccak256 } from "ethers";
import { nextHead, recordHash } from "../../clients/core/records";
import { Attestation, Kind, ProposalState, RejectReason, Role, ZERO_HASH } from "../../clients/core/types";
import {
  LedgerFixture,
  LedgerHelper,
  MembershipHelper,
  commitRecord,
  deadlineIn,
  ledgerFixture,
  makeRecord,
  testSubject,
} from "../helpers/consortium";
import { shouldBehaveLikeMemberGated } from "../helpers/behaviours";

describe("EvidenceLedger: on-chain voting", function () {
  const fixture = ledgerFixture();

  /** 7 banks; the lead bank proposed a first record on a fresh subject (quorum 4 of 6). */
  async function proposedFixture() {
    return proposeOn(await loadFixture(fixture));
  }

  /** Same, but a partner proposed, so the lead bank is an ordinary voter. */
  async function partnerProposedFixture() {
    const fx = await loadFixture(fixture);
    return proposeOn(fx, fx.partners[0]);
  }

  async function proposeOn(fx: LedgerFixture, proposer = fx.leadBank) {
    const helper = LedgerHelper.from(fx);
    const flow = await helper.next(testSubject("vote"), proposer, {
      kind: Kind.RepaymentReceipt,
      attrs: keccak256("0x01"),
    });
    await (await flow.propose()).wait();
    return { ...fx, helper, flow, id: flow.id };
  }

  /** Packed 20-byte addresses, as the ledger emits voters. */
  function packed(addresses: string[]): string {
    return hexlify(concat(addresses)).toLowerCase();
  }

  describe("propose", function () {
    shouldBehaveLikeMemberGated({
      fixture,
      allowed: [Role.LeadBank, Role.PartnerBank],
      call: async (fx, caller) =>
        fx.ledger.connect(caller).propose(makeRecord(testSubject("gate")), await deadlineIn()),
    });

    it("records the proposal, its id (the record hash) and the quorum fixed now", async function () {
      const fx = await loadFixture(fixture);
      const record = makeRecord(testSubject("p"), { kind: Kind.RepaymentReceipt, attrs: keccak256("0x02") });
      const deadline = await deadlineIn();
      const id = recordHash(record, fx.partners[1].address);
      expect(await fx.ledger.connect(fx.partners[1]).propose.staticCall(record, deadline)).to.equal(id);
      await expect(fx.ledger.connect(fx.partners[1]).propose(record, deadline))
        .to.emit(fx.ledger, "RecordProposed")
        .withArgs(
          id,
          record.subject,
          fx.partners[1].address,
          record.kind,
          record.contentHash,
          record.attrs,
          ZERO_HASH,
          deadline,
          4,
        );
      const p = await fx.ledger.proposalInfo(id);
      expect(p.record.contentHash).to.equal(record.contentHash);
      expect(p.proposer).to.equal(fx.partners[1].address);
      expect(p.deadline).to.equal(deadline);
      expect(p.state).to.equal(ProposalState.Open);
      expect(p.snapshotSeq).to.equal(9);
      expect(p.quorum).to.equal(4);
      expect(p.eligible).to.equal(6);
      expect(p.endorsed).to.equal(0);
      expect(p.objected).to.equal(0);
      expect(await fx.ledger.headOf(record.subject)).to.equal(ZERO_HASH);
    });

    it("accepts a deadline exactly MAX_VOTING_PERIOD ahead", async function () {
      const fx = await loadFixture(fixture);
      const now = BigInt(await time.latest()) + 10n;
      const deadline = now + (await fx.ledger.MAX_VOTING_PERIOD());
      await time.setNextBlockTimestamp(now);
      await expect(fx.ledger.connect(fx.leadBank).propose(makeRecord(testSubject("max")), deadline)).to.emit(
        fx.ledger,
        "RecordProposed",
      );
    });

    it("rejects a deadline in the past or beyond MAX_VOTING_PERIOD", async function () {
      const fx = await loadFixture(fixture);
      const max = await fx.ledger.MAX_VOTING_PERIOD();
      for (const offset of [-1n, max + 1n]) {
        const now = BigInt(await time.latest()) + 10n;
        const deadline = now + offset;
        await time.setNextBlockTimestamp(now);
        await expect(fx.ledger.connect(fx.leadBank).propose(makeRecord(testSubject("late")), deadline))
          .to.be.revertedWithCustomError(fx.ledger, "InvalidDeadline")
          .withArgs(deadline, max);
      }
    });

    it("rejects the same proposal twice", async function () {
      const { ledger, leadBank, flow, id } = await proposedFixture();
      await expect(ledger.connect(leadBank).propose(flow.record, flow.deadline!))
        .to.be.revertedWithCustomError(ledger, "ProposalExists")
        .withArgs(id);
    });

    it("keeps a rejected proposal's id spent (re-propose with a new salt)", async function () {
      const { ledger, leadBank, flow, id } = await proposedFixture();
      await flow.passDeadline();
      await flow.expire();
      await expect(ledger.connect(leadBank).propose(flow.record, await deadlineIn()))
        .to.be.revertedWithCustomError(ledger, "ProposalExists")
        .withArgs(id);
    });

    it("rejects a proposal that does not extend the subject's head", async function () {
      const fx = await loadFixture(fixture);
      const subject = testSubject("stale-vote");
      const { head } = await commitRecord(fx, makeRecord(subject), fx.leadBank);
      const record = makeRecord(subject, { prev: ZERO_HASH });
      await expect(fx.ledger.connect(fx.leadBank).propose(record, await deadlineIn()))
        .to.be.revertedWithCustomError(fx.ledger, "StaleHead")
        .withArgs(subject, ZERO_HASH, head);
    });

    it("rejects a proposal of content the subject already holds", async function () {
      const fx = await loadFixture(fixture);
      const first = makeRecord(testSubject("dup-vote"));
      const { head } = await commitRecord(fx, first, fx.leadBank);
      const again = makeRecord(first.subject, { prev: head, contentHash: first.contentHash });
      await expect(fx.ledger.connect(fx.partners[0]).propose(again, await deadlineIn()))
        .to.be.revertedWithCustomError(fx.ledger, "DuplicateContent")
        .withArgs(first.subject, first.contentHash);
    });

    it("rejects a proposal with an empty subject, kind or content hash", async function () {
      const fx = await loadFixture(fixture);
      const base = makeRecord(testSubject("empty-vote"));
      for (const field of ["subject", "kind", "contentHash"] as const) {
        await expect(
          fx.ledger.connect(fx.leadBank).propose({ ...base, [field]: ZERO_HASH }, await deadlineIn()),
        ).to.be.revertedWithCustomError(fx.ledger, "EmptyRecordField");
      }
    });
  });

  describe("endorse", function () {
    shouldBehaveLikeMemberGated({
      fixture: partnerProposedFixture,
      allowed: [Role.LeadBank, Role.PartnerBank],
      call: (fx, caller) => fx.ledger.connect(caller).endorse(fx.id),
    });

    it("commits the record when the quorum-th endorsement arrives", async function () {
      const { ledger, leadBank, partners, flow, id } = await proposedFixture();
      for (const p of partners.slice(0, 3)) {
        await expect(flow.endorse(p)).to.emit(ledger, "RecordEndorsed").withArgs(id, p.address);
        expect(await flow.state()).to.equal(ProposalState.Open);
      }
      expect(await ledger.headOf(flow.record.subject)).to.equal(ZERO_HASH);
      const head = nextHead(ZERO_HASH, recordHash(flow.record, leadBank.address));
      const voters = packed(partners.slice(0, 4).map((p) => p.address));
      await expect(flow.endorse(partners[3]))
        .to.emit(ledger, "RecordCommitted")
        .withArgs(
          flow.record.subject,
          flow.record.kind,
          leadBank.address,
          flow.record.contentHash,
          flow.record.attrs,
          ZERO_HASH,
          head,
          Attestation.Votes,
          0,
          flow.deadline,
          voters,
        );
      expect(await flow.state()).to.equal(ProposalState.Committed);
      expect(await ledger.headOf(flow.record.subject)).to.equal(head);
      const info = await ledger.recordInfo(flow.record.subject, flow.record.contentHash);
      expect(info.attestation).to.equal(Attestation.Votes);
      expect(info.blockNumber).to.not.equal(0);
    });

    it("packs the endorsers in member order, whatever order they voted in", async function () {
      const { ledger, partners, flow } = await proposedFixture();
      const voters = [partners[5], partners[2], partners[4], partners[0]];
      const receipts = await flow.endorseBy(voters);
      const last = receipts.at(-1)!;
      const event = last.logs.map((l) => ledger.interface.parseLog(l)).find((e) => e?.name === "RecordCommitted")!;
      expect(event.args.endorsements).to.equal(packed([0, 2, 4, 5].map((i) => partners[i].address)));
      const [endorsers, objectors] = await ledger.proposalVoters(flow.id);
      expect(endorsers).to.deep.equal([0, 2, 4, 5].map((i) => partners[i].address));
      expect(objectors).to.deep.equal([]);
    });

    it("accepts an endorsement in the very second of the deadline", async function () {
      const { ledger, partners, flow, id } = await proposedFixture();
      await time.setNextBlockTimestamp(flow.deadline!);
      await expect(flow.endorse(partners[0])).to.emit(ledger, "RecordEndorsed").withArgs(id, partners[0].address);
    });

    it("rejects an endorsement after the deadline", async function () {
      const { ledger, partners, flow } = await proposedFixture();
      await time.setNextBlockTimestamp(flow.deadline! + 1n);
      await expect(flow.endorse(partners[0]))
        .to.be.revertedWithCustomError(ledger, "EndorsementExpired")
        .withArgs(flow.deadline, flow.deadline! + 1n);
    });

    it("rejects the proposer endorsing or objecting to its own proposal", async function () {
      const { ledger, leadBank, flow } = await proposedFixture();
      await expect(flow.endorse(leadBank))
        .to.be.revertedWithCustomError(ledger, "ProposerCannotEndorse")
        .withArgs(leadBank.address);
      await expect(flow.object(leadBank))
        .to.be.revertedWithCustomError(ledger, "ProposerCannotEndorse")
        .withArgs(leadBank.address);
    });

    it("rejects a second vote by the same bank, either way", async function () {
      const { ledger, partners, flow, id } = await proposedFixture();
      await flow.endorse(partners[0]);
      await flow.object(partners[1]);
      await expect(flow.endorse(partners[0]))
        .to.be.revertedWithCustomError(ledger, "AlreadyVotedOn")
        .withArgs(id, partners[0].address);
      await expect(flow.object(partners[0]))
        .to.be.revertedWithCustomError(ledger, "AlreadyVotedOn")
        .withArgs(id, partners[0].address);
      await expect(flow.endorse(partners[1]))
        .to.be.revertedWithCustomError(ledger, "AlreadyVotedOn")
        .withArgs(id, partners[1].address);
    });

    it("rejects a vote from a bank admitted after the proposal", async function () {
      const fx = await proposedFixture();
      const late = fx.outsiders[1];
      await MembershipHelper.from(fx).admit(late.address, Role.PartnerBank, "Late Bank");
      await expect(fx.flow.endorse(late))
        .to.be.revertedWithCustomError(fx.ledger, "JoinedAfterProposal")
        .withArgs(fx.id, late.address);
      await expect(fx.flow.object(late))
        .to.be.revertedWithCustomError(fx.ledger, "JoinedAfterProposal")
        .withArgs(fx.id, late.address);
    });

    it("rejects votes on a proposal that does not exist", async function () {
      const { ledger, leadBank } = await loadFixture(fixture);
      const id = keccak256("0x07");
      await expect(ledger.connect(leadBank).endorse(id))
        .to.be.revertedWithCustomError(ledger, "ProposalNotOpen")
        .withArgs(id, ProposalState.None);
    });

    it("rejects votes on a committed proposal", async function () {
      const { ledger, partners, flow, id } = await proposedFixture();
      await flow.endorseBy(partners.slice(0, 4));
      await expect(flow.endorse(partners[4]))
        .to.be.revertedWithCustomError(ledger, "ProposalNotOpen")
        .withArgs(id, ProposalState.Committed);
      await expect(flow.object(partners[4]))
        .to.be.revertedWithCustomError(ledger, "ProposalNotOpen")
        .withArgs(id, ProposalState.Committed);
    });
  });

  describe("object", function () {
    shouldBehaveLikeMemberGated({
      fixture: partnerProposedFixture,
      allowed: [Role.LeadBank, Role.PartnerBank],
      call: (fx, caller) => fx.ledger.connect(caller).object(fx.id),
    });

    it("rejects the proposal once objections put quorum out of reach", async function () {
      const { ledger, partners, flow, id } = await proposedFixture();
      // Quorum 4 of 6: two endorsements and two objections leave exactly enough undecided.
      await flow.endorseBy(partners.slice(0, 2));
      await expect(flow.object(partners[2])).to.emit(ledger, "RecordObjected").withArgs(id, partners[2].address);
      await flow.object(partners[3]);
      expect(await flow.state()).to.equal(ProposalState.Open);
      await expect(flow.object(partners[4]))
        .to.emit(ledger, "ProposalRejected")
        .withArgs(id, RejectReason.QuorumUnreachable);
      expect(await flow.state()).to.equal(ProposalState.Rejected);
      const [, objectors] = await ledger.proposalVoters(id);
      expect(objectors).to.deep.equal(partners.slice(2, 5).map((p) => p.address));
    });

    it("rejects the proposal on the third objection when nobody endorsed", async function () {
      const { ledger, partners, flow, id } = await proposedFixture();
      await flow.objectBy(partners.slice(0, 2));
      expect(await flow.state()).to.equal(ProposalState.Open);
      await expect(flow.object(partners[2]))
        .to.emit(ledger, "ProposalRejected")
        .withArgs(id, RejectReason.QuorumUnreachable);
    });

    it("rejects votes on a rejected proposal", async function () {
      const { ledger, partners, flow, id } = await proposedFixture();
      await flow.objectBy(partners.slice(0, 3));
      await expect(flow.endorse(partners[3]))
        .to.be.revertedWithCustomError(ledger, "ProposalNotOpen")
        .withArgs(id, ProposalState.Rejected);
    });
  });

  describe("expire", function () {
    it("rejects the proposal once its deadline has passed, at anyone's call", async function () {
      const { ledger, outsider, flow, id } = await proposedFixture();
      await flow.passDeadline();
      await expect(flow.expire(outsider)).to.emit(ledger, "ProposalRejected").withArgs(id, RejectReason.Expired);
      expect(await flow.state()).to.equal(ProposalState.Rejected);
    });

    it("refuses to expire a proposal before or at its deadline", async function () {
      const { ledger, flow, id } = await proposedFixture();
      await expect(flow.expire())
        .to.be.revertedWithCustomError(ledger, "ProposalNotExpired")
        .withArgs(id, flow.deadline);
      await time.setNextBlockTimestamp(flow.deadline!);
      await expect(flow.expire())
        .to.be.revertedWithCustomError(ledger, "ProposalNotExpired")
        .withArgs(id, flow.deadline);
    });

    it("refuses to expire a proposal that is not open", async function () {
      const { ledger, partners, flow, id } = await proposedFixture();
      await flow.endorseBy(partners.slice(0, 4));
      await flow.passDeadline();
      await expect(flow.expire())
        .to.be.revertedWithCustomError(ledger, "ProposalNotOpen")
        .withArgs(id, ProposalState.Committed);
      const unknown = keccak256("0x08");
      await expect(ledger.expire(unknown))
        .to.be.revertedWithCustomError(ledger, "ProposalNotOpen")
        .withArgs(unknown, ProposalState.None);
    });

    it("refuses to expire a proposal twice", async function () {
      const { ledger, flow, id } = await proposedFixture();
      await flow.passDeadline();
      await flow.expire();
      await expect(flow.expire())
        .to.be.revertedWithCustomError(ledger, "ProposalNotOpen")
        .withArgs(id, ProposalState.Rejected);
    });
  });

  describe("membership changes during a vote", function () {
    it("stops counting the endorsement of a bank removed since", async function () {
      const fx = await proposedFixture();
      const { ledger, partners, flow } = fx;
      await flow.endorseBy(partners.slice(0, 3));
      await MembershipHelper.from(fx).remove(partners[2].address);
      // Three endorsements, one of them now void, among 6 banks (quorum 3): the next makes three valid.
      await expect(flow.endorse(partners[3]))
        .to.emit(ledger, "RecordCommitted")
        .withArgs(
          flow.record.subject,
          flow.record.kind,
          fx.leadBank.address,
          flow.record.contentHash,
          flow.record.attrs,
          ZERO_HASH,
          nextHead(ZERO_HASH, recordHash(flow.record, fx.leadBank.address)),
          Attestation.Votes,
          0,
          flow.deadline,
          packed([0, 1, 3].map((i) => partners[i].address)),
        );
    });

    it("needs the quorum of the banks at commit time when banks joined since the proposal", async function () {
      const fx = await loadFixture(ledgerFixture({ banks: 6 }));
      const { ledger, partners, leadBank } = fx;
      const flow = await LedgerHelper.from(fx).next(testSubject("joined"), leadBank);
      await flow.propose();
      expect((await ledger.proposalInfo(flow.id)).quorum).to.equal(3);
      const late = fx.outsiders[1];
      await MembershipHelper.from(fx).admit(late.address, Role.PartnerBank, "Late Bank");
      expect(await ledger.quorumFor(await ledger.votingMemberCount())).to.equal(4);
      // Three endorsements were the quorum at proposal; they are not enough among 7 banks.
      await flow.endorseBy(partners.slice(0, 3));
      expect(await flow.state()).to.equal(ProposalState.Open);
      await expect(flow.endorse(partners[3])).to.emit(ledger, "RecordCommitted");
    });

    it("commits a proposal made among 3 banks only with the quorum of the 7 banks there are now", async function () {
      const fx = await loadFixture(ledgerFixture({ banks: 3 }));
      const { ledger, partners, leadBank } = fx;
      const flow = await LedgerHelper.from(fx).next(testSubject("grown"), leadBank);
      await flow.propose();
      expect((await ledger.proposalInfo(flow.id)).quorum).to.equal(2);
      const helper = new MembershipHelper(ledger, [...fx.banks]);
      for (let i = 0; i < 4; i++) {
        await helper.admit(fx.outsiders[i].address, Role.PartnerBank, `Late ${i}`);
        helper.banks.push(fx.outsiders[i]);
      }
      expect(await ledger.votingMemberCount()).to.equal(7);
      // The two banks of the proposal (the quorum among 3) cannot make the quorum of 7 banks, 4.
      await expect(flow.endorse(partners[0]))
        .to.emit(ledger, "ProposalRejected")
        .withArgs(flow.id, RejectReason.QuorumUnreachable)
        .and.not.to.emit(ledger, "RecordCommitted");
    });

    it("lowers the quorum to the banks at commit time when a bank left", async function () {
      const fx = await proposedFixture();
      const { ledger, partners, flow } = fx;
      await MembershipHelper.from(fx).remove(partners[5].address);
      expect(await ledger.quorumFor(await ledger.votingMemberCount())).to.equal(3);
      await flow.endorseBy(partners.slice(0, 2));
      expect(await flow.state()).to.equal(ProposalState.Open);
      await expect(flow.endorse(partners[2])).to.emit(ledger, "RecordCommitted");
    });

    it("rejects the proposal when removals put quorum out of reach", async function () {
      const fx = await proposedFixture();
      const { ledger, partners, flow, id } = fx;
      await flow.objectBy(partners.slice(0, 2));
      // Four undecided banks could still make quorum 4; removing two leaves two undecided of 5
      // banks, whose quorum is 3.
      await MembershipHelper.from(fx).remove(partners[5].address);
      await MembershipHelper.from(fx).remove(partners[4].address);
      await expect(flow.endorse(partners[3]))
        .to.emit(ledger, "ProposalRejected")
        .withArgs(id, RejectReason.QuorumUnreachable);
    });

    it("rejects the proposal at the next vote once its proposer is removed", async function () {
      const fx = await proposedFixture();
      const { ledger, partners, flow, id } = fx;
      await flow.endorseBy(partners.slice(0, 3));
      await MembershipHelper.from(fx).remove(fx.leadBank.address);
      await expect(flow.endorse(partners[3]))
        .to.emit(ledger, "ProposalRejected")
        .withArgs(id, RejectReason.QuorumUnreachable)
        .and.not.to.emit(ledger, "RecordCommitted");
    });

    it("rejects the proposal as ChainMoved when a one-transaction commit extended the subject first", async function () {
      const fx = await proposedFixture();
      const { ledger, partners, flow, id } = fx;
      const { head } = await commitRecord(fx, makeRecord(flow.record.subject), partners[5]);
      await flow.endorseBy(partners.slice(0, 3));
      await expect(flow.endorse(partners[3]))
        .to.emit(ledger, "ProposalRejected")
        .withArgs(id, RejectReason.ChainMoved)
        .and.not.to.emit(ledger, "RecordCommitted");
      expect(await flow.state()).to.equal(ProposalState.Rejected);
      expect(await ledger.headOf(flow.record.subject)).to.equal(head);
    });

    it("commits only the first of two rival proposals on the same head", async function () {
      const fx = await proposedFixture();
      const { ledger, partners, flow } = fx;
      const rival = fx.helper.flow(makeRecord(flow.record.subject), partners[5]);
      await rival.propose();
      await rival.endorseBy([fx.leadBank, ...partners.slice(0, 3)]);
      expect(await rival.state()).to.equal(ProposalState.Committed);
      await flow.endorseBy(partners.slice(0, 3));
      await expect(flow.endorse(partners[4]))
        .to.emit(ledger, "ProposalRejected")
        .withArgs(flow.id, RejectReason.ChainMoved);
    });
  });
});
