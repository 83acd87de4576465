import { niceMax } from "../sim/svg";

/** One point in time of the bank's book. */
export interface BookPoint {
  /** Unix seconds. */
  time: number;
  /** NPL ratio in percent, null when nothing is outstanding. */
  npl: number | null;
  /** Provision coverage in percent, null when nothing is non-performing. */
  coverage: number | null;
}

const W = 720;
const H = 260;
const PAD = { left: 56, right: 64, top: 30, bottom: 40 };

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A server-rendered SVG line chart: the NPL ratio on the left axis, the provision coverage on the
 * right one, time along the bottom. Points with no value break the line.
 */
export function lineChart(points: readonly BookPoint[], title: string): string {
  const t0 = points.length > 0 ? points[0].time : 0;
  const t1 = points.length > 0 ? points[points.length - 1].time : 1;
  const span = Math.max(1, t1 - t0);
  const nplMax = niceMax(Math.max(1, ...points.map((p) => p.npl ?? 0)));
  const covMax = niceMax(Math.max(100, ...points.map((p) => p.coverage ?? 0)));
  const x = (t: number): number => PAD.left + ((t - t0) / span) * (W - PAD.left - PAD.right);
  const yOf = (v: number, max: number): number => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const path = (key: "npl" | "coverage", max: number): string => {
    let d = "";
    let pen = false;
    for (const p of points) {
      const v = p[key];
      if (v === null) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${x(p.time).toFixed(1)},${yOf(v, max).toFixed(1)} `;
      pen = true;
    }
    return d.trim();
  };
  const dots = (key: "npl" | "coverage", max: number, cls: string): string =>
    points
      .filter((p) => p[key] !== null)
      .map(
        (p) =>
          `<circle class="${cls}" cx="${x(p.time).toFixed(1)}" cy="${yOf(p[key]!, max).toFixed(1)}" r="3"><title>${new Date(p.time * 1000).toISOString().slice(0, 10)}: ${p[key]!.toFixed(2)}%</title></circle>`,
      )
      .join("");
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const grid = ticks
    .map((f) => {
      const y = yOf(f, 1).toFixed(1);
      return (
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}"/>` +
        `<text class="axis" x="${PAD.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${(nplMax * f).toFixed(nplMax < 4 ? 1 : 0)}%</text>` +
        `<text class="axis" x="${W - PAD.right + 6}" y="${y}" dominant-baseline="middle">${(covMax * f).toFixed(0)}%</text>`
      );
    })
    .join("");
  const dates = points.length > 0 ? [points[0], points[points.length - 1]] : [];
  const labels = dates
    .map(
      (p, i) =>
        `<text class="axis" x="${x(p.time).toFixed(1)}" y="${H - PAD.bottom + 18}" text-anchor="${i === 0 ? "start" : "end"}">${new Date(p.time * 1000).toISOString().slice(0, 10)}</text>`,
    )
    .join("");
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="chart-title">${esc(title)}</title>` +
    grid +
    labels +
    `<path class="line npl" d="${path("npl", nplMax)}"/>` +
    `<path class="line coverage" d="${path("coverage", covMax)}"/>` +
    dots("npl", nplMax, "npl") +
    dots("coverage", covMax, "coverage") +
    `<text class="legend npl" x="${PAD.left}" y="18">● NPL ratio (left)</text>` +
    `<text class="legend coverage" x="${W - PAD.right}" y="18" text-anchor="end">● provision coverage (right)</text>` +
    `</svg>`
  );
}
