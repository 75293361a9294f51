import type { KafkaConfig, OutgoingMessage } from '../kafka/index.ts';
import { eventText, type StampedEvent } from './stamped.ts';

/**
 * The Kafka record of an accepted event, the contract between the edge (which produces it) and everything that
 * consumes the topic (workers, pipelines, replays): keyed by the event's key, the stamped event's JSON as the value,
 * headers type/source/id, and the receive time as the record timestamp. A traced request's records also carry the
 * W3C `traceparent` of its edge span (shared/telemetry/tracing.ts), so the workers continue the trace; untraced ones
 * carry no such header. `text` is eventText(event) when the caller already has it.
 */
export function eventMessage(topic: string, event: StampedEvent, traceparent?: string, text = eventText(event)): OutgoingMessage {
  const headers: Array<[string, string]> = [
    ['type', event.type],
    ['source', event.source ?? ''],
    ['id', event.id],
  ];
  if (traceparent !== undefined) headers.push(['traceparent', traceparent]);
  return {
    topic,
    key: event.key,
    // The JSON text itself: the client writes it into its arena as UTF-8, which saves encoding to a buffer first.
    value: text,
    // Kafka's retention and time index use the record timestamp; a client's event time can be years old, so the
    // record carries the receive time and the event time stays in the body.
    timestamp: Date.parse(event.receivedAt),
    headers,
  };
}

/** The producer settings that shape how the event records are sent (edgeProducerConfig). */
export interface EventProducerOptions {
  deliveryTimeoutMs?: number;
  queueMaxMessages?: number;
  lingerMs?: number;
  compression?: string;
  /** Largest event accepted; the producer's own size limit is set above it, with room for the stamped fields. */
  maxEventBytes?: number;
}

export const EVENT_PRODUCER_DEFAULTS = {
  deliveryTimeoutMs: 15_000,
  queueMaxMessages: 100_000,
  lingerMs: 5,
  compression: 'lz4',
  maxEventBytes: 1_048_576,
} satisfies Required<EventProducerOptions>;

/** What stamping adds to an event at most (id, key, type, source, timestamps, headers), with a wide margin. */
const STAMP_OVERHEAD_BYTES = 64 * 1024;

/**
 * librdkafka settings of the edge's producer, over shared/kafka's durable defaults (acks=all, idempotent). bench:edge
 * builds its bare-client yardstick from the same settings, and test fixtures produce events with them.
 */
export function edgeProducerConfig(options: EventProducerOptions): KafkaConfig {
  const d = EVENT_PRODUCER_DEFAULTS;
  return {
    'message.timeout.ms': options.deliveryTimeoutMs ?? d.deliveryTimeoutMs,
    'queue.buffering.max.messages': options.queueMaxMessages ?? d.queueMaxMessages,
    'linger.ms': options.lingerMs ?? d.lingerMs,
    'compression.type': options.compression ?? d.compression,
    // librdkafka refuses messages over message.max.bytes (default 1,000,000) on the spot, which would turn an event
    // the edge accepted (up to maxEventBytes, 1 MiB) into a delivery failure.
    'message.max.bytes': (options.maxEventBytes ?? d.maxEventBytes) + STAMP_OVERHEAD_BYTES,
  };
}
