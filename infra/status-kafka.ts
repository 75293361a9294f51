import { createAdmin } from '../shared/kafka/index.ts';
import { readGroupLag, type GroupLagReport } from '../shared/kafka/lag.ts';

export interface KafkaProbe {
  readonly brokers: string;
  readonly groupId: string;
  readonly topic: string;
  readonly timeoutMs: number;
}

export type KafkaAnswer = { ok: true; report: GroupLagReport } | { ok: false; error: string };

/**
 * The cluster's metadata and the workers' lag, read on a worker thread: librdkafka's metadata and watermark calls
 * block their thread, and on the main one they would hold back the answers of every other probe running beside them
 * (which would then read as timed out). The thread is ended after `deadlineMs` whatever it is doing.
 */
export function probeKafka(probe: KafkaProbe, deadlineMs: number): Promise<KafkaAnswer> {
  const worker = new Worker(import.meta.path);
  const { promise, resolve } = Promise.withResolvers<KafkaAnswer>();
  const timer = setTimeout(() => resolve({ ok: false, error: `no answer within ${deadlineMs} ms` }), deadlineMs);
  worker.onmessage = (event: MessageEvent<KafkaAnswer>) => resolve(event.data);
  worker.onerror = (event) => resolve({ ok: false, error: event.message });
  worker.postMessage(probe);
  return promise.finally(() => {
    clearTimeout(timer);
    worker.terminate();
  });
}

async function answer({ brokers, groupId, topic, timeoutMs }: KafkaProbe): Promise<KafkaAnswer> {
  let admin: ReturnType<typeof createAdmin> | undefined;
  try {
    // log_level 2: an unreachable broker is reported once, in the table, not as librdkafka's connection errors on stderr.
    admin = createAdmin({ brokers, timeoutMs, config: { log_level: '2', 'socket.connection.setup.timeout.ms': String(timeoutMs) } });
    return { ok: true, report: await readGroupLag(admin, { groupId, topic, timeoutMs }) };
  } catch (error) {
    // Without librdkafka (a machine where `npm run stack -- up` never ran) the admin cannot be made at all: say so in
    // one line rather than let the worker thread die with a code frame.
    const text = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { ok: false, error: /TIMED_OUT|TRANSPORT/.test(text) ? `no broker answered within ${timeoutMs} ms` : text };
  } finally {
    await admin?.close();
  }
}

if (!Bun.isMainThread) {
  self.onmessage = async (event: MessageEvent<KafkaProbe>) => postMessage(await answer(event.data));
}
