import { Worker } from "node:worker_threads";
import { recoverSigner } from "../core/recover";
import { CycleConfig, CycleOp, assentDigest } from "./model";

/**
 * Recovers the signer of every borrower assent in a cycle ahead of the replay, spread over
 * worker threads: recovery is the largest single cost of checking a cycle (docs/CYCLE.md), and
 * the assents are independent of each other. The replay then only compares each recovered
 * signer with the whitelisted account (`replayCycle(..., { signers })`). A malformed signature
 * gives an empty string, which the replay refuses like any wrong signer.
 */

/**
 * The worker's code: recovers each [digest, signature] pair it is sent with the one
 * `recoverSigner` (clients/core/recover.ts), loaded from this build (through ts-node when the
 * caller runs from the TypeScript sources).
 */
const RECOVER_MODULE = require.resolve("../core/recover");
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
if (workerData.endsWith(".ts")) require("ts-node").register({ transpileOnly: true });
const { recoverSigner } = require(workerData);
parentPort.on("message", ({ id, pairs }) => {
  const out = pairs.map(([d, s]) => { try { return recoverSigner(d, s); } catch { return ""; } });
  parentPort.postMessage({ id, out });
});
`;

function recoverOne(digest: string, signature: string): string {
  try {
    return recoverSigner(digest, signature);
  } catch {
    return "";
  }
}

/**
 * Workers kept for the process's life (their start is the cost): each answers the jobs it is
 * sent in order, by id. A worker holds the process open only while it has jobs pending.
 */
interface PoolWorker {
  worker: Worker;
  pending: Map<number, { resolve: (out: string[]) => void; reject: (e: Error) => void }>;
}
const pool: PoolWorker[] = [];
let nextJob = 0;

function poolWorker(k: number): PoolWorker {
  const existing = pool[k];
  if (existing) return existing;
  const w: PoolWorker = { worker: new Worker(WORKER, { eval: true, workerData: RECOVER_MODULE }), pending: new Map() };
  w.worker.unref();
  w.worker.on("message", ({ id, out }: { id: number; out: string[] }) => {
    w.pending.get(id)?.resolve(out);
    w.pending.delete(id);
    if (w.pending.size === 0) w.worker.unref();
  });
  const fail = (e: Error) => {
    if (pool[k] === w) delete pool[k];
    for (const p of w.pending.values()) p.reject(e);
    w.pending.clear();
  };
  w.worker.on("error", fail);
  w.worker.on("exit", (code) => fail(new Error(`assent recovery worker exited with code ${code}`)));
  pool[k] = w;
  return w;
}

function recoverOn(k: number, pairs: [string, string][]): Promise<string[]> {
  const w = poolWorker(k);
  const id = nextJob++;
  return new Promise<string[]>((resolve, reject) => {
    w.pending.set(id, { resolve, reject });
    w.worker.ref();
    w.worker.postMessage({ id, pairs });
  });
}

/**
 * Signer of each origination's assent, by operation index; `threads` 0 recovers on this thread.
 * With the native recovery (~0.15 ms an assent) a worker pays off only for many assents: its
 * start (loading the module, through ts-node under the TypeScript sources: about a second) is
 * worth thousands of recoveries, so fewer than `minPerThread` assents a thread are recovered
 * on this thread.
 */
export async function recoverAssents(
  config: Pick<CycleConfig, "chainId" | "ledger">,
  ops: CycleOp[],
  threads: number,
  minPerThread = 4096,
): Promise<Map<number, string>> {
  const jobs: { index: number; pair: [string, string] }[] = [];
  for (const [index, op] of ops.entries()) {
    if (op.type === "originate") jobs.push({ index, pair: [assentDigest(config, op), op.assent] });
  }
  const out = new Map<number, string>();
  if (threads <= 0 || jobs.length < Math.max(2, minPerThread) * threads) {
    for (const j of jobs) out.set(j.index, recoverOne(...j.pair));
    return out;
  }
  const per = Math.ceil(jobs.length / threads);
  const slices = Array.from({ length: threads }, (_, t) => jobs.slice(t * per, (t + 1) * per)).filter((s) => s.length);
  const results = await Promise.all(
    slices.map((slice, k) =>
      recoverOn(
        k,
        slice.map((j) => j.pair),
      ),
    ),
  );
  for (const [k, slice] of slices.entries()) {
    for (const [i, j] of slice.entries()) out.set(j.index, results[k][i]);
  }
  return out;
}
