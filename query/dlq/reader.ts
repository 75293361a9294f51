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
  /** The original bytes as text (U+FFFD for bytes that are not UTF-8), cut at PAYLOAD_LIMIT or the entry bound. */
  readonly payload: string | null;
  /** The original event when its bytes were a JSON object no larger than the entry bound. */
  readonly event: Record<string, unknown> | null;
  /** The record was not kept whole: payload is only its first part, and event is null if it was over the entry bound. */
  readonly truncated: boolean;
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
  /** Most bytes the held records may weigh (see weightOf); a record over a sixteenth of it is kept cut (entryBoundOf). */
  readonly maxBytes?: number;
  /** A fresh group per process by default: nothing is committed, so every gateway reads the topic from the start. */
  readonly groupId?: string;
  readonly consumerConfig?: ConsumerOptions['config'];
}

const PAYLOAD_LIMIT = 65_536;
/**
 * One record may weigh at most this share of the ring, so a huge record costs the ring a sixteenth of its memory
 * instead of evicting everything else; at the default 32 MiB that is 2 MiB, above the edge's 1 MiB event limit.
 */
const ENTRY_SHARE = 16;
/** What an entry's object, its small fields and the ring's slot cost beyond the text lengths counted below. */
const ENTRY_OVERHEAD = 512;
export const DEFAULT_RING_MAX_BYTES = 32 * 1024 * 1024;
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

/** The most one record may weigh in a ring of `maxBytes`. */
export const entryBoundOf = (maxBytes: number): number => Math.max(1, Math.floor(maxBytes / ENTRY_SHARE));

/**
 * A record as the ring keeps it. The parsed event is kept only when the record's bytes are within `entryBytes` (a
 * parsed object costs more than its JSON, and the whole of it would be held); the id, type and key are read from it
 * either way, so filters still find the record.
 */
export function toDeadLetter(m: ConsumedMessage, seq: number, entryBytes = entryBoundOf(DEFAULT_RING_MAX_BYTES)): DeadLetter {
  const h = readDeadLetterHeaders(m);
  const whole = decode(m.value);
  const parsed = parseEvent(whole);
  const event = parsed && (m.value?.byteLength ?? 0) <= entryBytes ? parsed : null;
  const payload = whole === null ? null : whole.slice(0, Math.min(PAYLOAD_LIMIT, entryBytes));
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
    eventId: h.event_id ?? str(parsed?.['id']),
    eventType: str(parsed?.['type']),
    key: decode(m.key) ?? str(parsed?.['key']),
    payload,
    event,
    // The workers cut a record the topic refused whole (the `truncated` header); the ring cuts one too large to hold.
    truncated: h.truncated !== undefined || (payload?.length ?? 0) < (whole?.length ?? 0) || (parsed !== null && event === null),
  };
}

/**
 * What an entry counts against the ring's bytes: its texts' lengths (payload, message, key) and the record's bytes
 * again for a kept parsed event, plus a fixed overhead. An estimate in proportion to what it holds, not a heap
 * measurement; the point is that the total cannot grow with record sizes beyond the bound.
 */
export function weightOf(d: DeadLetter, recordBytes: number): number {
  return ENTRY_OVERHEAD + (d.payload?.length ?? 0) + (d.message?.length ?? 0) + (d.key?.length ?? 0) + (d.event ? recordBytes : 0);
}

const matches = (d: DeadLetter, f: DeadLetterFilter): boolean =>
  (f.stage == null || d.stage === f.stage) &&
  (f.reason == null || d.reason === f.reason) &&
  (f.eventType == null || d.eventType === f.eventType) &&
  (f.eventId == null || d.eventId === f.eventId);

/**
 * Consumes the dead-letter topic from the beginning into a bounded ring, in the background. Memory, not a store: the
 * topic is the record, this is a window over its newest records (at most `capacity` of them, weighing at most
 * `maxBytes`) for people looking at the dashboard.
 */
export function createDeadLetterReader({
  brokers,
  topic,
  capacity,
  maxBytes = DEFAULT_RING_MAX_BYTES,
  groupId = `event-lens-query-dlq-${crypto.randomUUID()}`,
  consumerConfig = {},
}: DeadLetterReaderOptions): DeadLetterReader {
  const ring = new Ring<DeadLetter>({ capacity, maxBytes });
  const entryBytes = entryBoundOf(maxBytes);
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
        for (const m of batch) {
          const letter = toDeadLetter(m, ring.nextSeq, entryBytes);
          ring.push(letter, weightOf(letter, m.value?.byteLength ?? 0));
        }
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
