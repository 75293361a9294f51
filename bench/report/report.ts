import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CountCheck } from './counts.ts';
import { summary, type Figure, type Quantity, type Target } from './ratios.ts';

/** Where and on what a report was measured. */
export interface Machine {
  cores: number;
  memoryGb: number;
  cpuModel: string;
  os: string;
  bun: string;
  node?: string;
}

export interface Report {
  title: string;
  /** ISO timestamp of the start of the run. */
  date: string;
  machine: Machine;
  commit: { sha: string; short: string; dirty: boolean };
  command: string;
  quick: boolean;
  /** The parts asked for with `--only`; absent when every part ran. */
  only?: readonly string[];
  seconds: number;
  figures: Figure[];
  counts: CountCheck[];
  /** Per part: whether it ran, how long it took, and its own --json output (small). */
  parts: Record<string, { ok: boolean; seconds: number; error?: string; data?: unknown }>;
  /** Free-form lines: what limits a missed target, what was skipped. */
  notes: string[];
}

const num = (v: number, digits = 0) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case '×':
      return `${value >= 10 ? num(value, 1) : num(value, 2)}×`;
    case 'ms':
      return `${value >= 100 ? num(value) : num(value, 1)} ms`;
    case 'MB':
      return `${num(value)} MB`;
    case 'µs CPU/request':
    case 'µs CPU/event':
      return `${num(value, 1)} ${unit}`;
    default:
      return `${num(value)} ${unit}`;
  }
}

export const formatQuantity = (q: Quantity) => (q.name === '—' ? '—' : `${q.name} ${formatValue(q.value, q.unit)}`);

export function formatTarget(t: Target | undefined, unit: string): string {
  if (!t) return '—';
  return `${t.op === '>=' ? '≥' : '≤'} ${formatValue(t.value, unit)}`;
}

/** A figure's value as printed; a miss that two decimals would round onto its target (0.7992× → "0.80×") gets a third. */
export function figureValue(f: Pick<Figure, 'value' | 'unit' | 'status' | 'target'>): string {
  const shown = formatValue(f.value, f.unit);
  if (f.status !== 'missed' || f.unit !== '×' || f.value === undefined || shown !== formatValue(f.target?.value, f.unit)) return shown;
  return `${num(f.value, 3)}×`;
}

const STATUS = { met: 'met', missed: 'MISSED', 'n/a': 'n/a', info: '—' } as const;
/** A supporting row's verdict is shown in lower case and named so, as it is not counted among the targets. */
const SUPPORTING = { met: 'met (supporting)', missed: 'missed (supporting)', 'n/a': 'n/a', info: '—' } as const;

/** The rows of the figures table, shared by the terminal and the markdown. */
export function figureRows(figures: readonly Figure[]): string[][] {
  return figures.map((f) => [f.label, formatQuantity(f.subject), formatQuantity(f.reference), figureValue(f), formatTarget(f.target, f.unit), (f.supporting ? SUPPORTING : STATUS)[f.status]]);
}
export const FIGURE_HEADER = ['figure', 'measured', 'against', 'value', 'target', 'status'];

const escape = (s: string) => s.replaceAll('|', '\\|');
function mdTable(header: string[], rows: string[][]): string {
  return [`| ${header.map(escape).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`)].join('\n');
}

export function machineLine(m: Machine): string {
  return `${m.cores} cores, ${num(m.memoryGb, 1)} GB, ${m.cpuModel}; ${m.os}; Bun ${m.bun}${m.node ? `, Node ${m.node}` : ''}`;
}

export function renderMarkdown(r: Report, chartFile?: string): string {
  const s = summary(r.figures);
  const lines = [
    `# ${r.title}`,
    '',
    `- date: ${r.date}`,
    `- machine: ${machineLine(r.machine)}`,
    `- commit: ${r.commit.short}${r.commit.dirty ? ' (with uncommitted changes)' : ''}`,
    `- command: \`${r.command}\`${r.quick ? ' (quick: short sanity run)' : ''}, ${num(r.seconds)} s`,
    `- targets: ${s.met} met, ${s.missed} missed${s.na ? `, ${s.na} not measured` : ''}`,
    '',
    mdTable(FIGURE_HEADER, figureRows(r.figures)),
  ];
  const notes = r.figures.filter((f) => f.note).map((f) => `- ${f.label}: ${f.note}`);
  if (notes.length) lines.push('', ...notes);
  if (r.counts.length) {
    lines.push('', '## Every acknowledged event is in Kafka', '', mdTable(['system, run', 'acknowledged', 'in topic', 'missing', 'check'], r.counts.map((c) => [c.name, num(c.acked), num(c.inTopic), Number.isNaN(c.missing) ? 'n/a' : num(c.missing), c.ok ? 'ok' : 'LOSS'])));
  }
  const failed = Object.entries(r.parts).filter(([, p]) => !p.ok);
  if (failed.length || r.notes.length) {
    lines.push('', '## Notes', '');
    for (const [name, p] of failed) lines.push(`- ${name} did not complete: ${p.error ?? 'failed'}`);
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  if (chartFile) lines.push('', `![ratio against target](${chartFile})`);
  return `${lines.join('\n')}\n`;
}

/** A full run is the report the README quotes; a quick or `--only` run says so in its name. */
export const isFullRun = (r: Pick<Report, 'quick' | 'only'>): boolean => !r.quick && r.only === undefined;

/** The file stem of a report: <YYYY-MM-DD>-<short sha>, then -quick and/or -only-<parts> for a partial run. */
export function reportStem(r: Pick<Report, 'date' | 'commit' | 'quick' | 'only'>): string {
  return `${r.date.slice(0, 10)}-${r.commit.short}${r.quick ? '-quick' : ''}${r.only ? `-only-${r.only.join('+')}` : ''}`;
}

/**
 * Writes <stem>.{md,json,svg}, and latest.{md,json,svg} for a full run only, into dir; returns the paths written. A
 * partial run once overwrote the day's full report of the same commit and latest.* with three of its twelve figures.
 */
export function writeReport(dir: string, r: Report, svg: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const stem of isFullRun(r) ? [reportStem(r), 'latest'] : [reportStem(r)]) {
    const files: Array<[string, string]> = [
      [`${stem}.md`, renderMarkdown(r, `${stem}.svg`)],
      [`${stem}.json`, `${JSON.stringify(r, jsonSafe, 2)}\n`],
      [`${stem}.svg`, svg],
    ];
    for (const [name, text] of files) {
      writeFileSync(join(dir, name), text);
      written.push(join(dir, name));
    }
  }
  return written;
}

/** JSON has no Infinity/NaN or bigint: write null / strings instead of failing or silently losing them. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'bigint') return value.toString();
  return value;
}
