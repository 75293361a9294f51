import { createConsumer, type ConsumedMessage, type Consumer, type ConsumerOptions } from '../../shared/kafka/index.ts';
import { readDeadLetterHeaders } from '../../shared/stores/dead-letter.ts';
import { Ring } from './ring.ts';

/** One record of the dead-letter topic, as the workers wrote it (format in shared/stores/dead-letter.ts). */
export interface DeadLetter {
  readonly seq: number;
  readonly partition: number;
  readonly offset: bigint;
  /** When the record was dead-lettered (the record's timestamp), epoch ms; null when the broker gave none. */
  readonly deadLetteredAt: number | null;
  readonly stage: string;
  readonly reason: string;
  readonly message: string | null;
  readonly attempts: number | null;
  /** Where the event was consumed from. */
  readonly originTopic: string | null;
  readonly originPartition: number | null;
  readonly originOffset: string | null;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly key: string | null;
  /** The original bytes as text (U+FFFD for bytes that are not UTF-8), cut at PAYLOAD_LIMIT. */
  readonly payload: string | null;
  /** The original event when its bytes were a JSON object. */
  readonly event: Record<string, unknown> | null;
}

export interface DeadLetterFilter {
  readonly stage?: string | null;
  readonly reason?: string | null;
  readonly eventType?: string | null;
  readonly eventId?: string | null;
}

export interface DeadLetterPage {
  readonly items: DeadLetter[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

export interface DeadLetterReader {
  /** Newest first; `before` is the sequence of the last item of the previous page. */
  page(filter: DeadLetterFilter, first: number, before?: number): DeadLetterPage;
  readonly buffered: () => number;
  readonly dropped: () => number;
  /** Records read since start. */
  readonly consumed: () => number;
  /** The last consumer error, e.g. brokers down; cleared by the next successful read. */
  readonly lastError: () => string | undefined;
  close(): Promise<void>;
}

export interface DeadLetterReaderOptions {
  readonly brokers: string;
  readonly topic: string;
  readonly capacity: number;
  /** A fresh group per process by default: nothing is committed, so every gateway reads the topic from the start. */
  readonly groupId?: string;
  readonly consumerConfig?: ConsumerOptions['config'];
}

const PAYLOAD_LIMIT = 65_536;
const text = new TextDecoder();

const decode = (bytes: Uint8Array | null): string | null => (bytes ? text.decode(bytes) : null);
const numberOr = (value: string | undefined): number | null => (value && /^\d+$/.test(value) ? Number(value) : null);

function parseEvent(payload: string | null): Record<string, unknown> | null {
  if (payload === null) return null;
  try {
    const parsed: unknown = JSON.parse(payload);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function toDeadLetter(m: ConsumedMessage, seq: number): DeadLetter {
  const h = readDeadLetterHeaders(m);
  const whole = decode(m.value);
  const event = parseEvent(whole);
  return {
    seq,
    partition: m.partition,
    offset: m.offset,
    deadLetteredAt: m.timestamp >= 0 ? m.timestamp : null,
    stage: h.stage ?? 'unknown',
    reason: h.reason ?? 'unknown',
    message: h.message || null,
    attempts: numberOr(h.attempts),
    originTopic: h.topic ?? null,
    originPartition: numberOr(h.partition),
    originOffset: h.offset ?? null,
    eventId: h.event_id ?? str(event?.['id']),
    eventType: str(event?.['type']),
    key: decode(m.key) ?? str(event?.['key']),
    payload: whole === null ? null : whole.slice(0, PAYLOAD_LIMIT),
    event,
  };
}

const matches = (d: DeadLetter, f: DeadLetterFilter): boolean =>
  (f.stage == null || d.stage === f.stage) &&
  (f.reason == null || d.reason === f.reason) &&
  (f.eventType == null || d.eventType === f.eventType) &&
  (f.eventId == null || d.eventId === f.eventId);

/**
 * Consumes the dead-letter topic from the beginning into a bounded ring, in the background. Memory, not a store: the
 * topic is the record, this is a window over its newest `capacity` records for people looking at the dashboard.
 */
export function createDeadLetterReader({
  brokers,
  topic,
  capacity,
  groupId = `event-lens-query-dlq-${crypto.randomUUID()}`,
  consumerConfig = {},
}: DeadLetterReaderOptions): DeadLetterReader {
  const ring = new Ring<DeadLetter>(capacity);
  let consumed = 0;
  let lastError: string | undefined;
  let closed = false;
  // A topic created after start is found at the next metadata refresh; librdkafka's default waits 5 minutes.
  const consumer: Consumer = createConsumer({
    brokers,
    groupId,
    topics: [topic],
    config: { 'topic.metadata.refresh.interval.ms': 5_000, 'auto.offset.reset': 'earliest', ...consumerConfig },
  });
  consumer.on('error', (error) => {
    lastError = error.message;
  });

  const loop = (async function readLoop() {
    while (!closed) {
      try {
        const batch = await consumer.poll(1_000, 500);
        for (const m of batch) ring.push(toDeadLetter(m, ring.size + ring.dropped));
        consumed += batch.length;
        if (batch.length > 0) lastError = undefined;
      } catch (error) {
        if (closed) break;
        lastError = error instanceof Error ? error.message : String(error);
        await Bun.sleep(1_000);
      }
    }
  })();

  function page(filter: DeadLetterFilter, first: number, before?: number): DeadLetterPage {
    const items: DeadLetter[] = [];
    let totalCount = 0;
    for (const [, item] of ring.newestFirst()) if (matches(item, filter)) totalCount++;
    let hasNextPage = false;
    for (const [, item] of ring.newestFirst(before)) {
      if (!matches(item, filter)) continue;
      if (items.length === first) {
        hasNextPage = true;
        break;
      }
      items.push(item);
    }
    return { items, hasNextPage, totalCount };
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await loop;
    await consumer.close(5_000);
  }

  return {
    page,
    buffered: () => ring.size,
    dropped: () => ring.dropped,
    consumed: () => consumed,
    lastError: () => lastError,
    close,
  };
}
