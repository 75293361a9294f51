import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { eventTopic, type EventTopic } from '../shared/testing/events.ts';
import { createTopic } from '../shared/testing/topics.ts';
import { waitFor, readable } from '../shared/testing/wait.ts';
import { newRun, runEnv, storeReaders, uncommitted } from './testing.ts';

// A worker run as the real process (`bun workers/main.ts --count 1`), killed with SIGKILL mid-load and restarted.
const ROOT = join(import.meta.dir, '..');
const TOTAL = 20_000;
const PER_REQUEST = 1_000;
const run = newRun('crash');
const stores = storeReaders();
let source: EventTopic;
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
  source = await eventTopic({ what: 'workers_crash' });
  await createTopic(source.admin, run.dlqTopic, 1);
});

afterAll(async () => {
  // The worker's own account of what happened, for a failure to be read without re-running.
  if (failed) console.error(output.join('\n'));
  await source?.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
  await source?.close();
  await stores.cleanup(run);
  await stores.close();
});

describe('a worker killed in the middle of a large load', () => {
  test('after SIGKILL and a restart, every store holds exactly the events the edge accepted: no loss, no duplicate', async () => {
    const ids: string[] = [];
    for (let r = 0; r < TOTAL / PER_REQUEST; r++) {
      const batch = Array.from({ length: PER_REQUEST }, (_, i) => ({ type: `load.${i % 5}`, source: 'crash-test', data: { r, i, text: `event ${r}-${i}` } }));
      const published = await source.publish(batch);
      expect({ refused: published.refused, accepted: published.ids.length }).toEqual({ refused: [], accepted: PER_REQUEST });
      ids.push(...published.ids);
    }
    expect(ids.length).toBe(TOTAL);

    const first = startWorker(source.topic);
    await waitFor(readable(async () => (await stores.pgCount(run)) >= 1_500), 60_000, 'the first worker to write some batches', 20);
    first.kill('SIGKILL');
    expect(await first.exited).not.toBe(0);
    expect(await stores.pgCount(run)).toBeLessThan(TOTAL);
    expect(await uncommitted(source.admin, run.groupId, source.topic, 3)).toBeGreaterThan(0);

    const second = startWorker(source.topic);
    try {
      await waitFor(readable(async () => (await uncommitted(source.admin, run.groupId, source.topic, 3)) === 0), 90_000, 'the restarted worker to commit everything', 250);
      await waitFor(readable(async () => Object.values(await stores.counts(run)).every((n) => n >= TOTAL)), 30_000, 'every store to show every event', 250);
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
