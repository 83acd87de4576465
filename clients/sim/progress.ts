import type { WriteStream } from "node:tty";

/**
 * A progress bar for long runs. On a terminal it redraws one line in place; elsewhere (CI logs,
 * pipes) it prints a plain line every `intervalMs` and at the end, never flooding the log.
 */
export class ProgressBar {
  private done = 0;
  private lastPrint = 0;
  private readonly started = Date.now();
  private readonly tty: boolean;
  private finished = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WritableStream = process.stderr,
    private readonly intervalMs = 5_000,
    enabled = true,
  ) {
    this.tty = enabled && Boolean((stream as WriteStream).isTTY);
    this.enabled = enabled;
  }

  private readonly enabled: boolean;

  /** Advances by `n` steps; `note` is shown after the bar (e.g. the current month). */
  tick(n = 1, note = ""): void {
    this.done = Math.min(this.total, this.done + n);
    if (!this.enabled) return;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastPrint < 100 && this.done < this.total) return;
      this.lastPrint = now;
      this.stream.write(`\r${this.line(note)}\x1b[K`);
    } else if (now - this.lastPrint >= this.intervalMs) {
      this.lastPrint = now;
      this.stream.write(`${this.line(note)}\n`);
    }
  }

  /** Ends the bar with a final line. */
  finish(note = ""): void {
    if (this.finished || !this.enabled) return;
    this.finished = true;
    this.done = this.total;
    this.stream.write(this.tty ? `\r${this.line(note)}\x1b[K\n` : `${this.line(note)}\n`);
  }

  private line(note: string): string {
    const width = 28;
    const ratio = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(ratio * width);
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = ratio > 0 && ratio < 1 ? ` eta ${formatSeconds((elapsed / ratio) * (1 - ratio))}` : "";
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const pct = (ratio * 100).toFixed(0).padStart(3);
    return `${this.label} [${bar}] ${pct}% ${this.done}/${this.total} ${formatSeconds(elapsed)}${eta}${note ? "  " + note : ""}`;
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
}
