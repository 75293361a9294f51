/**
 * The gateway's Kafka reader process (`query/kafka/reader.ts` starts it): one admin client, kept for the process's
 * life, answering the gateway's requests one at a time over Bun's IPC channel. It exits when the gateway is gone.
 */
import { createAdmin } from '../../shared/kafka/index.ts';
import { readGroupLag } from '../../shared/kafka/lag.ts';
import { recordsPerMinute } from '../resolvers/delivery-kafka.ts';
import type { KafkaReadRequest, KafkaReadReply, ReaderStart } from './reader.ts';

const start = JSON.parse(process.argv[2] ?? '{}') as ReaderStart;
// log_level 2: a broker that is down shows in the answers, not as librdkafka's connection errors in the log.
const admin = createAdmin({
  brokers: start.brokers,
  timeoutMs: start.timeoutMs,
  config: { log_level: '2', 'socket.connection.setup.timeout.ms': String(start.timeoutMs) },
});

async function answer(request: KafkaReadRequest): Promise<unknown> {
  if (request.op === 'lag') return readGroupLag(admin, request);
  const deadline = Date.now() + request.timeoutMs;
  const perMinute = (topic: string) => recordsPerMinute(admin, { topic, start: request.start, minutes: request.minutes, timeoutMs: request.timeoutMs, deadline });
  return Promise.all(request.topics.map(perMinute));
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
