import fs from "node:fs";
import { BundleReadError, EvidenceBundle, checkBundleShape, readBundleText } from "./bundle";
import { DecryptHook, RecordVerdict, RpcUnavailableError, VerifyReport, rowLabel, verifyBundle } from "./verify";

/**
 * The `colend` command line. Kept free of Hardhat: it needs only ethers and the bundle code, so
 * an arbitrator can run `npx colend verify bundle.json` on a machine with no chain and no build.
 */

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const HELP = `colend: tools for the colend consortium ledger

Usage:
  colend verify <bundle.json> [--rpc URL] [--key-file FILE] [--json]
  colend --help

verify   Checks an evidence bundle offline: every document hashes to its record, every record
         links to the previous one up to the head frozen at filing, every endorsement signature
         recovers to a voting member of the consortium at the record's block and the quorum is
         met, votes and facts were signed by their senders, batched records prove their
         inclusion. Prints a verdict per record.
         --rpc URL  also checks the live chain: each record is in its transaction and block,
                    the ledger's head is the bundle's head or a descendant of it.
         --key-file FILE  opens the documents sealed to the arbitrator with the private
                    encryption key held in FILE (hex), and checks them too.
         --json     prints the full report as JSON instead of the table.

Exit status: 0 everything verifies, 1 verification failed, 2 usage error or unreadable bundle
(not JSON, truncated, not a colend bundle, unsupported version, RPC unreachable).
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
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--json") json = true;
    else if (a === "--rpc") {
      rpc = rest[++i];
      if (!rpc || rpc.startsWith("--")) return usage("--rpc needs a URL");
    } else if (a.startsWith("--rpc=")) rpc = a.slice("--rpc=".length);
    else if (a === "--key-file") {
      keyFile = rest[++i];
      if (!keyFile || keyFile.startsWith("--")) return usage("--key-file needs a file");
    } else if (a.startsWith("-")) return usage(`unknown option "${a}"`);
    else if (file === undefined) file = a;
    else return usage(`more than one bundle given ("${file}", "${a}")`);
  }
  if (file === undefined) return usage("verify needs a bundle file");

  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    return usage(`cannot read bundle ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let decrypt: DecryptHook | undefined;
  if (keyFile !== undefined) {
    let key: string;
    try {
      key = fs.readFileSync(keyFile, "utf8").trim();
    } catch (e) {
      return usage(`cannot read key file ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key))
      return usage(`key file ${keyFile} does not hold a 32-byte hex private key`);
    // Loaded only here: opening disclosures needs the document store's code.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { disclosureDecrypter } = require("./disclosure") as typeof import("./disclosure");
    decrypt = disclosureDecrypter(key.startsWith("0x") ? key : `0x${key}`);
  }
  let report: VerifyReport;
  let bundle: EvidenceBundle | undefined;
  try {
    const value = readBundleText(text, file);
    if (checkBundleShape(value).length === 0) bundle = value as EvidenceBundle;
    report = await verifyBundle(value, { rpc, decrypt });
  } catch (e) {
    if (e instanceof BundleReadError || e instanceof RpcUnavailableError) return usage(e.message);
    throw e;
  }
  io.out(json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report, file, bundle));
  return report.ok ? EXIT.ok : EXIT.failed;
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

function verdictRows(rows: RecordVerdict[], label: (r: RecordVerdict) => string): string[] {
  const header = ["#", "kind", "block", "time (UTC)", "attestation", "signers", "doc", "verdict"];
  const cells = rows.map((r) => [
    label(r),
    r.kind,
    String(r.blockNumber),
    iso(r.timestamp),
    r.attestation.toLowerCase(),
    r.quorum === null ? "–" : `${r.signers ?? 0}/${r.quorum}`,
    DOC_MARK[r.document],
    r.ok ? (r.postFiling ? "ok (post-filing)" : "ok") : "FAILED",
  ]);
  const lines = table([header, ...cells], ["r", "l", "r", "l", "l", "r", "l", "l"]);
  const out = [`  ${lines[0]}`];
  rows.forEach((r, i) => {
    out.push(`  ${lines[i + 1]}`);
    for (const reason of r.reasons) out.push(`        ✗ ${reason}`);
  });
  return out;
}

/** The human-readable verdict: one table per chain, then the batch rows, then a final line. */
export function formatReport(report: VerifyReport, source: string, bundle?: EvidenceBundle): string {
  const lines: string[] = [`Evidence bundle ${source}`];
  if (report.chainId !== null) lines.push(`  chain ${report.chainId}, ledger ${report.ledger}`);
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
          ? `; ${added.map(([s, n]) => `${n} record(s) added to ${short(s)} since export`).join(", ")}`
          : "") +
        (report.rpc.membershipChangesSince > 0
          ? `; ${report.rpc.membershipChangesSince} membership change(s) since`
          : ""),
    );
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  if (other.length > 0) lines.push("", "problems:", ...other.map((e) => `  ✗ ${e}`));
  const count = report.records.length;
  if (report.ok) {
    const frozen = report.frozenHead
      ? `; the loan chain reaches the head frozen at filing${report.frozenHead.postFiling > 0 ? ` (${report.frozenHead.postFiling} record(s) after it)` : ""}`
      : "";
    lines.push(
      "",
      `VERIFIED: ${count} records, ${d.verified} documents${frozen}${report.rpc ? "; checked against the live chain" : ""}`,
    );
  } else {
    lines.push("", `FAILED: ${report.errors.length} problem(s) in a bundle of ${count} records`);
  }
  return lines.join("\n") + "\n";
}
