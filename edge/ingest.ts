import type { RateDecision } from '../shared/auth/rate-limit.ts';
import { eventText, parseEvent, stampEvent, uuidv7, type EventEnvelope, type EventKind, type ParseResult, type StampedEvent } from '../shared/contracts/index.ts';
import type { Access } from './key-access.ts';
import { eventTooLarge, parseJsonBody, parseNdjsonBody, readBody, tooManyEvents, type BodyItem } from './body.ts';
import type { EdgeConfig } from './config.ts';
import { EdgeError } from './errors.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { AckMode, Publisher } from './publisher.ts';
import { buildReceipt, type Receipt, type ReceiptItem } from './receipt.ts';

export type Limits = Pick<EdgeConfig, 'maxBodyBytes' | 'maxEventBytes' | 'maxEventsPerRequest' | 'retryAfterSeconds'>;

/** `kind` picks the body shape; `ingest` is the older `{events:[{event_type, source, data}]}` route. */
export type RouteKind = EventKind | 'ingest';

/** The receipt, and the rate limit decision when the key has a rate (for the RateLimit-* headers). */
export interface IngestResult {
  receipt: Receipt;
  rate: RateDecision | undefined;
}

/**
 * Reads, validates, stamps and publishes one request's events under the key's Access. A rate-limited key's events are
 * taken from its bucket right after they are counted, before any is validated, so a refused request costs about what
 * a 400 does and nothing of it is produced.
 */
export async function ingest(
  req: Request,
  kind: RouteKind,
  { publisher, limits, metrics, now = Date.now, traceparent }: { publisher: Publisher; limits: Limits; metrics: EdgeMetrics; now?: () => number; traceparent?: string },
  access: Access,
): Promise<IngestResult> {
  const ack = ackMode(req.url);
  const ndjson = isNdjson(req);
  const text = await readBody(req, limits);
  const body = ndjson ? parseNdjsonBody(text, limits) : parseJsonBody(text, limits);
  if (kind === 'ingest' && body.wrapper !== 'events') {
    throw new EdgeError(400, 'invalid_body', 'expected a body of the form {"events": [{"event_type", "source", "data"}, ...]}', { path: 'events' });
  }
  if (body.items.length > limits.maxEventsPerRequest) {
    throw tooManyEvents(limits.maxEventsPerRequest);
  }
  if (body.single && body.items[0]?.ok && body.items[0].bytes > limits.maxEventBytes) throw eventTooLarge(limits.maxEventBytes);
  const itemKind = kind === 'ingest' ? 'ingest_item' : kind;
  const storable = body.storable === true;
  // Awaited rather than returned: an async function returning a promise settles through one more job and tick.
  return await publishItems(body.items, (value) => parseEvent(itemKind, value, storable), { publisher, limits, metrics, now, ack, traceparent }, access);
}

/** What publishItems needs besides the items: the ingest dependencies and the request's ack mode. */
export interface PublishOptions {
  publisher: Publisher;
  limits: Limits;
  metrics: EdgeMetrics;
  now?: () => number;
  ack: AckMode;
  /** The request's edge span (tracing), carried on each record; undefined when the request is not traced. */
  traceparent?: string;
  /**
   * When set, each event is refused `event_too_large` when its Kafka record's value (the stamped event's JSON) is
   * over this many UTF-8 bytes. The values are serialised for that here, before anything is produced, and the
   * publisher sends these same texts rather than serialising each event again.
   */
  maxRecordBytes?: number;
  /**
   * Whether accepted items carry their Kafka partition and offset (the default). The SDK routes answer without them
   * unless asked for the receipt, and formatting 100 offsets was ~2% of /v1/batch's route thread (CPU profile).
   */
  positions?: boolean;
}

/**
 * Validates (with `parse`), stamps and publishes a request's items under the key's Access; every ingestion route
 * ends here, whatever body shape it reads. Throws the 503 EdgeError when Kafka cannot take them.
 */
export async function publishItems(
  items: readonly BodyItem[],
  parse: (value: unknown) => ParseResult<EventEnvelope>,
  { publisher, limits, metrics, now = Date.now, ack, traceparent, maxRecordBytes, positions = true }: PublishOptions,
  access: Access,
): Promise<IngestResult> {
  const rate = access.admit === null ? undefined : await access.admit(candidates(items));

  const results: ReceiptItem[] = new Array(items.length);
  const stamped: StampedEvent[] = [];
  const slots: number[] = [];
  const at = now();
  for (let index = 0; index < items.length; index++) {
    const item = items[index]!;
    if (!item.ok) {
      results[index] = { index, status: 'rejected', code: item.code, path: '', message: item.message };
      continue;
    }
    const r = parse(item.value);
    if (!r.ok) {
      results[index] = { index, status: 'rejected', code: r.code, path: r.path, message: r.message };
    } else if (item.bytes > limits.maxEventBytes) {
      results[index] = tooLargeItem(index, limits.maxEventBytes);
    } else if (access.source !== null && r.event.source !== undefined && r.event.source !== access.source) {
      results[index] = { index, status: 'rejected', code: 'source_not_allowed', path: 'source', message: `this key sends events of source ${JSON.stringify(access.source)} only` };
    } else {
      stamped.push(stampEvent(access.source === null ? r.event : withSource(r.event, access.source), { now: at, newId: uuidv7 }));
      slots.push(index);
    }
  }
  const texts = maxRecordBytes === undefined ? undefined : recordTexts(stamped, slots, results, maxRecordBytes);

  if (stamped.length > 0) {
    if (!publisher.ready()) {
      throw new EdgeError(503, 'broker_unavailable', `Kafka is not reachable: ${publisher.lastError() ?? 'no broker'}`, {}, retryAfter(limits));
    }
    if (publisher.room() < stamped.length) {
      throw new EdgeError(503, 'overloaded', 'the producer queue is full; retry after the delay', {}, retryAfter(limits));
    }
    const started = performance.now();
    const outcomes = await publisher.publish(stamped, ack, traceparent, texts);
    metrics.produceLatency.observe(ACK_LABELS[ack], (performance.now() - started) / 1000);
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!;
      const index = slots[i]!;
      results[index] = o.ok ? acceptedItem(index, stamped[i]!.id, positions ? o : NO_POSITION) : { index, status: 'rejected', code: o.code, path: '', message: o.message, retriable: o.retriable };
    }
  }
  const receipt = buildReceipt(results, ack);
  if (receipt.accepted) metrics.events.inc(ACCEPTED, receipt.accepted);
  for (const r of results) if (r.status === 'rejected') metrics.events.inc({ outcome: 'rejected', code: r.code });
  return { receipt, rate };
}

/**
 * The record values of `stamped`, in order; an event whose value is over `limit` UTF-8 bytes is taken out of `stamped`
 * and `slots` and refused in `results`. Done after the loop above rather than inside it: serialising each event
 * between parsing the next ones cost /v1/batch ~10% more CPU than serialising them all at the end.
 */
function recordTexts(stamped: StampedEvent[], slots: number[], results: ReceiptItem[], limit: number): string[] {
  const texts: string[] = [];
  for (let i = 0; i < stamped.length; i++) {
    const text = eventText(stamped[i]!);
    if (utf8Over(text, limit)) {
      results[slots[i]!] = tooLargeItem(slots[i]!, limit);
      continue;
    }
    stamped[texts.length] = stamped[i]!;
    slots[texts.length] = slots[i]!;
    texts.push(text);
  }
  stamped.length = slots.length = texts.length;
  return texts;
}

// A UTF-16 unit is 1 to 3 bytes of UTF-8 (a surrogate pair, two units, is 4), so most texts need no counting.
const utf8Over = (text: string, limit: number) => text.length > limit || (text.length * 3 > limit && Buffer.byteLength(text) > limit);

const tooLargeItem = (index: number, limit: number): ReceiptItem => ({ index, status: 'rejected', code: 'event_too_large', path: '', message: `event is larger than ${limit} bytes` });

/** The events a request could have accepted: items that parsed. Malformed lines and items refused unparsed cost no tokens. */
function candidates(items: readonly BodyItem[]): number {
  let n = 0;
  for (const item of items) if (item.ok) n++;
  return n;
}

/** A source-bound key's source on an event that names none (the older shapes are checked on the envelope they map to). */
function withSource(event: EventEnvelope, source: string): EventEnvelope {
  return event.source === undefined ? { ...event, source } : event;
}

const NO_POSITION = {};

function acceptedItem(index: number, id: string, { partition, offset }: { partition?: number; offset?: bigint }): ReceiptItem {
  // With ?ack=queued there is no partition or offset yet; the receipt then leaves both out.
  return partition === undefined || offset === undefined ? { index, status: 'accepted', id } : { index, status: 'accepted', id, partition, offset: offsetText(offset) };
}

/**
 * The offset in decimal, as String(offset) writes it; through a Number when that is exact (0 to 2^53 - 1): String of
 * a BigInt took ~110 ns against ~25 ns through a Number (Bun 1.4.5), and a 100-event receipt formats 100 of them.
 */
const offsetText = (offset: bigint): string => (offset >= 0n && offset <= MAX_EXACT ? String(Number(offset)) : String(offset));
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** `?ack=queued` answers once the event is in the producer's queue; anything else waits for Kafka. */
export function ackMode(url: string): AckMode {
  const q = url.indexOf('?');
  return q >= 0 && new URLSearchParams(url.slice(q + 1)).get('ack') === 'queued' ? 'queued' : 'kafka';
}

/** True for NDJSON, false for JSON (or no Content-Type); anything else is a 415. */
function isNdjson(req: Request): boolean {
  const raw = req.headers.get('content-type');
  // What nearly every client sends, answered without splitting and lowercasing it (isNdjson was ~5% of the edge's CPU
  // per single-event request in a CPU profile under wrk).
  if (raw === 'application/json') return false;
  const type = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  const ndjson = type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl';
  if (!ndjson && type !== 'application/json' && type !== '') {
    throw new EdgeError(415, 'unsupported_media_type', `Content-Type "${type}" is not supported; send application/json or application/x-ndjson`);
  }
  return ndjson;
}

// Label sets of the per-request metrics, made once rather than per request.
const ACK_LABELS = { kafka: { ack: 'kafka' }, queued: { ack: 'queued' } } as const;
const ACCEPTED = { outcome: 'accepted', code: 'ok' } as const;
const retryAfter = (limits: Limits) => ({ 'Retry-After': String(limits.retryAfterSeconds) });
