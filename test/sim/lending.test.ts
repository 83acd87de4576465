import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { LendingContracts, lendingContracts } from "../../clients/lending";
import { readAddressBook } from "../../clients/core/addressBook";
import { LendingScenario } from "../../clients/sim/lendingScenario";
import { SimReport } from "../../clients/sim/report";
import { summarize } from "../../clients/sim/summary";
import { verifyBundle } from "../../clients/evidence/verify";
import { LoanStatus } from "../../clients/core/types";
import { ArbitrationCourt__factory } from "../../typechain-types";

const OPTIONS = { loans: 8, partners: 3, months: 8, seed: "test-lending", network: "hardhat", maxCases: 1 };

/** Runs the demo's scenario in-process (each run deploys its own consortium). */
async function runScenario(out: string, log: string[], seed = OPTIONS.seed): Promise<SimReport> {
  return new LendingScenario(
    { provider: ethers.provider, rpc: network.provider as never },
    { ...OPTIONS, seed, out, progress: false, log: (l) => log.push(l) },
  ).run();
}

describe("sim: the demo's scenario on the contracts (in-process)", function () {
  let report: SimReport;
  let out: string;
  let lending: LendingContracts;
  const log: string[] = [];

  before(async function () {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "colend-lend-"));
    report = await runScenario(out, log);
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

  it("credits the funders exactly what the borrowers paid, to the unit", async function () {
    const received = report.funders.reduce((a, f) => a + BigInt(f.principalReceived) + BigInt(f.interestReceived), 0n);
    // What a funder has not been credited yet is the rounding of unsettled loans: under one unit per funder.
    const held = BigInt(report.payments.heldUntilSettlement);
    expect(held >= 0n && held < BigInt(report.loans.count * report.funders.length)).to.equal(true);
    expect(received + held).to.equal(BigInt(report.payments.borrowersPaid));
    expect(report.payments.balanced).to.equal(true);
    expect(BigInt(report.payments.borrowersPaid)).to.be.greaterThan(0n);
    // Independently, from the settlement token: each borrower received its principal twice (the
    // disbursement and its own money tokenized by its bank); what it holds less is what it paid.
    let paid = 0n;
    let principal = 0n;
    for (let id = 1n; id <= BigInt(report.loans.count); id++) {
      const loan = await lending.loanBook.loanInfo(id);
      principal += loan.principal;
      paid += 2n * loan.principal - (await lending.token.balanceOf(loan.borrower));
    }
    expect(principal.toString()).to.equal(report.loans.disbursed);
    expect(paid.toString()).to.equal(report.payments.borrowersPaid);
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
    // Ruled on the arbitrator's own reckoning, then paid against through the loan book until satisfied.
    expect(info.state).to.equal(3n); // Closed
    expect(info.loanId).to.equal(BigInt(report.cases[0].loanId));
    expect(info.amountOwed).to.equal(BigInt(report.cases[0].amountOwed));
    expect(report.cases[0].outcome).to.equal("partly upheld");
    expect(BigInt(report.cases[0].amountClaimed)).to.be.greaterThan(BigInt(report.cases[0].amountOwed));
    const e = report.cases[0].enforcement!;
    expect([e.paid, e.closed]).to.deep.equal([report.cases[0].amountOwed, true]);
    // Closing settles the split: every unit paid into the loan went to a funder.
    const credited = (await lending.loanBook.fundersOf(info.loanId)).reduce(
      (a, f) => a + f.principalReturned + f.incomeReceived,
      0n,
    );
    expect(credited).to.equal((await lending.loanBook.loanInfo(info.loanId)).totalRepaid);
    expect(await lending.loanBook.loanInfo(info.loanId).then((l) => l.status)).to.equal(BigInt(LoanStatus.Closed));
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

  it("gives the same loans, classes and money figures for the same seed, and others for another", async function () {
    const again = await runScenario(fs.mkdtempSync(path.join(os.tmpdir(), "colend-lend-")), []);
    expect(summarize(again)).to.deep.equal(summarize(report));
    const summary = summarize(report);
    expect(summary.portfolio.disbursed).to.equal(report.loans.disbursed);
    expect(summary.funders.map((f) => f.name)).to.deep.equal(report.funders.map((f) => f.name));
    expect(summary.recordsByKind.LoanContract).to.equal(8);
    const other = await runScenario(fs.mkdtempSync(path.join(os.tmpdir(), "colend-lend-")), [], "another-seed");
    expect(summarize(other).portfolio.disbursed).to.not.equal(summary.portfolio.disbursed);
  });
});
