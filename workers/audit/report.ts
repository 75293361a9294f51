import type { AuditResult } from './audit.ts';
import { STORES } from './tally.ts';

const cell = (n: number | null): string => (n === null ? '-' : String(n));

/** The human table: one line per (minute, source), a total line and the one-line verdict. */
export function formatTable(result: AuditResult, { ids = false }: { ids?: boolean } = {}): string {
  const head = ['minute', 'source', 'in Kafka', 'in ES', 'in PG', 'in Redis', 'dead-lettered', 'missing', 'duplicated'];
  const line = (minute: string, source: string, r: AuditResult['totals']) =>
    [minute, source, cell(r.kafka), ...STORES.map((s) => cell(r.stored[s])), cell(r.deadLettered), cell(r.missing), cell(r.duplicated)];
  const body = [head, ...result.rows.map((r) => line(r.minute, r.source, r)), line('total', '', result.totals)];
  const widths = head.map((_, i) => Math.max(...body.map((row) => row[i]!.length)));
  const out = body.map((row) => row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd());
  if (ids && result.findings.length > 0) {
    out.push('', 'store          kind        id');
    for (const f of result.findings) out.push(`${f.store.padEnd(14)} ${f.kind.padEnd(11)} ${f.id}`);
    if (result.findingsTotal > result.findings.length) out.push(`(first ${result.findings.length} of ${result.findingsTotal})`);
  }
  out.push('', verdict(result));
  return out.join('\n');
}

export function verdict(r: AuditResult): string {
  const { kafka, missing, duplicated, deadLettered } = r.totals;
  const range = `${r.from} .. ${r.to}`;
  if (r.ok) return `OK: ${kafka} events received ${range}, every one stored or dead-lettered (${deadLettered} dead-lettered), none duplicated`;
  return `FAILED: ${kafka} events received ${range}: ${missing} missing and ${duplicated} duplicated store copies beyond what the dead-letter topic explains`;
}

/** The progress bar (stderr): done/total, rate. */
export function progressBar(done: number, total: number, startedMs: number): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const seconds = (performance.now() - startedMs) / 1000;
  const rate = seconds > 0 ? Math.round(done / seconds) : 0;
  return `\r[${'#'.repeat(Math.round(ratio * 30)).padEnd(30, '.')}] ${done}/${total} ${rate}/s`;
}
