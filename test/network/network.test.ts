import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { EvidenceLedger__factory } from "../../typechain-types";
import { readAddressBook } from "../../clients/core/addressBook";
import { addressBookFile } from "../../clients/network/config";
import { NodeStore } from "../../clients/network/store";
import { NetworkHandle, startNetwork } from "../../clients/network/supervisor";

/** Reads a node's store without disturbing the running node (SQLite WAL allows a reader). */
function peek<T>(dir: string, id: string, fn: (s: NodeStore) => T): T | undefined {
  const file = path.join(dir, "nodes", `${id}.db`);
  if (!fs.existsSync(file)) return undefined;
  const s = new NodeStore(file);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

async function waitFor(what: string, ms: number, check: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("network: separate node processes on a persistent anvil chain", function () {
  this.timeout(300_000);
  let dir: string;
  let net: NetworkHandle | undefined;
  const pids: number[] = [];

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-net-"));
  });

  after(async function () {
    await net?.stop();
    for (const p of pids) if (alive(p)) process.kill(p, "SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("resumes after a full stop and restart without losing or repeating any event", async function () {
    const opts = { dir, partners: 2, borrowers: 2, seed: "net-test" };
    net = await startNetwork(opts);
    pids.push(net.anvil.pid, ...[...net.nodes.values()].map((c) => c.pid!));
    // Stop in the middle of the workload: after the forged decision was refused and a few records committed.
    await waitFor("the first records", 120_000, () => (peek(dir, "lead", (s) => Number(s.get("step") ?? 0)) ?? 0) >= 4);
    await net.stop();
    for (const p of pids) expect(alive(p), `process ${p} still running after stop`).to.equal(false);
    const before = peek(dir, "partner-1", (s) => s.getCursor())!;
    expect(before).to.be.greaterThan(0);

    net = await startNetwork(opts);
    pids.push(net.anvil.pid, ...[...net.nodes.values()].map((c) => c.pid!));
    await waitFor("the whole workload and the arbitrator's verdict", 150_000, () => {
      const done = peek(dir, "lead", (s) => s.get("done")) === "1";
      const verdict = peek(dir, "arbitrator", (s) => s.actions().some((a) => a.action === "verdict")) ?? false;
      return done && verdict;
    });
    // Let the watchers catch up with the last blocks.
    const provider = new JsonRpcProvider(net.url, undefined, { staticNetwork: true });
    const head = await provider.getBlockNumber();
    await waitFor("every node at the head", 30_000, () =>
      ["partner-1", "partner-2", "arbitrator", "borrower-1"].every(
        (id) => (peek(dir, id, (s) => s.getCursor()) ?? -1) >= head,
      ),
    );

    const book = readAddressBook(addressBookFile(dir));
    const ledger = EvidenceLedger__factory.connect(book.ledger, provider);
    const proposed = await ledger.queryFilter(ledger.filters.RecordProposed(), book.deployBlock);
    const committed = await ledger.queryFilter(ledger.filters.RecordCommitted(), book.deployBlock);
    const rejected = await ledger.queryFilter(ledger.filters.ProposalRejected(), book.deployBlock);
    provider.destroy();

    // The lead's plan: 2 borrowers × (decision, contract, disbursement) + repayment + reminder,
    // default notice, case = 10 records, plus one forged decision refused.
    const leadActions = peek(dir, "lead", (s) => s.actions())!;
    expect(leadActions.filter((a) => a.action === "committed")).to.have.length(10);
    expect(leadActions.filter((a) => a.action === "refused")).to.have.length(1);
    expect(committed).to.have.length(10);
    expect(rejected).to.have.length(1);

    for (const id of ["partner-1", "partner-2"]) {
      const { processed, actions } = peek(dir, id, (s) => ({
        processed: proposed.map((e) => s.isProcessed(`${e.transactionHash}:${e.index}`)),
        actions: s.actions(),
      }))!;
      // Nothing lost: every proposal was handled. Nothing twice: one vote per proposal at most.
      expect(processed.every(Boolean), `${id} missed a proposal`).to.equal(true);
      const votes = actions.filter((a) => a.event_id !== null).map((a) => a.event_id);
      expect(new Set(votes).size, `${id} voted twice on a proposal`).to.equal(votes.length);
    }
    // The forged credit decision was objected to by the partners.
    const objections = ["partner-1", "partner-2"].flatMap((id) =>
      peek(dir, id, (s) => s.actions())!.filter((a) => a.action === "object"),
    );
    expect(objections.length).to.be.greaterThan(0);
    expect(objections[0].detail).to.match(/credit limit/);

    const verdicts = peek(dir, "arbitrator", (s) => s.actions())!.filter((a) => a.action === "verdict");
    expect(verdicts).to.have.length(1);
    expect(JSON.parse(verdicts[0].detail)).to.include({ ok: true, caseId: 1 });

    const seen = peek(dir, "borrower-2", (s) => s.actions())!.map((a) => a.detail.split(" ")[0]);
    expect(seen).to.deep.equal(["CreditDecision", "LoanContract", "DisbursementReceipt", "Reminder", "DefaultNotice"]);
  });
});
