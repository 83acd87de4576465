import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

/** The fields every row of `bench/results/latest.json` has. */
export interface CaseFields {
  name: string;
  /** Voting members (banks) of the consortium the case ran on; 0 where none. */
  members: number;
  /** Records (or transfers, or bundle records) the timed part handled. */
  records: number;
  /** Gas per record: total gas of the timed transactions over `records` (0 off chain). */
  gasPerRecord: number;
  recordsPerSecond: number;
  /** The floor's rate: `transfer.plain` on chain; bare signature recoveries for `verify.*`. */
  baselineRecordsPerSecond: number;
  /** recordsPerSecond / baselineRecordsPerSecond. */
  ratio: number;
}

/** One row of `bench/results/latest.json`: the common fields plus case-specific extras. */
export type CaseResult = CaseFields & { [extra: string]: unknown };

/** What a case measures before the runner adds the baseline and the ratio. */
export type Measured = Omit<CaseFields, "baselineRecordsPerSecond" | "ratio"> & {
  /** Set by cases that carry their own baseline (offline verification). */
  baselineRecordsPerSecond?: number;
  [extra: string]: unknown;
};

export interface BenchContext {
  quick: boolean;
  log(line: string): void;
}

/** Periodic progress lines for long phases: at most one every `everyMs`, plus the last. */
export class Progress {
  private done = 0;
  private last = performance.now();
  private readonly start = performance.now();

  constructor(
    private readonly ctx: BenchContext,
    private readonly label: string,
    private readonly total: number,
    private readonly unit = "records",
    private readonly everyMs = 5_000,
  ) {}

  tick(n = 1): void {
    this.done += n;
    const now = performance.now();
    if (this.done >= this.total || now - this.last >= this.everyMs) {
      this.last = now;
      const s = ((now - this.start) / 1000).toFixed(1);
      this.ctx.log(`  ${this.label}: ${fmtInt(this.done)}/${fmtInt(this.total)} ${this.unit} (${s} s)`);
    }
  }
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function fmtRate(n: number): string {
  return n >= 100 ? fmtInt(n) : n.toFixed(1);
}

/** The aligned table the run prints (and docs/BENCHMARKS.md quotes). */
export function table(results: CaseResult[]): string {
  const head = ["name", "members", "records", "gas/record", "records/s", "baseline rec/s", "ratio"];
  const rows = results.map((r) => [
    r.name,
    String(r.members),
    fmtInt(r.records),
    r.gasPerRecord === 0 ? "-" : fmtInt(r.gasPerRecord),
    fmtRate(r.recordsPerSecond),
    fmtRate(r.baselineRecordsPerSecond),
    r.ratio.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function writeResults(file: string, results: CaseResult[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
}
