import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes } from "ethers";
import { newSalt } from "../../clients/core/records";
import { Kind, Subject, ZERO_HASH } from "../../clients/core/types";
import { Outcome } from "../../clients/arbitration/arbitratorNode";
import { courtFixture, deadline, endorse, openDefaultCase } from "./fixture";
import { issuedAtFor } from "../helpers/consortium";
import { skipUnderCoverage } from "../helpers/coverage";

/**
 * Gas of each court operation with seven banks (quorum 4). Gas is deterministic, so these are
 * asserted as ceilings; the measured figures are printed.
 */
describe("ArbitrationCourt gas", function () {
  skipUnderCoverage(); // instrumented code costs more gas: the ceilings are checked by `npm test`
  it("stays within its gas budget per operation", async function () {
    const fx = await loadFixture(courtFixture);
    const gas: Record<string, bigint> = {};
    const { caseId, receipt } = await openDefaultCase(fx);
    gas.openCase = receipt.gasUsed;

    const subject = Subject.arbitrationCase(caseId);
    const statement = {
      subject,
      kind: Kind.CaseStatement,
      contentHash: keccak256(newSalt()),
      attrs: ZERO_HASH,
      prev: await fx.ledger.headOf(subject),
    };
    const dl = await deadline();
    const sigs = await endorse(fx, statement, fx.leadBank.address, fx.partners.slice(0, 4), dl);
    gas.fileStatement = (await (
      await fx.court.connect(fx.leadBank).fileStatement(caseId, statement, issuedAtFor(dl), dl, sigs)
    ).wait())!.gasUsed;
    gas.respond = (await (await fx.court.connect(fx.borrower).respond(caseId, keccak256(newSalt()))).wait())!.gasUsed;
    gas.recordDisclosure = (await (
      await fx.court.connect(fx.leadBank).recordDisclosure(caseId, keccak256(newSalt()))
    ).wait())!.gasUsed;
    gas.issueAward = (await (
      await fx.court.connect(fx.arbitrator).issueAward(caseId, keccak256(toUtf8Bytes("award")), Outcome.Upheld, 10_500n)
    ).wait())!.gasUsed;

    console.log(
      "      gas:",
      Object.entries(gas)
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
    );
    const ceilings: Record<string, bigint> = {
      openCase: 250_000n, // measured 239,718
      fileStatement: 120_000n, // measured 114,361
      respond: 85_000n, // measured 79,624
      recordDisclosure: 76_000n, // measured 72,310
      issueAward: 212_000n, // measured 207,831 (with the mock loan book's hooks, payoff cap included)
    };
    for (const [op, ceiling] of Object.entries(ceilings)) expect(gas[op], op).to.be.lessThanOrEqual(ceiling);
  });
});
