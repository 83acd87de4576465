import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { LendingContracts, lendingContracts } from "../../clients/lending";
import { readAddressBook } from "../../clients/core/addressBook";
import { LendingScenario } from "../../clients/sim/lendingScenario";
import { SimReport } from "../../clients/sim/report";
import { verifyBundle } from "../../clients/evidence/verify";
import { LoanStatus } from "../../clients/core/types";
import { ArbitrationCourt__factory } from "../../typechain-types";

describe("sim: a small scenario on the lending contracts (in-process)", function () {
  let report: SimReport;
  let out: string;
  let lending: LendingContracts;
  const log: string[] = [];

  before(async function () {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "colend-lend-"));
    report = await new LendingScenario(
      { provider: ethers.provider, rpc: network.provider as never },
      {
        loans: 8,
        partners: 3,
        months: 8,
        seed: "test-lending",
        out,
        network: "hardhat",
        maxCases: 1,
        progress: false,
        log: (l) => log.push(l),
      },
    ).run();
    lending = lendingContracts(readAddressBook(path.join(out, "addresses.json")), (await ethers.getSigners())[0]);
  });

  after(function () {
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("originates, funds and disburses every admitted borrower's loan on the loan book", async function () {
    expect(report.source).to.match(/^the contracts on chain 31337: LoanBook 0x/);
    expect(report.loans.count).to.equal(8);
    expect(await lending.loanBook.nextLoanId()).to.equal(9n);
    const funded = report.funders.reduce((a, f) => a + BigInt(f.funded), 0n);
    expect(funded).to.equal(BigInt(report.loans.disbursed));
    expect(BigInt(report.funders[0].funded) * 5n).to.equal(funded);
  });

  it("credits the funders exactly what the borrowers paid, to the unit", function () {
    const received = report.funders.reduce((a, f) => a + BigInt(f.principalReceived) + BigInt(f.interestReceived), 0n);
    expect(received).to.equal(BigInt(report.payments.borrowersPaid));
    expect(report.payments.balanced).to.equal(true);
  });

  it("takes the NPL figures from the loan book and counts each open loan in one class", async function () {
    const [outstanding, nonPerforming] = await lending.loanBook.portfolio();
    expect(report.loans.balance).to.equal(outstanding.toString());
    expect(report.loans.nonPerforming).to.equal(nonPerforming.toString());
    const open = report.loans.byClass.reduce((a, c) => a + c.loans, 0);
    expect(open + report.loans.repaid).to.equal(report.loans.count);
    const balance = report.loans.byClass.reduce((a, c) => a + BigInt(c.balance), 0n);
    expect(balance).to.equal(outstanding);
  });

  it("shows the partners refusing a forged credit limit", function () {
    expect(report.records.refusals).to.have.length(3);
    for (const r of report.records.refusals) expect(r.reason).to.match(/above the .* the decision rule allows/);
    expect(log.some((l) => l.startsWith("refused: credit decision"))).to.equal(true);
  });

  it("defaults the forced defaulter, opens its case and writes a bundle the offline verifier accepts", async function () {
    expect(report.records.byKind.DefaultNotice).to.be.greaterThan(0);
    expect(report.cases).to.have.length(1);
    expect(report.cases[0].verified).to.equal(true);
    const verdict = await verifyBundle(JSON.parse(fs.readFileSync(path.resolve(report.cases[0].bundle), "utf8")));
    expect(verdict.errors).to.deep.equal([]);
    expect(verdict.ok).to.equal(true);
    expect(verdict.frozenHead?.reached).to.equal(true);
  });

  it("files the case with the court, which records the arbitrator's award and closes the loan's dispute", async function () {
    const book = readAddressBook(path.join(out, "addresses.json"));
    const court = ArbitrationCourt__factory.connect(book.court!, ethers.provider);
    const info = await court.caseInfo(1n);
    expect(info.state).to.equal(2n); // Awarded
    expect(info.loanId).to.equal(BigInt(report.cases[0].loanId));
    expect(info.amountOwed).to.equal(BigInt(report.cases[0].amountOwed));
    expect(await lending.loanBook.loanInfo(info.loanId).then((l) => l.status)).to.equal(BigInt(LoanStatus.Awarded));
  });

  it("measures gas per operation from the receipts", function () {
    const ops = report.gas.map((g) => g.operation);
    for (const op of [
      "loanBook.originate",
      "loanBook.commitFunding",
      "loanBook.disburse",
      "loanBook.repay",
      "registry.whitelist",
    ]) {
      expect(ops).to.include(op);
    }
  });
});
