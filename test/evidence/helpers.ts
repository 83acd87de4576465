import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { expect } from "chai";
import { CASE_ID, LOAN_ID, evidenceChainFixture } from "./fixture";
import { exportLoanBundle } from "../../clients/evidence/export";
import { EvidenceBundle, serializeBundle } from "../../clients/evidence/bundle";
import { VerifyOptions, VerifyReport, verifyBundle } from "../../clients/evidence/verify";

/** The evidence chain of `evidenceChainFixture`, exported for case 1 with documents, attrs and batch proofs. */
export async function exportedCaseFixture() {
  const f = await evidenceChainFixture();
  const bundle = await exportLoanBundle(ethers.provider, f.book, LOAN_ID, {
    caseId: CASE_ID,
    documents: f.documents,
    attrs: f.attrs,
    batchProofs: f.batchProofs,
  });
  return { ...f, bundle, text: serializeBundle(bundle) };
}

/** A deep copy of `bundle` changed by `edit`. */
export function tampered(bundle: EvidenceBundle, edit: (b: EvidenceBundle) => void): EvidenceBundle {
  const copy = structuredClone(bundle);
  edit(copy);
  return copy;
}

/** Verifies `bundle` and expects it rejected with an error matching each pattern. */
export async function expectRejected(
  bundle: unknown,
  patterns: RegExp[],
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  const report = await verifyBundle(bundle, opts);
  const all = report.errors.join("\n");
  expect(report.ok, "bundle unexpectedly verified").to.equal(false);
  for (const p of patterns)
    expect(
      report.errors.some((e) => p.test(e)),
      `no error matches ${p}; errors:\n${all}`,
    ).to.equal(true);
  return report;
}

/** Verifies `bundle` and expects every check to pass. */
export async function expectVerified(bundle: unknown, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const report = await verifyBundle(bundle, opts);
  expect(report.errors, report.errors.join("\n")).to.deep.equal([]);
  expect(report.ok).to.equal(true);
  return report;
}

/** Expects `promise` to reject with an instance of `type` whose message matches `pattern`. */
export async function expectFailure(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
  pattern: RegExp,
): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, "expected a failure").to.be.instanceOf(type);
  expect((error as Error).message).to.match(pattern);
}

/** The repository's root and the `colend` command's entry point. */
export const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "colend.js");

/** What a `colend` child process printed and how it exited. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/colend.js` as a child process, from a directory outside the repository. */
export function colend(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: os.tmpdir(), env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
