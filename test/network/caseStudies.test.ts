import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { JsonRpcProvider } from "ethers";
import { readAddressBook } from "../../clients/core/addressBook";
import { LoanStatus } from "../../clients/core/types";
import { lendingContracts } from "../../clients/lending";
import { addressBookFile, nodeDir, readConfig } from "../../clients/network/config";
import { readStatus } from "../../clients/network/runtime";
import { networkSummary } from "../../clients/network/summary";
import { NetworkHandle, startNetwork } from "../../clients/network/supervisor";
import { LendingScenario } from "../../clients/sim/lendingScenario";
import { ScenarioSummary, summarize } from "../../clients/sim/summary";

// A scenario in which the case studies' cure happens (it needs room for more than one case): the
// third loan's borrower stops paying, collection reaches it and it pays its arrears (38 days past
// due), stops again, defaults again and is taken to arbitration 98 days past due; the award is
// partly upheld and paid. Network mode must play it as the demo does, to the unit.
const SCENARIO = { seed: "c", loans: 12, months: 9, partners: 3, maxCases: 3 };

describe("network: the court's case studies (a cure in collection, then a case) as the demo plays them", function () {
  this.timeout(600_000);
  let dir: string;
  let net: NetworkHandle | undefined;
  let summary: ScenarioSummary;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-net-cure-"));
    net = await startNetwork({ dir, scenario: SCENARIO });
    await net.runScenario(() => undefined);
    const provider = new JsonRpcProvider(net.url, undefined, { staticNetwork: true });
    try {
      summary = await networkSummary(dir, readConfig(dir)!, provider, readAddressBook(addressBookFile(dir)));
    } finally {
      provider.destroy();
    }
  });

  after(async function () {
    await net?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("cures the loan the plan names through the borrowers process, then takes it to arbitration when it defaults again", async function () {
    expect(readStatus(nodeDir(dir, "lead"))!.processed).to.include({ cured: 1, defaults: 2, cases: 1 });
    expect(readStatus(nodeDir(dir, "borrowers"))!.processed).to.include({ cures: 1, awardPayments: 1 });
    expect(fs.readFileSync(path.join(dir, "logs", "lead.log"), "utf8")).to.match(
      /cured: loan 3 paid its arrears of \d+ after 38 days past due/,
    );
    expect(summary.borrowers.delinquent).to.equal(1);
    expect(summary.cases.map((c) => [c.loanId, c.daysPastDue])).to.deep.equal([[3, 98]]);
    expect(summary.cases[0].verdict).to.match(/^partly upheld: /);
    const provider = new JsonRpcProvider(net!.url, undefined, { staticNetwork: true });
    try {
      const { loanBook } = lendingContracts(readAddressBook(addressBookFile(dir)), provider as never);
      expect(Number((await loanBook.loanInfo(3n)).status)).to.equal(LoanStatus.Closed);
    } finally {
      provider.destroy();
    }
  });

  it("gives the same loans, classes, cases, awards and money as the in-process demo with the same seed", async function () {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "colend-net-cure-inproc-"));
    try {
      const report = await new LendingScenario(
        { provider: ethers.provider, rpc: network.provider as never },
        { ...SCENARIO, out, network: "hardhat", progress: false, log: () => undefined },
      ).run();
      expect(report.collection.cured.map((c) => [c.loanId, c.daysPastDue])).to.deep.equal([[3, 38]]);
      const inProcess = summarize(report);
      for (const key of Object.keys(inProcess) as (keyof ScenarioSummary)[])
        expect(summary[key], key).to.deep.equal(inProcess[key]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
