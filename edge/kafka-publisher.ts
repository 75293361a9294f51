import { encodeEvent, type StampedEvent } from '../shared/contracts/index.ts';
import { createAdmin, createProducer, KafkaError, type Admin, type DeliveryResult, type OutgoingMessage, type Producer } from '../shared/kafka/index.ts';
import type { AckMode, PublishOutcome, Publisher } from './publisher.ts';

export interface KafkaPublisherOptions {
  brokers: string;
  topic: string;
  deliveryTimeoutMs?: number;
  queueMaxMessages?: number;
  lingerMs?: number;
  compression?: string;
  /** How often the broker is probed for /readyz and admission while idle. */
  probeIntervalMs?: number;
}

/**
 * The edge's producer side: one librdkafka producer per process (acks=all, idempotent), plus a metadata probe so
 * that "broker reachable" is known before a request waits a whole delivery timeout to find out.
 */
export async function createKafkaPublisher({
  brokers,
  topic,
  deliveryTimeoutMs = 15_000,
  queueMaxMessages = 100_000,
  lingerMs = 5,
  compression = 'lz4',
  probeIntervalMs = 2_000,
}: KafkaPublisherOptions): Promise<Publisher> {
  const producer: Producer = createProducer({
    brokers,
    config: {
      'message.timeout.ms': deliveryTimeoutMs,
      'queue.buffering.max.messages': queueMaxMessages,
      'linger.ms': lingerMs,
      'compression.type': compression,
    },
  });
  producer.on('error', () => {}); // surfaced through lastError()/ready(); an unhandled 'error' must not crash the edge
  const admin: Admin = createAdmin({ brokers, timeoutMs: 5_000 });
  let reachable = false;
  let probeError: string | undefined = 'not probed yet';
  const probe = async () => {
    try {
      await admin.metadata({ timeoutMs: Math.min(probeIntervalMs * 2, 5_000) });
      reachable = true;
      probeError = undefined;
    } catch (err) {
      reachable = false;
      probeError = err instanceof Error ? err.message : String(err);
    }
  };
  await probe();
  let probing = false;
  const timer = setInterval(() => {
    if (probing) return;
    probing = true;
    void probe().finally(() => (probing = false));
  }, probeIntervalMs);
  timer.unref?.();

  const toMessage = (event: StampedEvent): OutgoingMessage => ({
    topic,
    key: event.key,
    value: encodeEvent(event),
    // Kafka's retention and time index use the record timestamp; a client's event time can be years old, so the
    // record carries the receive time and the event time stays in the body.
    timestamp: Date.parse(event.receivedAt),
    headers: [
      ['type', event.type],
      ['source', event.source ?? ''],
      ['id', event.id],
    ],
  });

  return {
    async publish(events: readonly StampedEvent[], ack: AckMode): Promise<PublishOutcome[]> {
      const messages = events.map(toMessage);
      if (ack === 'kafka') {
        const results = await producer.produceBatch(messages);
        return results.map(toOutcome);
      }
      // ?ack=queued: answer once librdkafka holds the event. A produce refused on the spot (queue full) rejects
      // before the next microtask, so racing each promise against an already-settled one separates the two.
      const pending = messages.map((m) => producer.produce(m));
      const settledNow = await Promise.all(pending.map((p) => Promise.race([p.then(() => undefined, (e: unknown) => e), Promise.resolve(undefined)])));
      for (const p of pending) p.catch(() => {}); // later delivery failures show in metrics/logs, not as unhandled rejections
      return settledNow.map((err) => (err === undefined ? { ok: true } : toOutcome(err as KafkaError)));
    },
    ready: () => reachable && producer.isHealthy(),
    lastError: () => (reachable ? producer.lastError()?.message : probeError),
    room: () => queueMaxMessages - producer.queueLength(),
    queueDepth: () => producer.queueLength(),
    async close(timeoutMs: number) {
      clearInterval(timer);
      await producer.close(timeoutMs);
      await admin.close();
    },
  };
}

function toOutcome(result: DeliveryResult): PublishOutcome {
  if (!(result instanceof KafkaError)) return { ok: true, partition: result.partition, offset: result.offset };
  if (result.rdName === '_QUEUE_FULL') return { ok: false, code: 'overloaded', message: 'the producer queue is full', retriable: true };
  const unavailable = ['_MSG_TIMED_OUT', '_TRANSPORT', '_ALL_BROKERS_DOWN', '_TIMED_OUT'].includes(result.rdName);
  return {
    ok: false,
    code: unavailable ? 'broker_unavailable' : 'delivery_failed',
    message: `Kafka did not acknowledge the event: ${result.message}`,
    retriable: result.retriable || unavailable,
  };
}
