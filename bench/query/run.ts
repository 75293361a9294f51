import { join } from 'node:path';
import { parseCli } from '../../shared/cli.ts';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';
import { loadBenchConfig, orAuto } from '../config.ts';
import { bearer, benchKeys } from '../lib/keys.ts';
import { sampleRss } from '../lib/proc.ts';
import { freePort, printTable, waitFor } from '../lib/run.ts';
import { PREFIX, seed } from './seed.ts';

/**
 * bench:query — the dashboard's GraphQL query through the gateway at a fixed rate (open loop: latency counts from the
 * scheduled send time, so a slow answer cannot hide the requests queued behind it), beside the same aggregations sent
 * straight to the search node at the same rate, in the same run. The gateway runs with keys on and is sent a read
 * key from a key store of the run's own. Each side takes the same rate unmeasured for a few seconds right before its
 * own run, as bench:edge's legs do: measured after sitting idle through the other side's run, the gateway's first
 * second stalled while its JIT threads worked 3.5 times as hard (bench/README.md, "Gateway"): a wake-up cost, not the
 * steady rate this row is about.
 */
const USAGE = `usage: bun bench/query/run.ts [--quick] [--json]
  --quick   100,000 events seeded instead of 1,000,000, 5 s instead of 20 s
  --json    print the result as one JSON line (progress goes to stderr)
settings: BENCH_QUERY_EVENTS and the connections (docs/configuration.md)`;
const { values } = parseCli({ usage: USAGE, options: { quick: { type: 'boolean' }, json: { type: 'boolean' } } });
const quick = values.quick === true;
const json = values.json === true;
const target = orAuto(loadBenchConfig().queryEvents, quick, 1_000_000, 100_000);
const conn = loadConfig(connectionsConfig);
const rate = 500;
const seconds = quick ? 5 : 20;
const warmSeconds = quick ? 1 : 3;
const esUrl = conn.elasticsearchUrl;
const redisUrl = conn.redisUrl;
const root = join(import.meta.dir, '..', '..');
// With --json, progress goes to stderr so stdout stays the one result line.
const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : console.log(s));

const DASHBOARD = `query Dashboard($from: DateTime!, $to: DateTime!) {
  liveStats { total eventsPerSecond latency { p50Ms p95Ms p99Ms } byType { value count } }
  eventCounts(from: $from, to: $to, interval: HOUR) { start count }
  topTypes(from: $from, to: $to, limit: 5) { value count }
  topSources(from: $from, to: $to, limit: 5) { value count }
  recentEvents(limit: 10) { id type key timestamp }
}`;

async function fixedRate(name: string, send: () => Promise<Response>, forSeconds = seconds): Promise<{ name: string; sent: number; failed: number; p50: number; p99: number; max: number }> {
  const latencies: number[] = [];
  let failed = 0;
  const total = rate * forSeconds;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    inflight.push(
      send()
        .then(async (res) => {
          const body = await res.text();
          if (!res.ok || body.includes('"errors"')) failed++;
        })
        .catch(() => void failed++)
        .finally(() => latencies.push(performance.now() - due)),
    );
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { name, sent: total, failed, p50: q(0.5), p99: q(0.99), max: latencies.at(-1)! };
}

log(`bench:query — dashboard query at ${rate} req/s for ${seconds}s (each side ${warmSeconds}s unmeasured just before) over ${target.toLocaleString()} stored events`);
await seed({ esUrl, redisUrl, target, log });
const keys = await benchKeys('bench_query');
const read = bearer(await keys.create({ name: 'bench-query-read', scopes: 'read' }));
const port = freePort();
const gateway = Bun.spawn([process.execPath, join(root, 'query/server.ts')], {
  env: { ...process.env, ...keys.env, QUERY_PORT: String(port), QUERY_ES_ALIAS: PREFIX, QUERY_REDIS_PREFIX: `${PREFIX}:`, QUERY_DLQ_ENABLED: 'false' },
  stdout: 'ignore',
  stderr: 'inherit',
});
try {
  await waitFor('gateway', `http://127.0.0.1:${port}/healthz`);
  const to = new Date().toISOString();
  const from = new Date(Date.now() - 86_400_000).toISOString();
  const gql = JSON.stringify({ query: DASHBOARD, variables: { from, to } });
  const range = { range: { timestamp: { gte: from, lt: to } } };
  // The same search-node work the gateway does for this query: one histogram and two terms aggregations.
  const raw = [
    JSON.stringify({ index: PREFIX }),
    JSON.stringify({ size: 0, query: range, aggs: { h: { date_histogram: { field: 'timestamp', fixed_interval: '1h' } } } }),
    JSON.stringify({ index: PREFIX }),
    JSON.stringify({ size: 0, query: range, aggs: { t: { terms: { field: 'type', size: 5 } } } }),
    JSON.stringify({ index: PREFIX }),
    JSON.stringify({ size: 0, query: range, aggs: { s: { terms: { field: 'source', size: 5 } } } }),
  ].join('\n') + '\n';
  const gatewayRun = () => fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...read }, body: gql });
  const rawRun = () => fetch(`${esUrl}/_msearch`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: raw });
  for (let i = 0; i < 50; i++) await Promise.all([gatewayRun().then((r) => r.text()), rawRun().then((r) => r.text())]); // warm caches on both paths
  const stopRss = sampleRss(gateway.pid);
  async function measured(name: string, send: () => Promise<Response>) {
    await fixedRate(`${name}, warm-up`, send, warmSeconds);
    return fixedRate(name, send);
  }
  const results = [await measured('raw search node (_msearch, same aggregations)', rawRun), await measured('gateway dashboard query (GraphQL)', gatewayRun)];
  const rss = stopRss();
  const [rawR, gw] = results as [(typeof results)[0], (typeof results)[0]];
  const out = { rate, seconds, events: target, results, ratioP99: gw.p99 / rawR.p99, gatewayPeakRssBytes: rss.peakProcessBytes };
  if (json) console.log(JSON.stringify(out));
  else {
    printTable(
      ['run', 'sent', 'failed', 'p50 ms', 'p99 ms', 'max ms'],
      results.map((r) => [r.name, String(r.sent), String(r.failed), r.p50.toFixed(1), r.p99.toFixed(1), r.max.toFixed(1)]),
    );
    console.log(`\np99  gateway dashboard query            ${gw.p99.toFixed(1)} ms  (target ≤ 20 ms at ${rate} req/s)`);
    console.log(`ratio gateway p99 / raw search node p99  ${out.ratioP99.toFixed(3)}×`);
  }
} finally {
  gateway.kill('SIGTERM');
  await gateway.exited;
  await keys.close();
}
