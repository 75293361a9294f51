/**
 * The gateway's Kafka reader process (`query/kafka/reader.ts` starts it): answers the gateway's requests one at a time
 * over Bun's IPC channel, each with an admin client of its own. It exits when the gateway is gone.
 */
import { createAdmin } from '../../shared/kafka/index.ts';
import { readGroupLag } from '../../shared/kafka/lag.ts';
import { recordsPerMinute } from '../resolvers/delivery-kafka.ts';
import type { KafkaReadRequest, KafkaReadReply, ReaderStart } from './reader.ts';

const start = JSON.parse(process.argv[2] ?? '{}') as ReaderStart;

async function answer(request: KafkaReadRequest): Promise<unknown> {
  // A client per request, as the gateway made before these reads moved here: each read starts from a fresh view of the
  // cluster, and the request's own timeout bounds its client's connection set-up (about a read a second at most).
  // log_level 2: a broker that is down shows in the answers, not as librdkafka's connection errors in the log.
  const admin = createAdmin({
    brokers: start.brokers,
    timeoutMs: request.timeoutMs,
    config: { log_level: '2', 'socket.connection.setup.timeout.ms': String(request.timeoutMs) },
  });
  try {
    if (request.op === 'lag') return await readGroupLag(admin, request);
    const deadline = Date.now() + request.timeoutMs;
    const perMinute = (topic: string) => recordsPerMinute(admin, { topic, start: request.start, minutes: request.minutes, timeoutMs: request.timeoutMs, deadline });
    return await Promise.all(request.topics.map(perMinute));
  } finally {
    await admin.close();
  }
}

// One at a time: admin.metadata() and watermarks() block this thread anyway, and answers keep the requests' order.
let queue: Promise<void> = Promise.resolve();
process.on('message', (request: KafkaReadRequest) => {
  queue = queue.then(async () => {
    let reply: KafkaReadReply;
    try {
      reply = { id: request.id, ok: true, value: await answer(request) };
    } catch (error) {
      reply = { id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    process.send?.(reply);
  });
});
process.on('disconnect', () => process.exit(0));
