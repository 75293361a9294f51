/**
 * The health strip: one line over the data with the workers' lag (total and the partition furthest behind), the
 * supervised processes (up, restarts) and the stores, from the gateway's `health` field, refreshed with the panels.
 * Details (why a store is down, per partition lag) go in the items' tooltips so the line stays short on a phone.
 */
import { problemWith, query } from './api.ts';
import { byId, formatCount } from './view.ts';

interface Health {
  lag: { up: boolean; error: string | null; total: number | null; worst: { partition: number; lag: number } | null; partitions: Array<{ partition: number; lag: number | null }> };
  stores: Array<{ name: string; up: boolean; detail: string | null }>;
  processes: Array<{ name: string; state: string; restarts: number }>;
}

const HEALTH = '{ health { lag { up error total worst { partition lag } partitions { partition lag } } stores { name up detail } processes { name state restarts } } }';
const REFRESH_MS = 5000;
const SHORT: Record<string, string> = { elasticsearch: 'search', postgres: 'pg', redis: 'redis' };

function show(id: string, text: string, tone: 'ok' | 'bad' | 'muted', title = ''): void {
  const item = byId(id);
  item.textContent = text;
  item.className = `strip-item ${tone}${id === 'health-stores' ? '' : ' dot'}`;
  item.title = title;
}

function render({ lag, stores, processes }: Health): void {
  if (!lag.up) show('health-lag', 'kafka down', 'bad', lag.error ?? '');
  else {
    const worst = lag.worst && lag.worst.lag > 0 ? ` · worst p${lag.worst.partition} ${formatCount(lag.worst.lag)}` : '';
    const perPartition = lag.partitions.map((p) => `p${p.partition}: ${p.lag === null ? '?' : formatCount(p.lag)}`).join(', ');
    show('health-lag', `lag ${formatCount(lag.total ?? 0)}${worst}`, 'ok', perPartition);
  }
  if (processes.length === 0) show('health-processes', 'no process status', 'muted', 'The gateway reads no supervisor status files here');
  else {
    const up = processes.filter((p) => p.state === 'running').length;
    const restarts = processes.reduce((n, p) => n + p.restarts, 0);
    const detail = processes.map((p) => `${p.name}: ${p.state}, ${p.restarts} restarts`).join('\n');
    show('health-processes', `${up}/${processes.length} up · ${formatCount(restarts)} restart${restarts === 1 ? '' : 's'}`, up === processes.length ? 'ok' : 'bad', detail);
  }
  const down = stores.filter((s) => !s.up);
  const detail = stores.map((s) => `${s.name}: ${s.up ? 'up' : `down (${s.detail ?? '?'})`}`).join('\n');
  show('health-stores', stores.map((s) => `${SHORT[s.name] ?? s.name} ${s.up ? '✓' : '✗'}`).join(' '), down.length === 0 ? 'ok' : 'bad', detail);
}

let busy = false;
async function refresh(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const { data, errors } = await query<{ health: Health | null }>(HEALTH);
    if (data?.health) return render(data.health);
    const why = problemWith('health', errors) ?? 'no answer';
    show('health-lag', 'health unavailable', 'bad', why);
    show('health-processes', '', 'muted');
    show('health-stores', '', 'muted');
  } finally {
    busy = false;
  }
}

export function startHealth(): void {
  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
}
