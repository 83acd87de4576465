import { expect } from "chai";
import { UsageError, parseOptions } from "../../clients/sim/cli";
import { classOf, decideCredit, makeApplicant, splitByWeights } from "../../clients/sim/model";
import { Rng } from "../../clients/sim/rng";
import { nplChart } from "../../clients/sim/svg";
import { formatMoney, formatPercent, formatTable } from "../../clients/sim/table";
import type { OptionSpec } from "../../clients/sim/cli";

const SPECS: OptionSpec[] = [
  { name: "loans", kind: "int", description: "", default: 10, min: 1, max: 100 },
  { name: "seed", kind: "string", description: "", default: "x" },
  { name: "network", kind: "string", description: "", default: "hardhat", choices: ["hardhat", "anvil"] },
  { name: "quiet", kind: "flag", description: "" },
];

describe("sim: framework", function () {
  describe("Rng", function () {
    it("repeats the same sequence for the same seed", function () {
      const a = new Rng("s");
      const b = new Rng("s");
      for (let i = 0; i < 100; i++) expect(a.nextU32()).to.equal(b.nextU32());
    });
    it("gives a different sequence for another seed", function () {
      const a = new Rng("s");
      const b = new Rng("t");
      expect([1, 2, 3].map(() => a.nextU32())).to.not.deep.equal([1, 2, 3].map(() => b.nextU32()));
    });
    it("keeps integers within their inclusive range", function () {
      const r = new Rng(1);
      for (let i = 0; i < 1_000; i++) expect(r.int(3, 5)).to.be.within(3, 5);
    });
    it("rejects an empty range", function () {
      expect(() => new Rng(1).int(5, 3)).to.throw(/invalid range/);
    });
  });

  describe("parseOptions", function () {
    it("reads values in both spellings and applies defaults", function () {
      const { options } = parseOptions(["--loans", "7", "--seed=abc", "--quiet"], SPECS);
      expect(options).to.deep.equal({ loans: 7, seed: "abc", network: "hardhat", quiet: true });
    });
    it("rejects an unknown option naming it", function () {
      expect(() => parseOptions(["--lons", "3"], SPECS)).to.throw(UsageError, /unknown option --lons/);
    });
    it("rejects a non-integer", function () {
      expect(() => parseOptions(["--loans", "many"], SPECS)).to.throw(UsageError, /--loans must be an integer/);
    });
    it("rejects a number out of range", function () {
      expect(() => parseOptions(["--loans", "0"], SPECS)).to.throw(UsageError, /at least 1/);
      expect(() => parseOptions(["--loans", "101"], SPECS)).to.throw(UsageError, /at most 100/);
    });
    it("rejects a missing value and a value outside the choices", function () {
      expect(() => parseOptions(["--loans"], SPECS)).to.throw(UsageError, /needs a value/);
      expect(() => parseOptions(["--network", "besu2"], SPECS)).to.throw(UsageError, /one of hardhat, anvil/);
    });
  });

  describe("money and classes", function () {
    it("splits without losing or creating a unit", function () {
      const r = new Rng("split");
      for (let i = 0; i < 500; i++) {
        const amount = BigInt(r.int(0, 1_000_000));
        const weights = [1, 2, 3].map(() => BigInt(r.int(1, 1000)));
        expect(splitByWeights(amount, weights).reduce((a, b) => a + b, 0n)).to.equal(amount);
      }
    });
    it("classifies by days past due: substandard from 60 days", function () {
      expect([0, 1, 59, 60, 89, 90, 179, 180].map(classOf)).to.deep.equal([0, 1, 1, 2, 2, 3, 3, 4]);
    });
    it("keeps credit limits within 500 and 300,000 CNY", function () {
      const r = new Rng("limits");
      for (let i = 0; i < 500; i++) {
        const d = decideCredit(makeApplicant(r, i));
        if (d.approved) expect(d.limit >= 50_000n && d.limit <= 30_000_000n).to.equal(true);
        else expect(d.limit).to.equal(0n);
      }
    });
    it("admits some multi-head applicants on their record", function () {
      const r = new Rng("multi");
      const admitted = Array.from({ length: 500 }, (_, i) => makeApplicant(r, i)).filter(
        (a) => a.outsideLenders > 0 && decideCredit(a).approved,
      );
      expect(admitted.length).to.be.greaterThan(0);
    });
  });

  describe("output", function () {
    it("formats money exactly with grouping", function () {
      expect(formatMoney(123456789n, 2)).to.equal("1,234,567.89");
      expect(formatMoney(-5n, 2)).to.equal("-0.05");
      expect(formatPercent(1n, 3n)).to.equal("33.33%");
    });
    it("aligns table columns", function () {
      const t = formatTable(
        [{ header: "a" }, { header: "n", align: "right" }],
        [
          ["x", "1"],
          ["yy", "100"],
        ],
      ).split("\n");
      expect(t.map((l) => l.length)).to.deep.equal([t[0].length, t[0].length, t[0].length, t[0].length]);
      expect(t[2]).to.equal("  x     1");
    });
    it("draws a self-contained SVG with one marker per month", function () {
      const svg = nplChart(
        [1, 2, 3].map((m) => ({ label: `M${m}`, nplPercent: m, repaidCny: 100 * m, disbursedCny: 50 })),
        "t <&>",
      );
      expect(svg.startsWith("<svg")).to.equal(true);
      expect(svg.trimEnd().endsWith("</svg>")).to.equal(true);
      expect(svg.match(/<circle /g)).to.have.length(3);
      expect(svg).to.contain("t &lt;&amp;&gt;");
    });
  });
});
