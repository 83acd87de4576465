/** Gas figures of one kind of operation. */
export interface GasStats {
  count: number;
  total: bigint;
  min: bigint;
  max: bigint;
}

/** Running gas totals per operation: constant memory however many receipts pass through. */
export class GasMeter {
  private readonly stats = new Map<string, GasStats>();

  add(op: string, gasUsed: bigint): void {
    const s = this.stats.get(op);
    if (!s) {
      this.stats.set(op, { count: 1, total: gasUsed, min: gasUsed, max: gasUsed });
      return;
    }
    s.count++;
    s.total += gasUsed;
    if (gasUsed < s.min) s.min = gasUsed;
    if (gasUsed > s.max) s.max = gasUsed;
  }

  /** Every operation, sorted by name, with its average. */
  entries(): (GasStats & { op: string; average: bigint })[] {
    return [...this.stats.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, s]) => ({ op, ...s, average: s.total / BigInt(s.count) }));
  }
}
