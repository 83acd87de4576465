import { network } from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { EXIT, main } from "../../clients/evidence/cli";
import { serializeBundle } from "../../clients/evidence/bundle";
import { writeBundle } from "../../clients/evidence/export";
import { ROOT, Run, colend, exportedCaseFixture, tampered } from "./helpers";

/** The modules `bin/colend.js` loads for the CLI (as the bin registers ts-node), from a fresh process. */
async function loadedModules(): Promise<string[]> {
  const script = [
    `require("ts-node").register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(ROOT)}, compilerOptions: { module: "commonjs" } });`,
    `require(${JSON.stringify(path.join(ROOT, "clients", "evidence", "cli.ts"))});`,
    `process.stdout.write(JSON.stringify(Object.keys(require.cache)));`,
  ].join("\n");
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { cwd: ROOT });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.on("error", reject);
    child.on("close", () => resolve(stdout));
  });
  return JSON.parse(out) as string[];
}

/** Runs the CLI in this process, capturing its output. */
async function inProcess(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** A JSON-RPC endpoint over HTTP in front of the in-process Hardhat network, for the child process. */
async function rpcProxy(): Promise<{ url: string; close: () => Promise<void> }> {
  const answer = async (req: { id: unknown; method: string; params?: unknown[] }) => {
    try {
      return { jsonrpc: "2.0", id: req.id, result: await network.provider.send(req.method, req.params ?? []) };
    } catch (e) {
      return { jsonrpc: "2.0", id: req.id, error: { code: -32000, message: (e as Error).message } };
    }
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", async () => {
      const parsed = JSON.parse(body);
      const reply = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("colend CLI", function () {
  let dir: string;
  let files: { good: string; tampered: string; truncated: string; other: string };

  before(async function () {
    const { bundle, text } = await loadFixture(exportedCaseFixture);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "colend-cli-"));
    const bad = tampered(bundle, (b) => {
      const r = b.subjects[0].records;
      [r[3], r[4]] = [r[4], r[3]];
    });
    files = {
      good: path.join(dir, "loan-1.json"),
      tampered: path.join(dir, "loan-1-reordered.json"),
      truncated: path.join(dir, "loan-1-truncated.json"),
      other: path.join(dir, "other.json"),
    };
    writeBundle(files.good, bundle);
    expect(fs.readFileSync(files.good, "utf8")).to.equal(text);
    fs.writeFileSync(files.tampered, serializeBundle(bad));
    fs.writeFileSync(files.truncated, text.slice(0, 5_000));
    fs.writeFileSync(files.other, JSON.stringify({ format: "something-else", version: 1 }));
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("as a child process, without Hardhat", function () {
    let runs: Record<"good" | "tampered" | "truncated", Run>;
    let loaded: string[];
    let proxyUrl: string;

    before(async function () {
      // Three runs at once: a bundle that verifies (also against the chain), one that fails, one unreadable.
      const proxy = await rpcProxy();
      proxyUrl = proxy.url;
      try {
        const [good, tamperedRun, truncated, modules] = await Promise.all([
          colend(["verify", files.good, "--rpc", proxy.url]),
          colend(["verify", files.tampered]),
          colend(["verify", files.truncated]),
          loadedModules(),
        ]);
        runs = { good, tampered: tamperedRun, truncated };
        loaded = modules;
      } finally {
        await proxy.close();
      }
    });

    it("exits 0 and prints an aligned verdict per record for a bundle that verifies", function () {
      const { code, stdout, stderr } = runs.good;
      expect(stderr).to.equal("");
      expect(code).to.equal(EXIT.ok);
      expect(stdout).to.match(
        /^\s+#\s+kind\s+block\s+time \(UTC\)\s+time proof\s+attestation\s+signers\s+doc\s+verdict$/m,
      );
      expect(stdout).to.match(/^\s+2\s+DisbursementReceipt\s+\d+\s+\S+\s+live chain\s+votes\s+4\/4\s+✓\s+ok$/m);
      expect(stdout).to.match(/^\s+6\s+Note\s+.*ok \(post-filing\)$/m);
      expect(stdout).to.match(/^\s+b0\s+RepaymentReceipt\s+.*batch\s+3\/3\s+✓\s+ok$/m);
      // Columns line up: in the loan table, every row's time and verdict start under their headers.
      const loanTable = stdout
        .split("\n\n")
        .find((block) => block.startsWith("loan 1"))!
        .split("\n")
        .slice(1);
      expect(loanTable).to.have.length(9);
      const [header, ...rows] = loanTable;
      for (const row of rows) {
        expect(row.search(/\d{4}-\d\d-/), row).to.equal(header.indexOf("time (UTC)"));
        expect(row.search(/ ok( \(post-filing\))?$/) + 1, row).to.equal(header.indexOf("verdict"));
      }
    });

    it("checks the bundle against the live chain with --rpc", function () {
      const { stdout } = runs.good;
      expect(stdout).to.include(`live chain ${proxyUrl}: matches the bundle`);
      expect(stdout).to.match(
        /VERIFIED: 15 records, 13 documents; the loan chain reaches the head frozen at filing \(2 record\(s\) after it\); checked against the live chain\n$/,
      );
    });

    it("exits 1 and names what failed for a reordered bundle", function () {
      const { code, stdout } = runs.tampered;
      expect(code).to.equal(EXIT.failed);
      expect(stdout).to.match(/^\s+3\s+Reminder\s+.*FAILED$/m);
      expect(stdout).to.match(/✗ prev .* is not the head of record 2 .*: the chain is broken/);
      expect(stdout).to.match(/FAILED: \d+ problem\(s\) in a bundle of 15 records\n$/);
    });

    it("loads neither Hardhat nor TypeChain nor compiled artifacts", function () {
      expect(loaded.length).to.be.greaterThan(0);
      expect(loaded.filter((m) => /node_modules\/hardhat\/|typechain-types|artifacts\//.test(m))).to.deep.equal([]);
    });

    it("exits 2 with the reason for a truncated file", function () {
      const { code, stdout, stderr } = runs.truncated;
      expect(code).to.equal(EXIT.usage);
      expect(stdout).to.equal("");
      expect(stderr).to.match(/loan-1-truncated\.json is not valid JSON \(truncated or corrupted\?\)/);
    });
  });

  describe("arguments and output modes", function () {
    it("prints its usage with --help and exits 0", async function () {
      for (const args of [["--help"], ["verify", "-h"], ["help"]]) {
        const { code, stdout } = await inProcess(args);
        expect(code).to.equal(EXIT.ok);
        expect(stdout).to.include(
          "Usage:\n  colend verify <bundle.json> [--trust FILE] [--rpc URL [--rpc-timeout S]] [--key-file FILE]",
        );
      }
    });

    it("prints the full report as JSON with --json", async function () {
      const { code, stdout } = await inProcess(["verify", files.good, "--json"]);
      expect(code).to.equal(EXIT.unproven);
      const report = JSON.parse(stdout);
      expect(report.ok).to.equal(true);
      expect(report.status).to.equal("unproven");
      expect(report.anchor).to.equal("bundle");
      expect(report.records).to.have.length(15);
    });

    it("exits 1 with --json for a bundle that fails", async function () {
      const { code, stdout } = await inProcess(["verify", "--json", files.tampered]);
      expect(code).to.equal(EXIT.failed);
      expect(JSON.parse(stdout).ok).to.equal(false);
    });

    it("prints a verdict even for a timestamp no calendar holds", async function () {
      const { bundle } = await loadFixture(exportedCaseFixture);
      const odd = path.join(dir, "odd-time.json");
      fs.writeFileSync(
        odd,
        serializeBundle(
          tampered(bundle, (b) => {
            b.subjects[0].records[3].timestamp = Number.MAX_SAFE_INTEGER;
          }),
        ),
      );
      const { code, stdout } = await inProcess(["verify", odd]);
      expect(code).to.equal(EXIT.failed);
      expect(stdout).to.match(/^\s+3\s+Repayment\s+\d+\s+t=9007199254740991\s+unproven\s+fact/m);
      expect(stdout).to.match(
        /✗ block times go backwards: block \d+ \(loan record 3 \(Repayment\)\) at 9007199254740991, block \d+/,
      );
    });

    it("exits 2 for a file that is not a colend bundle", async function () {
      const { code, stderr } = await inProcess(["verify", files.other]);
      expect(code).to.equal(EXIT.usage);
      expect(stderr).to.match(/not an evidence bundle: format is "something-else"/);
    });

    it("exits 2 for a missing file", async function () {
      const { code, stderr } = await inProcess(["verify", path.join(dir, "missing.json")]);
      expect(code).to.equal(EXIT.usage);
      expect(stderr).to.match(/cannot read bundle .*missing\.json: ENOENT/);
    });

    it("exits 2 for an unreachable --rpc node", async function () {
      const { code, stderr } = await inProcess(["verify", files.good, "--rpc=http://127.0.0.1:9"]);
      expect(code).to.equal(EXIT.usage);
      expect(stderr).to.match(/cannot reach http:\/\/127\.0\.0\.1:9/);
    });

    it("exits 2 for usage errors", async function () {
      const cases: [string[], RegExp][] = [
        [[], /no command given/],
        [["sign", files.good], /unknown command "sign"/],
        [["verify"], /verify needs a bundle file/],
        [["verify", files.good, "--rpc"], /--rpc needs a URL/],
        [["verify", files.good, "--fast"], /unknown option "--fast"/],
        [["verify", files.good, files.tampered], /more than one bundle given/],
      ];
      for (const [args, message] of cases) {
        const { code, stderr } = await inProcess(args);
        expect(code, args.join(" ")).to.equal(EXIT.usage);
        expect(stderr).to.match(message);
        expect(stderr).to.match(/Run "colend --help" for usage/);
      }
    });
  });
});
