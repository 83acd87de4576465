import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { keccak256 } from "ethers";
import { TestModule__factory } from "../../typechain-types";
import { Attestation, Kind, Subject, ZERO_HASH } from "../../clients/core/types";
import {
  LedgerHelper,
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
    const module = await new TestModule__factory(fx.deployer).deploy(await fx.ledger.getAddress());
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
