/** A column of a printed table. Numbers and money are right-aligned. */
export interface Column {
  header: string;
  align?: "left" | "right";
}

/** Formats rows as an aligned plain-text table with a header rule. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)));
  const cell = (text: string, i: number): string =>
    columns[i].align === "right" ? text.padStart(widths[i]) : text.padEnd(widths[i]);
  const lines = [
    columns.map((c, i) => cell(c.header, i)).join("  "),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map((r) => columns.map((_, i) => cell(r[i] ?? "", i)).join("  ")),
  ];
  return lines.map((l) => "  " + l.trimEnd()).join("\n");
}

/** Groups digits of a non-negative integer string in threes: 1234567 → 1,234,567. */
export function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** An integer count with digit grouping. */
export function formatInt(n: number | bigint): string {
  const s = n.toString();
  return s.startsWith("-") ? "-" + groupDigits(s.slice(1)) : groupDigits(s);
}

/**
 * An amount of settlement-token units as CNY with two decimals, exact (no float):
 * `formatMoney(123456n, 2)` → "1,234.56".
 */
export function formatMoney(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const scale = 10n ** BigInt(decimals);
  const whole = groupDigits((abs / scale).toString());
  // Round the fraction to 2 places for display (half up), carrying into the whole part.
  let fracText = "";
  if (decimals > 0) {
    const cents =
      decimals >= 2 ? (abs % scale) / 10n ** BigInt(decimals - 2) : (abs % scale) * 10n ** BigInt(2 - decimals);
    fracText = "." + cents.toString().padStart(2, "0");
  }
  return `${negative ? "-" : ""}${whole}${fracText}`;
}

/** A ratio as a percentage with `digits` decimals. */
export function formatPercent(numerator: bigint, denominator: bigint, digits = 2): string {
  if (denominator === 0n) return "0." + "0".repeat(digits) + "%";
  const scale = 10n ** BigInt(digits + 2);
  const v = (numerator * scale * 10n) / denominator;
  const rounded = (v + 5n) / 10n;
  const s = rounded.toString().padStart(digits + 1, "0");
  return `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}%`;
}
