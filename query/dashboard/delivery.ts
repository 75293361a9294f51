/**
 * The delivery panel: the last hour as received / stored / dead-lettered / missing, from the gateway's `delivery`
 * field (Kafka offsets and one histogram per store, no event read), refreshed with the other panels. The table keeps
 * to the hour's totals and its last ten minutes so it fits a phone; which ids are missing is the audit's job, and the
 * panel names its command.
 */
import { problemWith, query } from './api.ts';
import { formatCount, renderTable, setNote, type Column } from './view.ts';

interface Stored { elasticsearch: number | null; postgres: number | null; redis: number | null }
interface Counts { received: number | null; stored: Stored; deadLettered: number | null; missing: number | null }
interface Row extends Counts { label: string }

// An hour of minutes × 8 fields is about 500 of the gateway's default cost limit (QUERY_MAX_COST 1000).
const DELIVERY = `query D($from: DateTime!, $to: DateTime!) { delivery(from: $from, to: $to) {
  minutes { minute received stored { elasticsearch postgres redis } deadLettered missing }
  totals { received stored { elasticsearch postgres redis } deadLettered missing } } }`;
const MINUTE_MS = 60_000;
const SHOWN = 10;
const REFRESH_MS = 5000;

const count = (n: number | null) => (n === null ? '—' : formatCount(n));
const COLUMNS: ReadonlyArray<Column<Row>> = [
  { label: 'Minute', cell: (r) => r.label },
  { label: 'Received', cell: (r) => count(r.received) },
  // Search node · Postgres · Redis: one cell, so the row stays five columns wide.
  { label: 'Stored (search · pg · redis)', cell: (r) => [r.stored.elasticsearch, r.stored.postgres, r.stored.redis].map(count).join(' · ') },
  { label: 'Dead-lettered', cell: (r) => count(r.deadLettered) },
  { label: 'Missing', cell: (r) => count(r.missing) },
];

const clock = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour12: false, hour: '2-digit', minute: '2-digit' });

let busy = false;
async function refresh(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    // Whole minutes, the current one included, so every viewer in the same minute asks the same cached range.
    const to = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const from = to - 60 * MINUTE_MS;
    const { data, errors } = await query<{ delivery: { minutes: Array<Counts & { minute: string }>; totals: Counts } | null }>(DELIVERY, {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    });
    const delivery = data?.delivery;
    if (!delivery) {
      renderTable('delivery', COLUMNS, []);
      return setNote('delivery-note', `Unavailable: ${problemWith('delivery', errors) ?? 'no answer'}`, 'error');
    }
    const recent = delivery.minutes.slice(-SHOWN).reverse().map((m) => ({ ...m, label: clock(m.minute) }));
    renderTable('delivery', COLUMNS, [{ ...delivery.totals, label: 'Last hour' }, ...recent]);
    const missing = delivery.totals.missing;
    setNote('delivery-note', missing === null ? 'A store or Kafka did not answer: its column shows —' : missing > 0 ? `${formatCount(missing)} received but not in every store` : '');
  } finally {
    busy = false;
  }
}

export function startDelivery(): void {
  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
}
