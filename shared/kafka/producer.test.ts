import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { createProducer, KafkaError, QueueFull, type DeliveryReport, type Producer } from './index.ts';
import { BROKERS, readAll, topicFixture } from './testing.ts';

// A real broker on a shared 2-core machine: allow for slow group joins; these are limits, not assertions.
setDefaultTimeout(30_000);

const fixture = topicFixture();
afterAll(() => fixture.cleanup());

describe('Producer against the real broker', () => {
  let producer: Producer;
  beforeAll(() => {
    producer = createProducer({ brokers: BROKERS });
  });
  afterAll(() => producer.close());

  test('keys, headers, timestamps and bytes come back intact and in order per partition', async () => {
    const topic = await fixture.create(3);
    const binary = new Uint8Array(256).map((_, i) => i);
    const sent = Array.from({ length: 60 }, (_, i) => ({
      topic,
      key: `user-${i % 4}`,
      value: i % 10 === 0 ? binary : `event ${i} ✓`,
      headers: [['trace', `t-${i}`], ['bin', new Uint8Array([0, 255, i])], ['trace', 'dup']] as Array<[string, string | Uint8Array]>,
      timestamp: 1_700_000_000_000 + i,
    }));
    const reports: DeliveryReport[] = [];
    for (const m of sent) reports.push(await producer.produce(m));
    expect(new Set(reports.map((r) => r.topic))).toEqual(new Set([topic]));

    const got = await readAll(topic, sent.length);
    expect(got.length).toBe(sent.length);
    const dec = new TextDecoder();
    for (const m of got) {
      const i = Number(dec.decode(m.headers[0]![1]!).slice(2));
      const want = sent[i]!;
      expect(dec.decode(m.key!)).toBe(want.key);
      expect(m.value).toEqual(typeof want.value === 'string' ? new TextEncoder().encode(want.value) : want.value);
      expect(m.headers.map(([n]) => n)).toEqual(['trace', 'bin', 'trace']);
      expect(m.headers[1]![1]).toEqual(new Uint8Array([0, 255, i]));
      expect(m.timestamp).toBe(want.timestamp);
      expect(m.timestampType).toBe('create');
      expect(m.offset).toBe(reports[i]!.offset);
      expect(m.partition).toBe(reports[i]!.partition);
    }
    // Same key -> same partition, in send order.
    for (const key of ['user-0', 'user-1', 'user-2', 'user-3']) {
      const seq = got.filter((m) => dec.decode(m.key!) === key).map((m) => Number(dec.decode(m.headers[0]![1]!).slice(2)));
      expect(seq).toEqual([...seq].sort((a, b) => a - b));
      expect(new Set(got.filter((m) => dec.decode(m.key!) === key).map((m) => m.partition)).size).toBe(1);
    }
  });

  test('an explicit partition, a null value (tombstone) and an empty value are honoured', async () => {
    const topic = await fixture.create(3);
    const a = await producer.produce({ topic, partition: 2, key: 'k', value: null });
    const b = await producer.produce({ topic, partition: 2, value: '' });
    expect([a.partition, b.partition]).toEqual([2, 2]);
    const got = await readAll(topic, 2);
    expect(got.map((m) => m.value)).toEqual([null, new Uint8Array(0)]);
    expect(got[1]!.key).toBeNull();
  });

  test('produceBatch reports every message in input order', async () => {
    const topic = await fixture.create(3);
    const results = await producer.produceBatch(Array.from({ length: 5000 }, (_, i) => ({ topic, value: `m${i}`, key: `${i % 7}` })));
    expect(results.length).toBe(5000);
    expect(results.filter((r) => r instanceof KafkaError)).toEqual([]);
    expect((await readAll(topic, 5000)).length).toBe(5000);
  });

  test('a partition that does not exist rejects that delivery with a typed error', async () => {
    const topic = await fixture.create(1);
    const err = await producer.produce({ topic, partition: 7, value: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).rdName).toBe('_UNKNOWN_PARTITION');
  });

  test('a record with headers that cannot be queued (no such partition, a topic known to be gone) is refused with a typed error, and the producer goes on', async () => {
    const topic = await fixture.create(1);
    const gone = await fixture.create(1);
    const p = createProducer({ brokers: BROKERS, config: { 'allow.auto.create.topics': false } });
    const headers = { pipeline: 'orders', kind: 'event' };
    await p.produce({ topic, value: 'known', headers });
    await p.produce({ topic: gone, value: 'known', headers });
    await fixture.admin.deleteTopics([fixture.topics.splice(fixture.topics.indexOf(gone), 1)[0]!]);
    const refused: string[] = [];
    // Queuing fails at once for both once the client knows the topic's partitions (or that it is gone): the path on
    // which librdkafka 2.0 frees headers passed one by one twice. Several rounds, as a double free may not crash at once.
    for (let round = 0; round < 20; round++) {
      const results = await p.produceBatch([{ topic, partition: 7, value: `r${round}`, headers }, { topic: gone, value: `r${round}`, headers }]);
      for (const r of results) if (r instanceof KafkaError) refused.push(r.rdName);
    }
    expect(refused.filter((n) => n === '_UNKNOWN_PARTITION').length).toBeGreaterThanOrEqual(20);
    expect(refused.some((n) => n === '_UNKNOWN_TOPIC')).toBe(true);
    expect((await p.produce({ topic, value: 'after', headers })).topic).toBe(topic);
    await p.close();
  });

  test('statistics arrive as stats events', async () => {
    const p = createProducer({ brokers: BROKERS, statsIntervalMs: 100 });
    const stats = await new Promise<Record<string, unknown>>((resolve) => p.on('stats', resolve));
    expect(stats.type).toBe('producer');
    expect(typeof stats.msg_cnt).toBe('number');
    await p.close();
  });
});

describe('Producer backpressure and close', () => {
  test('a full local queue rejects with QueueFull, and producing works again once it drains', async () => {
    const topic = await fixture.create(1);
    const p = createProducer({ brokers: BROKERS, config: { 'queue.buffering.max.messages': 100, 'linger.ms': 50 } });
    const outcomes = await Promise.allSettled(Array.from({ length: 400 }, (_, i) => p.produce({ topic, value: `v${i}` })));
    const rejected = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as unknown);
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) {
      expect(r).toBeInstanceOf(QueueFull);
      expect((r as QueueFull).rdName).toBe('_QUEUE_FULL');
      expect((r as QueueFull).retriable).toBe(true);
    }
    await p.flush(10_000);
    expect(p.queueLength()).toBe(0);
    const again = await p.produce({ topic, value: 'after drain' });
    expect(again.topic).toBe(topic);
    await p.close();
  });

  test('after a heavy burst and close(), every message whose promise resolved is on the broker', async () => {
    const topic = await fixture.create(3);
    const p = createProducer({ brokers: BROKERS });
    const value = new Uint8Array(200).fill(7);
    const promises = Array.from({ length: 50_000 }, () => p.produce({ topic, value }));
    await p.close();
    const outcomes = await Promise.allSettled(promises);
    expect(outcomes.every((o) => o.status === 'fulfilled' || (o.reason as unknown) instanceof KafkaError)).toBe(true);
    const delivered = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(delivered).toBeGreaterThan(0);
    const onBroker = await Promise.all([0, 1, 2].map((pt) => fixture.admin.watermarks(topic, pt)));
    expect(onBroker.reduce((n, w) => n + Number(w.high - w.low), 0)).toBeGreaterThanOrEqual(delivered);
    expect((await readAll(topic, delivered)).length).toBeGreaterThanOrEqual(delivered);
    expect(p.isHealthy()).toBe(false);
    await expect(p.produce({ topic, value: 'late' })).rejects.toBeInstanceOf(KafkaError);
  });
});
