/**
 * The dashboard's pipelines section: every pipeline with its state and recent activity, and the latest windows of
 * one pipeline as a chart. Activity is what the gateway can see (window results the workers updated lately), not the
 * workers' own counters, which no browser can reach; the section says so rather than invent an events/s.
 */
import type UPlot from 'uplot';
import { problemWith, query } from './api.ts';
import { byId, formatCount, formatTime, renderTable, setNote, setText, type Column } from './view.ts';

declare const uPlot: typeof UPlot;

interface PipelineRow {
  id: string;
  name: string;
  version: number;
  state: 'RUNNING' | 'STOPPED' | 'FAILED';
  failure: { reason: string; at: string } | null;
  activity: { sinceMinutes: number; windowsUpdated: number; eventsCounted: number; lastUpdate: string | null } | null;
}
interface WindowRow { key: string; start: string; count: number; sum: number | null; avg: number | null; min: number | null; max: number | null; p50: number | null; p95: number | null; p99: number | null }

const LIST = '{ pipelines { id name version state failure { reason at } activity { sinceMinutes windowsUpdated eventsCounted lastUpdate } } }';
// 60 windows × 10 fields stays well inside the gateway's cost limit (QUERY_MAX_COST).
const WINDOWS = 'query W($id: ID!) { windows(pipeline: $id, limit: 60) { key start count sum avg min max p50 p95 p99 } }';
const VALUES = ['sum', 'avg', 'min', 'max', 'p50', 'p95', 'p99'] as const;
const REFRESH_MS = 5000;

const COLUMNS: ReadonlyArray<Column<PipelineRow>> = [
  { label: 'Name', cell: (p) => p.name },
  { label: 'ID', cell: (p) => p.id, code: true },
  // A failed pipeline says why, since nothing else on the page would: it runs again only once someone starts it.
  { label: 'State', cell: (p) => (p.failure ? `failed: ${p.failure.reason} (${formatTime(p.failure.at)})` : p.state.toLowerCase()) },
  { label: 'Version', cell: (p) => String(p.version) },
  { label: 'Windows updated', cell: (p) => (p.activity ? `${formatCount(p.activity.windowsUpdated)} in ${p.activity.sinceMinutes} min` : '—') },
  { label: 'Events in them', cell: (p) => (p.activity ? formatCount(p.activity.eventsCounted) : '—') },
  { label: 'Last window update', cell: (p) => formatTime(p.activity?.lastUpdate) },
];

let chart: UPlot | undefined;
let chartShape = '';

/** An empty box collapses (dashboard.css), so a pipeline with no windows costs the page one line, not a blank chart. */
function dropChart(): void {
  chart?.destroy();
  chart = undefined;
  chartShape = '';
}

/** One line per aggregate present in the rows: count on the left axis, the field's values on the right. */
function drawWindows(rows: readonly WindowRow[]): void {
  const box = byId('pipeline-chart');
  const present = VALUES.filter((f) => rows.some((r) => r[f] !== null));
  const shape = present.join(',');
  const data = [rows.map((r) => new Date(r.start).getTime() / 1000), rows.map((r) => r.count), ...present.map((f) => rows.map((r) => r[f]))] as UPlot.AlignedData;
  if (chart && shape === chartShape) return chart.setData(data);
  chart?.destroy();
  chartShape = shape;
  const css = getComputedStyle(document.documentElement);
  const muted = css.getPropertyValue('--muted').trim();
  const palette = ['#2563eb', '#15803d', '#b45309', '#9333ea', '#0891b2', '#be123c', '#4d7c0f', '#64748b'];
  const axis = { stroke: muted, grid: { stroke: css.getPropertyValue('--line').trim(), width: 1 } };
  chart = new uPlot(
    {
      width: box.clientWidth,
      height: 220,
      padding: [8, 8, 0, 0],
      scales: { n: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] } },
      axes: [{ ...axis, space: 90 }, { ...axis, scale: 'n', size: 44 }, { ...axis, scale: 'v', side: 1, grid: { show: false }, size: 52 }],
      series: [
        {},
        { label: 'count', scale: 'n', stroke: palette[0], width: 2 },
        ...present.map((f, i) => ({ label: f, scale: 'v', stroke: palette[i + 1], width: 1.5 })),
      ],
    },
    data,
    box,
  );
}

let selected: string | undefined;
let busy = false;

async function refresh(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const { data, errors } = await query<{ pipelines: PipelineRow[] | null }>(LIST);
    const list = data?.pipelines;
    renderTable('pipelines', COLUMNS, list ?? []);
    setText('pipelines-count', list ? `· ${formatCount(list.length)}` : '');
    if (!list) return setNote('pipelines-note', `Unavailable: ${problemWith('pipelines', errors) ?? 'no answer'}`, 'error');
    setNote('pipelines-note', list.length === 0 ? 'No pipelines yet — create one: POST /api/pipelines' : '');
    const pick = byId<HTMLSelectElement>('pipeline-pick');
    pick.replaceChildren(...list.map((p) => new Option(`${p.name} (${p.id})`, p.id)));
    if (!selected || !list.some((p) => p.id === selected)) selected = list.find((p) => p.activity?.lastUpdate)?.id ?? list[0]?.id;
    pick.hidden = list.length === 0;
    if (selected) pick.value = selected;
    await refreshWindows();
  } finally {
    busy = false;
  }
}

async function refreshWindows(): Promise<void> {
  if (!selected) {
    dropChart();
    return setNote('pipeline-chart-note', 'Windows show here once a pipeline with a window step runs — create one with POST /api/pipelines');
  }
  const { data, errors } = await query<{ windows: WindowRow[] | null }>(WINDOWS, { id: selected });
  const rows = data?.windows;
  if (!rows) return setNote('pipeline-chart-note', `Windows unavailable: ${problemWith('windows', errors) ?? 'no answer'}`, 'error');
  // One key's windows at a time: the one with the newest window, which is the one most likely still moving.
  const key = rows.at(-1)?.key;
  const mine = rows.filter((r) => r.key === key);
  setNote('pipeline-chart-note', mine.length === 0 ? 'No window results yet (pipelines without an aggregate step have none)' : `key ${key}: the latest ${mine.length} windows`);
  if (mine.length > 0) drawWindows(mine);
  else dropChart();
}

export function startPipelines(): void {
  byId<HTMLSelectElement>('pipeline-pick').addEventListener('change', (event) => {
    selected = (event.target as HTMLSelectElement).value;
    void refreshWindows();
  });
  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
}
