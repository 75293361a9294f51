import * as v from 'valibot';
import { eventId, eventSource, eventType, partitionKey, strictRecord } from './fields.ts';
import { jsonObject, type JsonObject } from './json.ts';
import { timestamp } from './timestamp.ts';

/** What a client sends to the edge: one event, before the edge stamps it. Unknown fields are refused, not dropped. */
export const envelopeSchema = strictRecord({
  id: v.optional(eventId),
  type: eventType,
  source: v.optional(eventSource),
  timestamp: v.optional(timestamp),
  key: v.optional(partitionKey),
  data: v.optional(jsonObject, () => ({})),
});

export interface EventEnvelope {
  readonly id?: string;
  readonly type: string;
  readonly source?: string;
  /** Canonical UTC ISO-8601 (`2024-01-02T03:04:05.000Z`). */
  readonly timestamp?: string;
  readonly key?: string;
  readonly data: JsonObject;
}

// Fails to compile if the schema and the interface drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesInterface: Same<v.InferOutput<typeof envelopeSchema>, { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] }> = true;
void schemaMatchesInterface;

/**
 * Builds an envelope without `undefined`-valued keys, so envelopes compare and serialise the same whichever shape
 * they were mapped from.
 */
export function envelope(fields: Omit<EventEnvelope, 'data'> & { readonly data?: JsonObject }): EventEnvelope {
  const { id, type, source, timestamp, key, data } = fields;
  // Assigned in field order rather than spread: four conditional spreads made four short-lived objects for every
  // event the edge accepts.
  const out: { -readonly [K in keyof EventEnvelope]?: EventEnvelope[K] } = id === undefined ? { type } : { id, type };
  if (source !== undefined) out.source = source;
  if (timestamp !== undefined) out.timestamp = timestamp;
  if (key !== undefined) out.key = key;
  out.data = data ?? {};
  return out as EventEnvelope;
}
