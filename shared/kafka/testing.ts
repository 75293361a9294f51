import { createAdmin, type Admin } from './admin.ts';
import { DEFAULT_BROKERS } from './conf.ts';
import { createConsumer } from './consumer.ts';
import type { ConsumedMessage } from './messages.ts';

/** Test helpers: the broker from KAFKA_BROKERS, unique names so runs can repeat and overlap, and cleanup. */
export const BROKERS = process.env.KAFKA_BROKERS ?? DEFAULT_BROKERS;

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

export interface TopicFixture {
  admin: Admin;
  topics: string[];
  create(partitions?: number, prefix?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export function topicFixture(): TopicFixture {
  const admin = createAdmin({ brokers: BROKERS });
  const topics: string[] = [];
  return {
    admin,
    topics,
    async create(partitions = 3, prefix = 'kafka-test') {
      const name = uniqueName(prefix);
      topics.push(name);
      await admin.createTopics([{ name, partitions }]);
      return name;
    },
    async cleanup() {
      if (topics.length > 0) await admin.deleteTopics(topics.splice(0));
      await admin.close();
    },
  };
}

/** Reads `topic` from the beginning with a throwaway group until `count` messages arrived or `maxWaitMs` passed. */
export async function readAll(topic: string, count: number, maxWaitMs = 30_000): Promise<ConsumedMessage[]> {
  const consumer = createConsumer({ brokers: BROKERS, groupId: uniqueName('reader'), topics: [topic] });
  const out: ConsumedMessage[] = [];
  const deadline = Date.now() + maxWaitMs;
  try {
    while (out.length < count && Date.now() < deadline) out.push(...(await consumer.poll(5000, 500)));
  } finally {
    await consumer.close();
  }
  return out;
}
