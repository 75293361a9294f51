import * as v from 'valibot';
import { failure, fromIssues, type ParseResult } from './codes.ts';
import type { EventEnvelope } from './envelope.ts';
import { eventId, eventSource, eventType, partitionKey, strictRecord } from './fields.ts';
import { jsonObject } from './json.ts';
import { timestamp } from './timestamp.ts';

/** What the edge writes to Kafka: the envelope plus the fields the edge guarantees. */
export const stampedSchema = strictRecord({
  id: eventId,
  type: eventType,
  source: v.optional(eventSource),
  timestamp,
  key: partitionKey,
  receivedAt: v.pipe(timestamp, v.description('When the edge accepted the event.')),
  data: jsonObject,
});

export interface StampedEvent extends EventEnvelope {
  readonly id: string;
  /** The client's timestamp if it sent one, else `receivedAt`. */
  readonly timestamp: string;
  /** The client's key if it sent one, else `id`, so keyless events still spread over partitions. */
  readonly key: string;
  readonly receivedAt: string;
}

export interface StampOptions {
  /** Epoch milliseconds at which the edge accepted the event. */
  readonly now: number;
  /** Called only when the client sent no id; receives `now` so `uuidv7` fits directly. */
  readonly newId: (nowMs: number) => string;
}

/** Fills in what the client may leave out. Pure: time and id generation are injected. */
export function stampEvent(event: EventEnvelope, { now, newId }: StampOptions): StampedEvent {
  const receivedAt = new Date(now).toISOString();
  const id = event.id ?? newId(now);
  return {
    id,
    type: event.type,
    ...(event.source !== undefined && { source: event.source }),
    timestamp: event.timestamp ?? receivedAt,
    key: event.key ?? id,
    receivedAt,
    data: event.data,
  };
}

const encoder = new TextEncoder();
// fatal: bytes that are not UTF-8 are an error rather than being quietly turned into U+FFFD.
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeEvent(event: StampedEvent): Uint8Array {
  return encoder.encode(JSON.stringify(event));
}

/**
 * Reads an event back from Kafka. Checks it against the stamped schema rather than trusting the topic, since
 * anything with access to the topic can write to it.
 */
export function decodeEvent(bytes: Uint8Array): ParseResult<StampedEvent> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return failure('invalid_json', '', 'is not UTF-8 JSON');
  }
  const result = v.safeParse(stampedSchema, parsed);
  return result.success ? { ok: true, event: result.output } : fromIssues(result.issues);
}
