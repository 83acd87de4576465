import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { ZeroAddress, keccak256 } from "ethers";
import { Attestation, Kind, MembershipAction, Role, Subject, ZERO_HASH } from "../../clients/core/types";
import {
  LedgerHelper,
  MODULE_KINDS,
  MembershipHelper,
  deployTestModule,
  deadlineIn,
  endorseRecord,
  issuedAtFor,
  ledgerFixture,
  makeRecord,
  othersOf,
} from "../helpers/consortium";

/**
 * Finding 8 of issue 11: kinds that a module writes (facts, the court's Award) and the Batch kind
 * cannot be written by a bank majority through `commit` or `propose`; Batch only by `commitBatch`.
 */
describe("EvidenceLedger: kinds owned by modules", function () {
  const fixture = ledgerFixture();

  async function withModule() {
    const fx = await loadFixture(fixture);
    const module = await deployTestModule(fx.deployer, fx.ledger);
    await fx.ledger.connect(fx.deployer).setModuleAtGenesis(await module.getAddress(), true);
    return { ...fx, module };
  }

  it("refuses an Award committed to a case chain by a majority of the banks (front-running the arbitrator)", async function () {
    const fx = await loadFixture(fixture);
    const record = makeRecord(Subject.arbitrationCase(1), { kind: Kind.Award });
    const deadline = await deadlineIn();
    const signers = await othersOf(fx, fx.leadBank, 6); // every other bank signs
    const signatures = await endorseRecord(fx.ledger, fx.domain, record, fx.leadBank, signers, deadline);
    await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures))
      .to.be.revertedWithCustomError(fx.ledger, "ReservedKind")
      .withArgs(Kind.Award);
  });

  // The endorsed kinds the modules take (their rules check what the record says before it is
  // committed), the facts they write, and Membership (membership changes are the ledger's own
  // events): a majority of the banks writing one through `commit` or `propose` would put on a chain
  // a credit line the registry never opened, a loan contract the loan book never made, a default
  // or a claim that no rule checked.
  const endorsedByModules = [
    Kind.CreditDecision, // CreditRegistry.whitelist / reevaluate
    Kind.CreditClosed, // CreditRegistry.close
    Kind.OutsideLoan, // CreditRegistry.reportOutsideLoan
    Kind.LoanContract, // LoanBook.originate
    Kind.DefaultNotice, // LoanBook.declareDefault
    Kind.CaseOpened, // ArbitrationCourt.openCase
    Kind.CaseStatement, // ArbitrationCourt.fileStatement
    Kind.CaseReassigned, // ArbitrationCourt.reassignArbitrator
  ];
  const factsOfModules = [Kind.Reminder, Kind.Classified]; // LoanBook.remind, LoanBook.classify

  it("refuses a module's endorsed kind or fact committed by every other bank through the generic path", async function () {
    const fx = await loadFixture(fixture);
    const signers = await othersOf(fx, fx.leadBank, 6);
    for (const kind of [...endorsedByModules, ...factsOfModules, Kind.Membership]) {
      const subject =
        kind === Kind.CaseOpened || kind === Kind.CaseStatement ? Subject.arbitrationCase(1) : Subject.loan(1);
      const record = makeRecord(subject, { kind });
      const deadline = await deadlineIn();
      const signatures = await endorseRecord(fx.ledger, fx.domain, record, fx.leadBank, signers, deadline);
      await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, signatures))
        .to.be.revertedWithCustomError(fx.ledger, "ReservedKind")
        .withArgs(kind);
      await expect(LedgerHelper.from(fx).flow(record, fx.leadBank).propose())
        .to.be.revertedWithCustomError(fx.ledger, "ReservedKind")
        .withArgs(kind);
      expect(await fx.ledger.headOf(subject)).to.equal(ZERO_HASH);
    }
  });

  it("lets a module commit the endorsed kinds it takes", async function () {
    const fx = await withModule();
    const signers = await othersOf(fx, fx.leadBank, 4);
    for (const kind of endorsedByModules) {
      const record = makeRecord(Subject.loan(9), { kind, prev: await fx.ledger.headOf(Subject.loan(9)) });
      const deadline = await deadlineIn();
      const signatures = await endorseRecord(fx.ledger, fx.domain, record, fx.leadBank, signers, deadline);
      await expect(fx.module.connect(fx.leadBank).commitFor(record, issuedAtFor(deadline), deadline, signatures))
        .to.emit(fx.ledger, "RecordCommitted")
        .withArgs(
          record.subject,
          kind,
          fx.leadBank.address,
          record.contentHash,
          record.attrs,
          record.prev,
          anyValue,
          Attestation.Signatures,
          issuedAtFor(deadline),
          deadline,
          anyValue,
        );
    }
  });

  it("refuses every module-owned kind and Batch on the one-transaction and the voting paths", async function () {
    const fx = await loadFixture(fixture);
    const owned = [
      Kind.Batch,
      Kind.Award,
      Kind.CaseResponse,
      Kind.Disclosure,
      Kind.LoanFunded,
      Kind.FundingWithdrawn,
      Kind.LoanDisbursed,
      Kind.Repayment,
      Kind.LoanSpend,
      Kind.DelinquencyListed,
      Kind.LoanCancelled,
    ];
    for (const kind of owned) {
      const record = makeRecord(Subject.loan(7), { kind });
      const deadline = await deadlineIn();
      await expect(fx.ledger.connect(fx.leadBank).commit(record, issuedAtFor(deadline), deadline, "0x"))
        .to.be.revertedWithCustomError(fx.ledger, "ReservedKind")
        .withArgs(kind);
      await expect(LedgerHelper.from(fx).flow(record, fx.leadBank).propose())
        .to.be.revertedWithCustomError(fx.ledger, "ReservedKind")
        .withArgs(kind);
    }
    // Kinds banks do write themselves still commit.
    const receipt = makeRecord(Subject.loan(7), { kind: Kind.RepaymentReceipt });
    await expect(LedgerHelper.from(fx).flow(receipt, fx.leadBank).commit()).to.emit(fx.ledger, "RecordCommitted");
  });

  it("refuses a Batch record from a module, signed or as a fact", async function () {
    const fx = await withModule();
    const record = makeRecord(keccak256("0x0b"), { kind: Kind.Batch });
    const deadline = await deadlineIn();
    await expect(fx.module.connect(fx.leadBank).commitFor(record, issuedAtFor(deadline), deadline, "0x"))
      .to.be.revertedWithCustomError(fx.ledger, "ReservedKind")
      .withArgs(Kind.Batch);
    await expect(fx.module.connect(fx.leadBank).reportRawFact(record.subject, Kind.Batch, keccak256("0x01"), ZERO_HASH))
      .to.be.revertedWithCustomError(fx.ledger, "ReservedKind")
      .withArgs(Kind.Batch);
  });
});

/**
 * Each module-owned kind belongs to exactly one module: the ledger records the owner of each kind
 * a module declares (`ownedKinds`) when the module is enabled, and takes that kind from it alone.
 * Without this, any enabled module could write another's kinds: the court a loan book's Repayment,
 * the loan book an Award.
 */
describe("EvidenceLedger: each module kind has one module", function () {
  const fixture = ledgerFixture();
  const LOAN_BOOK_KINDS = [Kind.LoanContract, Kind.LoanFunded, Kind.Repayment, Kind.DefaultNotice];
  const COURT_KINDS = [Kind.CaseOpened, Kind.CaseResponse, Kind.Award, Kind.CaseClosed];

  /** Two modules enabled at genesis: a "loan book" and a "court", each claiming its own kinds. */
  async function twoModules() {
    const fx = await loadFixture(fixture);
    const book = await deployTestModule(fx.deployer, fx.ledger, LOAN_BOOK_KINDS);
    const court = await deployTestModule(fx.deployer, fx.ledger, COURT_KINDS);
    const genesis = fx.ledger.connect(fx.deployer);
    await genesis.setModuleAtGenesis(await book.getAddress(), true);
    await genesis.setModuleAtGenesis(await court.getAddress(), true);
    return { ...fx, book, court, bookAddress: await book.getAddress(), courtAddress: await court.getAddress() };
  }

  it("refuses a module writing another module's kind, as a fact or as a signed record", async function () {
    const fx = await twoModules();
    const loan = Subject.loan(1);
    const theCase = Subject.arbitrationCase(1);
    // The court forges the loan book's facts and records.
    for (const kind of LOAN_BOOK_KINDS) {
      await expect(fx.court.connect(fx.leadBank).reportFact(loan, kind, ZERO_HASH))
        .to.be.revertedWithCustomError(fx.ledger, "KindOfAnotherModule")
        .withArgs(kind, fx.bookAddress);
    }
    const contract = makeRecord(loan, { kind: Kind.LoanContract });
    const deadline = await deadlineIn();
    const signatures = await endorseRecord(
      fx.ledger,
      fx.domain,
      contract,
      fx.leadBank,
      await othersOf(fx, fx.leadBank, 6),
      deadline,
    );
    await expect(fx.court.connect(fx.leadBank).commitFor(contract, issuedAtFor(deadline), deadline, signatures))
      .to.be.revertedWithCustomError(fx.ledger, "KindOfAnotherModule")
      .withArgs(Kind.LoanContract, fx.bookAddress);
    // The loan book front-runs the court's award and forges its claim.
    for (const kind of COURT_KINDS) {
      await expect(fx.book.connect(fx.leadBank).reportFact(theCase, kind, ZERO_HASH))
        .to.be.revertedWithCustomError(fx.ledger, "KindOfAnotherModule")
        .withArgs(kind, fx.courtAddress);
    }
    expect(await fx.ledger.headOf(loan)).to.equal(ZERO_HASH);
    expect(await fx.ledger.headOf(theCase)).to.equal(ZERO_HASH);
    // Each still writes its own.
    await expect(fx.book.connect(fx.leadBank).reportFact(loan, Kind.Repayment, ZERO_HASH)).to.emit(
      fx.ledger,
      "RecordCommitted",
    );
    await expect(fx.court.connect(fx.leadBank).reportFact(theCase, Kind.Award, ZERO_HASH)).to.emit(
      fx.ledger,
      "RecordCommitted",
    );
  });

  it("names each kind's module, and no module for Batch, Membership and the banks' kinds", async function () {
    const fx = await twoModules();
    for (const kind of LOAN_BOOK_KINDS) expect(await fx.ledger.kindOwner(kind)).to.equal(fx.bookAddress);
    for (const kind of COURT_KINDS) expect(await fx.ledger.kindOwner(kind)).to.equal(fx.courtAddress);
    for (const kind of [Kind.Batch, Kind.Membership, Kind.Note, Kind.LoanSpend]) {
      expect(await fx.ledger.kindOwner(kind)).to.equal(ZeroAddress);
    }
  });

  it("refuses a module kind no enabled module claimed, from any module", async function () {
    const fx = await twoModules();
    // LoanSpend belongs to the loan-use account, which is not enabled here.
    await expect(fx.book.connect(fx.leadBank).reportFact(Subject.loan(1), Kind.LoanSpend, ZERO_HASH))
      .to.be.revertedWithCustomError(fx.ledger, "ReservedKind")
      .withArgs(Kind.LoanSpend);
    // A bank's own kind (a note) a module may still write, as before.
    await expect(fx.book.connect(fx.leadBank).reportFact(Subject.loan(1), Kind.Note, ZERO_HASH)).to.emit(
      fx.ledger,
      "RecordCommitted",
    );
  });

  it("refuses to enable a module that claims a kind another module owns, at genesis and by the banks", async function () {
    const fx = await twoModules();
    const rival = await deployTestModule(fx.deployer, fx.ledger, [Kind.LoanSpend, Kind.Award]);
    const rivalAddress = await rival.getAddress();
    await expect(fx.ledger.connect(fx.deployer).setModuleAtGenesis(rivalAddress, true))
      .to.be.revertedWithCustomError(fx.ledger, "KindAlreadyOwned")
      .withArgs(Kind.Award, fx.courtAddress);
    await fx.ledger.connect(fx.deployer).sealGenesis();
    await expect(
      fx.ledger.connect(fx.leadBank).proposeChange(MembershipAction.EnableModule, rivalAddress, Role.None, "", "0x"),
    )
      .to.be.revertedWithCustomError(fx.ledger, "KindAlreadyOwned")
      .withArgs(Kind.Award, fx.courtAddress);
    expect(await fx.ledger.isModule(rivalAddress)).to.equal(false);
    expect(await fx.ledger.kindOwner(Kind.LoanSpend)).to.equal(ZeroAddress);
  });

  it("refuses a module that claims Batch, Membership, a bank's kind or one kind twice", async function () {
    const fx = await loadFixture(fixture);
    for (const kinds of [[Kind.Batch], [Kind.Membership], [Kind.LoanSpend, Kind.Note], [keccak256("0x01")]]) {
      const module = await deployTestModule(fx.deployer, fx.ledger, kinds);
      await expect(fx.ledger.connect(fx.deployer).setModuleAtGenesis(await module.getAddress(), true))
        .to.be.revertedWithCustomError(fx.ledger, "NotModuleKind")
        .withArgs(kinds[kinds.length - 1]);
    }
    const twice = await deployTestModule(fx.deployer, fx.ledger, [Kind.LoanSpend, Kind.LoanSpend]);
    await expect(fx.ledger.connect(fx.deployer).setModuleAtGenesis(await twice.getAddress(), true))
      .to.be.revertedWithCustomError(fx.ledger, "KindAlreadyOwned")
      .withArgs(Kind.LoanSpend, await twice.getAddress());
  });

  it("frees a disabled module's kinds for the module that replaces it", async function () {
    const fx = await twoModules();
    await fx.ledger.connect(fx.deployer).sealGenesis();
    const helper = MembershipHelper.from(fx);
    await helper.disableModule(fx.bookAddress);
    for (const kind of LOAN_BOOK_KINDS) expect(await fx.ledger.kindOwner(kind)).to.equal(ZeroAddress);
    await expect(fx.book.connect(fx.leadBank).reportFact(Subject.loan(1), Kind.Repayment, ZERO_HASH))
      .to.be.revertedWithCustomError(fx.ledger, "NotModule")
      .withArgs(fx.bookAddress);
    const successor = await deployTestModule(fx.deployer, fx.ledger, LOAN_BOOK_KINDS);
    const successorAddress = await successor.getAddress();
    await helper.enableModule(successorAddress);
    for (const kind of LOAN_BOOK_KINDS) expect(await fx.ledger.kindOwner(kind)).to.equal(successorAddress);
    await expect(successor.connect(fx.leadBank).reportFact(Subject.loan(1), Kind.Repayment, ZERO_HASH)).to.emit(
      fx.ledger,
      "RecordCommitted",
    );
  });

  it("lets a stand-in for every module claim every module kind", async function () {
    const fx = await loadFixture(fixture);
    const all = await deployTestModule(fx.deployer, fx.ledger);
    await fx.ledger.connect(fx.deployer).setModuleAtGenesis(await all.getAddress(), true);
    for (const kind of MODULE_KINDS) expect(await fx.ledger.kindOwner(kind)).to.equal(await all.getAddress());
  });
});
