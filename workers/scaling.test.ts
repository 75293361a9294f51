import { afterAll, describe, expect, test } from 'bun:test';
import { loadConfig } from '../shared/config/index.ts';
import { createConsumer, createProducer, type Consumer } from '../shared/kafka/index.ts';
import { BROKERS, topicFixture, uniqueName } from '../shared/kafka/testing.ts';
import { groupSettings, workersConfig } from './config.ts';

// Real broker. Two consumers with the workers' own group settings stand in for two workers: the Kafka side of
// scaling out is all this checks, the stores play no part in it.
const topics = topicFixture();
const producer = createProducer({ brokers: BROKERS });

afterAll(async () => {
  await producer.close();
  await topics.cleanup();
});

describe('a worker joining a busy group', () => {
  test('gets partitions while the first worker still has a backlog, not after that worker has read it all', async () => {
    const topic = await topics.create(6, 'workers-scaling');
    // 60 MiB: under librdkafka's default fetch-ahead (64 MiB), so with its defaults the first worker would have
    // fetched the whole backlog before the revoke, queued behind it, reached the application.
    const total = 60_000;
    const value = new Uint8Array(1024).fill(0x61);
    for (let i = 0; i < total; i += 10_000) {
      const results = await producer.produceBatch(Array.from({ length: 10_000 }, (_, j) => ({ topic, key: `k${i + j}`, value })));
      expect(results.filter((r) => r instanceof Error)).toEqual([]);
    }

    const settings = groupSettings(loadConfig(workersConfig, {}, {}));
    const groupId = uniqueName('workers-scaling');
    const join = () => createConsumer({ brokers: BROKERS, groupId, topics: [topic], config: settings });
    const read = [new Set<string>(), new Set<string>()];
    const members: Consumer[] = [join()];
    /** How much of the backlog the first worker had read when the second got its first messages. */
    let firstHadRead: number | undefined;
    /** One batch like a worker's: poll, then commit what it read, as a worker does once its sinks are done. */
    async function batch(m: number): Promise<void> {
      const messages = await members[m]!.poll(100, 50);
      for (const message of messages) read[m]!.add(`${message.partition}:${message.offset}`);
      if (messages.length > 0) await members[m]!.commit().catch(() => undefined); // a commit refused mid-rebalance is re-read
    }
    try {
      const deadline = Date.now() + 50_000;
      while (read[0]!.size + read[1]!.size < total && Date.now() < deadline) {
        await batch(0);
        if (members.length === 1 && read[0]!.size > 0) members.push(join());
        if (members.length === 2) await batch(1);
        if (read[1]!.size > 0) firstHadRead ??= read[0]!.size;
        // The first worker is busy: ~5,000 messages/s, a backlog of over ten seconds, so a rebalance slowed by a busy
        // host still ends with most of it unread (at ~10,000/s one run saw the first worker read it all first).
        await Bun.sleep(20);
      }
    } finally {
      await Promise.all(members.map((m) => m.close()));
    }
    expect(new Set([...read[0]!, ...read[1]!]).size).toBe(total);
    // With librdkafka's defaults the second worker's first messages came when the first had read ~52,000 of 60,000.
    expect(firstHadRead).toBeLessThan(total / 2);
    // And it took a real share of the backlog, not just a re-read of what the first had done.
    expect([...read[1]!].filter((k) => !read[0]!.has(k)).length).toBeGreaterThan(total / 4);
  }, 60_000);
});
