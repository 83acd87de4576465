import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { readAddressBook } from "../../clients/core/addressBook";
import { CYCLE_LOAN_ID_BASE } from "../../clients/evidence/cycle";
import { lendingContracts } from "../../clients/lending";
import { runBatchedScenario } from "../../clients/sim/cycleScenario";
import { LendingScenario } from "../../clients/sim/lendingScenario";

const SIZE = { loans: 6, partners: 3, months: 5, seed: "settlement-parity" };

/**
 * `npm run demo -- --settlement batched`: the same seed played on the per-loan path (the demo's
 * scenario on the loan book) and on the batched path (one endorsed, committed and settled cycle a
 * day) gives every loan's funders the same money to the unit. The per-loan run takes no case and
 * no cure (the batched path has neither yet, docs/CYCLE.md).
 */
describe("sim: the demo's seed on the per-loan and the batched path", function () {
  it("every loan's funders get the same money to the unit, and each day's cycle is committed and settled", async function () {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "colend-settlement-"));
    const env = { provider: ethers.provider, rpc: network.provider as never };
    try {
      const perLoan = await new LendingScenario(env, {
        ...SIZE,
        out,
        network: "hardhat",
        maxCases: 0,
        caseStudies: false,
        progress: false,
        log: () => undefined,
      }).run();
      const { loanBook } = lendingContracts(
        readAddressBook(path.join(out, "addresses.json")),
        (await ethers.getSigners())[0],
      );
      const batched = await runBatchedScenario(env, { ...SIZE, log: () => undefined });
      expect(batched.loans).to.equal(perLoan.loans.count);
      expect(batched.cycles).to.be.greaterThan(SIZE.months);
      expect(batched.repayments).to.be.greaterThan(0);
      // the seed's third loan defaults after its first installment: reminded, then in default
      expect([batched.reminders > 0, batched.defaults]).to.deep.equal([true, 1]);
      let repaid = 0n;
      for (let id = 1n; id <= BigInt(batched.loans); id++) {
        const onChain = (await loanBook.fundersOf(id)).map((f) => ({
          account: f.account.toLowerCase(),
          funded: f.funded,
          principalReturned: f.principalReturned,
          incomeReceived: f.incomeReceived,
        }));
        // the per-loan run's partners commit concurrently, so their order on the loan book is the
        // block's, not the plan's: compare funder by funder
        const byAccount = (a: { account: string }, b: { account: string }) => (a.account < b.account ? -1 : 1);
        const cycle = batched.money.get(CYCLE_LOAN_ID_BASE + id)!;
        expect(cycle[0], `loan ${id}: the lead`).to.deep.equal(onChain[0]);
        expect([...cycle].sort(byAccount), `loan ${id}`).to.deep.equal([...onChain].sort(byAccount));
        repaid += onChain.reduce((s, f) => s + f.principalReturned + f.incomeReceived, 0n);
      }
      expect(repaid).to.be.greaterThan(0n);
      // the per-loan run's gas for the same business against the cycles'
      expect(batched.gas.commit + batched.gas.settle).to.be.greaterThan(0n);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
