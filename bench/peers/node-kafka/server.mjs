// The benchmark peer: the service a Node.js user would write instead of the edge. Fastify for HTTP,
// @confluentinc/kafka-javascript (librdkafka) for Kafka, Node's cluster module for one process per core.
// Same job as the edge: POST /v1/events with one event or {events:[...]} (or a bare array), minimal validation,
// id stamping (UUIDv7), produce with acks=all + idempotence, reply 202 once every delivery report is in.
//
//   PEER_PORT (18090) PEER_PROCESSES (cores) PEER_TOPIC (events) KAFKA_BROKERS (127.0.0.1:9092)
//   PEER_LINGER_MS (5) PEER_COMPRESSION (lz4) — the edge's defaults.
import cluster from 'node:cluster';
import { randomFillSync } from 'node:crypto';
import { availableParallelism } from 'node:os';

const port = Number(process.env.PEER_PORT || 18090);
const processes = Number(process.env.PEER_PROCESSES || availableParallelism());
const topic = process.env.PEER_TOPIC || 'events';
const brokers = process.env.KAFKA_BROKERS || '127.0.0.1:9092';
const lingerMs = Number(process.env.PEER_LINGER_MS ?? 5);
const compression = process.env.PEER_COMPRESSION || 'lz4';
const maxEvents = 10_000;

if (cluster.isPrimary && processes > 1) {
  for (let i = 0; i < processes; i++) cluster.fork();
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  cluster.on('exit', (w, code) => {
    if (!stopping && code !== 0) console.error(`peer: worker ${w.process.pid} exited with ${code}`);
    if (Object.keys(cluster.workers).length === 0) process.exit(0);
  });
} else {
  await serve();
}

async function serve() {
  const { default: Fastify } = await import('fastify');
  const { KafkaJS } = await import('@confluentinc/kafka-javascript');
  const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: brokers.split(','), logLevel: KafkaJS.logLevel.ERROR } });
  const producer = kafka.producer({
    kafkaJS: { acks: -1, idempotent: true, compression: compression === 'none' ? KafkaJS.CompressionTypes.None : compression, allowAutoTopicCreation: false },
    'linger.ms': lingerMs,
    'queue.buffering.max.messages': 100_000,
    'message.timeout.ms': 15_000,
  });
  await producer.connect();

  // UUIDv7 from a pool of random bytes, as the edge does: 48-bit ms timestamp, version 7, variant 10.
  const pool = Buffer.alloc(16 * 4096);
  let poolAt = pool.length;
  const hex = [];
  for (let i = 0; i < 256; i++) hex.push(i.toString(16).padStart(2, '0'));
  const uuidv7 = (now) => {
    if (poolAt + 10 > pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const b = pool.subarray(poolAt, (poolAt += 10));
    const t = now.toString(16).padStart(12, '0');
    const h = (i) => hex[b[i]];
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${hex[b[0] & 0x0f].slice(1)}${h(1)}-${hex[(b[2] & 0x3f) | 0x80]}${h(3)}-${h(4)}${h(5)}${h(6)}${h(7)}${h(8)}${h(9)}`;
  };

  const valid = (e) =>
    e !== null && typeof e === 'object' && !Array.isArray(e) &&
    typeof e.type === 'string' && e.type.length > 0 && e.type.length <= 256 &&
    (e.source === undefined || typeof e.source === 'string') &&
    (e.key === undefined || typeof e.key === 'string') &&
    (e.id === undefined || typeof e.id === 'string') &&
    (e.timestamp === undefined || (typeof e.timestamp === 'string' && !Number.isNaN(Date.parse(e.timestamp)))) &&
    e.data !== null && typeof e.data === 'object' && !Array.isArray(e.data);

  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  app.get('/readyz', async () => ({ ok: true }));
  app.post('/v1/events', async (req, reply) => {
    const body = req.body;
    const items = Array.isArray(body) ? body : body && Array.isArray(body.events) ? body.events : [body];
    if (items.length === 0 || items.length > maxEvents) return reply.code(400).send({ error: 'invalid_body' });
    const now = Date.now();
    const receivedAt = new Date(now).toISOString();
    const results = new Array(items.length);
    const messages = [];
    const slots = [];
    const ids = [];
    for (let i = 0; i < items.length; i++) {
      const e = items[i];
      if (!valid(e)) {
        results[i] = { index: i, status: 'rejected', code: 'invalid_event' };
        continue;
      }
      const id = e.id ?? uuidv7(now);
      const stamped = { id, type: e.type, ...(e.source !== undefined && { source: e.source }), timestamp: e.timestamp ?? receivedAt, key: e.key ?? id, receivedAt, data: e.data };
      messages.push({ key: stamped.key, value: JSON.stringify(stamped), timestamp: String(now), headers: { type: e.type, source: e.source ?? '', id } });
      slots.push(i);
      ids.push(id);
    }
    let accepted = 0;
    if (messages.length > 0) {
      try {
        // send() resolves once every message of the call has its delivery report (acks=all).
        await producer.send({ topic, messages });
        for (let j = 0; j < slots.length; j++) results[slots[j]] = { index: slots[j], status: 'accepted', id: ids[j] };
        accepted = slots.length;
      } catch (err) {
        for (const s of slots) results[s] = { index: s, status: 'rejected', code: 'delivery_failed', message: String(err?.message ?? err) };
      }
    }
    const rejected = items.length - accepted;
    return reply.code(rejected === 0 ? 202 : accepted > 0 ? 207 : 503).send({ accepted, rejected, results });
  });

  await app.listen({ port, host: '0.0.0.0' });
  console.log(`peer ${process.pid}: listening on ${port}, producing to ${topic} (linger ${lingerMs} ms, ${compression}, acks=all, idempotent)`);

  let draining = false;
  const shutdown = async () => {
    if (draining) return;
    draining = true;
    // Stop accepting, let in-flight requests finish (each awaits its own send()), then flush and disconnect.
    await app.close();
    await producer.flush({ timeout: 10_000 }).catch(() => {});
    await producer.disconnect().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
