/**
 * The Bun peer of bench:edge: the JVM peer's work (bench/peers/jvm-bridge) on Bun.serve and this repository's bun:ffi
 * librdkafka producer (shared/kafka), and nothing more, as the ceiling a Bun bridge reaches on the host. POST
 * /v1/events takes one event, a bare array or {"events":[...]}; each event needs a non-empty string `type` and an
 * object `data`. It stamps id (UUIDv7) and receivedAt, keys by `key` or id, adds the headers type, source and id,
 * produces, and answers once every record is acknowledged, with the JVM peer's receipt. No API keys, rate limits,
 * contract formats, size limits, metrics or tracing. PEER_PROCESSES copies share the port with SO_REUSEPORT, as the
 * edge's processes do, each with its own producer.
 *
 *   PEER_PORT (18092) PEER_TOPIC (events) KAFKA_BROKERS (127.0.0.1:9092) PEER_PROCESSES (cores)
 *   PEER_LINGER_MS (5) PEER_COMPRESSION (lz4)
 */
import { availableParallelism } from 'node:os';
import { edgeProducerConfig } from '../../../shared/contracts/record.ts';
import { createProducer, KafkaError, type DeliveryResult, type OutgoingMessage } from '../../../shared/kafka/index.ts';

const env = (name: string, fallback: string) => process.env[name] || fallback;
const processes = Number(env('PEER_PROCESSES', String(availableParallelism())));

type Event = Record<string, unknown>;
type Accepted = { index: number; status: 'accepted'; id: string; partition: number; offset: string };
type Rejected = { index: number; status: 'rejected'; code: string; path: string; message: string; retriable?: boolean };
type Result = Accepted | Rejected;

const MAX_EVENTS = 10_000;
const isObject = (v: unknown): v is Event => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
const rejected = (index: number, code: string, path: string, message: string): Rejected => ({ index, status: 'rejected', code, path, message });
const refuse = (code: string, path: string, message: string) => Response.json({ error: { code, path, message } }, { status: 400 });

/** The path of the first field that fails the JVM peer's check, '' for a non-object, undefined when the event passes. */
function problem(e: unknown): string | undefined {
  if (!isObject(e)) return '';
  if (typeof e.type !== 'string' || e.type.length === 0 || e.type.length > 256) return 'type';
  if (!isObject(e.data)) return 'data';
  for (const f of ['source', 'key', 'id', 'timestamp']) if (e[f] != null && typeof e[f] !== 'string') return f;
  return undefined;
}

function serve(): void {
  const topic = env('PEER_TOPIC', 'events');
  // The edge's producer settings: shared/kafka's acks=all and idempotence, and the edge's delivery timeout and queue.
  const producer = createProducer({
    brokers: env('KAFKA_BROKERS', '127.0.0.1:9092'),
    config: edgeProducerConfig({ lingerMs: process.env.PEER_LINGER_MS ? Number(process.env.PEER_LINGER_MS) : undefined, compression: env('PEER_COMPRESSION', 'lz4') }),
  });
  producer.on('error', () => {});

  const toResult = (index: number, id: string, r: DeliveryResult): Result =>
    r instanceof KafkaError
      ? { ...rejected(index, 'delivery_failed', '', r.message), retriable: true }
      : { index, status: 'accepted', id, partition: r.partition, offset: String(r.offset) };

  async function ingest(req: Request): Promise<Response> {
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return refuse('malformed_json', '', 'the body is not JSON');
    }
    const items = Array.isArray(body) ? body : isObject(body) ? (Array.isArray(body.events) ? body.events : [body]) : undefined;
    if (!items || items.length === 0 || items.length > MAX_EVENTS) return refuse('invalid_body', 'events', `expected one event or 1-${MAX_EVENTS} events`);

    const now = Date.now();
    const receivedAt = new Date(now).toISOString();
    const results: Result[] = new Array(items.length);
    const messages: OutgoingMessage[] = [];
    const slots: Array<{ index: number; id: string }> = [];
    for (let i = 0; i < items.length; i++) {
      const e: unknown = items[i];
      const bad = problem(e);
      if (bad !== undefined || !isObject(e)) {
        results[i] = rejected(i, 'invalid_event', bad ?? '', bad ? `${bad} is missing or of the wrong type` : 'an event is an object');
        continue;
      }
      const type = e.type as string;
      const source = text(e.source);
      const id = text(e.id) ?? Bun.randomUUIDv7('hex', now);
      const key = text(e.key) ?? id;
      const stamped = { id, type, ...(source !== undefined && { source }), timestamp: text(e.timestamp) ?? receivedAt, key, receivedAt, data: e.data };
      messages.push({ topic, key, value: JSON.stringify(stamped), timestamp: now, headers: [['type', type], ['source', source ?? ''], ['id', id]] });
      slots.push({ index: i, id });
    }

    // One event takes produce(), which settles its own promise; more take produceBatch(), one promise for all.
    const delivered: DeliveryResult[] =
      messages.length === 1 ? [await producer.produce(messages[0]!).catch((err: KafkaError) => err)] : messages.length > 0 ? await producer.produceBatch(messages) : [];
    let accepted = 0;
    for (let j = 0; j < slots.length; j++) {
      const r = (results[slots[j]!.index] = toResult(slots[j]!.index, slots[j]!.id, delivered[j]!));
      if (r.status === 'accepted') accepted++;
    }
    const rejectedCount = items.length - accepted;
    const allRetriable = results.every((r) => r.status === 'rejected' && r.retriable === true);
    const status = rejectedCount === 0 ? 202 : accepted > 0 ? 207 : allRetriable ? 503 : 400;
    return Response.json({ accepted, rejected: rejectedCount, ack: 'kafka', results }, { status });
  }

  const server = Bun.serve({
    port: Number(env('PEER_PORT', '18092')),
    hostname: '127.0.0.1',
    reusePort: true,
    maxRequestBodySize: 10 * 1024 * 1024,
    routes: {
      '/readyz': { GET: () => Response.json({ ok: true }) },
      '/v1/events': { POST: ingest },
    },
    fetch: () => new Response('not found', { status: 404 }),
  });
  process.on('SIGTERM', () => {
    void server.stop().then(() => producer.close()).then(() => process.exit(0));
  });
}

if (processes > 1) {
  const kids = Array.from({ length: processes }, () =>
    Bun.spawn([process.execPath, import.meta.path], { env: { ...process.env, PEER_PROCESSES: '1' }, stdio: ['ignore', 'inherit', 'inherit'] }),
  );
  process.on('SIGTERM', () => kids.forEach((k) => k.kill('SIGTERM')));
  await Promise.all(kids.map((k) => k.exited));
} else {
  serve();
}
