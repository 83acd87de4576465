import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes } from "ethers";
import { ArbitrationCourt__factory, MockLoanBook__factory } from "../../typechain-types";
import { proposeAndCommit } from "../../clients/core/node";
import { newSalt } from "../../clients/core/records";
import { Attestation, Kind, LoanStatus, Role, Subject, ZERO_HASH } from "../../clients/core/types";
import { Outcome } from "../../clients/arbitration/arbitratorNode";
import { shouldBehaveLikeEndorsed } from "../helpers/behaviours";
import { MembershipHelper, issuedAtFor } from "../helpers/consortium";
import {
  BORROWER_PSEUDONYM,
  CourtFixture,
  LOAN,
  PERFORMING_LOAN,
  claimAttrs,
  claimRecord,
  courtFixture,
  deadline,
  endorse,
  openDefaultCase,
} from "./fixture";

const coder = ethers.AbiCoder.defaultAbiCoder();

enum CaseState {
  None = 0,
  Open = 1,
  Awarded = 2,
}

function hashOf(text: string): string {
  return keccak256(toUtf8Bytes(text));
}

async function statementRecord(fx: CourtFixture, caseId: bigint, kind = Kind.CaseStatement) {
  const subject = Subject.arbitrationCase(caseId);
  return { subject, kind, contentHash: keccak256(newSalt()), attrs: ZERO_HASH, prev: await fx.ledger.headOf(subject) };
}

/** Removes `account` from the consortium by the banks' majority vote. */
async function removeMember(fx: CourtFixture, account: string) {
  await MembershipHelper.from(fx).remove(account);
  expect(await fx.ledger.roleOf(account)).to.equal(Role.None);
}

/** A case open on the defaulted loan (for the statement behaviours). */
async function openCaseFixture() {
  const fx = await loadFixture(courtFixture);
  const { caseId } = await openDefaultCase(fx);
  return { ...fx, caseId };
}

describe("ArbitrationCourt", function () {
  describe("deployment", function () {
    it("is an enabled ledger module bound to the loan book", async function () {
      const fx = await loadFixture(courtFixture);
      expect(await fx.ledger.isModule(await fx.court.getAddress())).to.equal(true);
      expect(await fx.loanBook.court()).to.equal(await fx.court.getAddress());
      expect(fx.boundToLoanBook).to.equal(true);
      expect(await fx.court.ledger()).to.equal(await fx.ledger.getAddress());
      expect(await fx.court.nextCaseId()).to.equal(1n);
    });

    it("rejects a ledger or loan book that is not a contract", async function () {
      const fx = await loadFixture(courtFixture);
      const factory = new ArbitrationCourt__factory(fx.deployer);
      await expect(factory.deploy(fx.outsider.address, await fx.loanBook.getAddress()))
        .to.be.revertedWithCustomError(factory, "InvalidContract")
        .withArgs(fx.outsider.address);
      await expect(factory.deploy(await fx.ledger.getAddress(), fx.outsider.address))
        .to.be.revertedWithCustomError(factory, "InvalidContract")
        .withArgs(fx.outsider.address);
    });

    it("cannot write to a ledger that did not enable it", async function () {
      const fx = await loadFixture(courtFixture);
      const loanBook = await new MockLoanBook__factory(fx.deployer).deploy();
      const court = await new ArbitrationCourt__factory(fx.deployer).deploy(fx.ledger, loanBook);
      await loanBook.bindCourt(court);
      await loanBook.setLender(LOAN, fx.leadBank.address, true);
      await loanBook.setStatus(LOAN, LoanStatus.Defaulted);
      const claim = await claimRecord(fx, LOAN, fx.arbitrator.address);
      const dl = await deadline();
      const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await expect(court.connect(fx.leadBank).openCase(LOAN, fx.arbitrator.address, claim, issuedAtFor(dl), dl, sigs))
        .to.be.revertedWithCustomError(fx.ledger, "NotModule")
        .withArgs(await court.getAddress());
    });
  });

  describe("openCase", function () {
    shouldBehaveLikeEndorsed({
      fixture: courtFixture,
      prepare: async (fx) => ({ record: await claimRecord(fx, LOAN, fx.arbitrator.address), proposer: fx.leadBank }),
      submit: (fx, e) =>
        fx.court
          .connect(e.proposer)
          .openCase(LOAN, fx.arbitrator.address, e.record, e.issuedAt, e.deadline, e.signatures),
    });

    it("files a case on a defaulted loan, freezing the loan head, and reports it to the loan book", async function () {
      const fx = await loadFixture(courtFixture);
      const loanHead = await fx.ledger.headOf(Subject.loan(LOAN));
      const { caseId, claim, tx, receipt } = await openDefaultCase(fx);
      await expect(tx)
        .to.emit(fx.court, "CaseOpened")
        .withArgs(caseId, LOAN, fx.arbitrator.address, fx.leadBank.address, loanHead, claim.contentHash);
      await expect(tx).to.emit(fx.loanBook, "CaseReported").withArgs(LOAN, caseId);
      const block = await ethers.provider.getBlock(receipt.blockNumber);
      const c = await fx.court.caseInfo(caseId);
      expect(c.loanId).to.equal(LOAN);
      expect(c.claimant).to.equal(fx.leadBank.address);
      expect(c.arbitrator).to.equal(fx.arbitrator.address);
      expect(c.state).to.equal(CaseState.Open);
      expect(c.openedAt).to.equal(block!.timestamp);
      expect(c.openedBlock).to.equal(receipt.blockNumber);
      expect(c.frozenHead).to.equal(loanHead);
      expect(c.awardHash).to.equal(ZERO_HASH);
      expect(c.amountOwed).to.equal(0n);
      expect(await fx.loanBook.loanStatus(LOAN)).to.equal(LoanStatus.InArbitration);
      expect(await fx.court.nextCaseId()).to.equal(caseId + 1n);
    });

    it("commits the claim as the first endorsed record of the case chain, proposed by the claimant", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId, claim, deadline: dl, tx, receipt } = await openDefaultCase(fx);
      const subject = Subject.arbitrationCase(caseId);
      const head = await fx.ledger.headOf(subject);
      expect(head).to.not.equal(ZERO_HASH);
      await expect(tx)
        .to.emit(fx.ledger, "RecordCommitted")
        .withArgs(
          subject,
          Kind.CaseOpened,
          fx.leadBank.address,
          claim.contentHash,
          claim.attrs,
          ZERO_HASH,
          head,
          Attestation.Signatures,
          issuedAtFor(dl),
          dl,
          (v: string) => ethers.dataLength(v) === 4 * 64,
        );
      const info = await fx.ledger.recordInfo(subject, claim.contentHash);
      expect(info.blockNumber).to.equal(receipt.blockNumber);
      expect(info.attestation).to.equal(Attestation.Signatures);
    });

    it("keeps the frozen head when records are appended to the loan chain after filing", async function () {
      const fx = await loadFixture(courtFixture);
      const before = await fx.ledger.headOf(Subject.loan(LOAN));
      const { caseId } = await openDefaultCase(fx);
      await proposeAndCommit(fx.lead, fx.partnerNodes, {
        subject: Subject.loan(LOAN),
        kind: Kind.Note,
        document: toUtf8Bytes("a receipt backdated to before the default"),
      });
      const after = await fx.ledger.headOf(Subject.loan(LOAN));
      expect(after).to.not.equal(before);
      expect((await fx.court.caseInfo(caseId)).frozenHead).to.equal(before);
    });

    it("lets a partner bank that lent to the loan file", async function () {
      const fx = await loadFixture(courtFixture);
      const claim = await claimRecord(fx, LOAN, fx.otherArbitrator.address);
      const dl = await deadline();
      const signers = [fx.leadBank, ...fx.partners.slice(1, 4)];
      const sigs = await endorse(fx, claim, fx.partners[0].address, signers, dl);
      await expect(
        fx.court.connect(fx.partners[0]).openCase(LOAN, fx.otherArbitrator.address, claim, issuedAtFor(dl), dl, sigs),
      )
        .to.emit(fx.court, "CaseOpened")
        .withArgs(
          1n,
          LOAN,
          fx.otherArbitrator.address,
          fx.partners[0].address,
          await fx.ledger.headOf(Subject.loan(LOAN)),
          claim.contentHash,
        );
    });

    it("rejects a case on a performing, unknown or already disputed loan", async function () {
      const fx = await loadFixture(courtFixture);
      for (const loanId of [PERFORMING_LOAN, 99n]) {
        await fx.loanBook.setLender(loanId, fx.leadBank.address, true);
        const claim = await claimRecord(fx, loanId, fx.arbitrator.address);
        const dl = await deadline();
        const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
        await expect(
          fx.court.connect(fx.leadBank).openCase(loanId, fx.arbitrator.address, claim, issuedAtFor(dl), dl, sigs),
        )
          .to.be.revertedWithCustomError(fx.court, "LoanNotDefaulted")
          .withArgs(loanId);
      }
      await openDefaultCase(fx);
      const claim = await claimRecord(fx, LOAN, fx.arbitrator.address);
      const dl = await deadline();
      const sigs = await endorse(fx, claim, fx.partners[0].address, [fx.leadBank, ...fx.partners.slice(1, 4)], dl);
      await expect(
        fx.court.connect(fx.partners[0]).openCase(LOAN, fx.arbitrator.address, claim, issuedAtFor(dl), dl, sigs),
      )
        .to.be.revertedWithCustomError(fx.court, "LoanNotDefaulted")
        .withArgs(LOAN);
    });

    it("rejects a bank that did not lend to the loan", async function () {
      const fx = await loadFixture(courtFixture);
      const filer = fx.partners[4];
      const claim = await claimRecord(fx, LOAN, fx.arbitrator.address);
      const dl = await deadline();
      const sigs = await endorse(fx, claim, filer.address, [fx.leadBank, ...fx.partners.slice(0, 3)], dl);
      await expect(fx.court.connect(filer).openCase(LOAN, fx.arbitrator.address, claim, issuedAtFor(dl), dl, sigs))
        .to.be.revertedWithCustomError(fx.court, "NotLender")
        .withArgs(LOAN, filer.address);
    });

    it("rejects a lender that is not an active voting member", async function () {
      const fx = await loadFixture(courtFixture);
      await fx.loanBook.setLender(LOAN, fx.outsider.address, true);
      const claim = await claimRecord(fx, LOAN, fx.arbitrator.address);
      const dl = await deadline();
      const sigs = await endorse(fx, claim, fx.outsider.address, fx.partners.slice(0, 4), dl);
      await expect(
        fx.court.connect(fx.outsider).openCase(LOAN, fx.arbitrator.address, claim, issuedAtFor(dl), dl, sigs),
      )
        .to.be.revertedWithCustomError(fx.ledger, "NotVotingMember")
        .withArgs(fx.outsider.address);

      const removed = fx.partners[2];
      await removeMember(fx, removed.address);
      const claim2 = await claimRecord(fx, LOAN, fx.arbitrator.address);
      const sigs2 = await endorse(fx, claim2, removed.address, [fx.leadBank, ...fx.partners.slice(3, 6)], dl);
      await expect(fx.court.connect(removed).openCase(LOAN, fx.arbitrator.address, claim2, issuedAtFor(dl), dl, sigs2))
        .to.be.revertedWithCustomError(fx.ledger, "NotVotingMember")
        .withArgs(removed.address);
    });

    it("rejects naming a member that is not an active arbitrator", async function () {
      const fx = await loadFixture(courtFixture);
      for (const named of [fx.partners[5].address, fx.regulator.address, fx.outsider.address, ethers.ZeroAddress]) {
        const claim = await claimRecord(fx, LOAN, named);
        const dl = await deadline();
        const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
        await expect(fx.court.connect(fx.leadBank).openCase(LOAN, named, claim, issuedAtFor(dl), dl, sigs))
          .to.be.revertedWithCustomError(fx.court, "NotArbitrator")
          .withArgs(named);
      }
      await removeMember(fx, fx.otherArbitrator.address);
      const claim = await claimRecord(fx, LOAN, fx.otherArbitrator.address);
      const dl = await deadline();
      const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await expect(
        fx.court.connect(fx.leadBank).openCase(LOAN, fx.otherArbitrator.address, claim, issuedAtFor(dl), dl, sigs),
      )
        .to.be.revertedWithCustomError(fx.court, "NotArbitrator")
        .withArgs(fx.otherArbitrator.address);
    });

    it("rejects a claim on another subject, of another kind, or not starting the case chain", async function () {
      const fx = await loadFixture(courtFixture);
      const arb = fx.arbitrator.address;
      const expected = Subject.arbitrationCase(1n);
      const cases = [
        { overrides: { subject: Subject.arbitrationCase(2n) }, given: [Subject.arbitrationCase(2n), Kind.CaseOpened] },
        { overrides: { subject: Subject.loan(LOAN) }, given: [Subject.loan(LOAN), Kind.CaseOpened] },
        { overrides: { kind: Kind.CaseStatement }, given: [expected, Kind.CaseStatement] },
      ];
      for (const c of cases) {
        const claim = await claimRecord(fx, LOAN, arb, c.overrides);
        const dl = await deadline();
        const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
        await expect(fx.court.connect(fx.leadBank).openCase(LOAN, arb, claim, issuedAtFor(dl), dl, sigs))
          .to.be.revertedWithCustomError(fx.court, "RecordMismatch")
          .withArgs(expected, Kind.CaseOpened, ...c.given);
      }
      const prev = hashOf("a made-up earlier record");
      const claim = await claimRecord(fx, LOAN, arb, { prev });
      const dl = await deadline();
      const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await expect(fx.court.connect(fx.leadBank).openCase(LOAN, arb, claim, issuedAtFor(dl), dl, sigs))
        .to.be.revertedWithCustomError(fx.ledger, "StaleHead")
        .withArgs(expected, prev, ZERO_HASH);
    });

    it("rejects a claim whose endorsers signed another arbitrator, loan or loan head", async function () {
      const fx = await loadFixture(courtFixture);
      const head = await fx.ledger.headOf(Subject.loan(LOAN));
      const signedAttrs = [
        claimAttrs(LOAN, fx.otherArbitrator.address, head),
        claimAttrs(PERFORMING_LOAN, fx.arbitrator.address, head),
        claimAttrs(LOAN, fx.arbitrator.address, ZERO_HASH),
        ZERO_HASH,
      ];
      for (const attrs of signedAttrs) {
        const claim = await claimRecord(fx, LOAN, fx.arbitrator.address, { attrs });
        const dl = await deadline();
        const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
        await expect(
          fx.court.connect(fx.leadBank).openCase(LOAN, fx.arbitrator.address, claim, issuedAtFor(dl), dl, sigs),
        )
          .to.be.revertedWithCustomError(fx.court, "AttrsMismatch")
          .withArgs(claimAttrs(LOAN, fx.arbitrator.address, head), attrs);
      }
    });

    it("rejects a claim when the loan chain moved after it was endorsed", async function () {
      const fx = await loadFixture(courtFixture);
      const claim = await claimRecord(fx, LOAN, fx.arbitrator.address);
      const dl = await deadline();
      const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await proposeAndCommit(fx.lead, fx.partnerNodes, {
        subject: Subject.loan(LOAN),
        kind: Kind.Note,
        document: toUtf8Bytes("late record"),
      });
      const head = await fx.ledger.headOf(Subject.loan(LOAN));
      await expect(
        fx.court.connect(fx.leadBank).openCase(LOAN, fx.arbitrator.address, claim, issuedAtFor(dl), dl, sigs),
      )
        .to.be.revertedWithCustomError(fx.court, "AttrsMismatch")
        .withArgs(claimAttrs(LOAN, fx.arbitrator.address, head), claim.attrs);
    });

    it("rejects a claim without a quorum of endorsements, or with expired ones", async function () {
      const fx = await loadFixture(courtFixture);
      const claim = await claimRecord(fx, LOAN, fx.arbitrator.address);
      let dl = await deadline();
      const three = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 3), dl);
      await expect(
        fx.court.connect(fx.leadBank).openCase(LOAN, fx.arbitrator.address, claim, issuedAtFor(dl), dl, three),
      )
        .to.be.revertedWithCustomError(fx.ledger, "QuorumNotMet")
        .withArgs(3, 4);
      const withRegulator = await endorse(
        fx,
        claim,
        fx.leadBank.address,
        [...fx.partners.slice(0, 3), fx.regulator],
        dl,
      );
      await expect(
        fx.court.connect(fx.leadBank).openCase(LOAN, fx.arbitrator.address, claim, issuedAtFor(dl), dl, withRegulator),
      ).to.be.revertedWithCustomError(fx.ledger, "UnknownSigner");
      dl = BigInt(await time.latest()) + 10n;
      const sigs = await endorse(fx, claim, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await time.increase(60);
      await expect(
        fx.court.connect(fx.leadBank).openCase(LOAN, fx.arbitrator.address, claim, issuedAtFor(dl), dl, sigs),
      ).to.be.revertedWithCustomError(fx.ledger, "EndorsementExpired");
      expect(await fx.court.nextCaseId()).to.equal(1n);
      expect(await fx.loanBook.loanStatus(LOAN)).to.equal(LoanStatus.Defaulted);
    });
  });

  describe("fileStatement", function () {
    shouldBehaveLikeEndorsed({
      fixture: openCaseFixture,
      prepare: async (fx) => ({ record: await statementRecord(fx, fx.caseId), proposer: fx.partners[1] }),
      submit: (fx, e) =>
        fx.court.connect(e.proposer).fileStatement(fx.caseId, e.record, e.issuedAt, e.deadline, e.signatures),
    });

    it("adds a lender's endorsed statement to the case chain", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      const record = await statementRecord(fx, caseId);
      const dl = await deadline();
      const sigs = await endorse(
        fx,
        record,
        fx.partners[1].address,
        [fx.leadBank, fx.partners[0], ...fx.partners.slice(2, 4)],
        dl,
      );
      await expect(fx.court.connect(fx.partners[1]).fileStatement(caseId, record, issuedAtFor(dl), dl, sigs))
        .to.emit(fx.court, "StatementFiled")
        .withArgs(caseId, fx.partners[1].address, record.contentHash);
      expect((await fx.ledger.recordInfo(record.subject, record.contentHash)).blockNumber).to.not.equal(0n);
      expect(await fx.ledger.headOf(record.subject)).to.not.equal(record.prev);
    });

    it("rejects a statement from a bank that did not lend", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      const record = await statementRecord(fx, caseId);
      const dl = await deadline();
      const filer = fx.partners[5];
      const sigs = await endorse(fx, record, filer.address, fx.partners.slice(0, 4), dl);
      await expect(fx.court.connect(filer).fileStatement(caseId, record, issuedAtFor(dl), dl, sigs))
        .to.be.revertedWithCustomError(fx.court, "NotLender")
        .withArgs(LOAN, filer.address);
    });

    it("rejects a statement on another case's subject or of another kind", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      const dl = await deadline();
      const other = {
        ...(await statementRecord(fx, caseId)),
        subject: Subject.arbitrationCase(caseId + 1n),
        prev: ZERO_HASH,
      };
      let sigs = await endorse(fx, other, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await expect(fx.court.connect(fx.leadBank).fileStatement(caseId, other, issuedAtFor(dl), dl, sigs))
        .to.be.revertedWithCustomError(fx.court, "RecordMismatch")
        .withArgs(Subject.arbitrationCase(caseId), Kind.CaseStatement, other.subject, Kind.CaseStatement);
      const award = await statementRecord(fx, caseId, Kind.Award);
      sigs = await endorse(fx, award, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await expect(fx.court.connect(fx.leadBank).fileStatement(caseId, award, issuedAtFor(dl), dl, sigs))
        .to.be.revertedWithCustomError(fx.court, "RecordMismatch")
        .withArgs(Subject.arbitrationCase(caseId), Kind.CaseStatement, Subject.arbitrationCase(caseId), Kind.Award);
    });

    it("rejects a statement without quorum or on a stale head", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      const record = await statementRecord(fx, caseId);
      const dl = await deadline();
      const sigs = await endorse(fx, record, fx.leadBank.address, fx.partners.slice(0, 2), dl);
      await expect(fx.court.connect(fx.leadBank).fileStatement(caseId, record, issuedAtFor(dl), dl, sigs))
        .to.be.revertedWithCustomError(fx.ledger, "QuorumNotMet")
        .withArgs(2, 4);
      const stale = { ...record, prev: ZERO_HASH };
      const staleSigs = await endorse(fx, stale, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await expect(fx.court.connect(fx.leadBank).fileStatement(caseId, stale, issuedAtFor(dl), dl, staleSigs))
        .to.be.revertedWithCustomError(fx.ledger, "StaleHead")
        .withArgs(record.subject, ZERO_HASH, record.prev);
    });

    it("rejects a statement on a case that does not exist or was decided", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      const dl = await deadline();
      const ghost = await statementRecord(fx, 5n);
      const ghostSigs = await endorse(fx, ghost, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await expect(fx.court.connect(fx.leadBank).fileStatement(5n, ghost, issuedAtFor(dl), dl, ghostSigs))
        .to.be.revertedWithCustomError(fx.court, "CaseNotOpen")
        .withArgs(5n);
      await fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("award"), Outcome.Upheld, 12_345n);
      const late = await statementRecord(fx, caseId);
      const sigs = await endorse(fx, late, fx.leadBank.address, fx.partners.slice(0, 4), dl);
      await expect(fx.court.connect(fx.leadBank).fileStatement(caseId, late, issuedAtFor(dl), dl, sigs))
        .to.be.revertedWithCustomError(fx.court, "CaseNotOpen")
        .withArgs(caseId);
    });
  });

  describe("respond", function () {
    it("records the borrower's response as a fact on the case chain", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      const subject = Subject.arbitrationCase(caseId);
      const prev = await fx.ledger.headOf(subject);
      const hash = hashOf("I was in hospital; here is the certificate");
      const tx = fx.court.connect(fx.borrower).respond(caseId, hash);
      await expect(tx).to.emit(fx.court, "ResponseFiled").withArgs(caseId, fx.borrower.address, hash);
      await expect(tx)
        .to.emit(fx.ledger, "RecordCommitted")
        .withArgs(
          subject,
          Kind.CaseResponse,
          fx.borrower.address,
          hash,
          ZERO_HASH,
          prev,
          await fx.ledger.headOf(subject),
          Attestation.Fact,
          0,
          0,
          (await fx.court.getAddress()).toLowerCase(),
        );
    });

    it("accepts several responses but never the same content twice", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId, claim } = await openDefaultCase(fx);
      await fx.court.connect(fx.borrower).respond(caseId, hashOf("first"));
      await fx.court.connect(fx.borrower).respond(caseId, hashOf("second"));
      await expect(fx.court.connect(fx.borrower).respond(caseId, hashOf("first")))
        .to.be.revertedWithCustomError(fx.court, "ContentAlreadyRecorded")
        .withArgs(caseId, hashOf("first"));
      await expect(fx.court.connect(fx.borrower).respond(caseId, claim.contentHash))
        .to.be.revertedWithCustomError(fx.court, "ContentAlreadyRecorded")
        .withArgs(caseId, claim.contentHash);
      await expect(fx.court.connect(fx.borrower).respond(caseId, ZERO_HASH)).to.be.revertedWithCustomError(
        fx.court,
        "EmptyHash",
      );
    });

    it("lets only the loan's borrower respond", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      for (const who of [fx.leadBank, fx.arbitrator, fx.outsider]) {
        await expect(fx.court.connect(who).respond(caseId, hashOf("x")))
          .to.be.revertedWithCustomError(fx.court, "NotBorrower")
          .withArgs(caseId, who.address);
      }
      const [account, pseudonym] = await fx.loanBook.borrowerOf(LOAN);
      expect([account, pseudonym]).to.deep.equal([fx.borrower.address, BORROWER_PSEUDONYM]);
    });

    it("rejects a response on a case that is not open", async function () {
      const fx = await loadFixture(courtFixture);
      await expect(fx.court.connect(fx.borrower).respond(1n, hashOf("x")))
        .to.be.revertedWithCustomError(fx.court, "CaseNotOpen")
        .withArgs(1n);
      const { caseId } = await openDefaultCase(fx);
      await fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("award"), Outcome.Upheld, 1n);
      await expect(fx.court.connect(fx.borrower).respond(caseId, hashOf("x")))
        .to.be.revertedWithCustomError(fx.court, "CaseNotOpen")
        .withArgs(caseId);
    });
  });

  describe("recordDisclosure", function () {
    it("records the claimant's manifest, naming the arbitrator", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      const manifest = hashOf("manifest");
      const subject = Subject.arbitrationCase(caseId);
      const tx = fx.court.connect(fx.leadBank).recordDisclosure(caseId, manifest);
      await expect(tx).to.emit(fx.court, "EvidenceDisclosed").withArgs(caseId, fx.arbitrator.address, manifest);
      const [event] = await fx.ledger.queryFilter(fx.ledger.filters.RecordCommitted(subject, Kind.Disclosure));
      expect(event.args.contentHash).to.equal(manifest);
      expect(event.args.attrs).to.equal(keccak256(coder.encode(["address"], [fx.arbitrator.address])));
      expect(event.args.attestation).to.equal(Attestation.Fact);
    });

    it("lets only the claimant disclose, once per manifest, while the case is open", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      await expect(fx.court.connect(fx.partners[0]).recordDisclosure(caseId, hashOf("m")))
        .to.be.revertedWithCustomError(fx.court, "NotClaimant")
        .withArgs(caseId, fx.partners[0].address);
      await fx.court.connect(fx.leadBank).recordDisclosure(caseId, hashOf("m"));
      await expect(fx.court.connect(fx.leadBank).recordDisclosure(caseId, hashOf("m")))
        .to.be.revertedWithCustomError(fx.court, "ContentAlreadyRecorded")
        .withArgs(caseId, hashOf("m"));
      await expect(fx.court.connect(fx.leadBank).recordDisclosure(caseId, ZERO_HASH)).to.be.revertedWithCustomError(
        fx.court,
        "EmptyHash",
      );
      await expect(fx.court.connect(fx.leadBank).recordDisclosure(caseId + 1n, hashOf("m")))
        .to.be.revertedWithCustomError(fx.court, "CaseNotOpen")
        .withArgs(caseId + 1n);
    });
  });

  describe("issueAward", function () {
    it("rules once: the case, the loan chain and the loan book all record the award", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      const awardHash = hashOf("award: borrower owes 10,500 CNY");
      const amount = 10_500_000_000n;
      const caseSubject = Subject.arbitrationCase(caseId);
      const loanSubject = Subject.loan(LOAN);
      const tx = fx.court.connect(fx.arbitrator).issueAward(caseId, awardHash, Outcome.Upheld, amount);
      await expect(tx).to.emit(fx.court, "AwardIssued").withArgs(caseId, LOAN, awardHash, amount);
      await expect(tx).to.emit(fx.loanBook, "AwardReported").withArgs(LOAN, caseId, amount);
      const c = await fx.court.caseInfo(caseId);
      expect(c.state).to.equal(CaseState.Awarded);
      expect(c.awardHash).to.equal(awardHash);
      expect(c.amountOwed).to.equal(amount);
      expect(await fx.loanBook.loanStatus(LOAN)).to.equal(LoanStatus.Awarded);
      expect(await fx.loanBook.awardedAmount(LOAN)).to.equal(amount);
      expect(await fx.loanBook.delinquent(BORROWER_PSEUDONYM)).to.equal(true);

      const attrs = keccak256(coder.encode(["uint256", "uint256", "uint256"], [caseId, LOAN, amount]));
      for (const subject of [caseSubject, loanSubject]) {
        const events = await fx.ledger.queryFilter(fx.ledger.filters.RecordCommitted(subject));
        const last = events[events.length - 1];
        expect(last.args.kind).to.equal(Kind.Award);
        expect(last.args.contentHash).to.equal(awardHash);
        expect(last.args.attrs).to.equal(attrs);
        expect(last.args.proposer).to.equal(fx.arbitrator.address);
        expect(last.args.head).to.equal(await fx.ledger.headOf(subject));
      }
    });

    it("rejects a second award on the same case", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      await fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("award"), Outcome.Upheld, 100n);
      await expect(fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("second award"), Outcome.Upheld, 1n))
        .to.be.revertedWithCustomError(fx.court, "CaseNotOpen")
        .withArgs(caseId);
      expect((await fx.court.caseInfo(caseId)).amountOwed).to.equal(100n);
    });

    it("rejects an award by another arbitrator or by anyone else", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      for (const who of [fx.otherArbitrator, fx.leadBank, fx.regulator, fx.borrower]) {
        await expect(fx.court.connect(who).issueAward(caseId, hashOf("award"), Outcome.Upheld, 1n))
          .to.be.revertedWithCustomError(fx.court, "NotAssignedArbitrator")
          .withArgs(caseId, fx.arbitrator.address);
      }
    });

    it("rejects an award by an arbitrator removed from the consortium", async function () {
      const fx = await loadFixture(courtFixture);
      const { caseId } = await openDefaultCase(fx);
      await removeMember(fx, fx.arbitrator.address);
      await expect(fx.court.connect(fx.arbitrator).issueAward(caseId, hashOf("award"), Outcome.Upheld, 1n))
        .to.be.revertedWithCustomError(fx.court, "NotArbitrator")
        .withArgs(fx.arbitrator.address);
    });

    it("rejects an award on an unknown case, with an empty hash, or reusing a hash of the case", async function () {
      const fx = await loadFixture(courtFixture);
      await expect(fx.court.connect(fx.arbitrator).issueAward(0n, hashOf("award"), Outcome.Upheld, 1n))
        .to.be.revertedWithCustomError(fx.court, "CaseNotOpen")
        .withArgs(0n);
      const { caseId, claim } = await openDefaultCase(fx);
      await expect(
        fx.court.connect(fx.arbitrator).issueAward(caseId, ZERO_HASH, Outcome.Upheld, 1n),
      ).to.be.revertedWithCustomError(fx.court, "EmptyHash");
      await expect(fx.court.connect(fx.arbitrator).issueAward(caseId, claim.contentHash, Outcome.Upheld, 1n))
        .to.be.revertedWithCustomError(fx.court, "ContentAlreadyRecorded")
        .withArgs(caseId, claim.contentHash);
      const loanRecord = fx.loanRecords[0].contentHash;
      await expect(fx.court.connect(fx.arbitrator).issueAward(caseId, loanRecord, Outcome.Upheld, 1n))
        .to.be.revertedWithCustomError(fx.court, "ContentAlreadyRecorded")
        .withArgs(caseId, loanRecord);
      expect((await fx.court.caseInfo(caseId)).state).to.equal(CaseState.Open);
    });
  });
});
