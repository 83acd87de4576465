import { Worker } from "node:worker_threads";
import { recoverAddress } from "ethers";
import { CycleConfig, CycleOp, assentDigest } from "./model";

/**
 * Recovers the signer of every borrower assent in a cycle ahead of the replay, spread over
 * worker threads: recovery is the largest single cost of checking a cycle (docs/CYCLE.md), and
 * the assents are independent of each other. The replay then only compares each recovered
 * signer with the whitelisted account (`replayCycle(..., { signers })`). A malformed signature
 * gives an empty string, which the replay refuses like any wrong signer.
 */

/** The worker's code: recovers each [digest, signature] pair it is sent. */
const WORKER = `
const { parentPort } = require("node:worker_threads");
const { recoverAddress } = require("ethers");
parentPort.on("message", (pairs) => {
  const out = pairs.map(([d, s]) => { try { return recoverAddress(d, s).toLowerCase(); } catch { return ""; } });
  parentPort.postMessage(out);
});
`;

function recoverOne(digest: string, signature: string): string {
  try {
    return recoverAddress(digest, signature).toLowerCase();
  } catch {
    return "";
  }
}

/** Signer of each origination's assent, by operation index; `threads` 0 recovers on this thread. */
export async function recoverAssents(
  config: Pick<CycleConfig, "chainId" | "ledger">,
  ops: CycleOp[],
  threads: number,
): Promise<Map<number, string>> {
  const jobs: { index: number; pair: [string, string] }[] = [];
  for (const [index, op] of ops.entries()) {
    if (op.type === "originate") jobs.push({ index, pair: [assentDigest(config, op), op.assent] });
  }
  const out = new Map<number, string>();
  if (threads <= 0 || jobs.length < 2 * threads) {
    for (const j of jobs) out.set(j.index, recoverOne(...j.pair));
    return out;
  }
  const per = Math.ceil(jobs.length / threads);
  const slices = Array.from({ length: threads }, (_, t) => jobs.slice(t * per, (t + 1) * per)).filter((s) => s.length);
  const results = await Promise.all(
    slices.map(
      (slice) =>
        new Promise<string[]>((resolve, reject) => {
          const worker = new Worker(WORKER, { eval: true });
          worker.once("message", (signers: string[]) => {
            resolve(signers);
            void worker.terminate();
          });
          worker.once("error", reject);
          worker.postMessage(slice.map((j) => j.pair));
        }),
    ),
  );
  for (const [k, slice] of slices.entries()) {
    for (const [i, j] of slice.entries()) out.set(j.index, results[k][i]);
  }
  return out;
}
