import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { createAdmin, createConsumer, createProducer, KafkaError, type Consumer } from './index.ts';
import { BROKERS, uniqueName } from './testing.ts';

// A real broker on a shared 2-core machine: allow for slow group joins; these are limits, not assertions.
setDefaultTimeout(30_000);

const admin = createAdmin({ brokers: BROKERS });
const created: string[] = [];
afterAll(async () => {
  await admin.deleteTopics(created);
  await admin.close();
});

describe('Admin', () => {
  test('creates a topic with its partitions and config, lists it, and deletes it', async () => {
    const name = uniqueName('admin');
    created.push(name);
    await admin.createTopics([{ name, partitions: 4, config: { 'retention.ms': '3600000' } }]);
    // Creation, like deletion, reaches the broker's metadata cache asynchronously (seen on a freshly started broker).
    let md = await admin.metadata();
    for (let i = 0; i < 100 && !md.topics.some((t) => t.name === name && t.partitions.length > 0); i++) md = await Bun.sleep(100).then(() => admin.metadata());
    expect(md.brokers.length).toBeGreaterThan(0);
    expect(md.topics.find((t) => t.name === name)?.partitions.length).toBe(4);
    expect(await admin.listTopics()).toContain(name);
    await admin.deleteTopics([name]);
    // Deletion propagates to the broker's metadata cache asynchronously.
    let topics = await admin.listTopics();
    for (let i = 0; i < 100 && topics.includes(name); i++) topics = await Bun.sleep(100).then(() => admin.listTopics());
    expect(topics).not.toContain(name);
  });

  test('creating an existing topic is a no-op unless ifNotExists is false', async () => {
    const name = uniqueName('admin');
    created.push(name);
    await admin.createTopics([{ name }]);
    await admin.createTopics([{ name }]);
    const err = await admin.createTopics([{ name }], { ifNotExists: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).rdName).toBe('TOPIC_ALREADY_EXISTS');
  });

  test('deleting a missing topic is a no-op unless ifExists is false', async () => {
    const name = uniqueName('missing');
    await admin.deleteTopics([name]);
    const err = await admin.deleteTopics([name], { ifExists: false }).catch((e: unknown) => e);
    expect((err as KafkaError).rdName).toBe('UNKNOWN_TOPIC_OR_PART');
  });

  test('watermarks count what was produced', async () => {
    const name = uniqueName('admin');
    created.push(name);
    await admin.createTopics([{ name, partitions: 1 }]);
    const p = createProducer({ brokers: BROKERS });
    await p.produceBatch(Array.from({ length: 25 }, (_, i) => ({ topic: name, value: `${i}` })));
    await p.close();
    expect(await admin.watermarks(name, 0)).toEqual({ low: 0n, high: 25n });
  });

  test('offsets for times find the first record at or after each time, and the end past the last one', async () => {
    const name = uniqueName('admin');
    created.push(name);
    await admin.createTopics([{ name, partitions: 2 }]);
    const base = Date.UTC(2024, 0, 1, 12, 0, 0);
    const p = createProducer({ brokers: BROKERS });
    // Partition 0: one record per second for 10 s; partition 1: records only from second 5 on.
    await p.produceBatch([
      ...Array.from({ length: 10 }, (_, i) => ({ topic: name, partition: 0, value: `a${i}`, timestamp: base + i * 1000 })),
      ...Array.from({ length: 5 }, (_, i) => ({ topic: name, partition: 1, value: `b${i}`, timestamp: base + (5 + i) * 1000 })),
    ]);
    await p.close();
    const at = (ms: number) => admin.offsetsForTimes(name, [0, 1].map((partition) => ({ partition, timestamp: base + ms })));
    expect(await at(0)).toEqual([{ partition: 0, offset: 0n }, { partition: 1, offset: 0n }]);
    expect(await at(3500)).toEqual([{ partition: 0, offset: 4n }, { partition: 1, offset: 0n }]);
    expect(await at(7000)).toEqual([{ partition: 0, offset: 7n }, { partition: 1, offset: 2n }]);
    expect(await at(60_000)).toEqual([{ partition: 0, offset: -1n }, { partition: 1, offset: -1n }]);
  });

  test('a group that never committed has no committed offsets', async () => {
    expect(await admin.committed(uniqueName('nobody'))).toEqual([]);
  });

  test('describes a group as its coordinator sees it: each member with its client id, host and its own partitions', async () => {
    const topic = uniqueName('admin-group');
    created.push(topic);
    await admin.createTopics([{ name: topic, partitions: 4 }]);
    const groupId = uniqueName('admin-group');
    const members: Consumer[] = ['member-a', 'member-b'].map((clientId) => createConsumer({ brokers: BROKERS, groupId, topics: [topic], config: { 'client.id': clientId } }));
    try {
      // Both keep polling (as members must) until the coordinator has given out every partition of the topic.
      let described = await admin.describeGroup(groupId);
      const settled = () => described.state === 'Stable' && described.members.length === 2 && described.members.every((m) => m.assignment.length > 0);
      for (let i = 0; i < 200 && !settled(); i++) {
        await Promise.all(members.map((m) => m.poll(10, 100)));
        described = await admin.describeGroup(groupId);
      }
      expect(described.state).toBe('Stable');
      expect(described.members.map((m) => m.clientId).sort()).toEqual(['member-a', 'member-b']);
      expect(described.members.every((m) => m.host.includes('127.0.0.1') && m.memberId.startsWith(m.clientId))).toBe(true);
      const owned = described.members.flatMap((m) => m.assignment.map((p) => `${p.topic}[${p.partition}]`)).sort();
      expect(owned).toEqual([0, 1, 2, 3].map((p) => `${topic}[${p}]`));
    } finally {
      await Promise.all(members.map((m) => m.close()));
    }
  });

  test('a group nobody joined is described as dead, with no members', async () => {
    expect(await admin.describeGroup(uniqueName('nobody'))).toMatchObject({ state: 'Dead', members: [] });
  });

  test('requests after close reject with a typed error', async () => {
    const a = createAdmin({ brokers: BROKERS });
    await a.close();
    await expect(a.createTopics([{ name: uniqueName('late') }])).rejects.toBeInstanceOf(KafkaError);
  });
});
