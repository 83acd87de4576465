import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { contentHash } from "../../clients/core/records";
import { SimReport } from "../../clients/sim/report";
import { Scenario } from "../../clients/sim/scenario";

describe("sim: a small scenario end to end (in-process)", function () {
  let report: SimReport;
  let out: string;
  const log: string[] = [];

  before(async function () {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "colend-sim-"));
    const scenario = new Scenario(
      { provider: ethers.provider, rpc: network.provider as never },
      {
        loans: 24,
        partners: 4,
        months: 9,
        seed: "test-scenario",
        out,
        network: "hardhat",
        maxCases: 2,
        progress: false,
        log: (line) => log.push(line),
      },
    );
    report = await scenario.run();
  });

  after(function () {
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("originates the requested number of loans to admitted borrowers only", function () {
    expect(report.loans.count).to.equal(24);
    expect(report.borrowers.admitted).to.equal(24);
    expect(report.borrowers.applicants).to.equal(report.borrowers.admitted + report.borrowers.refused);
    expect(report.borrowers.refused).to.be.greaterThan(0);
  });

  it("pays the funders exactly what the borrowers paid, to the unit", function () {
    const received = report.funders.reduce((a, f) => a + BigInt(f.principalReceived) + BigInt(f.interestReceived), 0n);
    expect(received).to.equal(BigInt(report.payments.borrowersPaid));
    expect(report.payments.balanced).to.equal(true);
  });

  it("funds every loan 20% lead / 80% partners and splits interest 30/70", function () {
    const funded = report.funders.reduce((a, f) => a + BigInt(f.funded), 0n);
    expect(funded).to.equal(BigInt(report.loans.disbursed));
    expect(BigInt(report.funders[0].funded) * 5n).to.equal(funded);
    const interest = report.funders.reduce((a, f) => a + BigInt(f.interestReceived), 0n);
    const leadBps = (BigInt(report.funders[0].interestReceived) * 10_000n) / interest;
    expect(Number(leadBps)).to.be.within(2_999, 3_001);
  });

  it("counts every loan in exactly one class, and the NPL ratio from the last three", function () {
    const inClasses = report.loans.byClass.reduce((a, c) => a + c.loans, 0);
    expect(inClasses + report.loans.repaid).to.equal(report.loans.count);
    const balance = report.loans.byClass.reduce((a, c) => a + BigInt(c.balance), 0n);
    expect(balance).to.equal(BigInt(report.loans.balance));
    const npl = report.loans.byClass.slice(2).reduce((a, c) => a + BigInt(c.balance), 0n);
    expect(npl).to.equal(BigInt(report.loans.nonPerforming));
    const principalBack = report.funders.reduce((a, f) => a + BigInt(f.principalReceived), 0n);
    expect(BigInt(report.loans.disbursed) - principalBack).to.equal(balance);
  });

  it("shows a forged credit limit refused by every partner, then the corrected record committed", function () {
    expect(report.records.refusals).to.have.length(4);
    for (const r of report.records.refusals) expect(r.reason).to.match(/credit limit .* does not follow/);
    expect(log.some((l) => l.startsWith("refused: credit decision"))).to.equal(true);
    expect(report.records.byKind.CreditDecision).to.equal(report.borrowers.applicants);
  });

  it("commits every record with a quorum of endorsements and measures gas per operation", function () {
    expect(report.records.endorsements).to.equal(report.records.total * 3); // quorum of 4 others is 3
    const recorded = report.gas.reduce((a, g) => a + g.count, 0);
    expect(recorded).to.equal(report.chain.transactions);
    for (const g of report.gas) expect(BigInt(g.min) > 0n && BigInt(g.min) <= BigInt(g.max)).to.equal(true);
  });

  it("writes bundles whose records verify and whose documents hash to their records", function () {
    expect(report.cases.length).to.be.greaterThan(0);
    for (const c of report.cases) {
      expect(c.verified).to.equal(true);
      const bundle = JSON.parse(fs.readFileSync(path.resolve(c.bundle), "utf8")) as {
        records: { contentHash: string }[];
        documents: { contentHash: string; salt: string; document: string }[];
      };
      const onChain = new Set(bundle.records.map((r) => r.contentHash));
      for (const d of bundle.documents.filter((x) => onChain.has(x.contentHash))) {
        expect(contentHash(Buffer.from(d.document, "utf8"), Buffer.from(d.salt, "hex"))).to.equal(d.contentHash);
      }
    }
  });

  it("writes report.json and an SVG chart with one point per month", function () {
    const json = JSON.parse(fs.readFileSync(path.join(out, "addresses.json"), "utf8")) as { ledger: string };
    expect(json.ledger).to.equal(report.chain.ledger);
    expect(report.months).to.have.length(9);
  });
});
