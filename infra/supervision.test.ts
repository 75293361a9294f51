import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { ChildStatus } from '../shared/supervisor.ts';
import { isolatedPlatform, type IsolatedPlatform, type Supervisor } from './isolated-platform.ts';
import { answers } from './platform.ts';
import { readable, waitFor } from '../shared/testing/wait.ts';

// The platform as `npm start` runs it (two edge processes, two workers, the gateway), on this run's own ports,
// topic, group, index prefix, schema and keys, with processes killed by SIGKILL under it.
const ports = { edge: 18190, workers: 19580, query: 14110 };
const TYPE = 'supervision.probe';
let platform: IsolatedPlatform;
const accepted = new Set<string>();
const edgeUrl = `http://127.0.0.1:${ports.edge}`;
const until = (what: string, check: () => Promise<boolean>, timeoutMs: number) => waitFor(readable(check), timeoutMs, what);

/**
 * While a process is down: the edge's /healthz polled and an event posted every 100 ms. Returns the /healthz probes
 * that failed; the ids of the events the edge acknowledged are kept for the end.
 */
function traffic() {
  let on = true;
  const failed: string[] = [];
  const loop = (async () => {
    for (let i = 0; on; i++) {
      if (!(await answers(`${edgeUrl}/healthz`, 2000))) failed.push(new Date().toISOString());
      const res = await fetch(`${edgeUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.keys.ingest}` },
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
async function killAndWaitForRestart(which: Supervisor, name: string): Promise<ChildStatus> {
  const before = (await platform.processes(which)).find((p) => p.name === name);
  expect(before?.state).toBe('running');
  process.kill(before!.pid!, 'SIGKILL');
  let after: ChildStatus | undefined;
  // The first restart waits 1 s; the margin is for Bun's start-up on a busy machine.
  await until(`${which}/${name} started again`, async () => {
    after = (await platform.processes(which)).find((p) => p.name === name);
    return after?.state === 'running' && after.pid !== before!.pid;
  }, 20_000);
  expect(after).toMatchObject({ restarts: before!.restarts + 1, lastExit: { code: null, signal: 'SIGKILL' } });
  return after!;
}

describe('npm start\'s processes, killed with SIGKILL', () => {
  beforeAll(async () => {
    // A killed worker's partitions move to the other after the session timeout; 6 s (the broker's minimum) keeps it short.
    platform = await isolatedPlatform({ what: 'supervise', ports, edgeProcesses: 2, workers: 2, env: { WORKERS_SESSION_TIMEOUT_MS: '6000' } });
  }, 180_000);

  afterAll(async () => platform?.stop(), 90_000);

  test('a worker process comes back, and the edge answers /healthz and takes events all the while', async () => {
    const stop = traffic();
    await killAndWaitForRestart('workers', 'worker-0');
    // The restarted worker answers on its own port again (worker 0 of WORKERS_METRICS_PORT).
    await until('worker 0 answering', () => answers(`http://127.0.0.1:${ports.workers}/healthz`, 2000), 30_000);
    expect(await stop()).toEqual([]);
  }, 90_000);

  test('the gateway comes back, and the edge answers /healthz all the while', async () => {
    const stop = traffic();
    const gateway = platform.apps.find((a) => a.name === 'query')!;
    const first = gateway.pid();
    await killAndWaitForRestart('platform', 'query');
    expect(gateway.pid()).not.toBe(first);
    await until('the gateway answering', () => answers(`http://127.0.0.1:${ports.query}/healthz`, 2000), 30_000);
    expect(await stop()).toEqual([]);
    // The edge and the workers were not touched.
    expect((await platform.processes('platform')).filter((p) => p.name !== 'query').map((p) => p.restarts)).toEqual([0, 0]);
  }, 90_000);

  test('an edge process comes back while the other keeps serving', async () => {
    const stop = traffic();
    await killAndWaitForRestart('edge', 'edge-1');
    await until('the edge answering', () => answers(`${edgeUrl}/readyz`, 2000), 30_000);
    // Requests the kernel had queued for the killed process may fail; the edge as a whole never went away.
    const failed = await stop();
    expect(failed.length).toBeLessThanOrEqual(2);
    expect((await platform.processes('platform')).find((p) => p.name === 'edge')?.restarts).toBe(0);
  }, 90_000);

  test('every event the edge acknowledged before and during the crashes is in Postgres and in the search index', async () => {
    expect(accepted.size).toBeGreaterThan(0);
    type Counts = { data?: { countEvents: number; events: { totalCount: number } } };
    const counts = async () => {
      const res = await fetch(`http://127.0.0.1:${ports.query}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.keys.readAdmin}` },
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
    const pids = [...(await platform.processes('platform')), ...(await platform.processes('edge')), ...(await platform.processes('workers'))].map((p) => p.pid!);
    expect(pids.every((pid) => pid > 0)).toBe(true);
    expect(await platform.stopServices()).toBe(0);
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    expect((await platform.processes('platform')).map((p) => [p.name, p.state, p.lastExit?.code])).toEqual([['edge', 'stopped', 0], ['workers', 'stopped', 0], ['query', 'stopped', 0]]);
  }, 90_000);
});
