import * as v from 'valibot';
import { envelope, type EventEnvelope } from './envelope.ts';
import { eventId, eventSource, eventType, legacyId, looseRecord, strictRecord } from './fields.ts';
import { jsonContents, jsonObject, type JsonObject } from './json.ts';
import { timestamp } from './timestamp.ts';

/**
 * The bodies the older services accepted, each with a pure mapping onto the envelope. Their optional fields take
 * `null` as "absent" (v.nullish), since those services' clients commonly serialise a missing value as null.
 * Where a field becomes an envelope field it reuses that field's schema, so every mapped envelope is valid and a bad
 * value is reported under the name the client actually sent (`event_name`, not `type`).
 */

const text = v.string('must be a string');
const finiteNumber = v.pipe(v.number('must be a number'), v.finite('must be a finite number'));
const asKey = (id: string | number) => String(id);

/** `POST /orders`: any extra order fields (amount, quantity, customer_id, …) ride along in `data`. */
export const orderSchema = v.pipe(
  looseRecord({ order_id: legacyId, region: text, category: text }),
  jsonContents(),
  // jsonContents has just checked the extra fields, which is what makes this cast true.
  v.transform((order) => order as OrderBody),
);
export type OrderBody = JsonObject & { order_id: string | number; region: string; category: string };

export const orderToEnvelope = (order: OrderBody): EventEnvelope =>
  envelope({ type: 'order.created', source: 'orders', key: asKey(order.order_id), data: order });

/** `POST /events`. */
export const userEventSchema = strictRecord({
  event_id: v.nullish(v.union([eventId, v.pipe(v.number(), v.safeInteger())], 'must be a string or an integer')),
  user_id: legacyId,
  event_name: eventType,
  metadata: v.nullish(jsonObject),
  timestamp: v.nullish(timestamp),
});
export type UserEventBody = v.InferOutput<typeof userEventSchema>;

export const userEventToEnvelope = (body: UserEventBody): EventEnvelope =>
  envelope({
    id: body.event_id == null ? undefined : String(body.event_id),
    type: body.event_name,
    timestamp: body.timestamp ?? undefined,
    key: asKey(body.user_id),
    // user_id last: it is the partition key, so a different user_id inside metadata must not contradict it.
    data: { ...body.metadata, user_id: body.user_id },
  });

/** `POST /api/events`. */
export const apiEventSchema = strictRecord({
  event_type: eventType,
  payload: v.nullish(jsonObject),
  user_id: v.nullish(legacyId),
  source: v.nullish(eventSource),
  timestamp: v.nullish(timestamp),
});
export type ApiEventBody = v.InferOutput<typeof apiEventSchema>;

export const apiEventToEnvelope = (body: ApiEventBody): EventEnvelope =>
  envelope({
    type: body.event_type,
    source: body.source ?? undefined,
    timestamp: body.timestamp ?? undefined,
    key: body.user_id == null ? undefined : asKey(body.user_id),
    data: body.user_id == null ? { ...body.payload } : { ...body.payload, user_id: body.user_id },
  });

/** `POST /data`: extra reading fields (location, battery, …) ride along in `data`. */
export const sensorSchema = v.pipe(
  looseRecord({ sensor_id: legacyId, value: finiteNumber, timestamp: v.nullish(timestamp), unit: v.nullish(text) }),
  jsonContents(),
  // As for orders: the check above is what makes the cast true.
  v.transform((reading) => reading as SensorBody),
);
export type SensorBody = JsonObject & { sensor_id: string | number; value: number; timestamp?: string | null; unit?: string | null };

export function sensorToEnvelope(reading: SensorBody): EventEnvelope {
  // The timestamp moves to the envelope rather than being stored twice.
  const { timestamp: at, unit, ...rest } = reading;
  return envelope({
    type: 'sensor.reading',
    source: 'sensors',
    timestamp: at ?? undefined,
    key: asKey(reading.sensor_id),
    data: { ...rest, ...(unit != null && { unit }) },
  });
}

/** One item of `POST /api/events/ingest`'s `events` array. */
export const ingestItemSchema = strictRecord({ event_type: eventType, source: eventSource, data: jsonObject });
export type IngestItem = v.InferOutput<typeof ingestItemSchema>;

export const ingestItemToEnvelope = (item: IngestItem): EventEnvelope =>
  envelope({ type: item.event_type, source: item.source, data: item.data });

/** The `POST /api/events/ingest` body; its items are checked one by one so one bad item does not sink the rest. */
export const ingestBodySchema = strictRecord({ events: v.array(v.unknown(), 'must be an array') });
