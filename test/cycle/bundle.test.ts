import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { assembleCycle, commitCycle } from "../../clients/cycle/cycle";
import { cycleLoanEvidence } from "../../clients/cycle/evidence";
import { CycleBook, cycleSubject } from "../../clients/cycle/model";
import { CycleBundle, cycleBatchProofs, withCycleEvidence } from "../../clients/evidence/cycle";
import { EXIT, main } from "../../clients/evidence/cli";
import { exportLoanBundle, writeBundle } from "../../clients/evidence/export";
import { verifyBundle } from "../../clients/evidence/verify";
import { lendingFixture } from "../lending/fixtures";
import { DAY, FIRST_LOAN, config, openingOps } from "./helpers";

/** One cycle opening six loans, checked and endorsed by a majority of partners and committed. */
async function committedCycle() {
  const fx = await loadFixture(lendingFixture);
  const cfg = config(
    await fx.lead.address(),
    await Promise.all(fx.partnerNodes.map((p) => p.address())),
    await fx.ledger.getAddress(),
    fx.chainId,
  );
  const now = BigInt(await time.latest());
  const cycle = cycleSubject(cfg.lead, "day-1");
  const { ops } = openingOps(cfg, 6, now);
  const assembled = assembleCycle(new CycleBook(cfg), { cycleSubject: cycle, start: now - 60n, end: now + DAY, ops });
  const committed = await commitCycle(
    { node: fx.lead, book: new CycleBook(cfg) },
    fx.partnerNodes.map((node) => ({ node, book: new CycleBook(cfg) })),
    assembled,
  );
  return { fx, cycle, committed };
}

/** Loan 2's bundle with its evidence from the cycle (leaves, close leaf, state, the endorsed root). */
async function loanBundle(): Promise<CycleBundle> {
  const { fx, cycle, committed } = await loadFixture(committedCycle);
  const evidence = [cycleLoanEvidence(cycle, committed.replayed, FIRST_LOAN + 1n)];
  const bundle = await exportLoanBundle(ethers.provider, fx.book, FIRST_LOAN + 1n, {
    batchProofs: cycleBatchProofs(evidence),
  });
  return withCycleEvidence(bundle, evidence);
}

const copy = (b: CycleBundle): CycleBundle => JSON.parse(JSON.stringify(b)) as CycleBundle;
const flip = (h: string): string => h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");

async function problems(b: CycleBundle): Promise<string[]> {
  const report = await verifyBundle(b);
  expect(report.ok, "a tampered bundle must not verify").to.equal(false);
  return report.errors;
}

describe("cycle evidence in a loan's bundle, checked offline by the verifier", function () {
  it("a bundle from the batched path verifies: the loan's leaves, the endorsed root, the close leaf and the state", async function () {
    const b = await loadFixture(loanBundle);
    expect(b.cycles).to.have.length(1);
    expect(b.cycles![0].leaves.map((l) => l.leaf[0])).to.satisfy((s: string[]) => new Set(s).size === 1);
    expect(b.batches).to.have.length(1);
    expect(b.batched.length).to.equal(b.cycles![0].leaves.length);
    const report = await verifyBundle(b);
    expect(report.errors).to.deep.equal([]);
    expect(report.ok).to.equal(true);
  });

  it("`colend verify` accepts the bundle file (nothing failed) and exits 1 on a tampered one", async function () {
    const b = await loadFixture(loanBundle);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-cycle-"));
    try {
      const good = path.join(dir, "loan-2.json");
      writeBundle(good, b);
      const out: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
      // Without --trust the consortium is the bundle's own word: "unproven" (3), not "failed".
      expect(await main(["verify", good], io), out.join("")).to.equal(EXIT.unproven);
      expect(out.join("")).to.not.match(/cycles\[/);
      const bad = copy(b);
      bad.cycles![0].state.leaf[2] = flip(bad.cycles![0].state.leaf[2]);
      const badFile = path.join(dir, "loan-2-tampered.json");
      writeBundle(badFile, bad);
      out.length = 0;
      expect(await main(["verify", badFile], io)).to.equal(EXIT.failed);
      expect(out.join("")).to.match(/differs from the state after the loan's last operation/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects a changed leaf, naming the broken inclusion proof", async function () {
    const b = copy(await loadFixture(loanBundle));
    const leaf = b.cycles![0].leaves[1];
    leaf.leaf[3] = flip(leaf.leaf[3]);
    expect((await problems(b)).join("\n")).to.match(/cycles\[0\].*leaf 1: inclusion proof does not reach its root/);
  });

  it("rejects a state leaf that is not the loan's state after its last operation", async function () {
    const b = copy(await loadFixture(loanBundle));
    b.cycles![0].state.leaf[2] = flip(b.cycles![0].state.leaf[2]);
    const text = (await problems(b)).join("\n");
    expect(text).to.match(/state: the loan's state does not prove into the state root/);
    expect(text).to.match(/state: differs from the state after the loan's last operation/);
  });

  it("rejects a close leaf with another state root (a changed commitment)", async function () {
    const b = copy(await loadFixture(loanBundle));
    b.cycles![0].close.leaf[3] = flip(b.cycles![0].close.leaf[3]);
    expect((await problems(b)).join("\n")).to.match(/close leaf: inclusion proof does not reach its root/);
  });

  it("rejects cycle evidence whose root is not a verified batch of the bundle", async function () {
    const b = copy(await loadFixture(loanBundle));
    b.batches = [];
    expect((await problems(b)).join("\n")).to.match(/is not a verified batch root of the cycle in this bundle/);
    const forged = copy(await loadFixture(loanBundle));
    // The root record's signatures no longer match: the root is no longer majority-endorsed.
    forged.batches[0].record.endorsements = flip(forged.batches[0].record.endorsements);
    expect((await problems(forged)).join("\n")).to.match(/is not a verified batch root of the cycle in this bundle/);
  });

  it("rejects another loan's evidence and malformed entries, saying what is wrong", async function () {
    const b = copy(await loadFixture(loanBundle));
    b.cycles![0].loanId = "3";
    const text = (await problems(b)).join("\n");
    expect(text).to.match(/loan 3 is not a chain of this bundle/);
    expect(text).to.match(/names another subject/);
    const bad = copy(await loadFixture(loanBundle));
    (bad.cycles![0] as unknown as { state: unknown }).state = { leaf: ["0x12"], proof: [] };
    expect((await problems(bad)).join("\n")).to.match(/malformed bundle: cycles\[0\]\.state/);
  });
});
