import fs from "node:fs";
import { BundleReadError, EvidenceBundle, checkBundleShape, oneLine, readBoundedFile, readBundleText } from "./bundle";
import { ConsortiumAnchor, readConsortiumFile } from "./consortium";
import { DEFAULT_RPC_TIMEOUT_MS } from "./rpc";
import { DecryptHook, RecordVerdict, RpcUnavailableError, VerifyReport, rowLabel, verifyBundle } from "./verify";

/**
 * The `colend` command line. Kept free of Hardhat: it needs only ethers and the bundle code, so
 * an arbitrator can run `npx colend verify bundle.json` on a machine with no chain and no build.
 */

export const EXIT = { ok: 0, failed: 1, usage: 2, unproven: 3 } as const;

const HELP = `colend: tools for the colend consortium ledger

Usage:
  colend verify <bundle.json> [--trust FILE] [--rpc URL [--rpc-timeout S]] [--key-file FILE]
                [--json] [--out FILE]
  colend --help

verify   Checks an evidence bundle: every document hashes to its record, every record links to
         the previous one up to the head frozen at filing, every endorsement signature recovers
         to a voting member of the consortium at the record's block and the quorum is met, votes
         and facts were signed by their senders, batched records prove their inclusion, the
         record times lie inside the windows their endorsers signed. Prints a verdict per record.
         --trust FILE  the consortium file published when the consortium was formed (chain id,
                    ledger, founding members): membership changes and times are then proven from
                    what the members signed. Without it the consortium is the bundle's own word.
         --rpc URL  also checks the live chain: each record is in its transaction and block, the
                    bundle holds every record of its subjects up to its export block, later
                    records are listed by kind.
         --rpc-timeout S  give up on an unanswered RPC request after S seconds (default ${DEFAULT_RPC_TIMEOUT_MS / 1000}).
         --key-file FILE  opens the documents sealed to the arbitrator with the private
                    encryption key held in FILE (hex), and checks them too.
         --json     prints the full report as JSON instead of the table.
         --out FILE writes the report to FILE (a new file) instead of standard output.

Exit status: 0 verified, 1 verification failed, 2 usage error or unreadable input (not JSON,
truncated, too large, not a colend bundle, unsupported version, RPC unreachable or silent),
3 nothing failed but something is unproven offline (the report lists what; --trust and --rpc
prove more).
`;

/** Where the CLI writes; replaceable in tests. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Output = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Runs the CLI on `argv` (without node and script); resolves to the exit status. */
export async function main(argv: string[], io: Output = stdio): Promise<number> {
  const usage = (message: string): number => {
    io.err(`colend: ${message}\nRun "colend --help" for usage.\n`);
    return EXIT.usage;
  };
  if (argv.length === 0) return usage("no command given");
  if (argv.includes("--help") || argv.includes("-h") || argv[0] === "help") {
    io.out(HELP);
    return EXIT.ok;
  }
  const [command, ...rest] = argv;
  if (command !== "verify") return usage(`unknown command "${command}"`);

  let file: string | undefined;
  let rpc: string | undefined;
  let keyFile: string | undefined;
  let trustFile: string | undefined;
  let outFile: string | undefined;
  let rpcTimeoutMs: number | undefined;
  let json = false;
  const value = (i: number, flag: string, what: string): string | undefined => {
    const v = rest[i];
    return v === undefined || v.startsWith("--") ? void usage(`${flag} needs ${what}`) : v;
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    let eq: string | undefined;
    const flag = a.startsWith("--") && a.includes("=") ? a.slice(0, a.indexOf("=")) : a;
    if (flag !== a) eq = a.slice(a.indexOf("=") + 1);
    const take = (what: string): string | undefined => (eq !== undefined ? eq : value(++i, flag, what));
    if (a === "--json") json = true;
    else if (flag === "--rpc") {
      if ((rpc = take("a URL")) === undefined) return EXIT.usage;
    } else if (flag === "--key-file") {
      if ((keyFile = take("a file")) === undefined) return EXIT.usage;
    } else if (flag === "--trust") {
      if ((trustFile = take("a consortium file")) === undefined) return EXIT.usage;
    } else if (flag === "--out") {
      if ((outFile = take("a file")) === undefined) return EXIT.usage;
    } else if (flag === "--rpc-timeout") {
      const t = take("a number of seconds");
      if (t === undefined) return EXIT.usage;
      if (!/^[0-9]{1,4}(\.[0-9]{1,3})?$/.test(t) || Number(t) <= 0 || Number(t) > 3600)
        return usage(`--rpc-timeout must be a number of seconds between 0 and 3600, got ${oneLine(t, 40)}`);
      rpcTimeoutMs = Math.round(Number(t) * 1000);
    } else if (a.startsWith("-")) return usage(`unknown option "${oneLine(a, 60)}"`);
    else if (file === undefined) file = a;
    else return usage(`more than one bundle given ("${oneLine(file, 60)}", "${oneLine(a, 60)}")`);
  }
  if (file === undefined) return usage("verify needs a bundle file");
  if (rpcTimeoutMs !== undefined && rpc === undefined) return usage("--rpc-timeout needs --rpc");

  // The report's destination first: a bad --out fails before any work, with one line.
  let out: number | undefined;
  if (outFile !== undefined) {
    try {
      out = fs.openSync(outFile, "wx", 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === "EEXIST"
          ? "the file exists (the report is written to a new file only)"
          : code === "ENOENT"
            ? "its folder does not exist"
            : code === "EACCES" || code === "EPERM" || code === "EROFS"
              ? "not writable here"
              : code === "EISDIR"
                ? "it is a directory"
                : (code ?? oneLine((e as Error).message, 80));
      return usage(`cannot write the report to ${oneLine(outFile, 120)}: ${why}`);
    }
  }
  const finish = (code: number): number => {
    if (out !== undefined) {
      fs.closeSync(out);
      if (code === EXIT.usage) fs.rmSync(outFile!, { force: true });
    }
    return code;
  };

  let trust: ConsortiumAnchor | undefined;
  let decrypt: DecryptHook | undefined;
  let report: VerifyReport;
  let bundle: EvidenceBundle | undefined;
  try {
    if (trustFile !== undefined) trust = readConsortiumFile(trustFile);
    if (keyFile !== undefined) {
      const key = readBoundedFile(keyFile, 4096, "key file").toString("utf8").trim();
      if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key))
        return finish(usage(`key file ${keyFile} does not hold a 32-byte hex private key`));
      // Loaded only here: opening disclosures needs the document store's code.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { disclosureDecrypter } = require("./disclosure") as typeof import("./disclosure");
      decrypt = disclosureDecrypter(key.startsWith("0x") ? key : `0x${key}`);
    }
    const text = readBoundedFile(file).toString("utf8");
    const parsed = readBundleText(text, file);
    if (checkBundleShape(parsed).length === 0) bundle = parsed as EvidenceBundle;
    report = await verifyBundle(parsed, { rpc, decrypt, trust, rpcTimeoutMs });
  } catch (e) {
    if (e instanceof BundleReadError || e instanceof RpcUnavailableError) return finish(usage(e.message));
    throw e;
  }
  const text = json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report, file, bundle);
  const code = report.status === "verified" ? EXIT.ok : report.status === "unproven" ? EXIT.unproven : EXIT.failed;
  if (out !== undefined) {
    try {
      fs.writeSync(out, text);
    } catch (e) {
      finish(EXIT.usage);
      return usage(
        `cannot write the report to ${outFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    finish(code);
    io.err(`report written to ${outFile}\n`);
  } else io.out(text);
  return code;
}

// ---------------------------------------------------------------- the table

const iso = (t: number): string => {
  const d = new Date(t * 1000);
  return Number.isNaN(d.getTime()) ? `t=${t}` : d.toISOString().replace(".000Z", "Z");
};
const short = (h: string): string => `${h.slice(0, 10)}…${h.slice(-4)}`;

function table(rows: string[][], align: ("l" | "r")[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...r[c]].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => {
        const pad = " ".repeat(widths[c] - [...cell].length);
        return align[c] === "r" ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd(),
  );
}

const DOC_MARK: Record<RecordVerdict["document"], string> = { verified: "✓", sealed: "sealed", none: "–", failed: "✗" };

/** A record's time as proven: "signed" when bounded on both sides, else what bounds it. */
function timeMark(r: RecordVerdict): string {
  if (r.time.proven) return r.time.from !== null && r.time.to !== null ? "signed" : "live chain";
  if (r.time.from !== null) return "≥ signed";
  if (r.time.to !== null) return "≤ signed";
  return "unproven";
}

function verdictRows(rows: RecordVerdict[], label: (r: RecordVerdict) => string): string[] {
  const header = ["#", "kind", "block", "time (UTC)", "time proof", "attestation", "signers", "doc", "verdict"];
  const cells = rows.map((r) => [
    label(r),
    oneLine(r.kind, 40),
    String(r.blockNumber),
    iso(r.timestamp),
    timeMark(r),
    r.attestation.toLowerCase(),
    r.quorum === null ? "–" : `${r.signers ?? 0}/${r.quorum}`,
    DOC_MARK[r.document],
    !r.ok ? "FAILED" : r.unproven.length > 0 ? "UNPROVEN" : r.postFiling ? "ok (post-filing)" : "ok",
  ]);
  const lines = table([header, ...cells], ["r", "l", "r", "l", "l", "l", "r", "l", "l"]);
  const out = [`  ${lines[0]}`];
  rows.forEach((r, i) => {
    out.push(`  ${lines[i + 1]}`);
    for (const reason of r.reasons) out.push(`        ✗ ${reason}`);
    if (r.ok) for (const u of r.unproven) out.push(`        ? ${u}`);
  });
  return out;
}

/** The human-readable verdict: one table per chain, then the batch rows, then a final line. */
export function formatReport(report: VerifyReport, source: string, bundle?: EvidenceBundle): string {
  const lines: string[] = [`Evidence bundle ${oneLine(source, 200)}`];
  if (report.chainId !== null) lines.push(`  chain ${report.chainId}, ledger ${report.ledger}`);
  lines.push(
    report.anchor === "trust-file"
      ? "  consortium: from the trust file (chain, ledger and founders proven; later changes proven by signatures)"
      : report.anchor === "live-chain"
        ? "  consortium: from the live chain (--rpc)"
        : "  consortium: the bundle's own word (no --trust file): its chain, ledger and members are not proven",
  );
  if (report.exportedAt)
    lines.push(`  exported at block ${report.exportedAt.blockNumber} (${iso(report.exportedAt.timestamp)})`);
  if (bundle?.case) {
    const c = bundle.case;
    lines.push(
      `  case ${c.caseId} on loan ${c.loanId}: claimant ${c.claimant}, arbitrator ${c.arbitrator}`,
      `  filed at block ${c.openedBlock} (${iso(c.openedAt)}), loan head frozen at ${short(c.frozenHead)}`,
    );
    if (c.award)
      lines.push(`  award ${short(c.award.awardHash)}: ${c.award.amountOwed} owed (block ${c.award.blockNumber})`);
  }
  if (bundle) {
    const removals = bundle.membership.filter((m) => m.type === "MemberRemoved").length;
    lines.push(
      `  membership history: ${bundle.membership.length} changes (${removals} removal${removals === 1 ? "" : "s"})`,
    );
  }
  for (const s of report.subjects) {
    const rows = report.records.filter((r) => r.chain === s.role && r.subject === s.subject.toLowerCase());
    lines.push(
      "",
      `${s.role}${s.id !== undefined ? ` ${s.id}` : ""}  subject ${short(s.subject)}  ${s.records} records  head ${short(s.head)}`,
    );
    if (rows.length > 0) lines.push(...verdictRows(rows, (r) => String(r.index)));
  }
  const roots = report.records.filter((r) => r.chain === "batch");
  if (roots.length > 0) lines.push("", "batch roots", ...verdictRows(roots, (r) => String(r.index)));
  const batched = report.records.filter((r) => r.chain === "batched");
  if (batched.length > 0)
    lines.push("", "batched records (inclusion proofs)", ...verdictRows(batched, (r) => `b${r.index}`));

  const rowErrors = new Set(report.records.flatMap((r) => r.reasons.map((x) => `${rowLabel(r)}: ${x}`)));
  const other = report.errors.filter((e) => !rowErrors.has(e));
  const d = report.documents;
  lines.push("", `documents: ${d.verified} verified, ${d.sealed} sealed, ${d.failed} failed`);
  if (report.rpc) {
    const added = Object.entries(report.rpc.recordsAddedSince).filter(([, n]) => n > 0);
    lines.push(
      `live chain${report.rpc.url ? ` ${report.rpc.url}` : ""}: ${report.rpc.errors.length === 0 ? "matches the bundle" : `${report.rpc.errors.length} mismatches`}` +
        (added.length > 0
          ? `; ${added.map(([s, n]) => `${n} record(s) added to ${short(s)} since the export`).join(", ")}`
          : "") +
        Object.entries(report.rpc.laterRecords)
          .filter(([, l]) => l.length > 0)
          .map(
            ([sub, l]) =>
              `; after the export, ${short(sub)} received ${l.map((x) => `${x.kind} (block ${x.blockNumber})`).join(", ")}`,
          )
          .join("") +
        (report.rpc.membershipChangesSince > 0
          ? `; ${report.rpc.membershipChangesSince} membership change(s) since`
          : ""),
    );
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  if (other.length > 0) lines.push("", "problems:", ...other.map((e) => `  ✗ ${e}`));
  const rowUnproven = new Set(report.records.flatMap((r) => r.unproven.map((x) => `${rowLabel(r)}: ${x}`)));
  const unproven = report.unproven.filter((u) => !rowUnproven.has(u));
  if (report.unproven.length > 0 && report.errors.length === 0)
    lines.push("", "unproven offline:", ...unproven.map((u) => `  ? ${u}`));
  const count = report.records.length;
  const frozen = report.frozenHead
    ? `; the loan chain reaches the head frozen at filing${report.frozenHead.postFiling > 0 ? ` (${report.frozenHead.postFiling} record(s) after it)` : ""}`
    : "";
  if (report.status === "verified") {
    lines.push(
      "",
      `VERIFIED: ${count} records, ${d.verified} documents${frozen}${report.rpc ? "; checked against the live chain" : ""}`,
    );
  } else if (report.status === "unproven") {
    lines.push(
      "",
      `UNPROVEN: nothing in the ${count} records failed${frozen}, but ${report.unproven.length} point(s) cannot be proven offline (listed above)`,
    );
  } else {
    lines.push("", `FAILED: ${report.errors.length} problem(s) in a bundle of ${count} records`);
  }
  // Nothing from the file reaches the terminal as a control sequence.
  return lines.map(withoutControls).join("\n") + "\n";
}

/** `line` with every control character (terminal escapes included) shown as "?". */
function withoutControls(line: string): string {
  let out = "";
  for (const ch of line) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c < 0xa0) ? "?" : ch;
  }
  return out;
}
