/**
 * The dashboard page. Live numbers come from `subscription { liveStats }` (Redis, once a second over SSE); the
 * tables are queries, refreshed when the total moves and every few seconds anyway (dead letters do not move it).
 * Each panel reads only its own field's errors, so one store being down blanks only the panels it feeds.
 */
import type UPlot from 'uplot';
import { problemWith, query, storesDown, subscribe, type Answer, type GraphQLError, type LinkState } from './api.ts';
import { startDelivery } from './delivery.ts';
import { startHealth } from './health.ts';
import { forgetKey, saveKey, takeKeyFromAddress } from './key.ts';
import { startPipelines } from './pipelines.ts';
import { byId, formatCount, formatMs, formatRate, formatTime, renderBars, renderTable, setNote, setText, type Column } from './view.ts';

// uPlot is loaded as a classic script (/dashboard/uplot.js) and is a global; only its types are imported.
declare const uPlot: typeof UPlot;

interface Live {
  total: number;
  eventsPerSecond: number;
  perSecond: Array<{ at: number | string; count: number }>;
  latency: { count: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };
  byType: Array<{ value: string; count: number }>;
}
interface EventRow { id: string; type: string; key: string; timestamp: string }
interface DeadLetterRow { id: string; stage: string; reason: string; message: string | null; eventType: string | null; eventId: string | null; deadLetteredAt: string | null }

const LIVE = 'total eventsPerSecond perSecond { at count } latency { count p50Ms p95Ms p99Ms } byType { value count }';
const PANELS = `{ recentEvents(limit: 10) { id type key timestamp }
  deadLetters(first: 10) { totalCount nodes { id stage reason message eventType eventId deadLetteredAt } } }`;
const SEARCH = 'query Search($q: String) { events(query: $q, first: 20) { totalCount nodes { id type key timestamp } } }';
const PANEL_REFRESH_MS = 5000;
const MAX_TYPES = 12;

const EVENT_COLUMNS: ReadonlyArray<Column<EventRow>> = [
  { label: 'Type', cell: (e) => e.type },
  { label: 'ID', cell: (e) => e.id, code: true },
  { label: 'Timestamp', cell: (e) => formatTime(e.timestamp) },
  { label: 'Key', cell: (e) => e.key, code: true },
];
const DEAD_COLUMNS: ReadonlyArray<Column<DeadLetterRow>> = [
  { label: 'When', cell: (d) => formatTime(d.deadLetteredAt) },
  { label: 'Stage', cell: (d) => d.stage },
  { label: 'Reason', cell: (d) => d.reason },
  { label: 'Event', cell: (d) => [d.eventType, d.eventId].filter(Boolean).join(' · ') || '—', code: true },
  { label: 'Message', cell: (d) => d.message ?? '', detail: true },
];

// Which stores each kind of answer last said were down; the banner shows their union until they recover.
const down = new Map<string, string[]>();
function report(from: string, errors: readonly GraphQLError[]): void {
  down.set(from, storesDown(errors));
  const stores = [...new Set([...down.values()].flat())].sort();
  const banner = byId('banner');
  banner.hidden = stores.length === 0;
  banner.textContent = `Unavailable: ${stores.join(', ')} — the panels that read ${stores.length > 1 ? 'them' : 'it'} are paused; the rest still update.`;
}

let chart: UPlot | undefined;
function drawRate(points: Live['perSecond']): void {
  const data: UPlot.AlignedData = [points.map((p) => new Date(p.at).getTime() / 1000), points.map((p) => p.count)];
  if (chart) return chart.setData(data);
  const box = byId('chart');
  const css = getComputedStyle(document.documentElement);
  const color = (name: string) => css.getPropertyValue(name).trim();
  const axis = { stroke: color('--muted'), grid: { stroke: color('--line'), width: 1 }, ticks: { stroke: color('--line'), width: 1 } };
  chart = new uPlot(
    {
      width: box.clientWidth,
      height: 220,
      legend: { show: false },
      // Room on the right for the newest time label, which sits on the chart's edge.
      padding: [8, 28, 0, 0],
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.15))] } },
      // 24-hour clock times like the tables, spaced so they never crowd.
      axes: [{ ...axis, space: 90, values: (_u, ticks) => ticks.map((t) => clock(t * 1000)) }, { ...axis, size: 44 }],
      series: [{}, { label: 'events/s', stroke: color('--accent'), width: 2, fill: `${color('--accent')}22`, points: { show: false } }],
    },
    data,
    box,
  );
  new ResizeObserver(() => chart?.setSize({ width: box.clientWidth, height: 220 })).observe(box);
}

const clock = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour12: false });

let lastTotal: number | undefined;
function showLive({ data, errors }: Answer<{ liveStats: Live | null }>): void {
  report('live', errors);
  setText('updated', `updated ${clock(Date.now())}`);
  const live = data?.liveStats;
  if (!live) {
    const why = `Live counters unavailable: ${problemWith('liveStats', errors) ?? 'no answer'}`;
    for (const id of ['total', 'rate', 'p50', 'p95', 'p99']) setText(id, '—');
    for (const id of ['total-note', 'chart-note', 'by-type-note', 'latency-note']) setNote(id, why, 'error');
    return;
  }
  setText('total', formatCount(live.total));
  setText('rate', formatRate(live.eventsPerSecond));
  setNote('total-note', live.total === 0 ? 'No events yet — send some to the edge: POST /v1/events' : '');
  setText('p50', formatMs(live.latency.p50Ms));
  setText('p95', formatMs(live.latency.p95Ms));
  setText('p99', formatMs(live.latency.p99Ms));
  setNote('latency-note', live.latency.count === 0 ? 'No events processed recently' : `received → stored, ${formatCount(live.latency.count)} events`);
  // The longest bars only: a producer inventing types must not push the rest of the page away.
  renderBars('by-type', live.byType.slice(0, MAX_TYPES));
  const more = live.byType.length - MAX_TYPES;
  setNote('by-type-note', live.byType.length === 0 ? 'No events yet' : more > 0 ? `and ${formatCount(more)} more types` : '');
  setNote('chart-note', '');
  drawRate(live.perSecond);
  if (live.total !== lastTotal) void refreshPanels();
  lastTotal = live.total;
}

let panelsBusy = false;
async function refreshPanels(): Promise<void> {
  if (panelsBusy) return;
  panelsBusy = true;
  try {
    const { data, errors } = await query<{ recentEvents: EventRow[] | null; deadLetters: { totalCount: number; nodes: DeadLetterRow[] } | null }>(PANELS);
    report('panels', errors);
    const recent = data?.recentEvents;
    renderTable('recent', EVENT_COLUMNS, recent ?? []);
    if (!recent) setNote('recent-note', `Unavailable: ${problemWith('recentEvents', errors) ?? 'no answer'}`, 'error');
    else setNote('recent-note', recent.length === 0 ? 'No events yet' : '');
    const dead = data?.deadLetters;
    renderTable('dead', DEAD_COLUMNS, dead?.nodes ?? []);
    setText('dead-count', dead ? `· ${formatCount(dead.totalCount)}` : '');
    if (!dead) setNote('dead-note', `Unavailable: ${problemWith('deadLetters', errors) ?? 'no answer'}`, 'error');
    else setNote('dead-note', dead.nodes.length === 0 ? 'No dead letters — every event made it through' : '');
  } finally {
    panelsBusy = false;
  }
}

// Only the newest search may draw: a slow answer to an older query must not replace a newer one's.
let searchSeq = 0;
async function search(text: string): Promise<void> {
  const seq = ++searchSeq;
  if (text.trim() === '') {
    renderTable('search-results', EVENT_COLUMNS, []);
    return setNote('search-note', '');
  }
  setNote('search-note', 'Searching…');
  const { data, errors } = await query<{ events: { totalCount: number; nodes: EventRow[] } | null }>(SEARCH, { q: text });
  if (seq !== searchSeq) return;
  report('search', errors);
  const found = data?.events;
  renderTable('search-results', EVENT_COLUMNS, found?.nodes ?? []);
  if (!found) return setNote('search-note', `Search unavailable: ${problemWith('events', errors) ?? 'no answer'}`, 'error');
  const shown = found.nodes.length < found.totalCount ? ` (newest ${found.nodes.length} shown)` : '';
  setNote('search-note', found.totalCount === 0 ? `No events match “${text}”` : `${formatCount(found.totalCount)} ${found.totalCount === 1 ? 'match' : 'matches'}${shown}`);
}

function showLink(state: LinkState): void {
  const pill = byId('link');
  pill.className = `pill ${state}`;
  pill.textContent = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…' }[state];
}

function start(first: Answer<{ liveStats: Live | null }>): void {
  const input = byId<HTMLInputElement>('q');
  let typing: ReturnType<typeof setTimeout> | undefined;
  byId<HTMLFormElement>('search').addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(typing);
    void search(input.value);
  });
  input.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => void search(input.value), 350);
  });
  // The first answer came from the key check, so the page fills at once and shows store errors even if the stream never opens.
  showLive(first);
  subscribe<{ liveStats: Live | null }>(`subscription { liveStats(intervalMs: 1000) { ${LIVE} } }`, showLive, showLink);
  void refreshPanels();
  setInterval(() => void refreshPanels(), PANEL_REFRESH_MS);
  startPipelines();
  startHealth();
  startDelivery();
}

/** What the page says when the gateway refuses its key (codes of auth/access.ts); undefined when it was accepted. */
const REFUSED: Record<string, string> = {
  missing_credentials: 'Enter an API key with the read scope to see this gateway’s data.',
  invalid_credentials: 'This key was refused: it is unknown or has been revoked.',
  insufficient_scope: 'This key was refused: it lacks the read scope.',
  auth_unavailable: 'The gateway cannot check keys right now (its key store is not answering). Try again in a moment.',
};
const refusalOf = (errors: readonly GraphQLError[]): string | undefined => errors.map((e) => REFUSED[e.extensions?.code ?? '']).find(Boolean);

/** Checks the key with the first liveStats query: the data when accepted, else the key form with the reason. */
async function begin(): Promise<void> {
  takeKeyFromAddress();
  const first = await query<{ liveStats: Live | null }>(`{ liveStats { ${LIVE} } }`);
  const refused = refusalOf(first.errors);
  const panel = byId('key-panel');
  if (refused) {
    byId('data').hidden = true;
    panel.hidden = false;
    setNote('key-note', refused, first.errors.some((e) => e.extensions?.code === 'missing_credentials') ? undefined : 'error');
    byId<HTMLInputElement>('key').focus();
    return;
  }
  panel.hidden = true;
  byId('data').hidden = false;
  start(first);
}

byId<HTMLFormElement>('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('key');
  const key = input.value.trim();
  input.value = '';
  if (key === '') return;
  saveKey(key);
  void begin();
});
byId('forget-key').addEventListener('click', () => {
  forgetKey();
  location.reload();
});

void begin();
