import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { authFixture, type AuthFixture } from '../shared/auth/testing.ts';
import { createAdmin, type Admin } from '../shared/kafka/index.ts';
import type { Receipt } from './receipt.ts';
import { acceptedIds, BROKERS, countById, createTestKey, createTopic, keyStoreEnv, readTopic, spawnEdgeServer, uniqueTopic, type EdgeServerProcess, type TestKey } from './testing.ts';

// A rate-limited key driven past its limit over real HTTP, against `bun edge/server.ts` with two processes on one
// port: each process leases tokens from the key's one bucket in Redis, so the limit holds for the key as a whole.
const PORT = 18097;
const RATE = 100;
const BURST = 20;
const CONNECTIONS = 8;
const BATCH = 5;
const topic = uniqueTopic('rate_limit');
let admin: Admin;
let keys: AuthFixture;
let edge: EdgeServerProcess | undefined;
let limited: TestKey;

beforeAll(async () => {
  admin = createAdmin({ brokers: BROKERS, timeoutMs: 15_000 });
  await createTopic(admin, topic);
  keys = await authFixture('edge_rate');
  limited = await createTestKey(keys, { name: 'limited', scopes: 'ingest', rate: RATE, burst: BURST });
  edge = await spawnEdgeServer({ ...keyStoreEnv(keys), EDGE_PORT: String(PORT), EDGE_TOPIC: topic, EDGE_PROCESSES: '2' });
}, 90_000);

afterAll(async () => {
  await edge?.stop();
  await keys?.close();
  await admin?.deleteTopics([topic]).catch(() => undefined);
  await admin?.close();
}, 30_000);

interface Answer {
  status: number;
  headers: Headers;
  body: Receipt & { error?: { code: string } };
}

const post = async (events: unknown[]): Promise<Answer> => {
  const res = await fetch(`http://127.0.0.1:${PORT}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: limited.authorization },
    body: JSON.stringify(events),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
};

describe(`a key limited to ${RATE} events/s with a burst of ${BURST}`, () => {
  const answers: Answer[] = [];
  let seconds = 0;

  test(`driven from ${CONNECTIONS} connections at once for about 3 s, it is admitted at most 1.1 x rate x time + burst events`, async () => {
    const started = Date.now();
    const until = started + 3000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, c) => {
        for (let n = 0; Date.now() < until; n++) {
          const answer = await post(Array.from({ length: BATCH }, (_, i) => ({ type: 'limited.event', data: { c, n, i } })));
          answers.push(answer);
          // A short pause after a refusal keeps the shared machine usable; the key stays far past its limit.
          if (answer.status === 429) await Bun.sleep(5);
        }
      }),
    );
    seconds = (Date.now() - started) / 1000;
    const admitted = answers.filter((a) => a.status === 202).length * BATCH;
    expect(answers.every((a) => a.status === 202 || a.status === 429)).toBe(true);
    expect(answers.some((a) => a.status === 429)).toBe(true);
    expect(admitted).toBeGreaterThanOrEqual(BURST);
    expect(admitted).toBeLessThanOrEqual(1.1 * RATE * seconds + BURST);
  }, 30_000);

  test('every refusal is 429 rate_limited with Retry-After and the RateLimit headers; every admission carries the RateLimit headers', () => {
    for (const a of answers) {
      expect(a.headers.get('ratelimit-limit')).toBe(String(BURST));
      expect(Number(a.headers.get('ratelimit-remaining'))).toBeGreaterThanOrEqual(0);
      expect(Number(a.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(0);
      if (a.status === 429) {
        expect(a.body.error?.code).toBe('rate_limited');
        expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(a.headers.get('ratelimit-remaining')).toBe('0');
      }
    }
  });

  test('a batch larger than the burst is 429 batch_exceeds_burst', async () => {
    const res = await post(Array.from({ length: BURST + 1 }, () => ({ type: 'limited.too_big' })));
    expect([res.status, res.body.error?.code]).toEqual([429, 'batch_exceeds_burst']);
  });

  test('every event it got a 2xx for is in Kafka once, and nothing of a refused request is', async () => {
    const ids = answers.filter((a) => a.status === 202).flatMap((a) => acceptedIds(a.body));
    const counts = countById(await readTopic(BROKERS, admin, topic));
    for (const id of ids) expect(counts.get(id)).toBe(1);
    expect(counts.size).toBe(ids.length);
  }, 60_000);

  test('each of the two processes serves its own /metrics on the admin port', async () => {
    expect(edge!.adminPorts).toHaveLength(2);
    expect(new Set(edge!.adminPorts).size).toBe(2);
    for (const port of edge!.adminPorts) expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
  });
});
