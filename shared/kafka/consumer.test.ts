import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { createConsumer, createProducer, OFFSET_BEGINNING, type ConsumedMessage, type Consumer } from './index.ts';
import { BROKERS, topicFixture, uniqueName } from './testing.ts';

// A real broker on a shared 2-core machine: allow for slow group joins; these are limits, not assertions.
setDefaultTimeout(30_000);

const fixture = topicFixture();
const producer = createProducer({ brokers: BROKERS, config: { 'linger.ms': 1 } });
afterAll(async () => {
  await producer.close();
  await fixture.cleanup();
});

async function fill(topic: string, n: number, from = 0): Promise<void> {
  const results = await producer.produceBatch(Array.from({ length: n }, (_, i) => ({ topic, key: `k${(from + i) % 13}`, value: `m${from + i}` })));
  if (results.some((r) => r instanceof Error)) throw new Error('fill failed');
}

async function waitFor(what: string, cond: () => boolean, maxMs = 40_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await Bun.sleep(50);
  }
}

/**
 * A group member the way a worker would run it: poll, process, commit synchronously, poll again. A commit the
 * coordinator refuses mid-rebalance (ILLEGAL_GENERATION under cooperative-sticky, seen in CI) is owed: the member
 * polls, which applies the rebalance, and commits again. Only what was never committed may then reach a new owner.
 */
const duplicates: Array<{ partition: number; text: string }> = [];

function member(groupId: string, topic: string, seen: Map<string, string>, name: string, config = {}) {
  const consumer = createConsumer({ brokers: BROKERS, groupId, topics: [topic], config });
  const rebalances: string[] = [];
  const refused = new Set<number>();
  consumer.on('rebalance', (e) => rebalances.push(e.kind));
  let running = true;
  let owed = false;
  const loop = (async () => {
    while (running || owed) {
      const msgs = await consumer.poll(50, 100);
      for (const m of msgs) {
        const id = `${m.partition}:${m.offset}`;
        if (seen.has(id)) duplicates.push({ partition: m.partition, text: `${id} to ${seen.get(id)} and ${name}` });
        else seen.set(id, name);
      }
      if (msgs.length === 0 && !owed) continue;
      const owned = consumer.assignment().map((p) => p.partition);
      owed = await consumer.commit().then(
        () => false,
        () => (owned.forEach((p) => refused.add(p)), true),
      );
    }
  })();
  return {
    consumer,
    rebalances,
    refused,
    async stop() {
      running = false;
      await loop;
      await consumer.close();
    },
  };
}

const partitionsOf = (c: Consumer) => c.assignment().map((p) => p.partition).sort((a, b) => a - b);

describe('Consumer groups', () => {
  for (const strategy of ['range', 'cooperative-sticky']) {
    test(`members split partitions, a joiner triggers a rebalance, nothing committed is delivered again, commits survive a restart (${strategy})`, async () => {
      const topic = await fixture.create(6);
      const groupId = uniqueName('group');
      const config = { 'partition.assignment.strategy': strategy };
      const seen = new Map<string, string>();
      await fill(topic, 600);
      const a = member(groupId, topic, seen, 'a', config);
      const b = member(groupId, topic, seen, 'b', config);
      await waitFor('a and b to share the 6 partitions', () => {
        const [pa, pb] = [partitionsOf(a.consumer), partitionsOf(b.consumer)];
        return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 6 && new Set([...pa, ...pb]).size === 6;
      });
      const c = member(groupId, topic, seen, 'c', config);
      await waitFor('c to get partitions', () => partitionsOf(c.consumer).length > 0);
      await fill(topic, 600, 600);
      await waitFor('all 1200 messages', () => seen.size === 1200);
      expect(a.rebalances.length + b.rebalances.length).toBeGreaterThan(2);
      const refused = new Set([a, b, c].flatMap((m) => [...m.refused]));
      expect(duplicates.filter((d) => !refused.has(d.partition)).map((d) => d.text)).toEqual([]);
      expect(new Set(seen.values())).toEqual(new Set(['a', 'b', 'c']));
      await Promise.all([a.stop(), b.stop(), c.stop()]);

      const committed = await fixture.admin.committed(groupId);
      expect(committed.filter((p) => p.topic === topic).reduce((n, p) => n + Number(p.offset), 0)).toBe(1200);
      expect(await fixture.admin.groupLag(groupId, topic)).toBe(0n);

      await fill(topic, 50, 1200);
      const restarted = member(groupId, topic, seen, 'restarted', config);
      await waitFor('the 50 new messages after restart', () => seen.size === 1250);
      await Bun.sleep(300);
      expect(seen.size).toBe(1250);
      expect(duplicates.filter((d) => !refused.has(d.partition)).map((d) => d.text)).toEqual([]);
      await restarted.stop();
    }, 90_000);
  }
});

describe('Consumer rebalances between polls', () => {
  test('a rebalance that arrives while the application works is reported as pending and applied by the next poll, not before', async () => {
    const topic = await fixture.create(2);
    const groupId = uniqueName('group');
    const a = createConsumer({ brokers: BROKERS, groupId, topics: [topic] });
    const kinds: string[] = [];
    a.on('rebalance', (e) => kinds.push(e.kind));
    try {
      while (partitionsOf(a).length < 2 || a.rebalancePending()) await a.poll(10, 100);
      const b = member(groupId, topic, new Map(), 'b');
      try {
        // a does not poll: it is "processing". The joiner's rebalance reaches it and waits.
        await waitFor('the rebalance to reach a', () => a.rebalancePending());
        expect(partitionsOf(a)).toEqual([0, 1]);
        expect(kinds).toEqual(['assign']);
        await a.poll(10, 100);
        expect(kinds.slice(0, 2)).toEqual(['assign', 'revoke']);
        const deadline = Date.now() + 40_000;
        while ((partitionsOf(a).length !== 1 || partitionsOf(b.consumer).length !== 1) && Date.now() < deadline) await a.poll(10, 100);
        expect([...partitionsOf(a), ...partitionsOf(b.consumer)].sort()).toEqual([0, 1]);
      } finally {
        await b.stop();
      }
    } finally {
      await a.close();
    }
  }, 90_000);
});

describe('Consumer flow control', () => {
  async function consumerOn(n: number): Promise<{ topic: string; consumer: Consumer }> {
    const topic = await fixture.create(1);
    await fill(topic, n);
    return { topic, consumer: createConsumer({ brokers: BROKERS, groupId: uniqueName('flow'), topics: [topic] }) };
  }
  async function take(c: Consumer, n: number): Promise<ConsumedMessage[]> {
    const out: ConsumedMessage[] = [];
    const deadline = Date.now() + 30_000;
    while (out.length < n && Date.now() < deadline) out.push(...(await c.poll(n - out.length, 200)));
    return out;
  }
  const values = (ms: ConsumedMessage[]) => ms.map((m) => new TextDecoder().decode(m.value!));

  test('poll returns at most maxMessages and lag counts what was not returned yet', async () => {
    const { consumer } = await consumerOn(10);
    expect(values(await take(consumer, 4))).toEqual(['m0', 'm1', 'm2', 'm3']);
    const [lag] = consumer.lag();
    expect(lag).toMatchObject({ partition: 0, position: 4n, high: 10n, lag: 6n });
    await consumer.close();
  });

  test('uncommitted counts from the last commit, so messages taken but not committed still show', async () => {
    const { topic, consumer } = await consumerOn(10);
    await take(consumer, 10);
    expect(consumer.lag()[0]).toMatchObject({ position: 10n, high: 10n, lag: 0n, committed: 0n, uncommitted: 10n });
    await consumer.commit([{ topic, partition: 0, offset: 4n }]);
    expect(consumer.lag()[0]).toMatchObject({ lag: 0n, committed: 4n, uncommitted: 6n });
    await consumer.commit();
    expect(consumer.lag()[0]).toMatchObject({ committed: 10n, uncommitted: 0n });
    await consumer.close();
  });

  test('a paused partition delivers nothing until resumed, then continues without gaps', async () => {
    const { topic, consumer } = await consumerOn(10);
    expect(values(await take(consumer, 3))).toEqual(['m0', 'm1', 'm2']);
    consumer.pause([{ topic, partition: 0 }]);
    expect(await consumer.poll(10, 500)).toEqual([]);
    consumer.resume([{ topic, partition: 0 }]);
    expect(values(await take(consumer, 7))).toEqual(['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    await consumer.close();
  });

  test('seek replays from an earlier offset or from the beginning', async () => {
    const { topic, consumer } = await consumerOn(6);
    expect((await take(consumer, 6)).length).toBe(6);
    consumer.seek({ topic, partition: 0, offset: 4n });
    expect(values(await take(consumer, 2))).toEqual(['m4', 'm5']);
    consumer.seek({ topic, partition: 0, offset: OFFSET_BEGINNING });
    expect(values(await take(consumer, 6))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    await consumer.close();
  });

  test('explicit offsets commit synchronously or asynchronously and are visible to the group', async () => {
    const { topic, consumer } = await consumerOn(5);
    await take(consumer, 5);
    const groupId = consumer.groupId;
    await consumer.commit([{ topic, partition: 0, offset: 2n }]);
    expect(await fixture.admin.committed(groupId)).toEqual([{ topic, partition: 0, offset: 2n }]);
    await consumer.commit([{ topic, partition: 0, offset: 3n }], { sync: false });
    let committed = 0n;
    for (let i = 0; i < 50 && committed !== 3n; i++) {
      committed = (await fixture.admin.committed(groupId))[0]?.offset ?? -1n;
      if (committed !== 3n) await Bun.sleep(100);
    }
    expect(committed).toBe(3n);
    await consumer.close();
  });

  test('values: false hands over keys, headers and positions, but no values', async () => {
    const topic = await fixture.create(1);
    await producer.produceBatch([0, 1, 2].map((i) => ({ topic, key: `k${i}`, value: `m${i}`, headers: [['id', `e${i}`]] as const })));
    const consumer = createConsumer({ brokers: BROKERS, groupId: uniqueName('novalues'), topics: [topic], values: false });
    const got = await take(consumer, 3);
    const text = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);
    expect(got.map((m) => [m.offset, text(m.key), m.value, m.headers.map(([n, v]) => `${n}=${text(v)}`)])).toEqual([
      [0n, 'k0', null, ['id=e0']],
      [1n, 'k1', null, ['id=e1']],
      [2n, 'k2', null, ['id=e2']],
    ]);
    await consumer.close();
  });

  test('with boundedPoll a poll copies no more than maxBuffered out of librdkafka, however much is ready', async () => {
    const topic = await fixture.create(1);
    await fill(topic, 50);
    const consumer = createConsumer({ brokers: BROKERS, groupId: uniqueName('bounded'), topics: [topic], maxBuffered: 10, boundedPoll: true });
    const batches: number[] = [];
    const got: ConsumedMessage[] = [];
    for (const deadline = Date.now() + 30_000; got.length < 50 && Date.now() < deadline; ) {
      const batch = await consumer.poll(100, 200);
      if (batch.length > 0) batches.push(batch.length);
      got.push(...batch);
    }
    expect(values(got)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(Math.max(...batches)).toBeLessThanOrEqual(10);
    await consumer.close();
  });
});
