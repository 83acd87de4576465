import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { toUtf8Bytes } from "ethers";
import { ArbitratorNode, discloseToArbitrator, openCase } from "../../clients/arbitration";
import { ArbitratorDesk, DirectoryInbox } from "../../clients/console/adapter";
import { startConsole } from "../../clients/console/server";
import { proposeAndCommit } from "../../clients/core/node";
import { Kind, Subject } from "../../clients/core/types";
import { caseDocuments } from "../../clients/evidence";
import { DocumentStore } from "../../clients/store";
import { deployDefaultedLoan } from "../../test/arbitration/defaultedLoan";
import { encryptionPrivateKey } from "../../test/arbitration/fixture";
import { resetChain } from "../lib/chain";
import { BenchContext, Measured, Progress, fmtInt } from "../lib/report";

const SECRET = "0x" + "7a".repeat(32);

/**
 * `console.case.r{records}`: how long the arbitrator's case page takes for a loan whose evidence
 * chain holds `records` records (real contracts, Hardhat's in-process chain, 5 banks), disclosed in
 * full (every document behind the case, each note's too). Cold: the first request (receive the
 * package, export the case's bundle from the chain, verify it with the bundle verifier opening
 * every sealed document, render); warm: the same page again (cached until the chain moves).
 */
export async function consoleCase(ctx: BenchContext, opts: { records: number; rounds: number }): Promise<Measured> {
  const name = `console.case.r${opts.records}`;
  await resetChain();
  // The lead keeps every document behind the loan and shares them with the claimant (partner 1).
  const store = DocumentStore.open(":memory:", SECRET);
  const { fx, loanId, pseudonym } = await deployDefaultedLoan({ store });
  const loan = Subject.loan(loanId);
  const existing = (await fx.ledger.queryFilter(fx.ledger.filters.RecordCommitted(loan), 0)).length;
  const notes = Math.max(0, opts.records - existing);
  ctx.log(`  ${name}: adding ${fmtInt(notes)} endorsed notes to loan ${loanId} (${existing} records so far)`);
  const progress = new Progress(ctx, name, notes);
  for (let i = 0; i < notes; i++) {
    const document = toUtf8Bytes(`collection note ${i} on loan ${loanId}`);
    const note = await proposeAndCommit(fx.lead, fx.partnerNodes, { subject: loan, kind: Kind.Note, document });
    store.put({ subject: loan, kind: Kind.Note, document, salt: note.salt, meta: { loanId } });
    progress.tick();
  }
  const claimant = fx.partnerNodes[0];
  const filed = await openCase({
    bank: claimant,
    peers: [fx.lead, ...fx.partnerNodes.slice(1)],
    loanId,
    arbitrator: fx.arbitrator.address,
    claim: toUtf8Bytes(JSON.stringify({ type: "Claim", loanId: loanId.toString(), amountClaimed: "100000" })),
    store,
  });
  const inbox = fs.mkdtempSync(path.join(os.tmpdir(), "colend-bench-inbox-"));
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "colend-bench-console-"));
  // A full disclosure: every document behind the case, the notes' included.
  const disclosed = await discloseToArbitrator({
    bank: claimant,
    store,
    caseId: filed.caseId,
    contentHashes: caseDocuments(store, loanId, pseudonym, filed.caseId),
  });
  fs.writeFileSync(path.join(inbox, "claim.json"), JSON.stringify(disclosed.package));
  const key = encryptionPrivateKey(fx.arbitrator.address);
  const node = new ArbitratorNode("Arbitration Commission 1", fx.arbitrator, fx.book, store, key);
  let cold = Infinity;
  let warm = Infinity;
  let afterBlock = Infinity;
  let bytes = 0;
  let verifyMs = 0;
  let records = 0;
  try {
    for (let r = 0; r < opts.rounds; r++) {
      // A fresh desk each round: nothing cached.
      const desk = new ArbitratorDesk(node, key, new DirectoryInbox(inbox), data);
      const running = await startConsole({ desk });
      try {
        const login = await fetch(running.loginUrl, { redirect: "manual" });
        const cookie = login.headers.get("set-cookie")!.split(";")[0];
        const get = async (): Promise<{ ms: number; bytes: number }> => {
          const t0 = performance.now();
          const res = await fetch(`${running.url}/cases/${filed.caseId}`, { headers: { cookie } });
          const body = await res.text();
          if (res.status !== 200) throw new Error(`${name}: case page answered ${res.status}`);
          return { ms: performance.now() - t0, bytes: body.length };
        };
        const c = await get();
        const view = await desk.caseView(filed.caseId);
        if (c.ms < cold) {
          cold = c.ms;
          verifyMs = view.report.ms;
        }
        records = view.timeline.length;
        bytes = c.bytes;
        warm = Math.min(warm, (await get()).ms);
        // A block that touches neither chain nor the inbox keeps the verified view.
        await fx.lead.deposit(1n);
        afterBlock = Math.min(afterBlock, (await get()).ms);
      } finally {
        await running.close();
      }
    }
  } finally {
    store.close();
  }
  ctx.log(
    `  ${name}: ${fmtInt(records)} records on the page (${(bytes / 1024).toFixed(0)} KiB): ` +
      `cold ${cold.toFixed(0)} ms (verifier ${verifyMs.toFixed(0)} ms), warm ${warm.toFixed(0)} ms, ` +
      `after an unrelated block ${afterBlock.toFixed(0)} ms`,
  );
  return {
    name,
    members: 5,
    records,
    gasPerRecord: 0,
    recordsPerSecond: records / (cold / 1000),
    baselineRecordsPerSecond: records / (verifyMs / 1000),
    coldMs: Math.round(cold),
    warmMs: Math.round(warm),
    afterUnrelatedBlockMs: Math.round(afterBlock),
    verifyMs: Math.round(verifyMs),
    pageKiB: Math.round(bytes / 1024),
    timing: `best of ${opts.rounds}; cold = export + verify + render over HTTP, fresh desk; baseline = the verifier alone`,
  };
}
