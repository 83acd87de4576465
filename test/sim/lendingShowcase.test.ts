/**
 * What `npm run demo` shows after its months (issue 10, client side): drawdowns at each tier of
 * transaction protection and one stopped, a line cut then closed after new outside loans, a
 * delinquent borrower refused when applying again, loan-use spending with one payee refused; each
 * in report.json and the printed report, with the run's book and money left as they were.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { id } from "ethers";
import { contentHash } from "../../clients/core/records";
import { DocumentStore } from "../../clients/store";
import { EvidenceLedger, EvidenceLedger__factory } from "../../typechain-types";
import { readAddressBook } from "../../clients/core/addressBook";
import { Kind, Subject } from "../../clients/core/types";
import { CNY, LendingContracts, decodeDocument, lendingContracts } from "../../clients/lending";
import { LendingScenario } from "../../clients/sim/lendingScenario";
import { SimReport, formatReport } from "../../clients/sim/report";

const OPTIONS = { loans: 8, partners: 3, months: 8, seed: "test-lending", network: "hardhat", maxCases: 1 };

describe("sim: protection, monitoring, re-application and loan use in the demo", function () {
  let report: SimReport;
  let out: string;
  let lending: LendingContracts;
  let ledger: EvidenceLedger;

  before(async function () {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "colend-showcase-"));
    report = await new LendingScenario(
      { provider: ethers.provider, rpc: network.provider as never },
      { ...OPTIONS, out, progress: false, log: () => undefined, lendingShowcase: true },
    ).run();
    const book = readAddressBook(path.join(out, "addresses.json"));
    lending = lendingContracts(book, ethers.provider as never);
    ledger = EvidenceLedger__factory.connect(book.ledger, ethers.provider);
  });

  after(function () {
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("disburses at each protection tier and stops a drawdown with a wrong code", async function () {
    const p = report.lendingShowcase!.protection;
    expect(p.map((d) => [d.tier, d.outcome])).to.deep.equal([
      ["none", "disbursed"],
      ["one-time code", "disbursed"],
      ["biometric", "disbursed"],
      ["one-time code", "refused"],
    ]);
    expect(p[3].reason).to.contain("wrong one-time code");
    expect(await lending.loanBook.loanInfo(BigInt(p[3].loanId)).then((l) => l.disbursedAt)).to.equal(0n);
    // Each disbursed drawdown's receipt is the loan chain's endorsed record after LoanDisbursed.
    for (const d of p.filter((x) => x.outcome === "disbursed")) {
      const records = await ledger.queryFilter(ledger.filters.RecordCommitted(Subject.loan(BigInt(d.loanId))));
      const receipt = records.find((e) => e.args.kind === Kind.DisbursementReceipt)!;
      expect(receipt.args.contentHash).to.equal(d.receipt);
    }
  });

  it("cuts the line after a new outside loan and closes it after more, by the credit rule", async function () {
    const m = report.lendingShowcase!.monitoring;
    expect(m.map((x) => [x.institutions, x.action])).to.deep.equal([
      [2, "limit cut"],
      [4, "line closed"],
    ]);
    expect(BigInt(m[0].limitAfter)).to.be.lessThan(BigInt(m[0].limitBefore));
    expect(m[1].reasons.join("; ")).to.contain("institutions and under 6 months on time");
  });

  it("refuses the run's defaulted borrower applying again, from the registry's listing", async function () {
    const r = report.lendingShowcase!.reapplication!;
    expect(r.delinquent).to.equal(true);
    expect(r.refused).to.equal(true);
    expect(r.reason).to.match(/^credit declined: .*listed delinquent/);
    const loan = await lending.loanBook.loanInfo(BigInt(r.loanId));
    expect(await lending.registry.isDelinquent(loan.pseudonym)).to.equal(true);
  });

  it("pays the approved payee from the loan-use account and refuses another", async function () {
    const u = report.lendingShowcase!.loanUse;
    expect(u.spends.map((s) => [s.approved, s.outcome, s.reason])).to.deep.equal([
      [true, "paid", undefined],
      [false, "refused", "PayeeNotApproved"],
    ]);
    expect(await lending.token.balanceOf(u.spends[0].payee)).to.equal(2_000n * CNY);
    expect(await lending.token.balanceOf(u.spends[1].payee)).to.equal(0n);
    expect(u.balanceAfter).to.equal((3_000n * CNY).toString());
  });

  it("leaves the run's book and money as they were: every showcase loan is repaid or cancelled", async function () {
    expect(report.lendingShowcase!.settled).to.equal(true);
    expect(report.payments.balanced).to.equal(true);
    const [outstanding] = await lending.loanBook.portfolio();
    expect(report.loans.byClass.reduce((a, c) => a + BigInt(c.balance), 0n)).to.equal(outstanding);
  });

  it("prints each item in the report", function () {
    const text = formatReport(report);
    expect(text).to.contain("During and after the loan");
    expect(text).to.match(/biometric\s+disbursed/);
    expect(text).to.contain("line closed");
    expect(text).to.contain("applies again: REFUSED");
    expect(text).to.contain("refused (PayeeNotApproved)");
  });

  it("keeps the receipt with the protection outcome in the lead's store, under the record's content hash", function () {
    const store = DocumentStore.open(path.join(out, "stores", "lead.db"), id(`colend.sim.store.${OPTIONS.seed}.lead`));
    try {
      for (const d of report.lendingShowcase!.protection.filter((x) => x.outcome === "disbursed")) {
        const stored = store.get(d.receipt!)!;
        expect(contentHash(stored.document, stored.salt)).to.equal(d.receipt);
        const doc = decodeDocument(stored.document, "DisbursementReceipt");
        expect(doc.protectionHash).to.equal(d.protectionHash);
        expect((doc.protection as { tier: string }).tier).to.equal(d.tier);
      }
    } finally {
      store.close();
    }
  });
});
