import { expect } from "chai";
import fs from "node:fs";
import net from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { LIMITS, BundleReadError, EvidenceBundle, serializeBundle } from "../../clients/evidence/bundle";
import { EXIT, main } from "../../clients/evidence/cli";
import { serializeConsortium } from "../../clients/evidence/consortium";
import { SyntheticBundle, buildSyntheticBundle } from "../../clients/evidence/synthetic";
import { RpcUnavailableError, verifyBundle } from "../../clients/evidence/verify";
import { Run, colend, expectFailure, tampered } from "./helpers";

async function inProcess(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** A one-line refusal: the usage hint aside, a single line and no stack frame. */
function expectOneLine(text: string, pattern: RegExp): void {
  const lines = text.split("\n").filter((l) => l.length > 0 && !l.startsWith('Run "colend --help"'));
  expect(lines, text.slice(0, 2_000)).to.have.length(1);
  expect(lines[0]).to.match(pattern);
  expect(text).not.to.match(/\n\s+at /);
}

describe("Verifier under hostile input", function () {
  let dir: string;
  let synthetic: SyntheticBundle;
  let write: (name: string, content: string | EvidenceBundle) => string;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-hostile-"));
    synthetic = buildSyntheticBundle({ records: 3, members: 7, seed: "hostile" });
    write = (name, content) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, typeof content === "string" ? content : serializeBundle(content));
      return file;
    };
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("bounded fields", function () {
    it("refuses a 10 MB hex field without a regular expression overflowing the stack", async function () {
      const bad = tampered(synthetic.bundle, (b) => {
        b.subjects[0].records[0].contentHash = "0x" + "ab".repeat(5 * 1024 * 1024);
      });
      const report = await verifyBundle(bad);
      expect(report.status).to.equal("failed");
      expect(report.errors).to.deep.equal([
        "malformed bundle: subjects[0].records[0].contentHash: expected a 32-byte 0x-hex hash, got a string of 10,485,762 characters",
      ]);
    });

    it("refuses 25 MB of endorsements on one record", async function () {
      const bad = tampered(synthetic.bundle, (b) => {
        b.subjects[0].records[1].endorsements = "0x" + "cd".repeat(12_500_000);
      });
      const report = await verifyBundle(bad);
      expect(report.errors).to.have.length(1);
      expect(report.errors[0]).to.match(
        /^malformed bundle: subjects\[0\]\.records\[1\]\.endorsements: expected 0x-hex bytes \(at most 16384 bytes\), got a string of 25,000,002 characters$/,
      );
      expect(report.stats.recoveries).to.equal(0);
    });

    it("refuses 20,000 signatures on one record, and recovers none of more signatures than voting members", async function () {
      const sig = synthetic.bundle.subjects[0].records[0].endorsements.slice(2, 130);
      const huge = tampered(synthetic.bundle, (b) => {
        b.subjects[0].records[0].endorsements = "0x" + sig.repeat(20_000);
      });
      const report = await verifyBundle(huge);
      expect(report.errors[0]).to.match(/records\[0\]\.endorsements: expected 0x-hex bytes \(at most 16384 bytes\)/);
      expect(report.stats.recoveries).to.equal(0);

      // Within the size limit, still no more than one signature per voting member is looked at.
      const eight = tampered(synthetic.bundle, (b) => {
        b.subjects[0].records[0].endorsements = "0x" + sig.repeat(8);
      });
      const clean = await verifyBundle(synthetic.bundle);
      const r = await verifyBundle(eight);
      expect(r.errors).to.include(
        "loan record 0 (Repayment): 8 signatures, but only 7 voting members at block 10: at most one per member is accepted (none recovered)",
      );
      const quorum = r.records[0].quorum!;
      expect(r.stats.recoveries).to.equal(clean.stats.recoveries - quorum);
    });

    it("gives a one-line error for numbers of 2,000 digits", async function () {
      const digits = "9".repeat(2_000);
      const text = serializeBundle(synthetic.bundle);
      const cases: [string, RegExp][] = [
        [
          text.replace(/"deadline": "\d+"/, `"deadline": "${digits}"`),
          /records\[0\]\.deadline: expected a decimal uint64 string, got a string of 2,000 characters/,
        ],
        [
          text.replace(/"blockNumber": \d+/, `"blockNumber": ${digits}`),
          /blockNumber: expected a non-negative integer, got a number too large for JSON/,
        ],
        [
          text.replace(/"chainId": "\d+"/, `"chainId": "${digits}"`),
          /^malformed bundle: chainId: expected a decimal integer string of at most 78 digits/,
        ],
      ];
      for (const [t, pattern] of cases) {
        const report = await verifyBundle(t);
        expect(report.status).to.equal("failed");
        expect(
          report.errors.some((e) => pattern.test(e)),
          report.errors.join("\n"),
        ).to.equal(true);
        for (const e of report.errors) expect(e.length).to.be.lessThan(300);
      }
    });

    it("measures nesting before parsing, and refuses a file nested deeper than a bundle", async function () {
      await expectFailure(
        verifyBundle(`{"a":${"[".repeat(1_000_000)}`),
        BundleReadError,
        /nests JSON deeper than 32 levels: not an evidence bundle/,
      );
    });

    it("refuses a file larger than the limit before reading it", async function () {
      const file = path.join(dir, "sparse.json");
      fs.writeFileSync(file, "{");
      fs.truncateSync(file, LIMITS.fileBytes + 1);
      const run = await inProcess(["verify", file]);
      expect(run.code).to.equal(EXIT.usage);
      expectOneLine(run.stderr, /^colend: bundle .*sparse\.json is 96\.0 MiB; a bundle may be at most 96\.0 MiB$/);
    });

    it("verifies a legitimately disclosed document of several MB", async function () {
      const big = buildSyntheticBundle({ records: 2, members: 7, seed: "big", firstDocumentBytes: 6 * 1024 * 1024 });
      const file = write("big.json", big.bundle);
      const trust = write("big-consortium.json", serializeConsortium(big.anchor));
      const run = await inProcess(["verify", file, "--trust", trust, "--json"]);
      const report = JSON.parse(run.stdout);
      expect(report.errors).to.deep.equal([]);
      expect(report.documents).to.deep.equal({ verified: 2, sealed: 0, failed: 0 });
      expect(report.records[0].document).to.equal("verified");
    });

    it("keeps control characters of the file away from the terminal", async function () {
      const bad = tampered(synthetic.bundle, (b) => {
        b.subjects[0].records[2].kind.name = "Repayment\u001b[2J\u001b[31mVERIFIED";
      });
      const run = await inProcess(["verify", write("escape.json", bad)]);
      expect(run.code).to.equal(EXIT.failed);
      expect(run.stdout).not.to.include("\u001b");
      expect(run.stdout).to.include("Repayment [2J [31mVERIFIED");
    });
  });

  describe("as a child process: one line, no stack trace, no abort", function () {
    let runs: Record<string, Run>;
    let silent: net.Server;
    let silentUrl: string;
    const sockets: net.Socket[] = [];

    before(async function () {
      this.timeout(120_000);
      silent = net.createServer((s) => void sockets.push(s)); // accepts, never answers
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const good = write("good.json", synthetic.bundle);
      const endorsements = write(
        "endorsements.json",
        tampered(synthetic.bundle, (b) => {
          b.subjects[0].records[1].endorsements = "0x" + "cd".repeat(12_500_000);
        }),
      );
      const existing = write("existing-report.txt", "keep me\n");
      const started = Date.now();
      const [zero, big, rpc, outExisting, outProc, outMissing] = await Promise.all([
        colend(["verify", "/dev/zero"]),
        colend(["verify", endorsements]),
        colend(["verify", good, "--rpc", silentUrl, "--rpc-timeout", "1"]),
        colend(["verify", good, "--out", existing]),
        colend(["verify", good, "--out", "/proc/x"]),
        colend(["verify", good, "--out", path.join(dir, "no", "such", "dir", "r.txt")]),
      ]);
      runs = {
        zero,
        big,
        rpc,
        outExisting,
        outProc,
        outMissing,
        elapsed: { code: Date.now() - started, stdout: "", stderr: "" },
      };
    });

    after(async function () {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it("reads /dev/zero as a binary file, not forever", function () {
      expect(runs.zero.code).to.equal(EXIT.usage);
      expectOneLine(runs.zero.stderr, /^colend: bundle \/dev\/zero is not JSON text \(it holds NUL bytes\)$/);
    });

    it("names 25 MB of endorsements as a malformed field", function () {
      expect(runs.big.code).to.equal(EXIT.failed);
      expect(runs.big.stderr).to.equal("");
      expect(runs.big.stdout).to.match(/records\[1\]\.endorsements: expected 0x-hex bytes \(at most 16384 bytes\)/);
      expect(runs.big.stdout).not.to.match(/\n\s+at /);
    });

    it("gives up on an RPC endpoint that accepts and never answers, and exits", function () {
      expect(runs.rpc.code).to.equal(EXIT.usage);
      expectOneLine(
        runs.rpc.stderr,
        new RegExp(
          `^colend: cannot reach ${silentUrl.replace(/\./g, "\\.")}: .*did not answer within 1 s \\(--rpc-timeout\\)$`,
        ),
      );
    });

    it("refuses --out on an existing file, leaving it as it was", function () {
      expect(runs.outExisting.code).to.equal(EXIT.usage);
      expectOneLine(runs.outExisting.stderr, /cannot write the report to .*existing-report\.txt: the file exists/);
      expect(fs.readFileSync(path.join(dir, "existing-report.txt"), "utf8")).to.equal("keep me\n");
    });

    it("refuses --out at a place it cannot write", function () {
      expect(runs.outProc.code).to.equal(EXIT.usage);
      expectOneLine(runs.outProc.stderr, /^colend: cannot write the report to \/proc\/x: /);
      expect(runs.outMissing.code).to.equal(EXIT.usage);
      expectOneLine(runs.outMissing.stderr, /cannot write the report to .*r\.txt: its folder does not exist/);
    });
  });

  describe("--out and an unanswering node, in process", function () {
    it("writes the report to a new file and nothing to standard output", async function () {
      const out = path.join(dir, "report.txt");
      const run = await inProcess(["verify", write("ok.json", synthetic.bundle), "--out", out]);
      expect(run.code).to.equal(EXIT.unproven);
      expect(run.stdout).to.equal("");
      expect(run.stderr).to.equal(`report written to ${out}\n`);
      expect(fs.readFileSync(out, "utf8")).to.match(/^UNPROVEN: nothing in the 3 records failed/m);
    });

    it("rejects with RpcUnavailableError when the node never answers", async function () {
      const sockets: net.Socket[] = [];
      const server = net.createServer((s) => void sockets.push(s));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        await expectFailure(
          verifyBundle(synthetic.bundle, { rpc: url, rpcTimeoutMs: 300 }),
          RpcUnavailableError,
          /did not answer within 0.3 s/,
        );
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
});
