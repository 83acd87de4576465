import { ethers } from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Attestation, Subject } from "../../clients/core/types";
import { exportLoanBundle } from "../../clients/evidence/export";
import { activeLoanFixture } from "../lending/fixtures";
import { expectRejected, expectVerified, tampered } from "./helpers";

/** An active loan of the real lending modules, with its first installment repaid. */
async function repaidOnceFixture() {
  const fx = await loadFixture(activeLoanFixture);
  await time.increase(30 * 24 * 3600);
  await fx.client.payDue(fx.loanId);
  return fx;
}

describe("Evidence bundles of the lending modules", function () {
  it("verifies a loan's chain written by the loan book: the signed contract and its facts", async function () {
    const fx = await loadFixture(repaidOnceFixture);
    const bundle = await exportLoanBundle(ethers.provider, fx.book, fx.loanId);
    const records = bundle.subjects[0].records;
    expect(records[0].kind.name).to.equal("LoanContract");
    expect(records[0].attestation.id).to.equal(Attestation.Signatures);
    expect(records.map((r) => r.kind.name)).to.include.members(["LoanFunded", "LoanDisbursed", "Repayment"]);
    expect(records.slice(1).every((r) => r.attestation.id === Attestation.Fact)).to.equal(true);
    // The contract and the lead's funding are committed in the same transaction.
    expect(records[1].txHash).to.equal(records[0].txHash);
    const report = await expectVerified(bundle, { rpc: ethers.provider });
    expect(report.records.every((r) => r.ok)).to.equal(true);
    const repayment = records.find((r) => r.kind.name === "Repayment")!;
    expect(repayment.proposer).to.equal(fx.borrower.address);
  });

  it("verifies a borrower's credit chain written by the credit registry", async function () {
    const fx = await loadFixture(repaidOnceFixture);
    const bundle = await exportLoanBundle(ethers.provider, fx.book, { subject: Subject.borrower(fx.pseudonym) });
    expect(bundle.subjects[0].records.map((r) => r.kind.name)).to.include("CreditDecision");
    await expectVerified(bundle, { rpc: ethers.provider });
  });

  it("rejects a loan-book fact whose actor was changed to a bank", async function () {
    const fx = await loadFixture(repaidOnceFixture);
    const bundle = await exportLoanBundle(ethers.provider, fx.book, fx.loanId);
    const index = bundle.subjects[0].records.findIndex((r) => r.kind.name === "Repayment");
    const bad = tampered(bundle, (b) => {
      b.subjects[0].records[index].proposer = fx.leadBank.address;
    });
    await expectRejected(bad, [
      new RegExp(`^loan record ${index} \\(Repayment\\): head .* is not keccak256`),
      new RegExp(
        `^loan record ${index} \\(Repayment\\): fact.tx was sent by ${fx.borrower.address}, not by the record's actor`,
      ),
    ]);
  });
});
