import type { EventEnvelope, ParseResult } from '../shared/contracts/index.ts';
import type { Access, Guard } from './access.ts';
import { tooManyEvents, type BodyItem } from './body.ts';
import { EdgeError } from './errors.ts';
import { NOOP_SPAN, NOOP_TRACING } from '../shared/telemetry/tracing.ts';
import { counted, endIngestSpan, errorResponse, INGEST_HEADERS, startIngestSpan, type IngestHandlerOptions } from './handler.ts';
import { ackMode, publishItems } from './ingest.ts';
import { rateLimitHeaders } from './rate-headers.ts';
import { receiptStatus, type Receipt, type ReceiptItem } from './receipt.ts';

/**
 * The analytics SDKs' routes (Segment and RudderStack: segment.ts; PostHog: posthog.ts) on the same path into Kafka
 * as the edge's own: the same key guard, limits, validation, rate limits and acks, with the answers those SDKs act
 * on. `?receipt=1` answers with the edge's receipt instead.
 */

/** A body read: its items, and the key it carries when the SDK sends the key in the body rather than a header. */
export interface SdkBody {
  items: BodyItem[];
  key?: string;
  /** The largest Kafka record (UTF-8 bytes of its value) an event of this body may make, when the API has such a limit. */
  maxRecordBytes?: number;
  /** The body's text passed storableText (shared/contracts/json.ts): its events' strings need no test of their own. */
  storable?: boolean;
}

export interface Answer {
  status: 200 | 400 | 413 | 415 | 503;
  body: unknown;
}

/** How one SDK family's requests are read and answered. */
export interface Dialect {
  read(req: Request, limits: IngestHandlerOptions['limits']): Promise<SdkBody>;
  /** The per-event mapping onto the envelope, for a key's Access (its source, or the dialect's default) and a body read. */
  parser(access: Access, body: SdkBody): (value: unknown) => ParseResult<EventEnvelope>;
  /** The answer to a request whose events were all handled: accepted, or refused one by one. */
  answer(outcome: Outcome): Answer;
  /** The answer to a request refused as a whole. */
  error(err: EdgeError): Answer;
}

/**
 * What a request came to. Refused events inside a request that also had accepted ones are dropped (counted by code
 * in edge_events_total; `?receipt=1` lists them): resending cannot fix them, and a 4xx would make the SDK drop the
 * valid ones with them. A retriable refusal (Kafka) makes the whole request retriable: its accepted events keep
 * their ids, so the resend stores them once.
 */
export type Outcome = { kind: 'taken' } | { kind: 'retry'; first: ReceiptItem & { status: 'rejected' } } | { kind: 'refused'; first: ReceiptItem & { status: 'rejected' } };

export function outcomeOf(receipt: Receipt): Outcome {
  let firstRefused: (ReceiptItem & { status: 'rejected' }) | undefined;
  for (const r of receipt.results) {
    if (r.status !== 'rejected') continue;
    if (r.retriable) return { kind: 'retry', first: r };
    firstRefused ??= r;
  }
  return firstRefused === undefined || receipt.accepted > 0 ? { kind: 'taken' } : { kind: 'refused', first: firstRefused };
}

export type SdkRoutes = ReadonlyArray<readonly [path: string, dialect: Dialect]>;

/** One handler for every SDK route: a key in the body is checked by the same guard as a key in the header. */
export function createSdkHandler({ publisher, limits, metrics, guard, routes, tracing = NOOP_TRACING }: IngestHandlerOptions & { guard: Guard; routes: SdkRoutes }) {
  const dialects = new Map(routes);
  // Bodies already read to find their key, by the request the guard is handed.
  const preRead = new WeakMap<Request, SdkBody>();
  const retryAfter = String(limits.retryAfterSeconds);

  function respond(route: string, answer: Answer, extra?: Record<string, string>): Response {
    const headers = answer.status === 503 ? { ...INGEST_HEADERS, 'Retry-After': retryAfter, ...extra } : extra ? { ...INGEST_HEADERS, ...extra } : INGEST_HEADERS;
    return counted(metrics, route, new Response(JSON.stringify(answer.body), { status: answer.status, headers }));
  }

  function failed(route: string, dialect: Dialect, req: Request, err: unknown): Response {
    if (!(err instanceof EdgeError) || wantsReceipt(req.url)) return errorResponse(metrics, route, err, INGEST_HEADERS);
    return respond(route, dialect.error(err), err.headers);
  }

  const guarded = guard(async function handleSdk(req, route, _kind, access) {
    const dialect = dialects.get(route)!;
    // As on the edge's own routes: its traceparent is carried on every record.
    const span = startIngestSpan(tracing, req);
    let res: Response;
    let accepted = 0;
    try {
      const body = preRead.get(req) ?? (await dialect.read(req, limits));
      if (body.items.length > limits.maxEventsPerRequest) throw tooManyEvents(limits.maxEventsPerRequest);
      const withReceipt = wantsReceipt(req.url);
      const options = { publisher, limits, metrics, ack: ackMode(req.url), maxRecordBytes: body.maxRecordBytes, traceparent: span.traceparent, positions: withReceipt };
      const published = await publishItems(body.items, dialect.parser(access, body), options, access);
      accepted = published.receipt.accepted;
      const rateHeaders = published.rate === undefined ? undefined : rateLimitHeaders(published.rate);
      if (withReceipt) res = respond(route, { status: receiptStatus(published.receipt) as Answer['status'], body: published.receipt }, rateHeaders);
      else res = respond(route, dialect.answer(outcomeOf(published.receipt)), rateHeaders);
      if (span !== NOOP_SPAN) endIngestSpan(span, route, res.status, accepted);
    } catch (err) {
      res = failed(route, dialect, req, err);
      if (span !== NOOP_SPAN) endIngestSpan(span, route, res.status, accepted, err instanceof EdgeError ? err.code : 'internal_error');
    }
    return res;
  });

  return async function sdkRoute(req: Request, route: string): Promise<Response> {
    if (req.headers.has('authorization')) return guarded(req, route, 'event');
    // No key in the headers: the body is read (within the route's byte limit) to find it, then checked as if sent
    // as a Bearer key; a body without one gets the guard's 401.
    const dialect = dialects.get(route)!;
    let body: SdkBody;
    try {
      body = await dialect.read(req, limits);
    } catch (err) {
      return failed(route, dialect, req, err);
    }
    if (body.key === undefined) {
      // The body is read: the handler takes it from here (with AUTH=off the guard lets the request through).
      preRead.set(req, body);
      return guarded(req, route, 'event');
    }
    const keyed = new Request(req.url, { method: 'POST', headers: { authorization: `Bearer ${body.key}` } });
    preRead.set(keyed, body);
    return guarded(keyed, route, 'event');
  };
}

const wantsReceipt = (url: string) => url.includes('receipt=1');

/** An item of a body: too large to take when over `limit` bytes (measured only when the whole body is over it). */
export function sizedItem(value: unknown, limit: number, bodyBytes: number): BodyItem {
  if (bodyBytes <= limit) return { ok: true, value, bytes: 0 };
  const json = JSON.stringify(value) ?? '';
  const bytes = json.length * 3 <= limit ? json.length : Buffer.byteLength(json);
  return bytes > limit ? { ok: false, code: 'event_too_large', message: `event is larger than ${limit} bytes` } : { ok: true, value, bytes: 0 };
}

/** JSON.parse with the edge's 400s. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new EdgeError(400, 'empty_body', 'the request body is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EdgeError(400, 'malformed_json', `malformed JSON: ${(err as Error).message}`);
  }
}

/** The string at `value` when it is a usable key. */
export const keyText = (value: unknown): string | undefined => (typeof value === 'string' && KEY_TEXT.test(value) ? value : undefined);
// Printable ASCII only: it becomes a header value, and no API key is longer.
const KEY_TEXT = /^[\x21-\x7e]{1,512}$/;
