import type { Answer } from './answer.ts';
import type { Watched } from './procs.ts';
import type { Settled } from './settle.ts';
import { STORES } from './check.ts';

/** Counts of answers by route, status and code, and the first few failures with the generator that made them. */
export interface Tally {
  readonly rows: Map<string, number>;
  readonly statuses: Map<string, number>;
  readonly failures: Array<{ index: number; kind: string; route: string; status: string; code: string }>;
  failureCount: number;
  sent: number;
  accepted: number;
}

const SEP = '\u0001';
const FAILURE_EXAMPLES = 20;

export function createTally(): Tally {
  return { rows: new Map(), statuses: new Map(), failures: [], failureCount: 0, sent: 0, accepted: 0 };
}

export function record(tally: Tally, index: number, kind: string, answer: Answer): void {
  const row = [answer.route, answer.status, answer.code].join(SEP);
  tally.rows.set(row, (tally.rows.get(row) ?? 0) + 1);
  tally.statuses.set(answer.status, (tally.statuses.get(answer.status) ?? 0) + 1);
  tally.sent++;
  tally.accepted += answer.acceptedIds.length;
  if (!answer.failure) return;
  tally.failureCount++;
  if (tally.failures.length < FAILURE_EXAMPLES) tally.failures.push({ index, kind, route: answer.route, status: answer.status, code: answer.code });
}

/** `202:120 400:33 413:2`, statuses in order, for progress lines. */
export function statusLine(tally: Tally): string {
  return [...tally.statuses].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}:${n}`).join(' ');
}

export interface Summary {
  readonly planned: number;
  readonly seconds: number;
  readonly seed: number;
  readonly tally: Tally;
  /** Distinct accepted ids (a client id sent twice is one event). */
  readonly distinctIds: number;
  readonly processes: readonly Watched[];
  /** Undefined when the store check was skipped. */
  readonly settled?: Settled;
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;

/** Every way the run failed, empty when it passed. */
export function problems({ tally, processes, settled }: Summary): string[] {
  const out: string[] = [];
  if (tally.failureCount > 0) out.push(`${tally.failureCount} failed requests (undocumented 5xx or refusal, no answer, or credentials answered against their case)`);
  const gone = processes.filter((p) => !p.alive);
  if (gone.length > 0) out.push(`crashed: ${gone.map((p) => `${p.name} pid ${p.pid}`).join(', ')}`);
  if (processes.length === 0) out.push('no platform process found listening on the edge, gateway or worker ports');
  if (settled) {
    for (const store of STORES) if (settled.missing[store].length > 0) out.push(`${settled.missing[store].length} accepted events missing from ${store}`);
    if (!settled.lag) out.push(`lag unknown: ${settled.lagError}`);
    else {
      const left = settled.lag.filter((p) => p.lag > 0n);
      if (left.length > 0) out.push(`lag left on partitions ${left.map((p) => `${p.partition} (${p.lag})`).join(', ')}`);
    }
  }
  return out;
}

/** The final table, as printed. */
export function formatReport(summary: Summary): string {
  const { tally, processes, settled } = summary;
  const rows = [...tally.rows].map(([k, n]) => [...k.split(SEP), String(n)] as [string, string, string, string]);
  rows.sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]) || Number(b[3]) - Number(a[3]));
  const widths = [5, 6, 4].map((w, i) => Math.max(w, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(8))).join('  ');
  const out = [`fuzz: ${tally.sent} of ${summary.planned} requests in ${summary.seconds.toFixed(1)}s, seed ${summary.seed}`, '', line(['route', 'status', 'code', 'requests']), ...rows.map(line), ''];
  out.push(`failed requests: ${tally.failureCount} (undocumented 5xx or refusal, no answer, hostile key let in or own key refused)`);
  for (const f of tally.failures) out.push(`  request ${f.index} (${f.kind}): ${f.route} -> ${f.status} ${f.code}`);
  out.push('', 'process                     pid      peak RSS  state');
  for (const p of processes) out.push(`${p.name.padEnd(26)}  ${String(p.pid).padEnd(7)}  ${mb(p.peakBytes).padStart(8)}  ${p.alive ? 'running' : 'GONE'}`);
  const gone = processes.filter((p) => !p.alive).length;
  out.push(`crashed processes: ${gone}`, '', `accepted events: ${tally.accepted} (${summary.distinctIds} distinct ids)`);
  if (settled) {
    for (const store of STORES) {
      const missing = settled.missing[store];
      out.push(`  in ${store.padEnd(13)} ${summary.distinctIds - missing.length}/${summary.distinctIds}, missing ${missing.length}${missing.length ? ` (e.g. ${missing.slice(0, 3).join(', ')})` : ''}`);
    }
    const lag = settled.lag;
    out.push(lag ? `lag left: ${lag.reduce((s, p) => s + p.lag, 0n)} (${lag.map((p) => `p${p.partition} ${p.lag}`).join(', ')})` : `lag left: unknown (${settled.lagError})`);
    out.push(`workers caught up in ${settled.seconds.toFixed(1)}s`);
  } else out.push('stores and lag: not checked (--no-check)');
  const failed = problems(summary);
  out.push('', failed.length === 0 ? 'result: PASS' : `result: FAIL\n  - ${failed.join('\n  - ')}`);
  return out.join('\n');
}
