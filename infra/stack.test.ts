import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPid } from './process.ts';
import { listening } from './service.ts';
import { createStack, down, status, up } from './stack.ts';

// A second, private stack on spare ports and its own home, so the lifecycle can be checked without touching the
// servers the rest of the suite uses. Elasticsearch is left out here: it is the slowest to start on 2 cores and goes
// through the same spawn/stop path.
const home = mkdtempSync(join(tmpdir(), 'event-lens-stack-'));
const env = {
  ...process.env,
  STACK_HOME: home,
  KAFKA_BROKERS: '127.0.0.1:19092',
  STACK_KAFKA_CONTROLLER_PORT: '19093',
  STACK_KAFKA_HEAP_MB: '512',
  REDIS_URL: 'redis://127.0.0.1:16379',
  ELASTICSEARCH_URL: 'http://search.invalid:9200',
  DATABASE_URL: 'postgres://postgres@db.invalid:5432/test',
};
const lines: string[] = [];
const stack = createStack(env, (line) => lines.push(line));

describe('stack up / status / down', () => {
  afterAll(async () => {
    await down(stack);
    rmSync(home, { recursive: true, force: true });
  });

  test('servers pointed elsewhere are left alone and reported as external', () => {
    expect(stack.services.map((s) => s.name)).toEqual(['kafka', 'redis']);
    expect(stack.external.map((s) => s.name)).toEqual(['elasticsearch', 'postgres']);
  });

  test('up starts Kafka and Redis, waits until they answer, and a second up is a no-op', async () => {
    const started = await up(stack);
    expect(started).toEqual(['kafka', 'redis']);
    expect(await listening(19092)).toBe(true);
    expect(await listening(16379)).toBe(true);
    const states = await status(stack);
    expect(states.filter((s) => s.state === 'running').map((s) => s.name)).toEqual(['kafka', 'redis']);
    expect(await up(stack)).toEqual([]);
    expect(lines.some((l) => l.startsWith('kafka: already up'))).toBe(true);
  }, 120_000);

  test('down stops every process it started and leaves no port listening', async () => {
    const pids = ['kafka', 'redis'].map((n) => readPid(home, n));
    expect(pids.every((p) => typeof p === 'number')).toBe(true);
    await down(stack);
    for (const port of [19092, 19093, 16379]) expect(await listening(port)).toBe(false);
    for (const name of ['kafka', 'redis']) expect(readPid(home, name)).toBeUndefined();
    expect((await status(stack)).map((s) => s.state)).toEqual(['stopped', 'stopped', 'external', 'external']);
  }, 60_000);
});
