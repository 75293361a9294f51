import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createAdmin } from '../../shared/kafka/index.ts';
import { BROKERS, readAll } from '../../shared/kafka/testing.ts';
import { uniqueName } from '../../shared/testing/names.ts';
import { createTopic } from '../../shared/testing/topics.ts';
import { benchEvent } from '../edge/events.ts';
import { ensureJvmPeer, startJvmPeer } from './jvm-peer.ts';
import { freePort, waitFor } from './run.ts';

interface ReceiptItem {
  index: number;
  status: 'accepted' | 'rejected';
  id?: string;
  partition?: number;
  offset?: string;
  code?: string;
  path?: string;
}
interface Receipt {
  accepted: number;
  rejected: number;
  results: ReceiptItem[];
}

const PARTITIONS = 3;
const topic = uniqueName('jvm_peer');
const admin = createAdmin({ brokers: BROKERS, timeoutMs: 15_000 });
const port = freePort();
let peer: ReturnType<typeof startJvmPeer> | undefined;
const url = `http://127.0.0.1:${port}/v1/events`;
const post = async (body: string) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ignored' }, body });
  return { status: res.status, receipt: (await res.json()) as Receipt & { error?: { code: string; path: string } } };
};

beforeAll(async () => {
  await ensureJvmPeer({ log: () => {} });
  await createTopic(admin, topic, PARTITIONS);
  peer = startJvmPeer({ port, topic, brokers: BROKERS, loops: 2, heapMb: 256 });
  await waitFor('JVM peer', `http://127.0.0.1:${port}/readyz`, 'GET', 60_000);
}, 300_000);

afterAll(async () => {
  peer?.kill('SIGTERM');
  await peer?.exited;
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.close();
});

describe('the JVM peer', () => {
  const acked: string[] = [];

  test('one event is answered 202 with its id, partition and offset once Kafka acknowledged it', async () => {
    const { status, receipt } = await post(JSON.stringify(benchEvent(1)));
    expect(status).toBe(202);
    expect(receipt).toMatchObject({ accepted: 1, rejected: 0 });
    const [item] = receipt.results;
    expect(item).toMatchObject({ index: 0, status: 'accepted' });
    expect(item!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(item!.partition).toBeGreaterThanOrEqual(0);
    expect(BigInt(item!.offset!)).toBeGreaterThanOrEqual(0n);
    acked.push(item!.id!);
  });

  test('a batch of 100 with one event without a type is answered 207, naming the bad index and its path', async () => {
    const events: unknown[] = Array.from({ length: 100 }, (_, i) => benchEvent(i));
    events[37] = { ...benchEvent(37), type: '' };
    const { status, receipt } = await post(JSON.stringify({ events }));
    expect(status).toBe(207);
    expect(receipt).toMatchObject({ accepted: 99, rejected: 1 });
    expect(receipt.results).toHaveLength(100);
    expect(receipt.results[37]).toMatchObject({ index: 37, status: 'rejected', code: 'invalid_event', path: 'type' });
    for (const r of receipt.results) if (r.status === 'accepted') acked.push(r.id!);
    expect(receipt.results.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test('an event whose data is not an object is answered 400 and nothing is produced', async () => {
    const { status, receipt } = await post(JSON.stringify({ type: 'page.view', data: 'x' }));
    expect(status).toBe(400);
    expect(receipt.results[0]).toMatchObject({ index: 0, status: 'rejected', code: 'invalid_event', path: 'data' });
  });

  test('a body that is not JSON is answered 400 malformed_json', async () => {
    const { status, receipt } = await post('{"type":');
    expect(status).toBe(400);
    expect(receipt.error).toMatchObject({ code: 'malformed_json' });
  });

  test('every acknowledged event is in the topic exactly once, stamped and with its headers', async () => {
    expect(acked).toHaveLength(100);
    const messages = await readAll(topic, acked.length);
    const ids = messages.map((m) => JSON.parse(new TextDecoder().decode(m.value!)).id as string);
    expect(ids.sort()).toEqual([...acked].sort());
    let inTopic = 0n;
    for (let p = 0; p < PARTITIONS; p++) inTopic += (await admin.watermarks(topic, p)).high;
    expect(inTopic).toBe(BigInt(acked.length));
    const first = messages.find((m) => JSON.parse(new TextDecoder().decode(m.value!)).id === acked[0])!;
    const event = JSON.parse(new TextDecoder().decode(first.value!));
    expect(event).toMatchObject({ id: acked[0], type: 'page.view', source: 'bench', key: 'user-1', data: { page: '/pricing' } });
    expect(Date.parse(event.receivedAt)).toBeGreaterThan(0);
    expect(new TextDecoder().decode(first.key!)).toBe('user-1');
    expect(Object.fromEntries(first.headers.map(([k, v]) => [k, new TextDecoder().decode(v!)]))).toEqual({ type: 'page.view', source: 'bench', id: acked[0]! });
  }, 60_000);
});
