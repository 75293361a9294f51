import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createAdmin } from '../../shared/kafka/index.ts';
import { BROKERS, readAll } from '../../shared/kafka/testing.ts';
import { uniqueName } from '../../shared/testing/names.ts';
import { createTopic } from '../../shared/testing/topics.ts';
import { benchEvent } from '../edge/events.ts';
import { startBunPeer } from './bun-peer.ts';
import { freePort, waitFor } from './run.ts';

type Item = { index: number; status: 'accepted' | 'rejected'; id?: string; partition?: number; offset?: string; code?: string; path?: string };
type Answer = { accepted: number; rejected: number; results: Item[]; error?: { code: string } };

const PARTITIONS = 3;
const topic = uniqueName('bun_peer');
const admin = createAdmin({ brokers: BROKERS, timeoutMs: 15_000 });
const port = freePort();
const peer = { proc: undefined as ReturnType<typeof startBunPeer> | undefined };
const send = async (body: string) => {
  const res = await fetch(`http://127.0.0.1:${port}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, answer: (await res.json()) as Answer };
};

beforeAll(async () => {
  await createTopic(admin, topic, PARTITIONS);
  peer.proc = startBunPeer({ port, topic, brokers: BROKERS, processes: 2 });
  await waitFor('Bun peer', `http://127.0.0.1:${port}/readyz`);
}, 60_000);

afterAll(async () => {
  peer.proc?.kill('SIGTERM');
  await peer.proc?.exited;
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.close();
});

describe('the Bun peer', () => {
  const ids: string[] = [];

  test('one event is answered 202 with its UUIDv7 id, partition and offset once Kafka acknowledged it', async () => {
    const { status, answer } = await send(JSON.stringify(benchEvent(1)));
    expect(status).toBe(202);
    expect(answer).toMatchObject({ accepted: 1, rejected: 0 });
    const item = answer.results[0]!;
    expect(item).toMatchObject({ index: 0, status: 'accepted' });
    expect(item.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(item.partition).toBeGreaterThanOrEqual(0);
    expect(BigInt(item.offset!)).toBeGreaterThanOrEqual(0n);
    ids.push(item.id!);
  });

  test('a batch of 100 with one event whose data is missing is answered 207, naming that index and the path', async () => {
    const events: unknown[] = Array.from({ length: 100 }, (_, i) => benchEvent(i));
    events[12] = { type: 'page.view' };
    const { status, answer } = await send(JSON.stringify({ events }));
    expect(status).toBe(207);
    expect(answer).toMatchObject({ accepted: 99, rejected: 1 });
    expect(answer.results.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(answer.results[12]).toMatchObject({ status: 'rejected', code: 'invalid_event', path: 'data' });
    for (const r of answer.results) if (r.status === 'accepted') ids.push(r.id!);
  });

  test('an event with an empty type is answered 400 and a body that is not JSON 400 malformed_json', async () => {
    expect(await send(JSON.stringify({ type: '', data: {} }))).toMatchObject({ status: 400, answer: { results: [{ code: 'invalid_event', path: 'type' }] } });
    expect(await send('{"type":')).toMatchObject({ status: 400, answer: { error: { code: 'malformed_json' } } });
  });

  test('every acknowledged event is in the topic once, stamped, keyed and with the headers type, source and id', async () => {
    expect(ids).toHaveLength(100);
    const records = await readAll(topic, ids.length);
    const text = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b!);
    expect(records.map((m) => JSON.parse(text(m.value)).id).sort()).toEqual([...ids].sort());
    const first = records.find((m) => JSON.parse(text(m.value)).id === ids[0])!;
    const event = JSON.parse(text(first.value));
    expect(event).toMatchObject({ id: ids[0], type: 'page.view', source: 'bench', key: 'user-1', data: { page: '/pricing' } });
    expect(Date.parse(event.receivedAt)).toBeGreaterThan(0);
    expect(text(first.key)).toBe('user-1');
    expect(Object.fromEntries(first.headers.map(([k, v]) => [k, text(v)]))).toEqual({ type: 'page.view', source: 'bench', id: ids[0]! });
  }, 60_000);
});
