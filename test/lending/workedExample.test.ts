/** The worked example of docs/MONEY.md, figure for figure (360-day year, cumulative shares). */
import { expect } from "chai";
import { LoanModel, installment, overdueInterest, schedule, surcharge } from "../../clients/lending";

describe("docs/MONEY.md worked example", function () {
  it("pays 209,090 four times then 209,084, the funders getting exactly what the table says", function () {
    expect(installment(1_000_000n, 1_800n, 5n, 30n)).to.equal(209_090n);
    const rows = schedule(1_000_000n, 1_800n, 5n, 30n);
    expect(rows.map((r) => r.payment)).to.deep.equal([209_090n, 209_090n, 209_090n, 209_090n, 209_084n]);
    expect(rows.map((r) => r.interest)).to.deep.equal([15_000n, 12_088n, 9_133n, 6_134n, 3_089n]);
    const m = new LoanModel({
      principal: 1_000_000n,
      annualRateBps: 1_800n,
      periods: 5,
      periodDays: 30n,
      leadInterestBps: 3_000n,
    });
    m.disburse(0n, [
      { account: "lead", funded: 200_000n },
      { account: "A", funded: 500_000n },
      { account: "B", funded: 300_000n },
    ]);
    const credited = rows.map((r, k) => {
      const x = m.repay(r.payment, BigInt(k + 1) * 30n * 86_400n);
      return x.principalParts.map((p, i) => p + x.incomeParts[i]);
    });
    expect(credited[0]).to.deep.equal([43_318n, 103_607n, 62_164n]);
    expect(credited[4]).to.deep.equal([42_126n, 104_350n, 62_610n]);
    expect(m.funders.map((f) => [f.principalReturned, f.incomeReceived])).to.deep.equal([
      [200_000n, 13_633n],
      [500_000n, 19_882n],
      [300_000n, 11_929n],
    ]);
    expect(overdueInterest(209_090n, 2_700n, 45n)).to.equal(7_056n);
    expect(surcharge(7_056n, 5_000n)).to.equal(3_528n);
  });
});
