import type { StatusReport } from './status-report.ts';

/** Columns padded to their widest cell; the last column is not padded. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function formatUptime(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

const dash = (v: number | null) => (v === null ? '-' : String(v));
const yes = (b: boolean) => (b ? 'yes' : 'NO');

/** The human table of `npm run status`: processes, Kafka, stores, the stack's servers, then one verdict line. */
export function renderStatus(r: StatusReport): string {
  const out: string[] = [];
  out.push('PROCESSES');
  out.push(table([
    ['service', 'process', 'pid', 'uptime', 'restarts', 'state', 'health', 'ready'],
    ...r.processes.map((p) => [
      p.service, p.name, dash(p.pid), formatUptime(p.uptimeMs), dash(p.restarts), p.state,
      p.healthy ? 'ok' : 'down', p.ready ? 'ready' : p.healthy ? `not ready: ${p.reason ?? '?'}` : `- (${p.reason ?? '?'})`,
    ]),
  ]));
  const k = r.kafka;
  out.push('', `KAFKA  ${k.bootstrap} · topic ${k.topic} · group ${k.groupId}`);
  out.push(table([['broker', 'address', 'reachable'], ...k.brokers.map((b) => [dash(b.id), b.address, yes(b.reachable)])]));
  if (k.error) out.push(`cluster not answering: ${k.error}`);
  else if (!k.topicExists) out.push(`topic ${k.topic} does not exist yet (it is made with the first event)`);
  else {
    out.push(table([
      ['partition', 'leader', 'isr', 'high watermark', 'committed', 'lag'],
      ...k.partitions.map((p) => [String(p.partition), p.leader < 0 ? 'NONE' : String(p.leader), `${p.isr}/${p.replicas}`, dash(p.highWatermark), dash(p.committed), dash(p.lag)]),
    ]));
    out.push(`total lag ${k.partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0)}`);
  }
  out.push('', 'STORES');
  out.push(table([['store', 'up', 'detail'], ...Object.entries(r.stores).map(([name, s]) => [name, yes(s.up), s.detail])]));
  out.push('', 'SERVERS (npm run stack)');
  out.push(table([['server', 'state', 'pid', 'ports'], ...r.servers.map((s) => [s.name, s.state, dash(s.pid ?? null), s.ports.map((p) => `:${p}`).join(' ')])]));
  out.push('', r.healthy ? 'all healthy' : `not healthy: ${r.problems.join('; ')}`);
  return out.join('\n');
}
