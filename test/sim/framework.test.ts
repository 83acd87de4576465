import { expect } from "chai";
import { UsageError, parseOptions } from "../../clients/sim/cli";
import { decideCredit } from "../../clients/lending/decision";
import { splitBps } from "../../clients/lending/math";
import { DEFAULT_SHARES } from "../../clients/lending/params";
import { scenarioPlan } from "../../clients/sim/plan";
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

  describe("the plan", function () {
    const plan = scenarioPlan({ seed: "plan", loans: 60, months: 4, partners: 4 });

    it("admits exactly the applicants the lending credit rule admits, with the limit it gives", function () {
      expect(plan.applications.filter((a) => a.loan)).to.have.length(60);
      for (const a of plan.applications) {
        const d = decideCredit(a.inputs);
        expect(Boolean(a.loan)).to.equal(d.approved);
        if (a.loan) expect(a.loan.limit).to.equal(d.limit);
      }
    });
    it("admits some multi-head applicants on their record", function () {
      expect(plan.applications.some((a) => a.loan && a.applicant.outsideLenders > 0)).to.equal(true);
    });
    it("funds each loan by the agreed shares without losing or creating a unit", function () {
      for (const { loan } of plan.applications) {
        if (!loan) continue;
        const { partnersPart } = splitBps(loan.principal, BigInt(DEFAULT_SHARES.leadFundingBps));
        expect(loan.syndicate.reduce((x, s) => x + s.amount, 0n)).to.equal(partnersPart);
        expect(loan.principal <= loan.limit).to.equal(true);
      }
    });
    it("numbers loans from 1 in the order they are decided", function () {
      const loans = plan.applications.filter((a) => a.loan);
      expect(loans.map((a) => a.loan!.loanId)).to.deep.equal(loans.map((_, i) => i + 1));
      expect(loans.map((a) => a.day)).to.deep.equal([...loans.map((a) => a.day)].sort((x, y) => x - y));
    });
    it("gives the same plan for the same seed and another for another seed", function () {
      const again = scenarioPlan({ seed: "plan", loans: 60, months: 4, partners: 4 });
      const other = scenarioPlan({ seed: "plan2", loans: 60, months: 4, partners: 4 });
      const key = (p: typeof plan) => p.applications.map((a) => `${a.applicant.identity}:${a.loan?.principal ?? "-"}`);
      expect(key(again)).to.deep.equal(key(plan));
      expect(key(other)).to.not.deep.equal(key(plan));
    });
    it("refuses a scenario without loans, months or two partners", function () {
      expect(() => scenarioPlan({ seed: "x", loans: 0, months: 2, partners: 2 })).to.throw(/loans must be at least 1/);
      expect(() => scenarioPlan({ seed: "x", loans: 1, months: 0, partners: 2 })).to.throw(/months must be at least 1/);
      expect(() => scenarioPlan({ seed: "x", loans: 1, months: 2, partners: 1 })).to.throw(
        /partners must be at least 2/,
      );
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
