import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { acceptedIds, createTopic, edgeFixture, post, waitFor, type EdgeFixture } from '../edge/testing.ts';
import { eventually, newRun, runEnv, storeReaders, uncommitted } from './testing.ts';

// A worker run as the real process (`bun workers/main.ts --count 1`), killed with SIGKILL mid-load and restarted.
const ROOT = join(import.meta.dir, '..');
const TOTAL = 20_000;
const PER_REQUEST = 1_000;
const run = newRun('crash');
const stores = storeReaders();
let edge: EdgeFixture;
const output: string[] = [];
let failed = true;

function startWorker(topic: string) {
  const proc = Bun.spawn([process.execPath, 'workers/main.ts', '--count', '1'], {
    cwd: ROOT,
    // A killed member's partitions move after session.timeout.ms; 6 s (the broker's minimum) keeps the restart quick.
    env: { ...process.env, ...runEnv(run, topic, { WORKERS_BATCH_SIZE: '500', WORKERS_SESSION_TIMEOUT_MS: '6000' }) },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  void new Response(proc.stdout).text().then((t) => output.push(t));
  void new Response(proc.stderr).text().then((t) => output.push(t));
  return proc;
}

beforeAll(async () => {
  edge = await edgeFixture({ what: 'workers_crash' });
  await createTopic(edge.admin, run.dlqTopic, 1);
});

afterAll(async () => {
  // The worker's own account of what happened, for a failure to be read without re-running.
  if (failed) console.error(output.join('\n'));
  await edge?.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
  await edge?.close();
  await stores.cleanup(run);
  await stores.close();
});

describe('a worker killed in the middle of a large load', () => {
  test('after SIGKILL and a restart, every store holds exactly the events the edge accepted: no loss, no duplicate', async () => {
    const ids: string[] = [];
    for (let r = 0; r < TOTAL / PER_REQUEST; r++) {
      const batch = Array.from({ length: PER_REQUEST }, (_, i) => ({ type: `load.${i % 5}`, source: 'crash-test', data: { r, i, text: `event ${r}-${i}` } }));
      // As a client would: a 503 (Kafka briefly unreachable or the producer queue full) is retried after a pause.
      let reply = await post(edge.app, '/v1/events', batch);
      for (let tries = 1; reply.status === 503 && tries < 10; tries++) {
        await Bun.sleep(1000);
        reply = await post(edge.app, '/v1/events', batch);
      }
      expect({ status: reply.status, accepted: reply.body.accepted }).toEqual({ status: 202, accepted: PER_REQUEST });
      ids.push(...acceptedIds(reply.body));
    }
    expect(ids.length).toBe(TOTAL);

    const first = startWorker(edge.topic);
    await waitFor(eventually(async () => (await stores.pgCount(run)) >= 1_500), 60_000, 'the first worker to write some batches', 20);
    first.kill('SIGKILL');
    expect(await first.exited).not.toBe(0);
    expect(await stores.pgCount(run)).toBeLessThan(TOTAL);
    expect(await uncommitted(edge.admin, run.groupId, edge.topic, 3)).toBeGreaterThan(0);

    const second = startWorker(edge.topic);
    try {
      await waitFor(eventually(async () => (await uncommitted(edge.admin, run.groupId, edge.topic, 3)) === 0), 90_000, 'the restarted worker to commit everything', 250);
      await waitFor(eventually(async () => Object.values(await stores.counts(run)).every((n) => n >= TOTAL)), 30_000, 'every store to show every event', 250);
    } finally {
      second.kill('SIGTERM');
    }
    expect(await second.exited).toBe(0);

    expect(await stores.counts(run)).toEqual({ es: TOTAL, pg: TOTAL, redis: TOTAL });
    const [pg] = await stores.sql<{ n: number; distinct_ids: number }[]>`
      select count(*)::int as n, count(distinct event_id)::int as distinct_ids from ${stores.sql(`${run.pgSchema}.events`)}`;
    expect(pg).toEqual({ n: TOTAL, distinct_ids: TOTAL });
    const inPg = await stores.sql<{ event_id: string }[]>`select event_id from ${stores.sql(`${run.pgSchema}.events`)}`;
    expect(new Set(inPg.map((r) => r.event_id))).toEqual(new Set(ids));
    expect(await stores.seenCount(run)).toBe(TOTAL);
    const stats = await stores.redisStats(run);
    expect(Object.values(stats.byType).reduce((a, b) => a + b, 0)).toBe(TOTAL);
    // _id is the event id and every event of this run is in today's index, so a count of TOTAL means no duplicate.
    expect(await stores.esCount(run)).toBe(TOTAL);
    failed = false;
  }, 180_000);
});
