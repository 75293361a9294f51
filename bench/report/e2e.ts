import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createIsolatedTopics, isolatedEnv, isolationId, removeIsolated } from '../../shared/testing/isolation.ts';
import { bearer, benchKeys } from '../lib/keys.ts';
import { sampleRss } from '../lib/proc.ts';
import { freePort, waitFor } from '../lib/run.ts';
import { pathCapacity, paced, type Capacity } from './e2e-capacity.ts';
import { quantile } from './ratios.ts';

// The warm-up repeats until its backlog drains within WARM_DRAINED_MS (the path keeps up at the rate), at most
// WARM_ROUNDS times; the report shows how many rounds it took.
const WARM_ROUNDS = 6;
const WARM_DRAINED_MS = 1000;
const WARM_DRAIN_LIMIT_MS = 120_000;

/**
 * End to end: the edge, the workers and the gateway as real processes on this run's own topic, index prefix, schema
 * and key prefix (`shared/testing/isolation.ts`, as the tests that start these processes use). First the path's own
 * capacity is measured (e2e-capacity.ts: sent `ceiling`, the slower part's maximum alone, and counted what it stores);
 * the rate is half of that, and never above half the ceiling. Events go in through the edge at that rate (open loop,
 * batches of 100); a few times a second a probe event goes in on its own and,
 * from its 202, GraphQL `event(id)` is polled until it returns it. The latency is 202 → visible, p50/p99; probes
 * never seen count as the timeout. Keys are on, from a key store of the run's own: the edge gets an ingest key, the
 * gateway a read key. Before the measured seconds the same load runs for `warmSeconds` and drains, in rounds until a
 * round drains within a second: on a stack started a minute before, the search node indexed ~7,000 events/s for its
 * first ~45 s under this load (its CPU saturated, the workers idle), and a run after one 10 s round still read p99
 * 26.7 s, the servers' start-up backlog rather than the path's latency.
 */
export interface E2EResult {
  targetRate: number;
  /** What the path stored per second when sent the slower part's maximum; targetRate is half of the smaller of the two. */
  capacity: Capacity;
  achievedRate: number;
  seconds: number;
  probes: number;
  lost: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  maxMs: number | undefined;
  rejectedRequests: number;
  /** Warm-up rounds run before the measured seconds (each `warmSeconds` of the same load, then drained). */
  warmRounds: number;
  rss: { edgeBytes: number; workerBytes: number; gatewayBytes: number };
}

export async function runE2E({ root, ceiling, seconds, warmSeconds = 10, log, probeEveryMs = 250, pollMs = 50, timeoutMs = 30_000 }: {
  root: string;
  /** The slower part's maximum measured alone (events/s): what the capacity phase sends. */
  ceiling: number;
  seconds: number;
  warmSeconds?: number;
  log: (s: string) => void;
  probeEveryMs?: number;
  pollMs?: number;
  timeoutMs?: number;
}): Promise<E2EResult> {
  const id = isolationId('benche2e');
  const ports = { edge: freePort(), workers: freePort(), query: freePort() };
  const keys = await benchKeys('bench_e2e');
  const ingest = bearer(await keys.create({ name: 'bench-e2e-ingest', scopes: 'ingest' }));
  const read = bearer(await keys.create({ name: 'bench-e2e-read', scopes: 'read' }));
  const env = {
    ...process.env,
    ...isolatedEnv(id, ports),
    ...keys.env,
    EDGE_HOSTNAME: '127.0.0.1',
    EDGE_ADMIN_PORT: '0',
    EDGE_PROCESSES: String(Number(process.env.EDGE_PROCESSES || availableParallelism())),
  };
  await createIsolatedTopics(id, 6);
  const spawn = (entry: string) => Bun.spawn([process.execPath, join(root, entry)], { cwd: root, env, stdout: 'ignore', stderr: 'ignore' });
  const apps = { edge: spawn('edge/server.ts'), workers: spawn('workers/main.ts'), query: spawn('query/server.ts') };
  try {
    await waitFor('edge', `http://127.0.0.1:${ports.edge}/readyz`, 'GET', 60_000);
    await waitFor('workers', `http://127.0.0.1:${ports.workers}/healthz`, 'GET', 60_000);
    await waitFor('gateway', `http://127.0.0.1:${ports.query}/healthz`, 'GET', 60_000);
    const url = `http://127.0.0.1:${ports.edge}/v1/events`;
    const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...ingest }, body });
    const gql = (eventId: string) =>
      fetch(`http://127.0.0.1:${ports.query}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...read }, body: JSON.stringify({ query: 'query($id: ID!) { event(id: $id) { id } }', variables: { id: eventId } }) })
        .then((r) => r.json() as Promise<{ data?: { event?: { id: string } | null } }>)
        .then((j) => j.data?.event?.id === eventId)
        .catch(() => false);
    /** Milliseconds until an event of `type` sent now is visible, or undefined past `limitMs`. */
    const visibleWithin = async (type: string, limitMs: number): Promise<number | undefined> => {
      const t = performance.now();
      const res = (await (await post(JSON.stringify({ type, source: 'bench', data: {} }))).json()) as { results: Array<{ id?: string }> };
      const id = res.results[0]?.id;
      while (id !== undefined && performance.now() - t < limitMs) {
        if (await gql(id)) return performance.now() - t;
        await Bun.sleep(200);
      }
      return undefined;
    };
    // The path's first event: workers join the group, stores create their indices and tables.
    await visibleWithin('bench.warmup', 60_000);

    const batchSize = 100;
    const body = JSON.stringify({ events: Array.from({ length: batchSize }, (_, i) => ({ type: ['page.view', 'order.created', 'signup'][i % 3], source: 'bench', key: `user-${i}`, data: { page: '/pricing', amount: i } })) });
    const capacity = await pathCapacity({ post, body, batchSize, rate: ceiling, pgSchema: id, log });
    const backlog = await visibleWithin('bench.drain', WARM_DRAIN_LIMIT_MS);
    log(`  capacity: backlog ${backlog === undefined ? `not drained within ${WARM_DRAIN_LIMIT_MS / 1000} s` : `drained ${(backlog / 1000).toFixed(1)} s after the last batch`}`);
    const rate = Math.min(ceiling, capacity.storedRate) / 2;

    let warmRounds = 0;
    const interval = (batchSize * 1000) / rate;
    for (let round = 1; warmSeconds > 0 && round <= WARM_ROUNDS; round++) {
      log(`  warm-up ${round}/${WARM_ROUNDS}: ${rate.toFixed(0)} events/s for ${warmSeconds} s, then until an event sent after it is visible ...`);
      const sends: Promise<unknown>[] = [];
      await paced(Math.floor((warmSeconds * 1000) / interval), interval, () => sends.push(post(body).then((r) => r.arrayBuffer()).catch(() => undefined)));
      await Promise.all(sends);
      const drained = await visibleWithin('bench.drain', WARM_DRAIN_LIMIT_MS);
      log(`  warm-up ${round}/${WARM_ROUNDS}: ${drained === undefined ? `not drained within ${WARM_DRAIN_LIMIT_MS / 1000} s` : `drained ${(drained / 1000).toFixed(1)} s after its last batch`}`);
      warmRounds = round;
      if (drained !== undefined && drained <= WARM_DRAINED_MS) break;
    }
    const latencies: number[] = [];
    let lost = 0;
    let acked = 0;
    let rejected = 0;
    const pending: Promise<void>[] = [];
    const probe = async (n: number) => {
      const res = await post(JSON.stringify({ type: 'bench.probe', source: 'bench', key: `probe-${n}`, data: { n } })).catch(() => undefined);
      const at = performance.now();
      if (res?.status !== 202) {
        rejected++;
        return;
      }
      const eventId = ((await res.json()) as { results: Array<{ id: string }> }).results[0]!.id;
      while (performance.now() - at < timeoutMs) {
        if (await gql(eventId)) {
          latencies.push(performance.now() - at);
          return;
        }
        // Back off to a tenth of the time waited so far (a reading at most ~10% late): at a fixed 50 ms, probes that
        // fell behind polled the gateway and the search node ever harder (120 pollers at 20/s), took CPU from the
        // workers they were waiting for, and a 1 s p99 turned into 30 s timeouts on the same box (2026-12-03).
        await Bun.sleep(Math.max(pollMs, (performance.now() - at) / 10));
      }
      lost++;
      latencies.push(timeoutMs);
    };
    const stopRss = { edge: sampleRss(apps.edge.pid), workers: sampleRss(apps.workers.pid), query: sampleRss(apps.query.pid) };
    log(`  ${rate.toFixed(0)} events/s for ${seconds} s (batches of ${batchSize}), a probe every ${probeEveryMs} ms polled through GraphQL event(id) ...`);
    const start = performance.now();
    let nextProbe = start;
    let probes = 0;
    await paced(Math.floor((seconds * 1000) / interval), interval, (due) => {
      while (nextProbe <= due) {
        pending.push(probe(probes++));
        nextProbe += probeEveryMs;
      }
      pending.push(
        post(body)
          .then(async (r) => {
            await r.arrayBuffer();
            if (r.status === 202) acked += batchSize;
            else rejected++;
          })
          .catch(() => void rejected++),
      );
    });
    const sent = performance.now() - start;
    await Promise.all(pending);
    const rss = { edgeBytes: stopRss.edge().peakProcessBytes, workerBytes: stopRss.workers().peakProcessBytes, gatewayBytes: stopRss.query().peakProcessBytes };
    latencies.sort((a, b) => a - b);
    return {
      targetRate: rate,
      capacity,
      achievedRate: acked / (sent / 1000),
      seconds,
      probes,
      lost,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      maxMs: latencies.at(-1),
      rejectedRequests: rejected,
      warmRounds,
      rss,
    };
  } finally {
    for (const p of Object.values(apps)) p.kill('SIGTERM');
    await Promise.all(Object.values(apps).map((p) => Promise.race([p.exited, Bun.sleep(25_000)])));
    await removeIsolated(id).catch((e: unknown) => log(`  e2e cleanup: ${String(e)}`));
    await keys.close().catch((e: unknown) => log(`  e2e key store cleanup: ${String(e)}`));
  }
}
