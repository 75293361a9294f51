import { parseSegment, type SegmentCall } from '../shared/contracts/index.ts';
import { isPlainObject, storableText } from '../shared/contracts/json.ts';
import { tooManyEvents, type BodyItem } from './body.ts';
import { EdgeError } from './errors.ts';
import type { Limits } from './ingest.ts';
import { readJsonText } from './sdk-body.ts';
import { keyText, parseJson, type Answer, type Dialect, type Outcome, type SdkBody } from './sdk.ts';

/**
 * Segment's HTTP Tracking API (and RudderStack's, which is the same): `/v1/batch` and one route per call. The limits
 * are Segment's own ("32KB per call, 500KB per batch request, 32KB per event in the batch", Segment HTTP API docs),
 * within the edge's EDGE_MAX_BODY_BYTES and EDGE_MAX_EVENT_BYTES: a call's body, a batch's body, and each event of a
 * batch as the record the edge writes for it (the stamped event's JSON, which Kafka carries and the stores keep).
 * The record is serialised to be produced anyway, so measuring it costs nothing more; measuring each message as sent
 * meant serialising it a second time, ~15% of the route's CPU. Segment answers 200 for everything but large or
 * malformed bodies (400), and its SDKs retry 5xx and 429 and never a 400.
 */
export const SEGMENT_MAX_CALL_BYTES = 32 * 1024;
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024;

export const SEGMENT_ROUTES: ReadonlyArray<readonly [path: string, call: SegmentCall | undefined]> = [
  ['/v1/batch', undefined],
  ['/v1/track', 'track'],
  ['/v1/identify', 'identify'],
  ['/v1/page', 'page'],
  ['/v1/screen', 'screen'],
  ['/v1/group', 'group'],
  ['/v1/alias', 'alias'],
];

/** The source of events from a key bound to none. */
export const SEGMENT_SOURCE = 'segment';

/** Segment's answers: `{"success": true}`, or `{"success": false, code, message, ...}` with the edge's code. */
export function segmentAnswer(outcome: Outcome): Answer {
  if (outcome.kind === 'taken') return { status: 200, body: { success: true } };
  const { code, message, index, path } = outcome.first;
  return { status: outcome.kind === 'retry' ? 503 : 400, body: { success: false, code, message, index, path } };
}

export function segmentError(err: EdgeError): Answer {
  // Segment's SDKs give up on a 400 and retry 5xx; a too-large or undecodable body is a 400 as Segment's API has it.
  const status = err.status >= 500 ? 503 : 400;
  return { status, body: { success: false, code: err.code, message: err.message, ...err.details } };
}

export async function readSegment(req: Request, limits: Limits, call: SegmentCall | undefined): Promise<SdkBody> {
  const text = await readJsonText(req, Math.min(call ? SEGMENT_MAX_CALL_BYTES : SEGMENT_MAX_BATCH_BYTES, limits.maxBodyBytes));
  const value = parseJson(text);
  if (!isPlainObject(value)) throw new EdgeError(400, 'invalid_body', 'expected a JSON object', { path: '' });
  const key = keyText(value.writeKey);
  if (call) return { items: [{ ok: true, value, bytes: 0 }], key, storable: storableText(text) };
  const batch = value.batch;
  if (!Array.isArray(batch)) throw new EdgeError(400, 'invalid_body', 'expected a body of the form {"batch": [{"type", ...}, ...]}', { path: 'batch' });
  if (batch.length === 0) throw new EdgeError(400, 'empty_body', 'the batch has no events');
  if (batch.length > limits.maxEventsPerRequest) throw tooManyEvents(limits.maxEventsPerRequest);
  const shared = isPlainObject(value.context) || isPlainObject(value.integrations) ? { context: value.context, integrations: value.integrations } : undefined;
  const items: BodyItem[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) items[i] = { ok: true, value: shared ? withShared(batch[i], shared) : batch[i], bytes: 0 };
  return { items, key, maxRecordBytes: Math.min(SEGMENT_MAX_CALL_BYTES, limits.maxEventBytes), storable: storableText(text) };
}

/** Segment's batch-level `context` and `integrations` apply to every message that has none of its own. */
function withShared(message: unknown, shared: { context: unknown; integrations: unknown }): unknown {
  if (!isPlainObject(message)) return message;
  const out = { ...message };
  if (out.context == null && shared.context != null) out.context = shared.context;
  if (out.integrations == null && shared.integrations != null) out.integrations = shared.integrations;
  return out;
}

export function segmentDialect(call: SegmentCall | undefined): Dialect {
  return {
    read: (req, limits) => readSegment(req, limits, call),
    parser(access, body) {
      const options = { call, source: access.source ?? SEGMENT_SOURCE, storable: body.storable === true };
      return (value) => parseSegment(value, options);
    },
    answer: segmentAnswer,
    error: segmentError,
  };
}
