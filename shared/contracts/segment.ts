import * as v from 'valibot';
import { failure, fromIssues, type ParseResult } from './codes.ts';
import { envelope, type EventEnvelope } from './envelope.ts';
import { MAX_LENGTH, looseRecord, partitionKey } from './fields.ts';
import { isJsonObjectAt, isParsedJsonObjectAt, isPlainObject, jsonObject, stringProblem, type JsonObject } from './json.ts';
import { eventTypeOf, isEventId, stableEventId } from './sdk-names.ts';
import { isCanonicalTime, timestamp } from './timestamp.ts';

/**
 * Segment's HTTP Tracking API messages (also what RudderStack's SDKs send), mapped onto the envelope:
 * messageId -> id, the event name (track) or the call -> type, userId ?? anonymousId -> key, timestamp ??
 * originalTimestamp -> timestamp, and the message's own fields under `data` by their Segment names. Fields outside
 * that list (sentAt, channel, _metadata, writeKey, ...) are not kept: writeKey is a credential.
 */

export const SEGMENT_CALLS = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentCall = (typeof SEGMENT_CALLS)[number];

/** The fields kept under `data`, in this order. */
const DATA_FIELDS = ['properties', 'traits', 'context', 'integrations', 'userId', 'anonymousId', 'groupId', 'previousId', 'name', 'category'] as const;

const text = v.pipe(v.string('must be a string'), v.maxLength(1024, 'must be at most 1024 characters'));
const userId = v.union([v.pipe(v.string(), v.nonEmpty('must not be empty')), v.pipe(v.number(), v.safeInteger())], 'must be a string or an integer');
const object = v.custom<Record<string, unknown>>(isPlainObject, 'must be a JSON object');

/** One message; the checks that need the whole `data` (nesting, field names) run on it once it is built. */
export const segmentMessageSchema = looseRecord({
  type: v.nullish(v.picklist(SEGMENT_CALLS, `must be one of ${SEGMENT_CALLS.join(', ')}`)),
  event: v.nullish(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'), v.maxLength(1024, 'must be at most 1024 characters'))),
  messageId: v.nullish(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'), v.maxLength(1024, 'must be at most 1024 characters'))),
  userId: v.nullish(userId),
  anonymousId: v.nullish(userId),
  timestamp: v.nullish(timestamp),
  originalTimestamp: v.nullish(timestamp),
  properties: v.nullish(object),
  traits: v.nullish(object),
  context: v.nullish(object),
  integrations: v.nullish(object),
  groupId: v.nullish(userId),
  previousId: v.nullish(userId),
  name: v.nullish(text),
  category: v.nullish(text),
});
export type SegmentMessage = v.InferOutput<typeof segmentMessageSchema>;

export interface SegmentOptions {
  /** The call the route names (`/v1/track`); a batch item names its own `type`. */
  call?: SegmentCall;
  /** The source events get: the key's bound source, else `segment`. */
  source: string;
  /** The message was parsed from text storableText (json.ts) accepted: its strings need no test of their own. */
  storable?: boolean;
}

const idText = (id: string | number | null | undefined) => (id == null ? undefined : String(id));

/** Maps a checked message onto the envelope; a failure names the field the client sent. */
export function segmentToEnvelope(message: SegmentMessage, { call, source }: SegmentOptions): ParseResult<EventEnvelope> {
  const type = call ?? message.type;
  if (type == null) return failure('missing_field', 'type', 'is required');
  let name: string = type;
  if (type === 'track') {
    if (message.event == null) return failure('missing_field', 'event', 'is required for a track call');
    const mapped = eventTypeOf(message.event);
    if (mapped === undefined) return failure('invalid_value', 'event', 'has no letters, digits or . _ : - to name the event type with');
    name = mapped;
  }
  const key = idText(message.userId) ?? idText(message.anonymousId);
  if (key === undefined) return failure('missing_field', 'userId', 'userId or anonymousId is required');
  const keyCheck = v.safeParse(partitionKey, key);
  if (!keyCheck.success) {
    const problem = fromIssues(keyCheck.issues);
    return failure(problem.code, message.userId == null ? 'anonymousId' : 'userId', keyCheck.issues[0].message);
  }
  const data: Record<string, unknown> = {};
  for (const field of DATA_FIELDS) if (message[field] != null) data[field] = message[field];
  if (type === 'track' && name !== message.event) data.event = message.event!;
  if (message.messageId != null && !isEventId(message.messageId)) data.messageId = message.messageId;
  const checked = v.safeParse(jsonObject, data);
  // data's keys are the message's own field names, so the path already names what the client sent.
  if (!checked.success) return fromIssues(checked.issues);
  const id = message.messageId == null ? undefined : stableEventId('segment', message.messageId);
  return { ok: true, event: envelope({ id, type: name, source, timestamp: message.timestamp ?? message.originalTimestamp ?? undefined, key, data: checked.output }) };
}

/** Validates one message with the schema, then maps it. Never throws for bad input. */
export function parseSegmentSlow(input: unknown, options: SegmentOptions): ParseResult<EventEnvelope> {
  const result = v.safeParse(segmentMessageSchema, input);
  return result.success ? segmentToEnvelope(result.output, options) : fromIssues(result.issues);
}

const absent = (value: unknown) => value === undefined || value === null;
const isId = (value: unknown, max: number) => typeof value === 'string' && value.length > 0 && value.length <= max && stringProblem(value) === undefined;
// The objects under `data` sit one level inside it, so their nesting counts from there, as in a walk over all of data.
const isDataObject = (value: unknown, storable: boolean) => absent(value) || (storable ? isParsedJsonObjectAt(value, 2) : isJsonObjectAt(value, 2));
const isDataText = (value: unknown) => absent(value) || isId(value, 1024);

/**
 * The envelope for the shape the SDKs send (string ids, a valid event name and message id, canonical UTC timestamps)
 * without valibot, else undefined and the caller runs parseSegmentSlow, which also says what is wrong. Each field is
 * read by name and each value checked once: `data`'s own field names are known to be valid, and a loop over
 * DATA_FIELDS reading `m[field]` cost ~2% of /v1/batch's CPU. sdk.test.ts holds the two to the same envelopes, fields
 * in the same order.
 */
export function segmentFast(input: unknown, { call, source, storable = false }: SegmentOptions): EventEnvelope | undefined {
  if (!isPlainObject(input)) return undefined;
  const m = input as Record<string, unknown>;
  const type = call ?? m.type;
  if (typeof type !== 'string' || !(SEGMENT_CALLS as readonly string[]).includes(type)) return undefined;
  // The route's call wins, but a message naming a call that does not exist is still refused (by the schema).
  if (call !== undefined && !absent(m.type) && !(SEGMENT_CALLS as readonly string[]).includes(m.type as string)) return undefined;
  let name = type;
  if (type === 'track') {
    if (typeof m.event !== 'string' || m.event.length > 1024) return undefined;
    const mapped = eventTypeOf(m.event);
    if (mapped !== m.event) return undefined;
    name = mapped;
  }
  if (!absent(m.messageId) && !(typeof m.messageId === 'string' && isEventId(m.messageId))) return undefined;
  const { userId, anonymousId, properties, traits, context, integrations, groupId, previousId, name: pageName, category } = m;
  const key = absent(userId) ? anonymousId : userId;
  if (!isId(key, MAX_LENGTH.key) || !(absent(anonymousId) || isId(anonymousId, MAX_LENGTH.key))) return undefined;
  if (!absent(m.timestamp) && !isCanonicalTime(m.timestamp)) return undefined;
  if (!absent(m.originalTimestamp) && !isCanonicalTime(m.originalTimestamp)) return undefined;
  if (!isDataObject(properties, storable) || !isDataObject(traits, storable) || !isDataObject(context, storable) || !isDataObject(integrations, storable)) return undefined;
  if (!isDataText(groupId) || !isDataText(previousId) || !isDataText(pageName) || !isDataText(category)) return undefined;
  // In DATA_FIELDS' order.
  const data: Record<string, unknown> = {};
  if (!absent(properties)) data.properties = properties;
  if (!absent(traits)) data.traits = traits;
  if (!absent(context)) data.context = context;
  if (!absent(integrations)) data.integrations = integrations;
  if (!absent(userId)) data.userId = userId;
  if (!absent(anonymousId)) data.anonymousId = anonymousId;
  if (!absent(groupId)) data.groupId = groupId;
  if (!absent(previousId)) data.previousId = previousId;
  if (!absent(pageName)) data.name = pageName;
  if (!absent(category)) data.category = category;
  const at = (m.timestamp ?? m.originalTimestamp ?? undefined) as string | undefined;
  return envelope({ id: (m.messageId ?? undefined) as string | undefined, type: name, source, timestamp: at, key: key as string, data: data as JsonObject });
}

/** One Segment message onto the envelope: the fast path for the common shape, the schema for the rest. */
export function parseSegment(input: unknown, options: SegmentOptions): ParseResult<EventEnvelope> {
  const event = segmentFast(input, options);
  return event ? { ok: true, event } : parseSegmentSlow(input, options);
}
