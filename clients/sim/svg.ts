/** One simulated month as the chart draws it. */
export interface ChartPoint {
  /** Label on the x axis, e.g. "M3". */
  label: string;
  /** Non-performing ratio in percent (0..100). */
  nplPercent: number;
  /** Repayments received that month, in CNY. */
  repaidCny: number;
  /** New loans disbursed that month, in CNY. */
  disbursedCny: number;
}

const W = 760;
const H = 420;
const PAD = { left: 70, right: 70, top: 48, bottom: 50 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function compact(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(v >= 1e10 ? 0 : 1)}B`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return v.toFixed(0);
}

/**
 * A hand-written SVG: bars for repayments and disbursements per month (left axis, CNY) and a
 * line for the NPL ratio (right axis, %). No dependencies; opens in any browser.
 */
export function nplChart(points: readonly ChartPoint[], title: string): string {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const n = Math.max(points.length, 1);
  const slot = plotW / n;
  const moneyMax = niceMax(Math.max(0, ...points.map((p) => Math.max(p.repaidCny, p.disbursedCny))));
  const nplMax = niceMax(Math.max(1, ...points.map((p) => p.nplPercent)));
  const y = (v: number, max: number): number => PAD.top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  );
  // Grid and axes.
  for (let i = 0; i <= 5; i++) {
    const gy = PAD.top + (plotH * i) / 5;
    parts.push(`<line x1="${PAD.left}" y1="${gy}" x2="${PAD.left + plotW}" y2="${gy}" stroke="#e5e5e5"/>`);
    const money = moneyMax * (1 - i / 5);
    const npl = nplMax * (1 - i / 5);
    parts.push(`<text x="${PAD.left - 6}" y="${gy + 4}" text-anchor="end" fill="#555">${compact(money)}</text>`);
    parts.push(
      `<text x="${PAD.left + plotW + 6}" y="${gy + 4}" fill="#b3261e">${npl.toFixed(nplMax < 5 ? 1 : 0)}%</text>`,
    );
  }
  parts.push(
    `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top + plotH}" stroke="#333"/>`,
    `<text x="16" y="${PAD.top + plotH / 2}" transform="rotate(-90 16 ${PAD.top + plotH / 2})" text-anchor="middle" fill="#555">CNY per month</text>`,
    `<text x="${W - 14}" y="${PAD.top + plotH / 2}" transform="rotate(90 ${W - 14} ${PAD.top + plotH / 2})" text-anchor="middle" fill="#b3261e">NPL ratio</text>`,
  );
  // Bars: disbursed (light) and repaid (dark), side by side.
  const barW = Math.max(2, slot * 0.35);
  points.forEach((p, i) => {
    const x0 = PAD.left + i * slot + slot * 0.15;
    const yd = y(p.disbursedCny, moneyMax);
    const yr = y(p.repaidCny, moneyMax);
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${yd.toFixed(1)}" width="${barW.toFixed(1)}" height="${(PAD.top + plotH - yd).toFixed(1)}" fill="#9ecae1"><title>${esc(p.label)} disbursed ${p.disbursedCny.toFixed(2)} CNY</title></rect>`,
      `<rect x="${(x0 + barW).toFixed(1)}" y="${yr.toFixed(1)}" width="${barW.toFixed(1)}" height="${(PAD.top + plotH - yr).toFixed(1)}" fill="#3182bd"><title>${esc(p.label)} repaid ${p.repaidCny.toFixed(2)} CNY</title></rect>`,
    );
    const every = Math.ceil(n / 24);
    if (i % every === 0) {
      parts.push(
        `<text x="${(PAD.left + i * slot + slot / 2).toFixed(1)}" y="${PAD.top + plotH + 16}" text-anchor="middle" fill="#555">${esc(p.label)}</text>`,
      );
    }
  });
  // NPL line.
  const pts = points.map(
    (p, i) => `${(PAD.left + i * slot + slot / 2).toFixed(1)},${y(p.nplPercent, nplMax).toFixed(1)}`,
  );
  if (pts.length > 0) {
    parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="#b3261e" stroke-width="2.5"/>`);
    points.forEach((p, i) => {
      const [cx, cy] = pts[i].split(",");
      parts.push(
        `<circle cx="${cx}" cy="${cy}" r="3" fill="#b3261e"><title>${esc(p.label)} NPL ${p.nplPercent.toFixed(2)}%</title></circle>`,
      );
    });
  }
  // Legend.
  const ly = H - 14;
  parts.push(
    `<rect x="${PAD.left}" y="${ly - 10}" width="12" height="10" fill="#9ecae1"/><text x="${PAD.left + 16}" y="${ly}">disbursed</text>`,
    `<rect x="${PAD.left + 100}" y="${ly - 10}" width="12" height="10" fill="#3182bd"/><text x="${PAD.left + 116}" y="${ly}">repaid</text>`,
    `<line x1="${PAD.left + 190}" y1="${ly - 5}" x2="${PAD.left + 210}" y2="${ly - 5}" stroke="#b3261e" stroke-width="2.5"/><text x="${PAD.left + 216}" y="${ly}">NPL ratio (right axis)</text>`,
    `</svg>`,
  );
  return parts.join("\n") + "\n";
}
