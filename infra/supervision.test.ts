import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStatusFile } from '../shared/supervisor-status.ts';
import type { ChildStatus } from '../shared/supervisor.ts';
import { createIsolatedKeys, createIsolatedTopics, isolatedEnv, isolationId, removeIsolated, type IsolatedKeys } from './isolation.ts';
import { processStatusDir, startApps, stopApps, type RunningApp } from './platform.ts';
import { ROOT } from './stack.ts';

// The platform as `npm start` runs it (two edge processes, two workers, the gateway), on this run's own ports,
// topic, group, index prefix, schema and keys, with processes killed by SIGKILL under it.
const id = isolationId('supervise');
const ports = { edge: 18190, workers: 19580, query: 14110 };
// A killed worker's partitions move to the other after the session timeout; 6 s (the broker's minimum) keeps it short.
const env = { ...isolatedEnv(id, ports), EDGE_PROCESSES: '2', WORKERS_COUNT: '2', WORKERS_SESSION_TIMEOUT_MS: '6000' };
const home = mkdtempSync(join(tmpdir(), 'event-lens-supervise-'));
const TYPE = 'supervision.probe';
let apps: RunningApp[] = [];
let keys: IsolatedKeys;
const accepted = new Set<string>();
const edgeUrl = `http://127.0.0.1:${ports.edge}`;

async function processes(which: 'platform' | 'edge' | 'workers'): Promise<readonly ChildStatus[]> {
  return (await readStatusFile(join(processStatusDir(home), `${which}.json`)))?.processes ?? [];
}
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs / 1000}s`);
    await Bun.sleep(100);
  }
}
const answers = (url: string) => fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);

/**
 * While a process is down: the edge's /healthz polled and an event posted every 100 ms. Returns the /healthz probes
 * that failed; the ids of the events the edge acknowledged are kept for the end.
 */
function traffic() {
  let on = true;
  const failed: string[] = [];
  const loop = (async () => {
    for (let i = 0; on; i++) {
      if (!(await answers(`${edgeUrl}/healthz`))) failed.push(new Date().toISOString());
      const res = await fetch(`${edgeUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.ingest}` },
        body: JSON.stringify({ type: TYPE, source: 'supervision', data: { i } }),
      }).catch(() => undefined);
      if (res?.status === 202) for (const r of ((await res.json()) as { results: Array<{ id: string }> }).results) accepted.add(r.id);
      await Bun.sleep(100);
    }
  })();
  return async () => {
    on = false;
    await loop;
    return failed;
  };
}

/** SIGKILLs `name` (as its status file names it) and waits until a new process of it runs again. */
async function killAndWaitForRestart(which: 'platform' | 'edge' | 'workers', name: string): Promise<ChildStatus> {
  const before = (await processes(which)).find((p) => p.name === name);
  expect(before?.state).toBe('running');
  process.kill(before!.pid!, 'SIGKILL');
  let after: ChildStatus | undefined;
  // The first restart waits 1 s; the margin is for Bun's start-up on a busy machine.
  await until(`${which}/${name} started again`, async () => {
    after = (await processes(which)).find((p) => p.name === name);
    return after?.state === 'running' && after.pid !== before!.pid;
  }, 20_000);
  expect(after).toMatchObject({ restarts: before!.restarts + 1, lastExit: { code: null, signal: 'SIGKILL' } });
  return after!;
}

describe('npm start\'s processes, killed with SIGKILL', () => {
  beforeAll(async () => {
    await createIsolatedTopics(id);
    keys = await createIsolatedKeys(id);
    for (const [k, v] of Object.entries(env)) process.env[k] = v;
    apps = await startApps(ROOT, home, [
      { name: 'edge', entry: 'edge/server.ts', readyUrl: `${edgeUrl}/readyz` },
      { name: 'workers', entry: 'workers/main.ts', readyUrl: `http://127.0.0.1:${ports.workers}/healthz` },
      { name: 'query', entry: 'query/server.ts', readyUrl: `http://127.0.0.1:${ports.query}/healthz` },
    ], () => {});
    await until('both edge processes and both workers', async () => (await processes('edge')).length === 2 && (await processes('workers')).length === 2);
  }, 120_000);

  afterAll(async () => {
    if (apps.length) await stopApps(apps, 5000);
    for (const k of Object.keys(env)) delete process.env[k];
    await removeIsolated(id);
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test('a worker process comes back, and the edge answers /healthz and takes events all the while', async () => {
    const stop = traffic();
    await killAndWaitForRestart('workers', 'worker-0');
    // The restarted worker answers on its own port again (worker 0 of WORKERS_METRICS_PORT).
    await until('worker 0 answering', () => answers(`http://127.0.0.1:${ports.workers}/healthz`), 30_000);
    expect(await stop()).toEqual([]);
  }, 90_000);

  test('the gateway comes back, and the edge answers /healthz all the while', async () => {
    const stop = traffic();
    const gateway = apps.find((a) => a.name === 'query')!;
    const first = gateway.pid();
    await killAndWaitForRestart('platform', 'query');
    expect(gateway.pid()).not.toBe(first);
    await until('the gateway answering', () => answers(`http://127.0.0.1:${ports.query}/healthz`), 30_000);
    expect(await stop()).toEqual([]);
    // The edge and the workers were not touched.
    expect((await processes('platform')).filter((p) => p.name !== 'query').map((p) => p.restarts)).toEqual([0, 0]);
  }, 90_000);

  test('an edge process comes back while the other keeps serving', async () => {
    const stop = traffic();
    await killAndWaitForRestart('edge', 'edge-1');
    await until('the edge answering', () => answers(`${edgeUrl}/readyz`), 30_000);
    // Requests the kernel had queued for the killed process may fail; the edge as a whole never went away.
    const failed = await stop();
    expect(failed.length).toBeLessThanOrEqual(2);
    expect((await processes('platform')).find((p) => p.name === 'edge')?.restarts).toBe(0);
  }, 90_000);

  test('every event the edge acknowledged before and during the crashes is in Postgres and in the search index', async () => {
    expect(accepted.size).toBeGreaterThan(0);
    type Counts = { data?: { countEvents: number; events: { totalCount: number } } };
    const counts = async () => {
      const res = await fetch(`http://127.0.0.1:${ports.query}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.readAdmin}` },
        body: JSON.stringify({ query: `{ countEvents(type: "${TYPE}") events(filter: { types: ["${TYPE}"] }, first: 1) { totalCount } }` }),
      });
      return ((await res.json()) as Counts).data;
    };
    let last: Awaited<ReturnType<typeof counts>>;
    // Each store keeps one row per event id, so equal counts mean every acknowledged event arrived.
    await until('all acknowledged events stored', async () => {
      last = await counts();
      return last?.countEvents === accepted.size && last.events.totalCount === accepted.size;
    }, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}; ${accepted.size} acknowledged, stores hold ${JSON.stringify(last)}`);
    });
  }, 90_000);

  test('SIGTERM stops every process, children first, within the grace period, with exit 0', async () => {
    const pids = [...(await processes('platform')), ...(await processes('edge')), ...(await processes('workers'))].map((p) => p.pid!);
    expect(pids.every((pid) => pid > 0)).toBe(true);
    expect(await stopApps(apps)).toBe(0);
    apps = [];
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    expect((await processes('platform')).map((p) => [p.name, p.state, p.lastExit?.code])).toEqual([['edge', 'stopped', 0], ['workers', 'stopped', 0], ['query', 'stopped', 0]]);
  }, 90_000);
});
