import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Kind } from "../../clients/core/types";
import {
  LedgerHelper,
  MembershipHelper,
  commitChain,
  commitRecord,
  deadlineIn,
  endorseRecord,
  ledgerFixture,
  makeRecord,
  othersOf,
  testSubject,
  word,
  issuedAtFor,
} from "../helpers/consortium";
import { skipUnderCoverage } from "../helpers/coverage";

/**
 * Gas of the ledger's hot paths among 7 banks (quorum: 4 endorsements). Gas is deterministic, so
 * the bounds are asserted; the figures are printed once at the end.
 */
describe("EvidenceLedger gas", function () {
  skipUnderCoverage(); // instrumented code costs more gas: the ceilings are checked by `npm test`
  const fixture = ledgerFixture({ banks: 7 });
  const figures: [string, bigint | string][] = [];

  after(function () {
    if (figures.length === 0) return;
    const width = Math.max(...figures.map(([k]) => k.length));
    console.log("\n      gas (7 banks, quorum 4):");
    for (const [k, v] of figures) console.log(`        ${k.padEnd(width)}  ${v.toLocaleString("en-US")}`);
  });

  it("commits a subject's first record for at most 120,000 gas", async function () {
    const fx = await loadFixture(fixture);
    const { receipt } = await commitRecord(fx, makeRecord(testSubject("first")), fx.leadBank);
    figures.push(["one-tx commit, first record", receipt.gasUsed]);
    expect(receipt.gasUsed).to.be.at.most(120_000n);
  });

  it("appends a record to a subject that has records for at most 100,000 gas", async function () {
    const fx = await loadFixture(fixture);
    const subject = testSubject("append");
    const { head } = await commitRecord(fx, makeRecord(subject), fx.leadBank);
    const { receipt } = await commitRecord(fx, makeRecord(subject, { prev: head }), fx.leadBank);
    figures.push(["one-tx commit, append", receipt.gasUsed]);
    expect(receipt.gasUsed).to.be.at.most(100_000n);
  });

  it("costs the same to append the 50th record as the 2nd (no growth with chain length)", async function () {
    const fx = await loadFixture(fixture);
    const subject = testSubject("long");
    const first = await commitRecord(fx, makeRecord(subject), fx.leadBank);
    const second = await commitRecord(fx, makeRecord(subject, { prev: first.head }), fx.leadBank);
    const head = await commitChain(fx, subject, fx.leadBank, 47);
    const fiftieth = await commitRecord(fx, makeRecord(subject, { prev: head }), fx.leadBank);
    figures.push(["one-tx commit, append #50", fiftieth.receipt.gasUsed]);
    const diff = fiftieth.receipt.gasUsed - second.receipt.gasUsed;
    // Only calldata may differ (zero bytes in hashes and signatures cost less).
    expect(diff < 0n ? -diff : diff).to.be.at.most(200n);
  });

  it("reports the voting path: a proposal and four endorsements", async function () {
    const fx = await loadFixture(fixture);
    const helper = LedgerHelper.from(fx);
    const subject = testSubject("votes");
    await commitRecord(fx, makeRecord(subject), fx.leadBank);
    const flow = await helper.next(subject, fx.leadBank);
    const [proposed, ...endorsed] = await flow.commitByVotes(4);
    const total = [proposed, ...endorsed].reduce((sum, r) => sum + r.gasUsed, 0n);
    figures.push(["voting path, propose", proposed.gasUsed]);
    endorsed.forEach((r, i) => figures.push([`voting path, endorsement ${i + 1}`, r.gasUsed]));
    figures.push(["voting path, total (propose + 4)", total]);
    expect(await fx.ledger.headOf(subject)).to.not.equal(flow.record.prev);
    // Regression guards: votes are bitmap updates, not loops over every member.
    for (const r of endorsed.slice(0, 3)) expect(r.gasUsed).to.be.at.most(40_000n);
    expect(total).to.be.at.most(400_000n);
  });

  it("reports an endorsement after a membership change (every member looked at again)", async function () {
    const fx = await loadFixture(fixture);
    const flow = await LedgerHelper.from(fx).next(testSubject("votes-changed"), fx.leadBank);
    await flow.propose();
    await flow.endorse(fx.partners[0]);
    await MembershipHelper.from(fx).remove(fx.partners[5].address);
    const receipt = (await (await flow.endorse(fx.partners[1])).wait())!;
    figures.push(["voting path, endorsement after a removal", receipt.gasUsed]);
    expect(receipt.gasUsed).to.be.at.most(100_000n);
  });

  it("commits a batch of 1,024 leaves for at most 1,000 gas per leaf", async function () {
    const fx = await loadFixture(fixture);
    const leaves: string[][] = [];
    for (let i = 0; i < 1_024; i++) {
      const r = makeRecord(testSubject(`batch-leaf-${i}`), { kind: Kind.Repayment });
      leaves.push([r.subject, r.kind, r.contentHash, r.attrs]);
    }
    const tree = StandardMerkleTree.of(leaves, ["bytes32", "bytes32", "bytes32", "bytes32"]);
    const subject = testSubject("batch");
    const deadline = await deadlineIn();
    const record = makeRecord(subject, { kind: Kind.Batch, contentHash: tree.root, attrs: word(1_024) });
    const endorsers = await othersOf(fx, fx.leadBank, 4);
    const sigs = await endorseRecord(fx.ledger, fx.domain, record, fx.leadBank, endorsers, deadline);
    const tx = await fx.ledger
      .connect(fx.leadBank)
      .commitBatch(subject, tree.root, 1_024, record.prev, issuedAtFor(deadline), deadline, sigs);
    const receipt = (await tx.wait())!;
    figures.push(["batch of 1,024, total", receipt.gasUsed]);
    figures.push(["batch of 1,024, per leaf", receipt.gasUsed / 1_024n]);
    expect(receipt.gasUsed / 1_024n).to.be.at.most(1_000n);
  });
});
