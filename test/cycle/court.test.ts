import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, toUtf8Bytes } from "ethers";
import { deployArbitration, installCaseReviewers, openCycleCase, cycleDefaultProof } from "../../clients/arbitration";
import { fileStatement, respondToCase } from "../../clients/arbitration/claimant";
import { LoanStatus, ZERO_HASH } from "../../clients/core/types";
import { AssembledCycle, assembleCycle, checkCycle, commitCycle, cycleLoanView } from "../../clients/cycle/cycle";
import { cycleLoanEvidence } from "../../clients/cycle/evidence";
import { CycleBook, CycleOp, cycleSubject } from "../../clients/cycle/model";
import {
  CycleBundle,
  cycleBatchProofs,
  decodeCycleLoanState,
  verifyCycleLoanEvidence,
  withCycleEvidence,
} from "../../clients/evidence/cycle";
import { exportLoanBundle } from "../../clients/evidence/export";
import { verifyBundle } from "../../clients/evidence/verify";
import { LeadBankNode, PartnerBankNode, deployLending } from "../../clients/lending";
import { LoanModel } from "../../clients/lending/loanModel";
import { deployLedgerFixture, fixtureAddressBook } from "../helpers/consortium";
import { BANK_FLOAT } from "../lending/fixtures";
import { DAY, FIRST_LOAN, borrower, config, openingOps } from "./helpers";

/**
 * Cases on loans of the batched path (docs/CYCLE.md, "Cases on the batched path"): the court
 * opens a case on a loan whose committed cycle state says Defaulted, for one of its funders, once.
 */

const A = FIRST_LOAN; // defaults
const B = FIRST_LOAN + 1n; // performs
const C = FIRST_LOAN + 2n; // reminded, not yet in default

async function courtFixture() {
  const base = await deployLedgerFixture({ banks: 5, outsiders: 4 });
  const lending = await deployLending(base.deployer, base.ledger);
  const arbitration = await deployArbitration(base.deployer, base.ledger, lending.addresses.loanBook);
  await (await base.ledger.sealGenesis()).wait();
  const book = await fixtureAddressBook(base, { ...lending.addresses, court: arbitration.address });
  const lead = new LeadBankNode("W Bank", base.leadBank, book);
  const partnerNodes = base.partners.map((p, i) => new PartnerBankNode(`Partner ${i + 1}`, p, book));
  for (const node of [lead, ...partnerNodes]) await node.deposit(BANK_FLOAT);
  const cfg = config(
    await lead.address(),
    await Promise.all(partnerNodes.map((p) => p.address())),
    await base.ledger.getAddress(),
    (await ethers.provider.getNetwork()).chainId,
  );
  // each node's own cycle book; the partners review claims against theirs
  const books = new Map<LeadBankNode | PartnerBankNode, CycleBook>(
    [lead, ...partnerNodes].map((n) => [n, new CycleBook(cfg)]),
  );
  for (const node of [lead, ...partnerNodes])
    installCaseReviewers(
      node,
      undefined,
      cycleLoanView(() => books.get(node)!),
    );

  /** Assembles, has a majority check and endorse, commits; every node then holds the new book. */
  async function runCycle(label: string, start: bigint, end: bigint, ops: CycleOp[]) {
    const cycle = cycleSubject(cfg.lead, label);
    const assembled = assembleCycle(books.get(lead)!, { cycleSubject: cycle, start, end, ops });
    const committed = await commitCycle(
      { node: lead, book: books.get(lead)! },
      partnerNodes.map((node) => ({ node, book: books.get(node)! })),
      assembled,
    );
    for (const node of [lead, ...partnerNodes]) {
      books.set(node, committed.books.get(node) ?? checkCycle(books.get(node)!, assembled.proposal).book);
    }
    return { cycle, assembled, committed };
  }

  // day 1: three loans opened; day 31: loans A and C reminded of the first installment, B pays it;
  // a day later (the reminder window) A is declared in default
  const t0 = BigInt(await time.latest());
  const { ops } = openingOps(cfg, 3, t0 + 60n);
  const day1 = await runCycle("day-1", t0, t0 + DAY, ops);
  const model = (id: bigint): LoanModel => books.get(lead)!.loans.get(id)!.model;
  const remindAt = model(A).dueDate(0) + DAY;
  const day31 = await runCycle("day-31", remindAt - DAY, remindAt + 60n, [
    { type: "repay", loanId: B, amount: model(B).installment, at: remindAt - 60n },
    { type: "remind", loanId: A, installment: 0n, at: remindAt },
    { type: "remind", loanId: C, installment: 0n, at: remindAt },
  ]);
  const defaultAt = remindAt + DAY;
  const day32 = await runCycle("day-32", defaultAt - 60n, defaultAt + 60n, [
    { type: "default", loanId: A, at: defaultAt },
    { type: "repay", loanId: B, amount: 1n, at: defaultAt },
  ]);
  await time.increaseTo(defaultAt + 120n);
  const [outsider] = base.outsiders;
  const borrowerA = new Wallet(borrower(0).key.privateKey, ethers.provider);
  await setBalance(borrowerA.address, 10n ** 18n);
  return {
    ...base,
    book,
    court: arbitration.court,
    lead,
    partnerNodes,
    cfg,
    books,
    day1,
    day31,
    day32,
    runCycle,
    outsider,
    borrowerA,
  };
}

type Fx = Awaited<ReturnType<typeof courtFixture>>;
const evidenceOf = (c: { cycle: string; committed: { replayed: AssembledCycle["replayed"] } }, id: bigint) =>
  cycleLoanEvidence(c.cycle, c.committed.replayed, id);
const claim = toUtf8Bytes("Claim: loan A defaulted on its first installment; the funders claim the payoff.");

/** The court's call with a dummy claim: every check on the proof and the caller comes before the claim's. */
function rawOpen(
  fx: Fx,
  as: { address: string } & Parameters<Fx["court"]["connect"]>[0],
  proof: ReturnType<typeof cycleDefaultProof>,
) {
  const record = { subject: ZERO_HASH, kind: ZERO_HASH, contentHash: ZERO_HASH, attrs: ZERO_HASH, prev: ZERO_HASH };
  return fx.court.connect(as).openCycleCase(proof, fx.arbitrator.address, record, 0n, 0n, "0x");
}

describe("arbitration on the batched path: a case on a loan whose committed cycle state is in default", function () {
  it("the partners commit the default; a funder opens the case with the cycle's proof, once", async function () {
    const fx = await loadFixture(courtFixture);
    const e = evidenceOf(fx.day32, A);
    const state = decodeCycleLoanState(e.state.words);
    expect(state.status).to.equal(LoanStatus.Defaulted);
    expect(state.payoffAtDefault).to.be.greaterThan(state.outstanding);
    const filed = await openCycleCase({
      bank: fx.lead,
      peers: fx.partnerNodes,
      evidence: e,
      arbitrator: fx.arbitrator.address,
      claim,
    });
    const info = await fx.court.caseInfo(filed.caseId);
    expect([info.loanId, info.claimant, info.frozenHead]).to.deep.equal([A, await fx.lead.address(), e.close.root]);
    expect(await fx.court.cycleCaseOf(A)).to.equal(filed.caseId);
    // measured 413,761 with 5 funders (37 words) and 3 endorsements: the per-loan openCase's work plus
    // the proofs and 2 + 1 + 5 storage slots for the parties
    expect(filed.claim.gasUsed).to.be.lessThanOrEqual(430_000n);
    // a second case on the same loan, even by another funder
    await expect(rawOpen(fx, fx.partnerNodes[0].signer as never, cycleDefaultProof(e)))
      .to.be.revertedWithCustomError(fx.court, "CaseAlreadyFiled")
      .withArgs(A, filed.caseId);
  });

  it("refuses a loan not in any committed cycle: a replayed but uncommitted default, or a state built by the claimant", async function () {
    const fx = await loadFixture(courtFixture);
    // the lead assembles day 33's default of C on its own book but no partner endorses it
    const at = decodeCycleLoanState(evidenceOf(fx.day31, C).state.words).remindedAt + DAY;
    const uncommitted = assembleCycle(fx.books.get(fx.lead)!, {
      cycleSubject: cycleSubject(fx.cfg.lead, "day-33"),
      start: at,
      end: at,
      ops: [{ type: "default", loanId: C, at }],
    });
    const e = cycleLoanEvidence(uncommitted.proposal.cycleSubject, uncommitted.replayed, C);
    expect(decodeCycleLoanState(e.state.words).status).to.equal(LoanStatus.Defaulted);
    await expect(rawOpen(fx, fx.lead.signer as never, cycleDefaultProof(e)))
      .to.be.revertedWithCustomError(fx.court, "CycleStateNotCommitted")
      .withArgs(e.cycleSubject, e.close.root);
    // the same uncommitted state presented under a committed cycle's root and close leaf
    const committed = evidenceOf(fx.day32, A);
    const mixed = { ...cycleDefaultProof(committed), state: e.state.words, stateProof: e.state.proof };
    await expect(rawOpen(fx, fx.lead.signer as never, mixed)).to.be.revertedWithCustomError(
      fx.court,
      "CycleStateNotCommitted",
    );
    // a committed loan's proof with one word changed (a larger payoff)
    const words = [...committed.state.words];
    words[15] = "0x" + (BigInt(words[15]) + 1n).toString(16).padStart(64, "0");
    await expect(
      rawOpen(fx, fx.lead.signer as never, { ...cycleDefaultProof(committed), state: words }),
    ).to.be.revertedWithCustomError(fx.court, "CycleStateNotCommitted");
    // malformed words, a loan-book id
    await expect(
      rawOpen(fx, fx.lead.signer as never, { ...cycleDefaultProof(committed), state: words.slice(0, -1) }),
    ).to.be.revertedWithCustomError(fx.court, "CycleStateMalformed");
    const small = [...committed.state.words];
    small[0] = "0x" + "1".padStart(64, "0");
    await expect(rawOpen(fx, fx.lead.signer as never, { ...cycleDefaultProof(committed), state: small }))
      .to.be.revertedWithCustomError(fx.court, "NotCycleLoan")
      .withArgs(1n);
  });

  it("refuses a loan not in default per its committed state: a performing loan, a reminded one, or the defaulted loan's earlier state", async function () {
    const fx = await loadFixture(courtFixture);
    for (const e of [
      evidenceOf(fx.day32, B),
      evidenceOf(fx.day31, C),
      evidenceOf(fx.day31, A),
      evidenceOf(fx.day1, A),
    ]) {
      expect(verifyCycleLoanEvidence(e)).to.deep.equal([]);
      await expect(rawOpen(fx, fx.lead.signer as never, cycleDefaultProof(e)))
        .to.be.revertedWithCustomError(fx.court, "LoanNotDefaulted")
        .withArgs(e.loanId);
    }
    // the claimant's client refuses before asking anyone
    const refused = await openCycleCase({
      bank: fx.lead,
      peers: fx.partnerNodes,
      evidence: evidenceOf(fx.day32, B),
      arbitrator: fx.arbitrator.address,
      claim,
    }).catch((e: unknown) => e);
    expect((refused as Error).message).to.match(/is not in default/);
  });

  it("refuses a caller who is not one of the loan's funders: an outsider, the borrower, the arbitrator", async function () {
    const fx = await loadFixture(courtFixture);
    const proof = cycleDefaultProof(evidenceOf(fx.day32, A));
    for (const who of [fx.outsider, fx.borrowerA, fx.arbitrator]) {
      await expect(rawOpen(fx, who as never, proof))
        .to.be.revertedWithCustomError(fx.court, "NotLender")
        .withArgs(A, who.address);
    }
    // a funder naming a non-arbitrator: refused by the court as on the per-loan path
    const record = { subject: ZERO_HASH, kind: ZERO_HASH, contentHash: ZERO_HASH, attrs: ZERO_HASH, prev: ZERO_HASH };
    await expect(fx.court.connect(fx.lead.signer).openCycleCase(proof, fx.outsider.address, record, 0n, 0n, "0x"))
      .to.be.revertedWithCustomError(fx.court, "NotArbitrator")
      .withArgs(fx.outsider.address);
  });

  it("a partner whose own book does not show the default refuses to endorse the claim", async function () {
    const fx = await loadFixture(courtFixture);
    // every partner still on its book from before the default
    const before = checkCycle(new CycleBook(fx.cfg), fx.day1.assembled.proposal).book;
    const stale = checkCycle(before, fx.day31.assembled.proposal).book;
    // (the fixture's books are plain objects, not chain state: put them back afterwards)
    const current = fx.partnerNodes.map((p) => fx.books.get(p)!);
    for (const p of fx.partnerNodes) fx.books.set(p, stale);
    const err = await openCycleCase({
      bank: fx.lead,
      peers: fx.partnerNodes,
      evidence: evidenceOf(fx.day32, A),
      arbitrator: fx.arbitrator.address,
      claim,
    })
      .catch((e: unknown) => e)
      .finally(() => fx.partnerNodes.forEach((p, i) => fx.books.set(p, current[i])));
    expect(String((err as Error).message)).to.match(/is not in default/);
    expect(await fx.court.cycleCaseOf(A)).to.equal(0n);
  });

  it("the case runs as on the per-loan path: statement, the borrower's response, an award bounded by the payoff at default", async function () {
    const fx = await loadFixture(courtFixture);
    const e = evidenceOf(fx.day32, A);
    const filed = await openCycleCase({
      bank: fx.lead,
      peers: fx.partnerNodes,
      evidence: e,
      arbitrator: fx.arbitrator.address,
      claim,
    });
    await fileStatement({
      bank: fx.partnerNodes[1],
      peers: [fx.lead, ...fx.partnerNodes],
      caseId: filed.caseId,
      document: toUtf8Bytes("Statement"),
    });
    await expect(
      fx.court.connect(fx.outsider).respond(filed.caseId, ethers.id("not the borrower")),
    ).to.be.revertedWithCustomError(fx.court, "NotBorrower");
    await respondToCase({
      borrower: fx.borrowerA,
      court: await fx.court.getAddress(),
      caseId: filed.caseId,
      document: toUtf8Bytes("I lost my job"),
    });
    const payoff = decodeCycleLoanState(e.state.words).payoffAtDefault;
    const court = fx.court.connect(fx.arbitrator);
    await expect(court.issueAward(filed.caseId, ethers.id("award"), 1, payoff + 1n))
      .to.be.revertedWithCustomError(fx.court, "AwardExceedsDebt")
      .withArgs(payoff + 1n, payoff);
    await expect(court.issueAward(filed.caseId, ethers.id("award"), 1, payoff))
      .to.emit(fx.court, "AwardIssued")
      .withArgs(filed.caseId, A, ethers.id("award"), payoff);
    expect((await fx.court.caseInfo(filed.caseId)).state).to.equal(2n);
  });

  it("the arbitrator verifies the loan's bundle offline: every cycle's leaves, the endorsed roots and the default state", async function () {
    const fx = await loadFixture(courtFixture);
    const evidence = [evidenceOf(fx.day1, A), evidenceOf(fx.day31, A), evidenceOf(fx.day32, A)];
    await openCycleCase({
      bank: fx.lead,
      peers: fx.partnerNodes,
      evidence: evidence[2],
      arbitrator: fx.arbitrator.address,
      claim,
    });
    const bundle = withCycleEvidence(
      await exportLoanBundle(ethers.provider, fx.book, A, { batchProofs: cycleBatchProofs(evidence) }),
      evidence,
    );
    const report = await verifyBundle(bundle);
    expect(report.errors).to.deep.equal([]);
    expect(report.ok).to.equal(true);
    const last = (bundle as CycleBundle).cycles![2];
    expect(decodeCycleLoanState(last.state.words).status).to.equal(LoanStatus.Defaulted);
    // a state tampered to another status no longer verifies
    const forged = JSON.parse(JSON.stringify(bundle)) as CycleBundle;
    forged.cycles![1].state.words[3] = "0x" + "4".padStart(64, "0");
    expect((await verifyBundle(forged)).errors.join("\n")).to.match(/the words do not hash to the state leaf/);
  });
});
