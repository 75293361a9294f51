import { parseEvent, stampEvent, uuidv7, type EventKind, type IssueCode, type StampedEvent } from '../contracts/index.ts';
import { edgeProducerConfig, eventMessage } from '../contracts/record.ts';
import { createAdmin, createProducer, KafkaError, type Admin } from '../kafka/index.ts';
import { BROKERS } from '../kafka/testing.ts';
import { uniqueName } from './names.ts';
import { createTopic } from './topics.ts';

/** An event the fixture did not put on the topic: invalid (an issue code of the contract) or not acknowledged by Kafka. */
export interface Refusal {
  readonly index: number;
  readonly code: IssueCode | 'delivery_failed';
  /** Dotted path of the bad field; empty for the event as a whole. */
  readonly path: string;
  readonly message: string;
}

/** Like an edge receipt: the ids of the events on the topic, in input order, and the refused ones. */
export interface Published {
  readonly ids: string[];
  readonly refused: Refusal[];
}

export interface EventTopic {
  readonly brokers: string;
  readonly topic: string;
  readonly admin: Admin;
  /** Validates each item (shared/contracts), stamps it and produces it as the edge does, waiting for Kafka's acks. */
  publish(items: readonly unknown[], kind?: EventKind): Promise<Published>;
  /** Closes the producer, deletes the topic, closes the admin client. */
  close(): Promise<void>;
}

/** One call's work is bounded: a larger load is published in several calls, as a client sends several requests. */
const MAX_ITEMS_PER_CALL = 50_000;

/**
 * A topic of its own on a real broker with the edge's record format and producer settings: what the workers consume,
 * without running the edge (the workers' tests keep to shared/).
 */
export async function eventTopic({
  what,
  brokers = BROKERS,
  partitions = 3,
  topicConfig,
}: {
  what: string;
  brokers?: string;
  partitions?: number;
  /** Topic configs, e.g. { 'max.message.bytes': '2048' }. */
  topicConfig?: Record<string, string>;
}): Promise<EventTopic> {
  const topic = uniqueName(what);
  const admin = createAdmin({ brokers, timeoutMs: 15_000 });
  await createTopic(admin, topic, partitions, topicConfig);
  const producer = createProducer({ brokers, config: edgeProducerConfig({ lingerMs: 1 }) });
  producer.on('error', () => {});
  let closed = false;

  return {
    brokers,
    topic,
    admin,
    async publish(items, kind = 'event') {
      if (items.length > MAX_ITEMS_PER_CALL) throw new Error(`publish takes at most ${MAX_ITEMS_PER_CALL} items per call, got ${items.length}`);
      const refused: Refusal[] = [];
      const stamped: StampedEvent[] = [];
      const indices: number[] = [];
      const now = Date.now();
      for (let index = 0; index < items.length; index++) {
        const parsed = parseEvent(kind, items[index]);
        if (!parsed.ok) refused.push({ index, code: parsed.code, path: parsed.path, message: parsed.message });
        else {
          stamped.push(stampEvent(parsed.event, { now, newId: uuidv7 }));
          indices.push(index);
        }
      }
      const results = await producer.produceBatch(stamped.map((event) => eventMessage(topic, event)));
      const ids: string[] = [];
      results.forEach((result, i) => {
        if (result instanceof KafkaError) refused.push({ index: indices[i]!, code: 'delivery_failed', path: '', message: result.message });
        else ids.push(stamped[i]!.id);
      });
      refused.sort((a, b) => a.index - b.index);
      return { ids, refused };
    },
    async close() {
      if (closed) return;
      closed = true;
      await producer.close(5000).catch(() => undefined);
      await admin.deleteTopics([topic]).catch(() => undefined);
      await admin.close();
    },
  };
}
