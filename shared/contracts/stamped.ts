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
  const receivedAt = isoAt(now);
  const id = event.id ?? newId(now);
  const timestamp = event.timestamp ?? receivedAt;
  const key = event.key ?? id;
  // Two literals rather than spreads: same key order, no undefined-valued keys, and no intermediate objects (the
  // edge stamps every event it accepts).
  return event.source === undefined
    ? { id, type: event.type, timestamp, key, receivedAt, data: event.data }
    : { id, type: event.type, source: event.source, timestamp, key, receivedAt, data: event.data };
}

// A batch is stamped within one millisecond, so the ISO string is formatted once per millisecond, not per event.
let lastIsoMs = Number.NaN;
let lastIso = '';
function isoAt(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

const encoder = new TextEncoder();
// fatal: bytes that are not UTF-8 are an error rather than being quietly turned into U+FFFD.
const decoder = new TextDecoder('utf-8', { fatal: true });

// What events were decoded from, when decoding changed nothing in them; weak, so they go with their events.
const kept = new WeakMap<StampedEvent, { readonly text: string; readonly bytes: Uint8Array | undefined }>();

/**
 * The event as JSON text: the text it was read from if `keepEventText` recorded one, else freshly serialised. A
 * worker sends each event to the search node as text, and re-serialising what it had just parsed was a tenth of its
 * CPU in bench:workers.
 */
export function eventText(event: StampedEvent): string {
  return kept.get(event)?.text ?? JSON.stringify(event);
}

/**
 * Records `text` (and the UTF-8 `bytes` it was decoded from, if the caller has them) as `event`'s JSON when `parsed`
 * (JSON.parse of text) and the validated event agree on the fields validation may rewrite (timestamps are
 * normalised); otherwise the event is serialised afresh when needed.
 */
export function keepEventText(event: StampedEvent, parsed: unknown, text: string, bytes?: Uint8Array): void {
  const p = parsed as Partial<Record<'timestamp' | 'receivedAt', unknown>>;
  // A leading 0xEF can only be a byte order mark, which the decoder dropped from text; the bytes would carry it on.
  if (p.timestamp === event.timestamp && p.receivedAt === event.receivedAt) kept.set(event, { text, bytes: bytes?.[0] === 0xef ? undefined : bytes });
}

/**
 * The event as UTF-8 JSON: the bytes it was read from when `keepEventText` recorded them (shared, not copied: treat
 * them as read-only), else eventText encoded. The search sink sends these, so a worker neither encodes each event
 * again nor has the client measure and encode one large string per bulk request.
 */
export function encodeEvent(event: StampedEvent): Uint8Array {
  return kept.get(event)?.bytes ?? encoder.encode(eventText(event));
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
