import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, keccak256 } from "ethers";
import { newSalt } from "../../clients/core/records";
import { Kind, RecordInput, Subject } from "../../clients/core/types";
import { MembershipHelper, issuedAtFor } from "../helpers/consortium";
import { CourtFixture, courtFixture, deadline, endorse, openDefaultCase } from "./fixture";

function reassignAttrs(caseId: bigint, arbitrator: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "address"], [caseId, arbitrator]));
}

async function reassignRecord(fx: CourtFixture, caseId: bigint, arbitrator: string): Promise<RecordInput> {
  const subject = Subject.arbitrationCase(caseId);
  return {
    subject,
    kind: Kind.CaseReassigned,
    contentHash: keccak256(newSalt()),
    attrs: reassignAttrs(caseId, arbitrator),
    prev: await fx.ledger.headOf(subject),
  };
}

/** Finding 4 of issue 11: a case whose arbitrator was removed can be reassigned by a majority of the banks. */
describe("ArbitrationCourt: reassigning a removed arbitrator's case", function () {
  async function removedArbitratorFixture() {
    const fx = await loadFixture(courtFixture);
    const { caseId } = await openDefaultCase(fx);
    await MembershipHelper.from(fx).remove(fx.arbitrator.address);
    return { ...fx, caseId };
  }

  it("lets a majority of the banks hand the case to another arbitrator, who can then rule", async function () {
    const fx = await loadFixture(removedArbitratorFixture);
    // Before: nobody can ever rule on the case.
    await expect(fx.court.connect(fx.arbitrator).issueAward(fx.caseId, keccak256("0x01"), 2n, 1n))
      .to.be.revertedWithCustomError(fx.court, "NotArbitrator")
      .withArgs(fx.arbitrator.address);
    const record = await reassignRecord(fx, fx.caseId, fx.otherArbitrator.address);
    const dl = await deadline();
    const sigs = await endorse(fx, record, fx.leadBank.address, fx.partners.slice(0, 4), dl);
    await expect(
      fx.court
        .connect(fx.leadBank)
        .reassignArbitrator(fx.caseId, fx.otherArbitrator.address, record, issuedAtFor(dl), dl, sigs),
    )
      .to.emit(fx.court, "ArbitratorReassigned")
      .withArgs(fx.caseId, fx.arbitrator.address, fx.otherArbitrator.address);
    const c = await fx.court.caseInfo(fx.caseId);
    expect(c.arbitrator).to.equal(fx.otherArbitrator.address);
    await expect(fx.court.connect(fx.otherArbitrator).issueAward(fx.caseId, keccak256("0x02"), 2n, 5n)).to.emit(
      fx.court,
      "AwardIssued",
    );
  });

  it("refuses a reassignment without a quorum of the other banks", async function () {
    const fx = await loadFixture(removedArbitratorFixture);
    const record = await reassignRecord(fx, fx.caseId, fx.otherArbitrator.address);
    const dl = await deadline();
    const sigs = await endorse(fx, record, fx.leadBank.address, fx.partners.slice(0, 2), dl);
    await expect(
      fx.court
        .connect(fx.leadBank)
        .reassignArbitrator(fx.caseId, fx.otherArbitrator.address, record, issuedAtFor(dl), dl, sigs),
    ).to.be.revertedWithCustomError(fx.ledger, "QuorumNotMet");
  });

  it("refuses to take a case from an arbitrator who is still a member, or to give it to a non-arbitrator", async function () {
    const fx = await loadFixture(courtFixture);
    const { caseId } = await openDefaultCase(fx);
    const record = await reassignRecord(fx, caseId, fx.otherArbitrator.address);
    const dl = await deadline();
    const sigs = await endorse(fx, record, fx.leadBank.address, fx.partners.slice(0, 4), dl);
    await expect(
      fx.court
        .connect(fx.leadBank)
        .reassignArbitrator(caseId, fx.otherArbitrator.address, record, issuedAtFor(dl), dl, sigs),
    )
      .to.be.revertedWithCustomError(fx.court, "ArbitratorStillActive")
      .withArgs(caseId, fx.arbitrator.address);
    const removed = await loadFixture(removedArbitratorFixture);
    const toBank = await reassignRecord(removed, removed.caseId, removed.partners[0].address);
    await expect(
      removed.court
        .connect(removed.leadBank)
        .reassignArbitrator(removed.caseId, removed.partners[0].address, toBank, issuedAtFor(dl), dl, sigs),
    )
      .to.be.revertedWithCustomError(removed.court, "NotArbitrator")
      .withArgs(removed.partners[0].address);
  });

  it("refuses a record of another kind or whose endorsers signed another arbitrator", async function () {
    const fx = await loadFixture(removedArbitratorFixture);
    const dl = await deadline();
    const wrongKind = {
      ...(await reassignRecord(fx, fx.caseId, fx.otherArbitrator.address)),
      kind: Kind.CaseStatement,
    };
    await expect(
      fx.court
        .connect(fx.leadBank)
        .reassignArbitrator(fx.caseId, fx.otherArbitrator.address, wrongKind, issuedAtFor(dl), dl, "0x"),
    )
      .to.be.revertedWithCustomError(fx.court, "RecordMismatch")
      .withArgs(Subject.arbitrationCase(fx.caseId), Kind.CaseReassigned, wrongKind.subject, Kind.CaseStatement);
    const otherAttrs = { ...(await reassignRecord(fx, fx.caseId, fx.arbitrator.address)) };
    await expect(
      fx.court
        .connect(fx.leadBank)
        .reassignArbitrator(fx.caseId, fx.otherArbitrator.address, otherAttrs, issuedAtFor(dl), dl, "0x"),
    )
      .to.be.revertedWithCustomError(fx.court, "AttrsMismatch")
      .withArgs(reassignAttrs(fx.caseId, fx.otherArbitrator.address), otherAttrs.attrs);
  });
});
