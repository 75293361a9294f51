import type { ConsumedMessage, OutgoingMessage } from '../kafka/index.ts';

/**
 * The dead-letter record format, in one place: the workers write it (workers/dlq.ts, workers/dispatch.ts) and the
 * query gateway reads it (query/dlq/reader.ts). The record's value and key are the original message's, untouched;
 * everything else travels in the headers below.
 */

/** One event's way ending at `stage` (workers narrow `S` to their steps and sinks). */
export interface DeadLetter<S extends string = string> {
  /** The message as consumed; its value and key are forwarded byte for byte. */
  readonly message: ConsumedMessage;
  readonly stage: S;
  readonly reason: string;
  readonly detail?: string;
  readonly attempts: number;
  readonly eventId?: string;
}

/**
 * Headers every dead-letter record carries; `event_id` only when the event got far enough to have a known id, and
 * `truncated` (the original value's length in bytes) only when the topic refused the whole record and the value is a
 * prefix of the original: topic, partition and offset then locate the original, still in the main topic.
 */
export const DLQ_HEADERS = ['stage', 'reason', 'message', 'attempts', 'topic', 'partition', 'offset', 'event_id', 'truncated'] as const;
export type DeadLetterHeaders = Partial<Record<(typeof DLQ_HEADERS)[number], string>>;

const MESSAGE_LIMIT = 1000;

/**
 * The record for one (event, stage). The original bytes and key go out untouched, so the event can be re-driven into
 * the main topic as it was, and keyed like it was (same partition, same order relative to its key). The record's
 * timestamp is left to the producer: the DLQ's retention should count from when the record was dead-lettered.
 * With `maxValueBytes`, a longer value is cut to that many bytes and the record says so (the `truncated` header).
 */
export function deadLetterRecord(topic: string, letter: DeadLetter, { maxValueBytes }: { maxValueBytes?: number } = {}): OutgoingMessage {
  const { message: m, stage, reason, detail, attempts, eventId } = letter;
  const headers: Array<[string, string]> = [
    ['stage', stage],
    ['reason', reason],
    ['message', (detail ?? '').slice(0, MESSAGE_LIMIT)],
    ['attempts', String(attempts)],
    ['topic', m.topic],
    ['partition', String(m.partition)],
    ['offset', String(m.offset)],
  ];
  if (eventId !== undefined) headers.push(['event_id', eventId]);
  if (maxValueBytes === undefined || m.value === null || m.value.byteLength <= maxValueBytes) return { topic, value: m.value, key: m.key, headers };
  headers.push(['truncated', String(m.value.byteLength)]);
  return { topic, value: m.value.subarray(0, maxValueBytes), key: m.key, headers };
}

const text = new TextDecoder();

/** Reads the dead-letter headers back (the gateway's reader, tests and tools that re-drive the topic). */
export function readDeadLetterHeaders(m: Pick<ConsumedMessage, 'headers'>): DeadLetterHeaders {
  const out: DeadLetterHeaders = {};
  for (const [name, value] of m.headers) {
    if ((DLQ_HEADERS as readonly string[]).includes(name)) out[name as keyof DeadLetterHeaders] = value ? text.decode(value) : '';
  }
  return out;
}
