import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { stampEvent, uuidv7, type StampedEvent } from '../shared/contracts/index.ts';
import { newRun, runEnv, storeReaders } from './testing.ts';

// `bun workers/seed.ts` as the real process, on a run of its own: what the gateway's tests and bench:query seed with.
const ROOT = join(import.meta.dir, '..');
const run = newRun('seed');
const stores = storeReaders();

afterAll(async () => {
  await stores.cleanup(run);
  await stores.close();
});

async function seed(lines: string, env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, 'workers/seed.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...runEnv(run, run.topic, env) },
    stdin: new Blob([lines]),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, summary: out.trim() ? (JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>) : undefined, stderr: err };
}

const events: StampedEvent[] = Array.from({ length: 30 }, (_, i) =>
  stampEvent({ type: `seed.${i % 3}`, source: 'seed-test', key: `k${i % 4}`, data: { i } }, { now: Date.now(), newId: uuidv7 }),
);
const ndjson = (list: readonly unknown[]) => list.map((e) => `${JSON.stringify(e)}\n`).join('');

describe('bun workers/seed.ts', () => {
  test('writes stamped events through the three sinks, searchable at once, and a second run of the same events changes no count', async () => {
    const first = await seed(ndjson(events), { WORKERS_BATCH_SIZE: '7' });
    expect(first).toMatchObject({ code: 0, summary: { events: 30, sinks: { elasticsearch: 30, postgres: 30, redis: 30 } } });
    // No waiting: the process refreshed the index before it exited.
    expect(await stores.counts(run)).toEqual({ es: 30, pg: 30, redis: 30 });
    expect(await seed(ndjson(events))).toMatchObject({ code: 0, summary: { events: 30 } });
    expect(await stores.counts(run)).toEqual({ es: 30, pg: 30, redis: 30 });
  });

  test('WORKERS_SINKS picks the stores written', async () => {
    const more = events.slice(0, 5).map((e) => ({ ...e, id: uuidv7(Date.now()) }));
    expect(await seed(ndjson(more), { WORKERS_SINKS: 'postgres' })).toMatchObject({ code: 0, summary: { events: 5, sinks: { postgres: 5 } } });
    expect(await stores.counts(run)).toEqual({ es: 30, pg: 35, redis: 30 });
  });

  test('a line that is not a stamped event exits 2 naming its code, line and field, and nothing from it on is written', async () => {
    const { receivedAt: _missing, ...unstamped } = { ...events[0]!, id: uuidv7(Date.now()) };
    const later = { ...events[1]!, id: uuidv7(Date.now()) };
    const result = await seed(`${ndjson([{ ...events[2]! }])}\n${JSON.stringify(unstamped)}\n${ndjson([later])}`);
    expect(result.code).toBe(2);
    expect(result.summary).toMatchObject({ error: { code: 'missing_field', line: 3, path: 'receivedAt' }, events: 0 });
    expect(await stores.pgCount(run)).toBe(35);
    expect((await seed('{not json\n')).summary).toMatchObject({ error: { code: 'invalid_json', line: 1, path: '' } });
  });
});
