import * as v from 'valibot';
import { failure, fromIssues, type ParseResult } from './codes.ts';
import { envelope, type EventEnvelope } from './envelope.ts';
import { MAX_LENGTH, looseRecord, partitionKey } from './fields.ts';
import { isJsonObjectAt, isPlainObject, jsonObject, stringProblem, type JsonObject } from './json.ts';
import { eventTypeOf, isEventId, stableEventId } from './sdk-names.ts';
import { isCanonicalTime, timestamp } from './timestamp.ts';

/**
 * PostHog capture events (posthog-node, posthog-js) mapped onto the envelope: uuid -> id, event -> type (PostHog's
 * own `$` names as `posthog.<name>`: `$pageview` -> `posthog.pageview`), distinct_id -> key, timestamp ->
 * timestamp; under `data` the original event name as `event`, `properties`, `$set` and `$set_once`. posthog-js puts
 * the project key in `properties.token`: here that is an ingest key, so `token` and `api_key` are not kept.
 */

const distinctId = v.union([v.pipe(v.string(), v.nonEmpty('must not be empty')), v.pipe(v.number(), v.safeInteger())], 'must be a string or an integer');
const object = v.custom<Record<string, unknown>>(isPlainObject, 'must be a JSON object');

export const posthogEventSchema = looseRecord({
  event: v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'), v.maxLength(1024, 'must be at most 1024 characters')),
  uuid: v.nullish(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'), v.maxLength(1024, 'must be at most 1024 characters'))),
  distinct_id: v.nullish(distinctId),
  $distinct_id: v.nullish(distinctId),
  timestamp: v.nullish(timestamp),
  properties: v.nullish(object),
  $set: v.nullish(object),
  $set_once: v.nullish(object),
});
export type PosthogEvent = v.InferOutput<typeof posthogEventSchema>;

/** `$pageview` -> `posthog.pageview`; other names as the contract allows them (sdk-names.ts). */
export function posthogType(event: string): string | undefined {
  return eventTypeOf(event.startsWith('$') ? `posthog.${event.slice(1)}` : event);
}

const CREDENTIAL_FIELDS = new Set(['token', 'api_key']);

/** The properties to keep: the same object unless it carries the key, which is left out. */
function keptProperties(properties: Record<string, unknown>): Record<string, unknown> {
  if (!('token' in properties) && !('api_key' in properties)) return properties;
  const kept: Record<string, unknown> = {};
  for (const name in properties) if (!CREDENTIAL_FIELDS.has(name)) kept[name] = properties[name];
  return kept;
}

function dataOf(event: string, properties: unknown, set: unknown, setOnce: unknown): Record<string, unknown> {
  const data: Record<string, unknown> = { event };
  if (properties != null) data.properties = keptProperties(properties as Record<string, unknown>);
  if (set != null) data.$set = set;
  if (setOnce != null) data.$set_once = setOnce;
  return data;
}

/** The distinct id: the event's own, else the one posthog-js puts in its properties. */
function distinctOf(e: { distinct_id?: unknown; $distinct_id?: unknown; properties?: unknown }): unknown {
  return e.distinct_id ?? e.$distinct_id ?? (isPlainObject(e.properties) ? e.properties.distinct_id : undefined);
}

/** Maps a checked event onto the envelope; a failure names the field the client sent. */
export function posthogToEnvelope(e: PosthogEvent, source: string): ParseResult<EventEnvelope> {
  const type = posthogType(e.event);
  if (type === undefined) return failure('invalid_value', 'event', 'has no letters, digits or . _ : - to name the event type with');
  const distinct = distinctOf(e);
  if (distinct == null) return failure('missing_field', 'distinct_id', 'is required');
  const key = typeof distinct === 'number' && Number.isSafeInteger(distinct) ? String(distinct) : distinct;
  const keyCheck = v.safeParse(partitionKey, key);
  if (!keyCheck.success) return failure(fromIssues(keyCheck.issues).code, 'distinct_id', keyCheck.issues[0].message);
  const checked = v.safeParse(jsonObject, dataOf(e.event, e.properties, e.$set, e.$set_once));
  if (!checked.success) return fromIssues(checked.issues);
  const id = e.uuid == null ? undefined : stableEventId('posthog', e.uuid);
  return { ok: true, event: envelope({ id, type, source, timestamp: e.timestamp ?? undefined, key: keyCheck.output, data: checked.output }) };
}

export function parsePosthogSlow(input: unknown, source: string): ParseResult<EventEnvelope> {
  const result = v.safeParse(posthogEventSchema, input);
  return result.success ? posthogToEnvelope(result.output, source) : fromIssues(result.issues);
}

const absent = (value: unknown) => value === undefined || value === null;

/**
 * The envelope for the shape posthog-node sends (a uuid, a string distinct_id, a canonical UTC timestamp) without
 * valibot, else undefined and the caller runs parsePosthogSlow; posthog.test.ts holds the two to the same envelopes.
 */
export function posthogFast(input: unknown, source: string, storable = false): EventEnvelope | undefined {
  if (!isPlainObject(input)) return undefined;
  const e = input as Record<string, unknown>;
  if (typeof e.event !== 'string' || e.event.length > 1024) return undefined;
  const type = posthogType(e.event);
  if (type === undefined) return undefined;
  if (!absent(e.uuid) && !(typeof e.uuid === 'string' && isEventId(e.uuid))) return undefined;
  if (!absent(e.distinct_id) && typeof e.distinct_id !== 'string') return undefined;
  if (!absent(e.$distinct_id) && typeof e.$distinct_id !== 'string') return undefined;
  const key = distinctOf(e);
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_LENGTH.key || stringProblem(key) !== undefined) return undefined;
  if (!absent(e.timestamp) && !isCanonicalTime(e.timestamp)) return undefined;
  for (const field of ['properties', '$set', '$set_once'] as const) if (!absent(e[field]) && !isPlainObject(e[field])) return undefined;
  const data = dataOf(e.event, e.properties, e.$set, e.$set_once);
  if (!isJsonObjectAt(data, 1, storable)) return undefined;
  return envelope({ id: (e.uuid ?? undefined) as string | undefined, type, source, timestamp: (e.timestamp ?? undefined) as string | undefined, key, data: data as JsonObject });
}

/**
 * One PostHog event onto the envelope: the fast path for the common shape, the schema for the rest. `storable`: the
 * event was parsed from text storableText (json.ts) accepted, so its strings need no test of their own.
 */
export function parsePosthog(input: unknown, source: string, storable = false): ParseResult<EventEnvelope> {
  const event = posthogFast(input, source, storable);
  return event ? { ok: true, event } : parsePosthogSlow(input, source);
}
