import type { Figure } from './ratios.ts';
import { figureValue, formatTarget } from './report.ts';

/**
 * A hand-written SVG bar chart: one bar per judged figure that has a target (supporting rows are left out, as in the
 * summary), its length the figure as a fraction of the target (oriented so ≥ 1 means met, whichever way the target
 * points), with the target line at 1.
 */
export function renderChart(figures: readonly Figure[], title = 'Event Lens benchmarks: figure / target'): string {
  const rows = figures.filter((f) => f.target && f.status !== 'info' && !f.supporting);
  const labelW = 330;
  const barW = 360;
  const valueW = 210;
  const rowH = 26;
  const top = 48;
  const width = labelW + barW + valueW + 20;
  const height = top + rows.length * rowH + 36;
  const finiteScores = rows.map((f) => f.score).filter((s): s is number => s !== undefined && Number.isFinite(s));
  const max = Math.min(8, Math.max(2, Math.ceil(Math.max(0, ...finiteScores) * 2) / 2));
  const x = (s: number) => labelW + (Math.min(s, max) / max) * barW;
  const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="600">${esc(title)}</text>`,
    `<text x="10" y="38" fill="#555">bar: figure as a fraction of its target (≥ 1 = met; ≤-targets inverted), capped at ${max}</text>`,
  ];
  for (let t = 0; t <= max; t += max > 4 ? 1 : 0.5) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${top + rows.length * rowH}" stroke="#eee"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${top + rows.length * rowH + 14}" text-anchor="middle" fill="#777">${t}</text>`);
  }
  rows.forEach((f, i) => {
    const y = top + i * rowH;
    const s = f.score;
    const colour = f.status === 'met' ? '#2e7d32' : f.status === 'missed' ? '#c62828' : '#9e9e9e';
    out.push(`<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${esc(f.label)}</text>`);
    if (s !== undefined) out.push(`<rect x="${labelW}" y="${y + 4}" width="${Math.max(1, x(s) - labelW).toFixed(1)}" height="${rowH - 10}" fill="${colour}"/>`);
    const text = `${figureValue(f)} (target ${formatTarget(f.target, f.unit)})${f.status === 'n/a' ? ' not measured' : ''}`;
    out.push(`<text x="${labelW + barW + 8}" y="${y + 16}" fill="${colour}">${esc(text)}</text>`);
  });
  out.push(`<line x1="${x(1).toFixed(1)}" y1="${top - 6}" x2="${x(1).toFixed(1)}" y2="${top + rows.length * rowH + 2}" stroke="#000" stroke-width="1.5" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${x(1).toFixed(1)}" y="${height - 6}" text-anchor="middle" font-weight="600">target</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
