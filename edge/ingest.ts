import { parseEvent, stampEvent, uuidv7, type EventKind, type StampedEvent } from '../shared/contracts/index.ts';
import { parseJsonBody, parseNdjsonBody, readBody, type ParsedBody } from './body.ts';
import type { EdgeConfig } from './config.ts';
import { EdgeError } from './errors.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { AckMode, Publisher } from './publisher.ts';
import { buildReceipt, type Receipt, type ReceiptItem } from './receipt.ts';

export type Limits = Pick<EdgeConfig, 'maxBodyBytes' | 'maxEventBytes' | 'maxEventsPerRequest' | 'retryAfterSeconds'>;

/** `kind` picks the body shape; `ingest` is the older `{events:[{event_type, source, data}]}` route. */
export type RouteKind = EventKind | 'ingest';

/** Reads, validates, stamps and publishes one request's events; returns the receipt. */
export async function ingest(
  req: Request,
  kind: RouteKind,
  { publisher, limits, metrics, now = Date.now }: { publisher: Publisher; limits: Limits; metrics: EdgeMetrics; now?: () => number },
): Promise<Receipt> {
  const ack: AckMode = new URL(req.url).searchParams.get('ack') === 'queued' ? 'queued' : 'kafka';
  const body = await parseRequest(req, limits);
  if (kind === 'ingest' && body.wrapper !== 'events') {
    throw new EdgeError(400, 'invalid_body', 'expected a body of the form {"events": [{"event_type", "source", "data"}, ...]}', { path: 'events' });
  }
  if (body.items.length > limits.maxEventsPerRequest) {
    throw new EdgeError(413, 'too_many_events', `a request may carry at most ${limits.maxEventsPerRequest} events`, { limit: limits.maxEventsPerRequest });
  }
  if (body.single && body.items[0]?.ok && body.items[0].bytes > limits.maxEventBytes) throw eventTooLarge(limits.maxEventBytes);

  const results: ReceiptItem[] = new Array(body.items.length);
  const stamped: StampedEvent[] = [];
  const slots: number[] = [];
  const at = now();
  const validated = validate(kind, body);
  validated.forEach((r, index) => {
    if (!r.ok) {
      results[index] = { index, status: 'rejected', code: r.code, path: r.path, message: r.message };
      return;
    }
    if (r.bytes > limits.maxEventBytes) {
      results[index] = { index, status: 'rejected', code: 'event_too_large', path: '', message: `event is larger than ${limits.maxEventBytes} bytes` };
      return;
    }
    stamped.push(stampEvent(r.event, { now: at, newId: uuidv7 }));
    slots.push(index);
  });

  if (stamped.length > 0) {
    if (!publisher.ready()) {
      throw new EdgeError(503, 'broker_unavailable', `Kafka is not reachable: ${publisher.lastError() ?? 'no broker'}`, {}, retryAfter(limits));
    }
    if (publisher.room() < stamped.length) {
      throw new EdgeError(503, 'overloaded', 'the producer queue is full; retry after the delay', {}, retryAfter(limits));
    }
    const started = performance.now();
    const outcomes = await publisher.publish(stamped, ack);
    metrics.produceLatency.observe({ ack }, (performance.now() - started) / 1000);
    outcomes.forEach((o, i) => {
      const index = slots[i]!;
      const id = stamped[i]!.id;
      results[index] = o.ok
        ? { index, status: 'accepted', id, ...(o.partition !== undefined && { partition: o.partition }), ...(o.offset !== undefined && { offset: String(o.offset) }) }
        : { index, status: 'rejected', code: o.code, path: '', message: o.message, retriable: o.retriable };
    });
  }
  const receipt = buildReceipt(results, ack);
  if (receipt.accepted) metrics.events.inc({ outcome: 'accepted', code: 'ok' }, receipt.accepted);
  for (const r of results) if (r.status === 'rejected') metrics.events.inc({ outcome: 'rejected', code: r.code });
  return receipt;
}

type Validated = ({ ok: true; bytes: number } & { event: Parameters<typeof stampEvent>[0] }) | { ok: false; code: string; path: string; message: string };

function validate(kind: RouteKind, body: ParsedBody): Validated[] {
  return body.items.map((item) => {
    if (!item.ok) return { ok: false, code: 'malformed_json', path: '', message: item.message };
    const r = kind === 'ingest' ? parseEvent('ingest_item', item.value) : parseEvent(kind, item.value);
    return r.ok ? { ok: true, bytes: item.bytes, event: r.event } : { ok: false, code: r.code, path: r.path, message: r.message };
  });
}

async function parseRequest(req: Request, limits: Limits): Promise<ParsedBody> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const ndjson = type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl';
  if (!ndjson && type !== 'application/json' && type !== '') {
    throw new EdgeError(415, 'unsupported_media_type', `Content-Type "${type}" is not supported; send application/json or application/x-ndjson`);
  }
  const text = await readBody(req, limits);
  return ndjson ? parseNdjsonBody(text) : parseJsonBody(text, limits);
}

const eventTooLarge = (limit: number) => new EdgeError(413, 'event_too_large', `event is larger than ${limit} bytes`, { limit_bytes: limit });
const retryAfter = (limits: Limits) => ({ 'Retry-After': String(limits.retryAfterSeconds) });
