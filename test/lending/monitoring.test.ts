/**
 * Monitoring after the loan (issue 10, case study 000): new outside-loan reports about a borrower
 * with an open loan make the lead re-evaluate its line with the one credit rule: a limit cut, or
 * the line closed. And a delinquent borrower applying again is refused, because the decision reads
 * the registry's listing.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { Kind, Subject } from "../../clients/core/types";
import { LoanMonitor, cny, decideCredit, institutionId } from "../../clients/lending";
import { deployDefaultedLoan } from "../arbitration/defaultedLoan";
import { admit, admittedFixture, chainKinds, expectRejection, openLoan, standardTerms } from "./fixtures";

const SCORE = { score: 850, onTimeMonths: 0 };

async function monitorFixture() {
  const fx = await admittedFixture();
  await openLoan(fx, standardTerms(fx.pseudonym));
  // A second borrower, whitelisted, with no loan.
  const idle = await admit(fx, 1);
  const from = await ethers.provider.getBlockNumber();
  const report = (pseudonym: string, institution: string, amount: bigint) =>
    fx.partnerNodes[0].reportOutsideLoan({ pseudonym, institution: institutionId(institution), amount, active: true }, [
      fx.lead,
      ...fx.partnerNodes.slice(1),
    ]);
  return { ...fx, idle, report, from };
}

/** The fixture with a fresh monitor (a monitor keeps what it saw: one per test). */
async function monitored() {
  const f = await loadFixture(monitorFixture);
  return { ...f, monitor: new LoanMonitor(f.lead, f.partnerNodes, async () => SCORE, f.from + 1) };
}

describe("Monitoring after the loan", function () {
  it("a new outside loan of a borrower with an open loan cuts its limit to what the credit rule gives", async function () {
    const f = await monitored();
    const before = await f.registry.creditLine(f.pseudonym);
    await f.report(f.pseudonym, "Outside Bank A", cny(50_000));
    const [r] = await f.monitor.scan();
    expect(r.action).to.equal("limit cut");
    expect(r.trigger).to.equal("new outside loans");
    const head = await f.registry.multiHead(f.pseudonym);
    // The one rule, on the registry's inputs, asked for no more than the current limit.
    const expected = decideCredit({
      ...SCORE,
      requestedLimit: before.limit,
      multiHeadCount: Number(head.institutions),
      outsideExposure: head.outsideExposure,
      consortiumExposure: head.consortiumExposure,
      delinquent: false,
    });
    expect(expected.tier).to.equal("multi-head");
    expect(r.limitAfter).to.equal(expected.limit).and.be.lessThan(before.limit);
    expect((await f.registry.creditLine(f.pseudonym)).limit).to.equal(expected.limit);
    // An endorsed decision on the borrower's chain says why.
    expect((await chainKinds(f, Subject.borrower(f.pseudonym))).at(-1)).to.equal("CreditDecision");
    expect(r.record!.kind).to.equal(Kind.CreditDecision);
    expect(r.record!.endorsers.length).to.be.greaterThan(0);
  });

  it("borrowing at many institutions without an on-time record closes the line", async function () {
    const f = await monitored();
    for (const name of ["A", "B", "C"]) await f.report(f.pseudonym, `Outside Bank ${name}`, cny(10_000));
    const [r] = await f.monitor.scan();
    expect(r.action).to.equal("line closed");
    expect(r.decision.approved).to.equal(false);
    expect(r.decision.reasons.join("; ")).to.contain("institutions and under 6 months on time");
    expect(await f.registry.canBorrow(f.pseudonym)).to.equal(false);
    expect((await chainKinds(f, Subject.borrower(f.pseudonym))).at(-1)).to.equal("CreditClosed");
  });

  it("reports about a borrower with no open loan, or nothing new, trigger nothing", async function () {
    const f = await monitored();
    const idleBefore = await f.registry.creditLine(f.idle);
    await f.report(f.idle, "Outside Bank A", cny(50_000));
    expect(await f.monitor.scan()).to.deep.equal([]);
    expect((await f.registry.creditLine(f.idle)).limit).to.equal(idleBefore.limit);
    // Scanning again with no new report does nothing.
    await f.report(f.pseudonym, "Outside Bank A", cny(50_000));
    expect(await f.monitor.scan()).to.have.length(1);
    expect(await f.monitor.scan()).to.deep.equal([]);
  });

  it("a report that leaves the borrower's picture as it was re-evaluates nothing", async function () {
    const f = await monitored();
    await f.report(f.pseudonym, "Outside Bank A", cny(50_000));
    await f.monitor.scan();
    const line = await f.registry.creditLine(f.pseudonym);
    await f.report(f.pseudonym, "Outside Bank A", cny(50_000));
    expect(await f.monitor.scan()).to.deep.equal([]);
    expect((await f.registry.creditLine(f.pseudonym)).decisionSeq).to.equal(line.decisionSeq);
  });

  it("a scheduled review that the rule still approves at the current limit leaves the line as it is", async function () {
    const f = await monitored();
    const before = await f.registry.creditLine(f.pseudonym);
    const r = await f.monitor.reevaluate(f.pseudonym, "scheduled review");
    expect(r.action).to.equal("unchanged");
    expect(r.record).to.equal(undefined);
    expect((await f.registry.creditLine(f.pseudonym)).decisionSeq).to.equal(before.decisionSeq);
  });

  it("refuses to re-evaluate a line that is not open", async function () {
    const f = await monitored();
    await f.lead.closeLine(f.idle, "borrower asked", f.partnerNodes);
    await expectRejection(f.monitor.reevaluate(f.idle, "scheduled review"), /no open line/);
  });
});

describe("A delinquent borrower applying again", function () {
  it("is refused: the decision reads the registry's listing, and nothing is recorded", async function () {
    const { fx, pseudonym } = await loadFixture(deployDefaultedLoan);
    const account = fx.borrowers[0].address;
    const application = { pseudonym, account, score: 720, requestedLimit: cny(20_000) };
    const inputs = await fx.lead.decisionInputs(application);
    expect(inputs.delinquent).to.equal(true);
    const chain = await chainKinds(fx, Subject.borrower(pseudonym));
    const line = await fx.registry.creditLine(pseudonym);
    await expectRejection(fx.lead.reevaluate(application, fx.partnerNodes), /credit declined: .*listed delinquent/);
    await expectRejection(fx.lead.admit(application, fx.partnerNodes), /delinquent with score under 750/);
    expect(await chainKinds(fx, Subject.borrower(pseudonym))).to.deep.equal(chain);
    expect((await fx.registry.creditLine(pseudonym)).decisionSeq).to.equal(line.decisionSeq);
    expect(await fx.registry.canBorrow(pseudonym)).to.equal(false);
  });

  it("with a strong record since, gets only the delinquent tier's small limit", async function () {
    const { fx, pseudonym } = await loadFixture(deployDefaultedLoan);
    const account = fx.borrowers[0].address;
    const a = await fx.lead.reevaluate(
      { pseudonym, account, score: 900, onTimeMonths: 12, requestedLimit: cny(100_000) },
      fx.partnerNodes,
    );
    expect(a.decision.tier).to.equal("delinquent");
    expect(a.limit).to.equal(cny(10_000));
    expect(await fx.registry.canBorrow(pseudonym)).to.equal(true);
  });
});
