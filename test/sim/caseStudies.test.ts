import { expect } from "chai";
import { Outcome } from "../../clients/arbitration";
import { awardPayments, claimedCosts, cureCandidate, settlesDuringCase } from "../../clients/sim/caseStudies";

// The one plan of the court's case studies that the in-process demo and network mode's nodes both
// follow (clients/sim/caseStudies.ts): what each decides, and that turning them off turns off all.
describe("sim: the case studies' plan", function () {
  const on = { maxCases: 3 };
  const off = { maxCases: 3, caseStudies: false };
  const loan = (
    id: number,
    o: Partial<{ defaulted: boolean; collecting: boolean; inCase: boolean; closed: boolean }>,
  ) => ({
    id: BigInt(id),
    defaulted: true,
    collecting: true,
    inCase: false,
    closed: false,
    ...o,
  });

  it("claims collection costs of 5% on the first case only", function () {
    expect(claimedCosts(on, 0, 1_000_001n)).to.equal(50_000n);
    expect(claimedCosts(on, 1, 1_000_001n)).to.equal(0n);
    expect(claimedCosts(off, 0, 1_000_001n)).to.equal(0n);
  });

  it("has the second case's borrower settle, and nobody when off", function () {
    expect([0, 1, 2].map((k) => settlesDuringCase(on, k))).to.deep.equal([false, true, false]);
    expect(settlesDuringCase(off, 1)).to.equal(false);
  });

  it("pays an award in two parts that sum to it when the court closes cases, nothing on a dismissal", function () {
    expect(awardPayments(on, Outcome.PartlyUpheld, 1_001n, true)).to.deep.equal([400n, 601n]);
    expect(awardPayments(on, Outcome.Upheld, 1_001n, false)).to.deep.equal([400n]);
    expect(awardPayments(on, Outcome.Upheld, 1n, true)).to.deep.equal([1n]);
    expect(awardPayments(on, Outcome.Dismissed, 1_001n, true)).to.deep.equal([]);
    expect(awardPayments(off, Outcome.Upheld, 1_001n, true)).to.deep.equal([]);
  });

  it("cures the lowest-numbered loan in collection outside a case, once a run, not with a single case", function () {
    const loans = [
      loan(7, {}),
      loan(3, { inCase: true }),
      loan(5, {}),
      loan(4, { collecting: false }),
      loan(2, { closed: true }),
    ];
    expect(cureCandidate(on, 0, loans)?.id).to.equal(5n);
    expect(cureCandidate(on, 1, loans)).to.equal(undefined);
    expect(cureCandidate({ maxCases: 1 }, 0, loans)).to.equal(undefined);
    expect(cureCandidate(off, 0, loans)).to.equal(undefined);
    expect(cureCandidate(on, 0, [loan(1, { defaulted: false })])).to.equal(undefined);
  });
});
