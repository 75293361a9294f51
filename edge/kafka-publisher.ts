import type { StampedEvent } from '../shared/contracts/index.ts';
import { EVENT_PRODUCER_DEFAULTS, edgeProducerConfig, eventMessage } from '../shared/contracts/record.ts';
import { createProducer, KafkaError, type DeliveryReport, type DeliveryResult, type OutgoingMessage, type Producer } from '../shared/kafka/index.ts';
import type { LostDelivery } from './losses.ts';
import type { AckMode, PublishOutcome, Publisher } from './publisher.ts';

export interface KafkaPublisherOptions {
  brokers: string;
  topic: string;
  deliveryTimeoutMs?: number;
  queueMaxMessages?: number;
  lingerMs?: number;
  compression?: string;
  /** How often the broker is probed for /readyz and admission while idle. */
  probeIntervalMs?: number;
  /** Largest event the edge accepts; the producer's own size limit is set above it, with room for the stamped fields. */
  maxEventBytes?: number;
  /** Called with the events of one `?ack=queued` request that Kafka did not take after the answer was sent. */
  onLost?: (lost: LostDelivery[]) => void;
}

/**
 * The edge's producer side: one librdkafka producer per process (acks=all, idempotent), plus a metadata probe so
 * that "broker reachable" is known before a request waits a whole delivery timeout to find out.
 */
export async function createKafkaPublisher({ brokers, topic, probeIntervalMs = 2_000, onLost = () => {}, ...producerOptions }: KafkaPublisherOptions): Promise<Publisher> {
  const producer: Producer = createProducer({ brokers, config: edgeProducerConfig(producerOptions) });
  const queueMaxMessages = producerOptions.queueMaxMessages ?? EVENT_PRODUCER_DEFAULTS.queueMaxMessages;
  producer.on('error', () => {}); // surfaced through lastError()/ready(); an unhandled 'error' must not crash the edge
  let reachable = false;
  let closed = false;
  let probeError: string | undefined = 'not probed yet';
  const probe = async () => {
    try {
      // A non-blocking TCP connect, not admin.metadata(): that call blocks the JS thread until the broker answers, and
      // under load (bench:edge, profiled with --cpu-prof) it held the thread for 28% of the time.
      if (!(await anyBrokerListening(brokers, Math.min(probeIntervalMs * 2, 5_000)))) throw new Error(`no broker accepts connections at ${brokers}`);
      reachable = true;
      probeError = undefined;
    } catch (err) {
      reachable = false;
      probeError = err instanceof Error ? err.message : String(err);
    }
  };
  await probe();
  let probing = false;
  const timer = setInterval(() => {
    if (probing) return;
    probing = true;
    void probe().finally(() => (probing = false));
  }, probeIntervalMs);
  timer.unref?.();

  const toMessage = (event: StampedEvent) => eventMessage(topic, event);

  /** ?ack=queued: answers once librdkafka holds each event; a later failure is a loss, reported to onLost. */
  async function queued(messages: readonly OutgoingMessage[], events: readonly StampedEvent[]): Promise<PublishOutcome[]> {
    // A produce refused on the spot (queue full) rejects before the next microtask, so racing each promise against
    // an already-settled one separates the two.
    const settled = messages.map((m) => producer.produce(m).then(() => undefined, (e: unknown) => e as KafkaError));
    const settledNow = await Promise.all(settled.map((p) => Promise.race([p, Promise.resolve(undefined)])));
    // The client already has its 202 for the rest: a later failure is a loss, counted and logged by onLost.
    void Promise.all(settled).then((errors) => {
      const lost: LostDelivery[] = [];
      for (let i = 0; i < errors.length; i++) {
        const err = errors[i];
        if (err && settledNow[i] === undefined) lost.push({ id: events[i]!.id, rdName: err.rdName ?? 'unknown', message: err.message });
      }
      if (lost.length > 0) onLost(lost);
    });
    return settledNow.map((err) => (err === undefined ? { ok: true } : toOutcome(err)));
  }

  return {
    publish(events: readonly StampedEvent[], ack: AckMode, traceparent?: string, texts?: readonly string[]): Promise<PublishOutcome[]> {
      if (ack === 'kafka' && events.length === 1) {
        // One event: its own delivery promise, settled from its report, without a batch's state and result arrays.
        return producer.produce(eventMessage(topic, events[0]!, traceparent, texts?.[0])).then(oneDelivered, oneFailed);
      }
      const messages = traceparent === undefined && texts === undefined ? events.map(toMessage) : events.map((event, i) => eventMessage(topic, event, traceparent, texts?.[i]));
      if (ack === 'kafka') return producer.produceBatch(messages).then((results) => results.map(toOutcome));
      return queued(messages, events);
    },
    // Not producer.isHealthy(): after "all brokers down" it stays false until a delivery succeeds, and admission
    // produces nothing while not ready, so the edge would never recover. The probe says whether a broker answers.
    ready: () => reachable && !closed && !producer.lastError()?.fatal,
    lastError: () => (reachable ? producer.lastError()?.message : probeError),
    room: () => queueMaxMessages - producer.queueLength(),
    queueDepth: () => producer.queueLength(),
    async close(timeoutMs: number) {
      closed = true;
      clearInterval(timer);
      await producer.close(timeoutMs);
    },
  };
}

const oneDelivered = ({ partition, offset }: DeliveryReport): PublishOutcome[] => [{ ok: true, partition, offset }];
const oneFailed = (err: unknown): PublishOutcome[] => {
  if (err instanceof KafkaError) return [toOutcome(err)];
  throw err;
};

function toOutcome(result: DeliveryResult): PublishOutcome {
  if (!(result instanceof KafkaError)) return { ok: true, partition: result.partition, offset: result.offset };
  if (result.rdName === '_QUEUE_FULL') return { ok: false, code: 'overloaded', message: 'the producer queue is full', retriable: true };
  const unavailable = ['_MSG_TIMED_OUT', '_TRANSPORT', '_ALL_BROKERS_DOWN', '_TIMED_OUT'].includes(result.rdName);
  return {
    ok: false,
    code: unavailable ? 'broker_unavailable' : 'delivery_failed',
    message: `Kafka did not acknowledge the event: ${result.message}`,
    retriable: result.retriable || unavailable,
  };
}

/** True when any bootstrap broker accepts a TCP connection within timeoutMs; never blocks the event loop. */
async function anyBrokerListening(brokers: string, timeoutMs: number): Promise<boolean> {
  const attempts = brokers.split(',').map(async (entry) => {
    const at = entry.trim().lastIndexOf(':');
    const hostname = entry.trim().slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(entry.trim().slice(at + 1));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = Bun.connect({ hostname, port, socket: { data() {}, error() {} } });
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, timeoutMs, undefined)));
    try {
      const socket = await Promise.race([connect, timeout]);
      if (!socket) {
        void connect.then((s) => s.end(), () => {});
        return false;
      }
      socket.end();
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  });
  return (await Promise.all(attempts)).some(Boolean);
}
