import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseCli } from '../../shared/cli.ts';
import { ensurePeer } from '../lib/peer.ts';
import { printTable } from '../lib/run.ts';
import { renderChart } from './chart.ts';
import type { CountCheck } from './counts.ts';
import { runE2E, type E2EResult } from './e2e.ts';
import { edgeMeasurements, type EdgeOut } from './edge-part.ts';
import { buildFigures, summary, type Measurements } from './ratios.ts';
import { FIGURE_HEADER, figureRows, isFullRun, machineLine, writeReport, type Machine, type Report } from './report.ts';

/**
 * `npm run bench [-- --quick] [-- --only edge,query]`: every per-part bench as a child process with its --json
 * output, plus the end-to-end latency run, gathered into one table of figures (each a ratio against a peer or a
 * limit measured in the same run), saved as markdown, JSON and an SVG chart under bench/results/.
 */
const USAGE = `usage: bun bench/report/run.ts [--quick] [--only part,part]
  --quick       every part in its --quick mode
  --only LIST   only these parts (comma separated), e.g. --only edge,query`;
const { values } = parseCli({ usage: USAGE, options: { quick: { type: 'boolean' }, only: { type: 'string' } } });
const quick = values.quick === true;
const onlyArg = values.only;
const args = process.argv.slice(2);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;
const want = (part: string) => !only || only.has(part);
const root = join(import.meta.dir, '..', '..');
const resultsDir = join(root, 'bench', 'results');
const started = performance.now();
const startedAt = new Date();
const clock = () => {
  const s = Math.round((performance.now() - started) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const log = (s: string) => console.log(`[${clock()}] ${s}`);

const parts: Report['parts'] = {};
const notes: string[] = [];

/** Runs one part's bench with --json; streams its progress (stderr) with a prefix; returns its last JSON line. */
async function part<T>(name: string, script: string, timeoutMin: number): Promise<T | undefined> {
  const path = join(root, script);
  if (!existsSync(path)) {
    notes.push(`${name}: ${script} is not present; skipped`);
    return undefined;
  }
  log(`▶ ${name} (${script}${quick ? ' --quick' : ''} --json)`);
  const t = performance.now();
  const proc = Bun.spawn([process.execPath, path, '--json', ...(quick ? ['--quick'] : [])], { cwd: root, stdout: 'pipe', stderr: 'pipe', env: process.env });
  const timer = setTimeout(() => proc.kill('SIGTERM'), timeoutMin * 60_000);
  const ticker = setInterval(() => log(`  … ${name} still running (${((performance.now() - t) / 1000).toFixed(0)} s)`), 30_000);
  const pump = async () => {
    const decoder = new TextDecoder();
    let pending = '';
    const reader = proc.stderr.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const lines = (pending + decoder.decode(r.value, { stream: true })).split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.trim() && !l.includes('has been deprecated')) log(`  ${name} │ ${l.trimEnd()}`);
    }
  };
  const [out, , code] = await Promise.all([new Response(proc.stdout).text(), pump(), proc.exited]);
  clearTimeout(timer);
  clearInterval(ticker);
  const seconds = (performance.now() - t) / 1000;
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  let data: T | undefined;
  try {
    data = line ? (JSON.parse(line) as T) : undefined;
  } catch {
    data = undefined;
  }
  const ok = code === 0 && data !== undefined;
  parts[name] = { ok, seconds: +seconds.toFixed(1), ...(!ok && { error: data === undefined ? `exited with ${code}, no JSON result` : `exited with ${code}` }), ...(data !== undefined && { data }) };
  log(`${ok ? '✓' : '✗'} ${name} in ${seconds.toFixed(0)} s${ok ? '' : ` (${parts[name]!.error})`}`);
  return data;
}

async function machine(): Promise<Machine> {
  const node = Bun.which('node') ? (await new Response(Bun.spawn(['node', '--version'], { stdout: 'pipe' }).stdout).text()).trim().replace(/^v/, '') : undefined;
  let os = `${process.platform} ${process.arch}`;
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // not Linux
  }
  return { cores: availableParallelism(), memoryGb: +(totalmem() / 1024 ** 3).toFixed(1), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', os, bun: Bun.version, ...(node && { node }) };
}

async function commit(): Promise<Report['commit']> {
  const git = async (...a: string[]) => (await new Response(Bun.spawn(['git', ...a], { cwd: root, stdout: 'pipe', stderr: 'ignore' }).stdout).text()).trim();
  const sha = (await git('rev-parse', 'HEAD')) || 'unknown';
  return { sha, short: sha.slice(0, 7), dirty: (await git('status', '--porcelain', '--untracked-files=no')).length > 0 };
}

// Part outputs (the fields the report reads).
interface WorkersOut { workersEventsPerSec: number; esRawDocsPerSec: number; pgRawRowsPerSec: number; workerPeakRssBytes?: number; drainSeconds: number }
interface QueryOut { rate: number; results: Array<{ name: string; p50: number; p99: number; failed: number }>; gatewayPeakRssBytes?: number }
interface KafkaOut { bun: { msgsPerSec: number }; java: { msgsPerSec: number } }

const mb = (b: number | undefined) => (b ? b / 1048576 : undefined);
const maxOf = (...xs: Array<number | undefined>) => {
  const v = xs.filter((x): x is number => typeof x === 'number' && x > 0);
  return v.length ? Math.max(...v) : undefined;
};

log(`Event Lens benchmarks${quick ? ' (quick)' : ''} — every figure against its peer or limit, measured in this run`);
const info = await machine();
log(`machine: ${machineLine(info)}`);
if (want('edge')) {
  log('▶ Node peer: install/build check');
  try {
    const b = await ensurePeer((s) => log(s));
    log(b.built ? `✓ Node peer built in ${b.seconds.toFixed(0)} s` : '✓ Node peer cached');
  } catch (e) {
    notes.push(`Node peer could not be built: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    log(`✗ Node peer: ${String(e)}`);
  }
}

const m: Measurements = {};
const kafka = want('kafka') ? await part<KafkaOut>('kafka', 'bench/kafka/producer.ts', 10) : undefined;
if (kafka) m.kafka = { bun: kafka.bun?.msgsPerSec, java: kafka.java?.msgsPerSec };

const edge = want('edge') ? await part<EdgeOut>('edge', 'bench/edge/run.ts', 20) : undefined;
if (edge) {
  m.edge = edgeMeasurements(edge);
  if (edge.auth?.refusalError) notes.push(`edge: refused requests not measured: ${edge.auth.refusalError}`);
}

const workers = want('workers') ? await part<WorkersOut>('workers', 'bench/workers/run.ts', 20) : undefined;
if (workers) {
  const es = workers.esRawDocsPerSec;
  const pg = workers.pgRawRowsPerSec;
  m.workers = { eventsPerSec: workers.workersEventsPerSec, slowestRaw: Math.min(es, pg), slowestName: es <= pg ? 'raw _bulk → Elasticsearch' : 'raw batch insert → Postgres' };
}

let e2e: E2EResult | undefined;
if (want('e2e')) {
  // The parts' maxima, each measured alone; runE2E sends the slower one to measure the whole path's, and runs at half of that.
  const max = Math.min(...[edge?.batch.edge, workers?.workersEventsPerSec].filter((x): x is number => typeof x === 'number' && x > 0));
  const ceiling = Number.isFinite(max) ? max : 4000;
  if (!Number.isFinite(max)) notes.push('e2e: no measured maximum (edge/workers parts skipped or failed); its capacity phase sent 4,000 events/s');
  log(`▶ e2e (edge → Kafka → workers → stores → GraphQL) at half of what the whole path stores per second, sent ${ceiling.toFixed(0)} events/s first`);
  const t = performance.now();
  const warmSeconds = quick ? 3 : 10;
  const rounds = (n: number) => `${n} warm-up round${n === 1 ? '' : 's'}`;
  try {
    e2e = await runE2E({ root, ceiling, seconds: quick ? 10 : 30, warmSeconds, log: (s) => log(`  e2e │ ${s.trim()}`) });
    parts.e2e = { ok: true, seconds: +((performance.now() - t) / 1000).toFixed(1), data: e2e };
    log(`✓ e2e: p50 ${e2e.p50Ms?.toFixed(0)} ms, p99 ${e2e.p99Ms?.toFixed(0)} ms over ${e2e.probes} probes (${e2e.lost} not seen), ${e2e.achievedRate.toFixed(0)} events/s accepted, after ${rounds(e2e.warmRounds)}`);
    notes.push(`e2e: measured after ${rounds(e2e.warmRounds)} of ${warmSeconds} s at the same rate (repeated until one drained within 1 s, at most 6)`);
    notes.push(`e2e: at half of the ${e2e.capacity.storedRate.toFixed(0)} events/s the whole path stored while sent ${e2e.capacity.sentRate.toFixed(0)} events/s (the slower part's maximum alone)`);
    m.e2e = { p50Ms: e2e.p50Ms, p99Ms: e2e.p99Ms, rate: e2e.targetRate };
    if (e2e.lost) notes.push(`e2e: ${e2e.lost} of ${e2e.probes} probes were not visible within 30 s and count as 30 s`);
  } catch (e) {
    parts.e2e = { ok: false, seconds: +((performance.now() - t) / 1000).toFixed(1), error: e instanceof Error ? e.message : String(e) };
    log(`✗ e2e: ${parts.e2e.error}`);
  }
}

const query = want('query') ? await part<QueryOut>('query', 'bench/query/run.ts', 15) : undefined;
if (query) {
  const gw = query.results.find((r) => r.name.startsWith('gateway'));
  const raw = query.results.find((r) => r.name.startsWith('raw'));
  m.query = { p50Ms: gw?.p50, p99Ms: gw?.p99, rawP99Ms: raw?.p99, rate: query.rate };
}

if (want('windows')) await part<unknown>('windows', 'bench/windows/run.ts', 15);
// Three Kafka nodes of its own, a leader killed under load: minutes of work, so a quick report leaves it out.
if (want('failover') && !quick) await part<unknown>('failover', 'bench/failover/run.ts', 15);
else if (want('failover')) notes.push('failover: skipped in --quick (three Kafka nodes and a leader killed under load; run bun bench/failover/run.ts)');

const audit = want('audit') ? await part<{ auditEventsPerSec: number; consumeEventsPerSec: number }>('audit', 'bench/audit/run.ts', 15) : undefined;
if (audit) m.audit = { auditEventsPerSec: audit.auditEventsPerSec, consumeEventsPerSec: audit.consumeEventsPerSec };

m.memory = {
  edgeMb: mb(maxOf(edge?.rss.edge.peakProcessBytes, e2e?.rss.edgeBytes)),
  peerMb: mb(edge?.rss.peer?.peakProcessBytes),
  workerMb: mb(maxOf(workers?.workerPeakRssBytes, e2e?.rss.workerBytes)),
  gatewayMb: mb(maxOf(query?.gatewayPeakRssBytes, e2e?.rss.gatewayBytes)),
};

const figures = buildFigures(m);
// Parts that report in the figure shape themselves.
for (const name of ['windows', 'failover']) {
  const own = (parts[name]?.data as { figures?: unknown } | undefined)?.figures;
  if (Array.isArray(own)) figures.push(...(own as typeof figures).filter((f) => f && typeof f.label === 'string'));
}
const counts: CountCheck[] = edge?.counts ?? [];
if (edge && !edge.noLoss) notes.push('LOSS: some acknowledged events are not in Kafka (see the count table)');

const report: Report = {
  title: `Event Lens benchmarks${quick ? ' (quick)' : ''}`,
  date: startedAt.toISOString(),
  machine: info,
  commit: await commit(),
  command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
  quick,
  ...(only && { only: [...only] }),
  seconds: Math.round((performance.now() - started) / 1000),
  figures,
  counts,
  parts,
  notes,
};
const svg = renderChart(figures, `${report.title}: figure / target — ${report.date.slice(0, 10)} ${report.commit.short}`);
const written = writeReport(resultsDir, report, svg);

console.log('');
printTable(FIGURE_HEADER, figureRows(figures));
if (counts.length) {
  console.log('');
  printTable(['count check', 'acknowledged', 'in topic', 'result'], counts.map((c) => [c.name, String(c.acked), String(c.inTopic), c.ok ? 'ok' : 'LOSS']));
}
const s = summary(figures);
console.log(`\ntargets: ${s.met} met, ${s.missed} missed${s.na ? `, ${s.na} not measured` : ''}; ${report.seconds} s`);
for (const n of notes) console.log(`note: ${n}`);
const dated = written.filter((w) => !w.includes('latest')).map((w) => w.slice(root.length + 1));
console.log(`written: ${dated.join(', ')}${isFullRun(report) ? ' (and latest.*)' : ' (latest.* is kept for full runs)'}`);
process.exitCode = Object.values(parts).every((p) => p.ok) && (!edge || edge.noLoss) ? 0 : 1;
