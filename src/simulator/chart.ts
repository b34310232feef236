import type { CustomerRecord } from './report.js';

/*
 * The report's chart, as a self-contained SVG: left, the promised wait against the real one
 * (each dot a customer; the diagonal is a perfect promise, the band ±25 % / ±3 min); right,
 * the mean absolute error by hour of arrival, the app's estimator beside the seed's formula.
 */

const W = 1100;
const H = 480;
const PAD = 50;
const COLORS = { estimator: '#1f6feb', baseline: '#b0b0b0', band: '#e8f1ff', grid: '#ddd', text: '#333' } as const;

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;');

export function renderChart(records: readonly CustomerRecord[], title: string): string {
  const called = records.filter((r) => r.calledAt !== null).map((r) => ({ ...r, real: r.calledAt! - r.createdAt }));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" fill="${COLORS.text}">${esc(title)}</text>`,
  );

  // Left panel: promised vs real.
  const size = 380;
  const x0 = PAD;
  const y0 = PAD + size;
  const max = Math.max(10, ...called.map((c) => Math.max(c.real, Math.min(c.estimate, 3 * c.real + 30), Math.min(c.baseline, 3 * c.real + 30))));
  const sx = (v: number) => x0 + (Math.min(v, max) / max) * size;
  const sy = (v: number) => y0 - (Math.min(v, max) / max) * size;
  const band = [];
  for (let v = 0; v <= max; v += max / 40) band.push([v, v + Math.max(0.25 * v, 3)]);
  const lower = [];
  for (let v = max; v >= 0; v -= max / 40) lower.push([v, Math.max(0, v - Math.max(0.25 * v, 3))]);
  parts.push(
    `<polygon fill="${COLORS.band}" points="${[...band, ...lower].map(([r, e]) => `${sx(r!).toFixed(1)},${sy(e!).toFixed(1)}`).join(' ')}"/>`,
    `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(max)}" y2="${sy(max)}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<rect x="${x0}" y="${y0 - size}" width="${size}" height="${size}" fill="none" stroke="#999"/>`,
  );
  for (const c of called) {
    parts.push(`<circle cx="${sx(c.real).toFixed(1)}" cy="${sy(c.baseline).toFixed(1)}" r="2" fill="${COLORS.baseline}" fill-opacity="0.6"/>`);
  }
  for (const c of called) {
    parts.push(`<circle cx="${sx(c.real).toFixed(1)}" cy="${sy(c.estimate).toFixed(1)}" r="2" fill="${COLORS.estimator}" fill-opacity="0.6"/>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = Math.round((max * i) / 4);
    parts.push(
      `<text x="${sx(v)}" y="${y0 + 16}" text-anchor="middle" fill="${COLORS.text}">${v}</text>`,
      `<text x="${x0 - 6}" y="${sy(v) + 4}" text-anchor="end" fill="${COLORS.text}">${v}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + size / 2}" y="${y0 + 34}" text-anchor="middle" fill="${COLORS.text}">espera real (min)</text>`,
    `<text x="14" y="${y0 - size / 2}" text-anchor="middle" fill="${COLORS.text}" transform="rotate(-90 14 ${y0 - size / 2})">espera prometida (min)</text>`,
  );

  // Right panel: MAE by hour of arrival.
  const hours = [...new Set(called.map((c) => c.hour))].sort((a, b) => a - b);
  const byHour = hours.map((h) => {
    const group = called.filter((c) => c.hour === h);
    const mae = (k: 'estimate' | 'baseline') => group.reduce((s, c) => s + Math.abs(c[k] - c.real), 0) / group.length;
    return { h, est: mae('estimate'), base: mae('baseline') };
  });
  const px0 = 560;
  const pw = 480;
  const maxErr = Math.max(5, ...byHour.flatMap((b) => [b.est, b.base]));
  const barW = byHour.length ? pw / byHour.length : pw;
  const py = (v: number) => y0 - (v / maxErr) * size;
  parts.push(`<rect x="${px0}" y="${y0 - size}" width="${pw}" height="${size}" fill="none" stroke="#999"/>`);
  byHour.forEach((b, i) => {
    const x = px0 + i * barW;
    parts.push(
      `<rect x="${(x + barW * 0.1).toFixed(1)}" y="${py(b.base).toFixed(1)}" width="${(barW * 0.38).toFixed(1)}" height="${(y0 - py(b.base)).toFixed(1)}" fill="${COLORS.baseline}"/>`,
      `<rect x="${(x + barW * 0.5).toFixed(1)}" y="${py(b.est).toFixed(1)}" width="${(barW * 0.38).toFixed(1)}" height="${(y0 - py(b.est)).toFixed(1)}" fill="${COLORS.estimator}"/>`,
      `<text x="${(x + barW / 2).toFixed(1)}" y="${y0 + 16}" text-anchor="middle" fill="${COLORS.text}">${b.h}h</text>`,
    );
  });
  for (let i = 0; i <= 4; i++) {
    const v = Math.round((maxErr * i) / 4);
    parts.push(`<text x="${px0 - 6}" y="${py(v) + 4}" text-anchor="end" fill="${COLORS.text}">${v}</text>`);
  }
  parts.push(
    `<text x="${px0 + pw / 2}" y="${y0 + 34}" text-anchor="middle" fill="${COLORS.text}">error absoluto medio por hora de llegada (min)</text>`,
    `<rect x="${px0}" y="28" width="12" height="12" fill="${COLORS.estimator}"/><text x="${px0 + 18}" y="38" fill="${COLORS.text}">estimador de la app</text>`,
    `<rect x="${px0 + 170}" y="28" width="12" height="12" fill="${COLORS.baseline}"/><text x="${px0 + 188}" y="38" fill="${COLORS.text}">fórmula original (posición × promedio ÷ asesores)</text>`,
    `</svg>`,
  );
  return parts.join('\n');
}
