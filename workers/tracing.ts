import type { ConsumedMessage } from '../shared/kafka/index.ts';
import type { Tracing } from '../shared/telemetry/tracing.ts';

/** What the batch loop tells a traced batch, each at the moment it happens (times from performance.now()). */
export interface BatchTrace {
  /** Decode and validate of the whole batch ended at `at` (ProcessedBatch.decodedAt); the sinks start then. */
  decoded(at: number): void;
  /** A sink (or the dead-letter producer, `dlq`) settled every event of the batch. */
  settled(target: string): void;
  /** The offsets are being committed. */
  committing(): void;
  /** The batch is done: each traced event's spans are made and queued for export. */
  end(committed: boolean): void;
}

export interface BatchTracerOptions {
  tracing: Tracing;
  /** At most this many traced events of one batch get spans (TRACING_MAX_EVENTS_PER_BATCH). */
  maxEventsPerBatch?: number;
  now?: () => number;
}

const decoder = new TextDecoder();

/** The record's `traceparent` header (shared/contracts/record.ts), if the edge traced its request. */
export function traceparentOf(message: ConsumedMessage): string | undefined {
  for (const [name, value] of message.headers) if (name === 'traceparent' && value !== null) return decoder.decode(value);
  return undefined;
}

/**
 * Continues the edge's traces through a batch. The stages run once per batch, not per event, so each traced event
 * gets its own `process` span whose children share the batch's stage timings: in a trace viewer the event's trace
 * reads edge `ingest` → `process` → `decode`, `sink elasticsearch`, `sink postgres`, `sink redis`, (`dlq`), `commit`.
 * At most `maxEventsPerBatch` events of a batch get spans; the rest of the batch is not traced.
 */
export function createBatchTracer({ tracing, maxEventsPerBatch = 100, now = () => performance.now() }: BatchTracerOptions) {
  return function beginBatch(messages: readonly ConsumedMessage[]): BatchTrace | undefined {
    if (!tracing.enabled) return undefined;
    const traced: Array<{ message: ConsumedMessage; parent: string }> = [];
    for (const message of messages) {
      if (traced.length >= maxEventsPerBatch) break;
      const parent = traceparentOf(message);
      if (parent !== undefined) traced.push({ message, parent });
    }
    if (traced.length === 0) return undefined;
    const started = now();
    let decodedAt = started;
    let commitAt: number | undefined;
    const settled: Array<[target: string, at: number]> = [];
    // Spans take epoch milliseconds; the marks are monotonic, so they are shifted once by the time origin.
    const epoch = (t: number) => performance.timeOrigin + t;
    return {
      decoded: (at) => void (decodedAt = at),
      settled: (target) => void settled.push([target, now()]),
      committing: () => void (commitAt = now()),
      end(committed) {
        const ended = now();
        const stages: Array<[name: string, start: number, end: number]> = [['decode', started, decodedAt]];
        for (const [target, at] of settled) stages.push([target === 'dlq' ? 'dlq' : `sink ${target}`, decodedAt, at]);
        if (commitAt !== undefined) stages.push(['commit', commitAt, ended]);
        for (const { message, parent } of traced) {
          const process = tracing.startSpan('process', {
            parent,
            startTime: epoch(started),
            attributes: {
              'messaging.system': 'kafka',
              'messaging.destination.name': message.topic,
              'messaging.destination.partition.id': String(message.partition),
              'messaging.kafka.offset': Number(message.offset),
              'messaging.batch.message_count': messages.length,
            },
          });
          for (const [name, start, end] of stages) tracing.startSpan(name, { parent: process, startTime: epoch(start) }).end(epoch(end));
          // Left uncommitted (shutdown during retries): the event is re-delivered and traced again by its next batch.
          if (!committed) process.fail('not_committed');
          process.end(epoch(ended));
        }
      },
    };
  };
}

export type BeginBatch = ReturnType<typeof createBatchTracer>;
