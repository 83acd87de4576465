import { expect } from "chai";
import fc from "fast-check";
import { CreditInputs, DEFAULT_CREDIT_POLICY, cny, decideCredit } from "../../clients/lending";

const clean: CreditInputs = {
  score: 800,
  requestedLimit: cny(300_000),
  multiHeadCount: 0,
  outsideExposure: 0n,
  delinquent: false,
  onTimeMonths: 0,
};

describe("decideCredit", function () {
  it("grants a score-based limit, capped by the request", function () {
    const d = decideCredit(clean);
    expect(d).to.deep.include({ approved: true, tier: "standard" });
    // 500 + (300,000 - 500) * 200 / 400 CNY
    expect(d.limit).to.equal(cny(500) + (cny(299_500) * 200n) / 400n);
    expect(decideCredit({ ...clean, requestedLimit: cny(20_000) }).limit).to.equal(cny(20_000));
    expect(decideCredit({ ...clean, score: 1_000 }).limit).to.equal(cny(300_000));
  });

  it("declines a score below 600", function () {
    const d = decideCredit({ ...clean, score: 599 });
    expect(d).to.deep.include({ approved: false, limit: 0n, tier: "declined" });
    expect(d.reasons.at(-1)).to.match(/score 599 below 600/);
  });

  it("treats one other lender as ordinary borrowing", function () {
    expect(decideCredit({ ...clean, multiHeadCount: 1, outsideExposure: cny(5_000) })).to.deep.equal(
      decideCredit(clean),
    );
  });

  it("makes multi-head borrowing an input, not a rejection: smaller limit at two or three institutions", function () {
    const base = decideCredit(clean).limit;
    const two = decideCredit({ ...clean, multiHeadCount: 2, outsideExposure: cny(10_000) });
    const three = decideCredit({ ...clean, multiHeadCount: 3, outsideExposure: cny(10_000) });
    expect(two).to.deep.include({ approved: true, tier: "multi-head", limit: base / 2n });
    expect(three.limit).to.equal(base / 3n);
  });

  it("counts the consortium's own loans towards the exposure", function () {
    const base = decideCredit(clean).limit;
    const split = { ...clean, multiHeadCount: 2, outsideExposure: base, consortiumExposure: base - cny(1_000) };
    expect(decideCredit(split).limit).to.equal(cny(1_000));
  });

  it("keeps total exposure within twice the score-based limit", function () {
    const base = decideCredit(clean).limit;
    const d = decideCredit({ ...clean, multiHeadCount: 2, outsideExposure: base * 2n - cny(1_000) });
    expect(d.limit).to.equal(cny(1_000));
    const none = decideCredit({ ...clean, multiHeadCount: 2, outsideExposure: base * 2n });
    expect(none.approved).to.equal(false);
    expect(none.reasons.at(-1)).to.match(/leaves no room/);
  });

  it("still whitelists a heavily multi-headed borrower for a small amount with an on-time record", function () {
    const d = decideCredit({ ...clean, multiHeadCount: 5, outsideExposure: cny(20_000), onTimeMonths: 6 });
    expect(d).to.deep.include({ approved: true, tier: "small", limit: DEFAULT_CREDIT_POLICY.smallLimit });
    const no = decideCredit({ ...clean, multiHeadCount: 5, outsideExposure: cny(20_000), onTimeMonths: 5 });
    expect(no.approved).to.equal(false);
  });

  it("is much stricter with a delinquent borrower", function () {
    const base = decideCredit({ ...clean, score: 900 }).limit;
    const d = decideCredit({ ...clean, score: 900, delinquent: true, onTimeMonths: 12 });
    expect(d).to.deep.include({ approved: true, tier: "delinquent", limit: cny(10_000) });
    expect(d.limit).to.be.lessThan(base / 5n + 1n);
    expect(decideCredit({ ...clean, score: 749, delinquent: true, onTimeMonths: 24 }).approved).to.equal(false);
    expect(decideCredit({ ...clean, score: 900, delinquent: true, onTimeMonths: 11 }).approved).to.equal(false);
    expect(
      decideCredit({ ...clean, score: 900, delinquent: true, onTimeMonths: 24, multiHeadCount: 2 }).approved,
    ).to.equal(false);
    const small = decideCredit({
      ...clean,
      score: 760,
      delinquent: true,
      onTimeMonths: 12,
      requestedLimit: cny(3_000),
    });
    expect(small).to.deep.include({ approved: true, limit: cny(3_000) });
  });

  it("declines when the limit would fall below the 500 CNY minimum", function () {
    const d = decideCredit({ ...clean, requestedLimit: cny(499) });
    expect(d.approved).to.equal(false);
    expect(d.reasons.at(-1)).to.match(/below the minimum/);
  });

  it("rejects malformed inputs", function () {
    for (const bad of [
      { score: -1 },
      { score: 1_001 },
      { score: 700.5 },
      { multiHeadCount: -1 },
      { onTimeMonths: -2 },
      { requestedLimit: 0n },
      { outsideExposure: -1n },
      { consortiumExposure: -1n },
    ]) {
      expect(
        () => decideCredit({ ...clean, ...bad }),
        JSON.stringify(bad, (_k, v) => String(v)),
      ).to.throw(RangeError);
    }
  });

  it("never grants more than asked, more than 300,000 CNY, or anything when it declines (property)", function () {
    fc.assert(
      fc.property(
        fc.record({
          score: fc.integer({ min: 0, max: 1_000 }),
          requestedLimit: fc.bigInt({ min: 1n, max: cny(1_000_000) }),
          multiHeadCount: fc.integer({ min: 0, max: 10 }),
          outsideExposure: fc.bigInt({ min: 0n, max: cny(1_000_000) }),
          delinquent: fc.boolean(),
          onTimeMonths: fc.integer({ min: 0, max: 60 }),
        }),
        (i) => {
          const d = decideCredit(i);
          if (!d.approved) return d.limit === 0n;
          const worse = decideCredit({ ...i, delinquent: true });
          return (
            d.limit <= i.requestedLimit &&
            d.limit <= cny(300_000) &&
            d.limit >= cny(500) &&
            (!worse.approved || worse.limit <= d.limit)
          );
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
