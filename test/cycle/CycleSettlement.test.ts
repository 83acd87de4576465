import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { MaxUint256, Wallet } from "ethers";
import { AssembledCycle, assembleCycle, commitCycle } from "../../clients/cycle/cycle";
import {
  CycleBook,
  CycleConfig,
  Settlement,
  agreedFunding,
  chunksHash,
  closeLeaf,
  cycleSubject,
  openLoanOps,
  signAssent,
} from "../../clients/cycle/model";
import { packSignatures } from "../../clients/core/records";
import { Kind, ZERO_HASH } from "../../clients/core/types";
import { CYCLE_LOAN_ID_BASE } from "../../clients/evidence/cycle";
import { BatchTree, batchRecord } from "../../clients/ledger/batch";
import { CycleSettlement, CycleSettlement__factory } from "../../typechain-types";
import { signEndorsements } from "../helpers/consortium";
import { admit, expectRejection, lendingFixture, standardTerms } from "../lending/fixtures";
import { DAY, config, openingOps, fundersOnChain } from "./helpers";

async function cycleFixture() {
  const fx = await loadFixture(lendingFixture);
  const settlement = await new CycleSettlement__factory(fx.deployer).deploy(
    await fx.ledger.getAddress(),
    await fx.token.getAddress(),
  );
  const at = await settlement.getAddress();
  for (const node of [fx.lead, ...fx.partnerNodes]) {
    await (await fx.token.connect(node.signer).approve(at, MaxUint256)).wait();
  }
  const cfg = config(
    await fx.lead.address(),
    await Promise.all(fx.partnerNodes.map((p) => p.address())),
    await fx.ledger.getAddress(),
    fx.chainId,
  );
  return { ...fx, settlement, cfg };
}

type Fx = Awaited<ReturnType<typeof cycleFixture>>;

async function dayOne(fx: Fx, label = "day-1", loans = 6): Promise<AssembledCycle & { cycle: string }> {
  const now = BigInt(await time.latest());
  const cycle = cycleSubject(fx.cfg.lead, label);
  const { ops } = openingOps(fx.cfg, loans, now);
  return {
    ...assembleCycle(new CycleBook(fx.cfg), { cycleSubject: cycle, start: now - 60n, end: now + DAY, ops }),
    cycle,
  };
}

function peers(fx: Fx, cfg: CycleConfig = fx.cfg) {
  return fx.partnerNodes.map((node) => ({ node, book: new CycleBook(cfg) }));
}

async function settleArgs(s: CycleSettlement, fx: Fx, a: AssembledCycle & { cycle: string }) {
  const committed = await commitCycle({ node: fx.lead, book: new CycleBook(fx.cfg) }, peers(fx), a);
  const { settlement, stateRoot } = a.proposal;
  return {
    committed,
    args: [
      a.cycle,
      committed.closeRoot,
      stateRoot,
      chunksHash(committed.roots.slice(0, -1)),
      settlement.accounts,
      settlement.nets,
      committed.closeProof,
    ] as const,
  };
}

/** Commits a batch holding only a close leaf, signed by `endorsers` (bypassing the partners' checks). */
async function commitRawClose(fx: Fx, cycle: string, s: Settlement, endorsers = fx.partnerNodes.slice(0, 3)) {
  const tree = BatchTree.of([closeLeaf(cycle, s, [], ZERO_HASH)]);
  const record = batchRecord(cycle, tree.root, 1, ZERO_HASH);
  const issuedAt = BigInt(await time.latest());
  const deadline = issuedAt + 3_600n;
  const sigs = await signEndorsements(
    fx.lead.domain(),
    record,
    await fx.lead.address(),
    endorsers.map((e) => e.signer),
    deadline,
    issuedAt,
  );
  const tx = fx.ledger
    .connect(fx.lead.signer)
    .commitBatch(cycle, tree.root, 1, ZERO_HASH, issuedAt, deadline, packSignatures(sigs));
  return { tree, tx };
}

describe("CycleSettlement: net settlement against the endorsed closing root", function () {
  it("the partners check and a majority endorses the cycle; the settlement moves each net exactly once", async function () {
    const fx = await loadFixture(cycleFixture);
    const a = await dayOne(fx);
    const { committed, args } = await settleArgs(fx.settlement, fx, a);
    expect(committed.endorsers.length).to.equal(Number(await fx.ledger.quorumFor(5)));
    const { accounts, nets } = a.proposal.settlement;
    const before = await Promise.all(accounts.map((x) => fx.token.balanceOf(x)));
    const tx = fx.settlement.connect(fx.lead.signer).settle(...args);
    const gross = nets.slice(1).reduce((s, n) => s + (n < 0n ? -n : n), 0n);
    await expect(tx)
      .to.emit(fx.settlement, "CycleSettled")
      .withArgs(a.cycle, committed.closeRoot, a.proposal.stateRoot, await fx.lead.address(), 4, gross);
    const after = await Promise.all(accounts.map((x) => fx.token.balanceOf(x)));
    for (let i = 0; i < accounts.length; i++) expect(after[i] - before[i], accounts[i]).to.equal(nets[i]);
    expect(await fx.settlement.settledRoot(a.cycle)).to.equal(committed.closeRoot);
    expect(await fx.settlement.CYCLE_CLOSE()).to.equal(Kind.CycleClose);
    // replay: the same cycle cannot settle twice
    await expect(fx.settlement.connect(fx.lead.signer).settle(...args))
      .to.be.revertedWithCustomError(fx.settlement, "AlreadySettled")
      .withArgs(a.cycle, committed.closeRoot);
  });

  it("a cycle of several batches settles against its last root, with the earlier roots in the close leaf", async function () {
    const fx = await loadFixture(cycleFixture);
    const now = BigInt(await time.latest());
    const cycle = cycleSubject(fx.cfg.lead, "chunked");
    const { ops } = openingOps(fx.cfg, 5, now);
    const a = assembleCycle(new CycleBook(fx.cfg), {
      cycleSubject: cycle,
      start: now - 60n,
      end: now + DAY,
      ops,
      chunkSize: 8,
    });
    const { committed, args } = await settleArgs(fx.settlement, fx, { ...a, cycle });
    expect(committed.roots.length).to.equal(3);
    await expect(fx.settlement.connect(fx.lead.signer).settle(...args)).to.emit(fx.settlement, "CycleSettled");
    // the close leaf binds the earlier roots: another chunks hash does not verify
    const fx2 = await loadFixture(cycleFixture);
    const b = assembleCycle(new CycleBook(fx2.cfg), {
      cycleSubject: cycle,
      start: now - 60n,
      end: now + DAY,
      ops,
      chunkSize: 8,
    });
    const s2 = await settleArgs(fx2.settlement, fx2, { ...b, cycle });
    const wrong = [...s2.args] as unknown as Parameters<CycleSettlement["settle"]>;
    wrong[3] = chunksHash(s2.committed.roots.slice(1));
    await expect(fx2.settlement.connect(fx2.lead.signer).settle(...wrong)).to.be.revertedWithCustomError(
      fx2.settlement,
      "CloseLeafNotCommitted",
    );
  });

  it("rejects a wrong root, tampered nets or state root, and an uncommitted cycle", async function () {
    const fx = await loadFixture(cycleFixture);
    const a = await dayOne(fx);
    const { committed, args } = await settleArgs(fx.settlement, fx, a);
    const s = fx.settlement.connect(fx.lead.signer);
    const variant = (i: number, v: unknown) => {
      const x = [...args] as unknown[];
      x[i] = v;
      return x as Parameters<CycleSettlement["settle"]>;
    };
    // wrong root: another batch's root, or one never committed
    const other = await dayOne(fx, "day-2");
    await expect(s.settle(...variant(1, other.replayed.trees[0].root)))
      .to.be.revertedWithCustomError(fx.settlement, "CloseLeafNotCommitted")
      .withArgs(a.cycle, other.replayed.trees[0].root);
    // tampered nets (still balanced): one unit from a partner to the lead
    const nets = [...a.proposal.settlement.nets];
    nets[0] += 1n;
    nets[1] -= 1n;
    await expect(s.settle(...variant(5, nets))).to.be.revertedWithCustomError(fx.settlement, "CloseLeafNotCommitted");
    await expect(s.settle(...variant(2, "0x" + "22".repeat(32)))).to.be.revertedWithCustomError(
      fx.settlement,
      "CloseLeafNotCommitted",
    );
    // a proof for the wrong subject
    await expect(s.settle(...variant(0, other.cycle))).to.be.revertedWithCustomError(
      fx.settlement,
      "CloseLeafNotCommitted",
    );
    await expect(s.settle(...variant(5, nets.slice(1))))
      .to.be.revertedWithCustomError(fx.settlement, "MalformedSettlement")
      .withArgs(5, 4);
    // a cycle assembled but never endorsed cannot settle
    const o = other.proposal.settlement;
    await expect(
      s.settle(
        other.cycle,
        other.replayed.trees[0].root,
        other.proposal.stateRoot,
        chunksHash([]),
        o.accounts,
        o.nets,
        [],
      ),
    ).to.be.revertedWithCustomError(fx.settlement, "CloseLeafNotCommitted");
    expect(await fx.settlement.settledRoot(a.cycle)).to.equal(ZERO_HASH);
    expect(committed.batches.length).to.equal(1);
  });

  it("only a bank may execute a settlement", async function () {
    const fx = await loadFixture(cycleFixture);
    const a = await dayOne(fx);
    const { args } = await settleArgs(fx.settlement, fx, a);
    const [stranger] = fx.outsiders;
    await expect(fx.settlement.connect(stranger).settle(...args))
      .to.be.revertedWithCustomError(fx.settlement, "NotBank")
      .withArgs(stranger.address);
    await expect(fx.settlement.connect(fx.arbitrator).settle(...args)).to.be.revertedWithCustomError(
      fx.settlement,
      "NotBank",
    );
    // a partner may execute it (any bank), and the money moves the same
    await expect(fx.settlement.connect(fx.partnerNodes[2].signer).settle(...args)).to.emit(
      fx.settlement,
      "CycleSettled",
    );
  });

  it("a minority cannot commit a cycle, and a bad cycle finds no majority", async function () {
    const fx = await loadFixture(cycleFixture);
    const cycle = cycleSubject(fx.cfg.lead, "minority");
    const s: Settlement = { accounts: [fx.cfg.lead, fx.cfg.partners[0].account], nets: [5n, -5n] };
    const { tx, tree } = await commitRawClose(fx, cycle, s, fx.partnerNodes.slice(0, 1));
    await expect(tx).to.be.revertedWithCustomError(fx.ledger, "QuorumNotMet");
    await expect(
      fx.settlement
        .connect(fx.lead.signer)
        .settle(cycle, tree.root, ZERO_HASH, chunksHash([]), s.accounts, s.nets, tree.proof(0)),
    ).to.be.revertedWithCustomError(fx.settlement, "CloseLeafNotCommitted");
    // a lead proposing a bad settlement: every partner refuses, naming the close leaf and the rule
    const a = await dayOne(fx, "bad");
    const nets = [...a.proposal.settlement.nets];
    nets[1] += 1n;
    const bad = { ...a, proposal: { ...a.proposal, settlement: { ...a.proposal.settlement, nets } } };
    await expectRejection(
      commitCycle({ node: fx.lead, book: new CycleBook(fx.cfg) }, peers(fx), bad),
      /cycle not endorsed: 0 of 3 endorsements \(.*leaf 24: settlement: the nets add up to 1, not 0/,
    );
    expect(await fx.ledger.headOf(a.cycle)).to.equal(ZERO_HASH);
  });

  it("even a majority-endorsed close leaf must balance and settle through the lead bank", async function () {
    const fx = await loadFixture(cycleFixture);
    const p0 = fx.cfg.partners[0].account;
    const unbalanced: Settlement = { accounts: [fx.cfg.lead, p0], nets: [5n, -4n] };
    const c1 = cycleSubject(fx.cfg.lead, "unbalanced");
    const r1 = await commitRawClose(fx, c1, unbalanced);
    await (await r1.tx).wait();
    await expect(
      fx.settlement
        .connect(fx.lead.signer)
        .settle(c1, r1.tree.root, ZERO_HASH, chunksHash([]), unbalanced.accounts, unbalanced.nets, r1.tree.proof(0)),
    )
      .to.be.revertedWithCustomError(fx.settlement, "SettlementUnbalanced")
      .withArgs(1);
    const hub: Settlement = { accounts: [p0, fx.cfg.lead], nets: [5n, -5n] };
    const c2 = cycleSubject(fx.cfg.lead, "hub");
    const r2 = await commitRawClose(fx, c2, hub);
    await (await r2.tx).wait();
    await expect(
      fx.settlement
        .connect(fx.lead.signer)
        .settle(c2, r2.tree.root, ZERO_HASH, chunksHash([]), hub.accounts, hub.nets, r2.tree.proof(0)),
    )
      .to.be.revertedWithCustomError(fx.settlement, "HubNotLeadBank")
      .withArgs(p0);
  });

  it("pays a funder with a positive net out of the lead bank, the hub", async function () {
    const fx = await loadFixture(cycleFixture);
    const p0 = fx.cfg.partners[0].account;
    const payout: Settlement = { accounts: [fx.cfg.lead, p0], nets: [-7n, 7n] };
    const c = cycleSubject(fx.cfg.lead, "payout");
    const r = await commitRawClose(fx, c, payout);
    await (await r.tx).wait();
    const before = [await fx.token.balanceOf(fx.cfg.lead), await fx.token.balanceOf(p0)];
    await expect(
      fx.settlement
        .connect(fx.lead.signer)
        .settle(c, r.tree.root, ZERO_HASH, chunksHash([]), payout.accounts, payout.nets, r.tree.proof(0)),
    )
      .to.emit(fx.settlement, "CycleSettled")
      .withArgs(c, r.tree.root, ZERO_HASH, fx.cfg.lead, 1, 7);
    expect([await fx.token.balanceOf(fx.cfg.lead), await fx.token.balanceOf(p0)]).to.deep.equal([
      before[0] - 7n,
      before[1] + 7n,
    ]);
  });

  it("a loan's money is the same to the unit on the per-loan path and the batched path", async function () {
    const fx = await loadFixture(cycleFixture);
    const p = await admit(fx, 0);
    const terms = standardTerms(p, { principal: 1_234_567n, annualRateBps: 1_350n });
    // per-loan path: originate, each partner funds its agreed share, disburse, repay 3 installments (one late)
    const o = await fx.lead.originate(
      { ...terms, periods: 10, leadFundingBps: terms.leadFundingBps, leadInterestBps: terms.leadInterestBps },
      fx.partnerNodes,
    );
    const funding = agreedFunding(fx.cfg, terms.principal, terms.leadFundingBps);
    for (const [i, node] of fx.partnerNodes.entries()) await node.commitFunding(o.loanId, funding[i + 1].amount);
    await fx.lead.disburse(o.loanId);
    const disbursedAt = BigInt(await time.latest());
    const payments = [
      { amount: o.installment, at: disbursedAt + 30n * DAY },
      { amount: o.installment + 999n, at: disbursedAt + 63n * DAY }, // three days late, a little extra
      { amount: 50_000n, at: disbursedAt + 95n * DAY },
    ];
    const loanBook = fx.loanBook.connect(fx.borrowers[0]);
    for (const x of payments) {
      await time.setNextBlockTimestamp(x.at);
      await (await loanBook.repay(o.loanId, x.amount)).wait();
    }
    const onChain = await fundersOnChain(fx.loanBook, o.loanId);

    // batched path: the same loan through cycles, replayed by a partner
    const b = Wallet.createRandom();
    // the same loan under its batched-path id (those start at 2^64, clear of the loan book's)
    const cycleId = CYCLE_LOAN_ID_BASE + o.loanId;
    const loan = { ...terms, loanId: cycleId, periods: 10n, pseudonym: p };
    let lead = new CycleBook(fx.cfg);
    const ops = [
      { type: "whitelist" as const, pseudonym: p, account: b.address, limit: terms.principal },
      ...openLoanOps(fx.cfg, loan, signAssent(b.signingKey, fx.cfg, loan), disbursedAt),
    ];
    const subject = (k: number) => cycleSubject(fx.cfg.lead, `same-${k}`);
    lead = assembleCycle(lead, { cycleSubject: subject(0), start: disbursedAt, end: disbursedAt, ops }).replayed.book;
    for (const [k, x] of payments.entries()) {
      const c = assembleCycle(lead, {
        cycleSubject: subject(k + 1),
        start: x.at,
        end: x.at,
        ops: [{ type: "repay", loanId: cycleId, amount: x.amount, at: x.at }],
      });
      lead = c.replayed.book;
    }
    const batched = lead.loans.get(cycleId)!.model;
    expect(batched.funders).to.deep.equal(onChain);
    expect(batched.outstanding).to.equal((await fx.loanBook.dues(o.loanId)).outstanding);
  });
});
