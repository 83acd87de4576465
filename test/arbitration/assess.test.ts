/**
 * The arbitrator computes what is owed itself (issue 10): from the disclosed loan contract that
 * verifies against the chain, the disbursement and the repayments on the loan book, with the money
 * library; it upholds a claim the evidence supports, partly upholds one above it, and dismisses
 * one without a verified contract, listing nobody.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { toUtf8Bytes } from "ethers";
import { Kind, LoanStatus, Subject } from "../../clients/core/types";
import { cny, decodeDocument } from "../../clients/lending";
import { DocumentStore } from "../../clients/store";
import { ArbitratorNode, Outcome, discloseToArbitrator, openCase } from "../../clients/arbitration";
import { deployDefaultedLoan } from "./defaultedLoan";
import { encryptionPrivateKey } from "./fixture";
import { expectRejection } from "../lending/fixtures";

const SECRET = "0x" + "42".repeat(32);

async function caseFixture() {
  const d = await deployDefaultedLoan();
  const { fx, loanId, originated } = d;
  // The borrower paid part of the first installment before the case: the arbitrator must see it.
  await fx.loanBook.connect(fx.borrowers[0]).repay(loanId, cny(500));
  const store = DocumentStore.open(":memory:", SECRET);
  store.put({
    subject: Subject.loan(loanId),
    kind: Kind.LoanContract,
    document: originated.document,
    salt: originated.record.salt,
    meta: { loanId },
  });
  const filed = await openCase({
    bank: fx.lead,
    peers: fx.partnerNodes,
    loanId,
    arbitrator: fx.arbitrator.address,
    claim: toUtf8Bytes("claim: the borrower owes the whole loan and more"),
    store,
  });
  const arbitrator = new ArbitratorNode(
    "Guangzhou Arbitration Commission",
    fx.arbitrator,
    fx.book,
    DocumentStore.open(":memory:", SECRET),
    encryptionPrivateKey(fx.arbitrator.address),
  );
  return { ...d, store, filed, arbitrator };
}

async function disclose(c: Awaited<ReturnType<typeof caseFixture>>, withContract: boolean) {
  const hashes = [c.filed.claim.contentHash];
  if (withContract) hashes.push(c.originated.record.contentHash);
  const { package: pkg } = await discloseToArbitrator({
    bank: c.fx.lead,
    store: c.store,
    caseId: c.filed.caseId,
    contentHashes: hashes,
  });
  return c.arbitrator.receiveDisclosure(pkg);
}

describe("Arbitrator: reasoned award on its own reckoning", function () {
  it("partly upholds a claim above what the evidence supports, for what it supports", async function () {
    const c = await loadFixture(caseFixture);
    const review = await disclose(c, true);
    expect(review.verified).to.equal(true);
    const payoffNow = (await c.fx.loanBook.dues(c.loanId)).payoff;
    const a = await c.arbitrator.assess(review, cny(50_000));
    expect(a.outcome).to.equal(Outcome.PartlyUpheld);
    expect(a.supported).to.equal(payoffNow);
    expect(a.amountOwed).to.equal(a.supported);
    expect(a.reasons.join("\n")).to.match(/1 repayments on the chain, 50000 units/);
    const award = await c.arbitrator.rule(a);
    const info = await c.arbitration.court.caseInfo(c.filed.caseId);
    expect([info.outcome, info.amountOwed]).to.deep.equal([BigInt(Outcome.PartlyUpheld), a.supported]);
    const doc = decodeDocument(c.arbitrator.store.require(award.awardHash).document, "Award");
    expect(doc).to.include({ outcome: "partly upheld", amountClaimed: cny(50_000).toString() });
    expect(await c.fx.loanBook.loanStatus(c.loanId)).to.equal(LoanStatus.Awarded);
  });

  it("upholds a claim the evidence covers, for the claim", async function () {
    const c = await loadFixture(caseFixture);
    const a = await c.arbitrator.assess(await disclose(c, true), cny(1_000));
    expect([a.outcome, a.amountOwed]).to.deep.equal([Outcome.Upheld, cny(1_000)]);
    expect(a.supported).to.be.greaterThan(cny(1_000));
    await c.arbitrator.rule(a);
    expect((await c.arbitration.court.caseInfo(c.filed.caseId)).amountOwed).to.equal(cny(1_000));
  });

  it("dismisses a claim without a verified loan contract, and lists nobody", async function () {
    const c = await loadFixture(caseFixture);
    const a = await c.arbitrator.assess(await disclose(c, false), cny(12_000));
    expect([a.outcome, a.amountOwed, a.supported]).to.deep.equal([Outcome.Dismissed, 0n, 0n]);
    expect(a.reasons[0]).to.match(/no loan contract was disclosed/);
    const listings = (await c.fx.registry.creditLine(c.pseudonym)).listings;
    await c.arbitrator.rule(a);
    expect((await c.fx.registry.creditLine(c.pseudonym)).listings).to.equal(listings);
    expect(await c.fx.loanBook.loanStatus(c.loanId)).to.equal(LoanStatus.Active);
  });

  it("cannot award above the loan book's payoff even if its own figure were wrong", async function () {
    const c = await loadFixture(caseFixture);
    const a = await c.arbitrator.assess(await disclose(c, true), cny(50_000));
    await expectRejection(
      c.arbitrator.rule({ ...a, outcome: Outcome.Upheld, amountOwed: a.supported * 2n }),
      /AwardExceedsDebt/,
    );
    expect((await c.arbitration.court.caseInfo(c.filed.caseId)).outcome).to.equal(BigInt(Outcome.None));
  });
});
