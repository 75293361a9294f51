import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { createConsumer, createProducer, type ConsumedMessage, type KafkaConfig } from '../shared/kafka/index.ts';
import { processBatch } from './batch.ts';
import { createCommitter } from './committer.ts';
import { groupSettings, workersConfig, type WorkersConfig } from './config.ts';
import { createDispatcher, type DispatchHooks, type Target } from './dispatch.ts';
import { stuckPartitions, type StuckPartition } from './held.ts';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.ts';
import { pipelinesFromEnv, type Pipelines } from './pipelines/index.ts';
import { createPoller } from './poller.ts';
import type { Sink } from './sinks/types.ts';
import { createSinks } from './stores.ts';
import { createTracing, type Tracing } from '../shared/telemetry/tracing.ts';
import { tracingConfig } from '../shared/telemetry/tracing-config.ts';
import { createBatchTracer, type BatchTrace } from './tracing.ts';

export interface WorkerOptions {
  readonly config?: WorkersConfig;
  /** Defaults to KAFKA_BROKERS. */
  readonly brokers?: string;
  /** Defaults to the sinks named in `config.sinks`, configured from the environment. stop() closes them either way. */
  readonly sinks?: readonly Sink[];
  readonly metrics?: WorkerMetrics;
  /** Extra librdkafka consumer properties (tests shorten session.timeout.ms and max.poll.interval.ms). */
  readonly consumerConfig?: KafkaConfig;
  readonly log?: (line: string) => void;
  /** Runs pipelines beside the sinks, their output acknowledged (acks=all) before the commit; default from PIPELINES_*, null: none. */
  readonly pipelines?: ((parts: { metrics: WorkerMetrics }) => Pipelines) | null;
  /** Continues the edge's traces (workers/tracing.ts); default from OTEL_* (off without an endpoint). stop() shuts it down. */
  readonly tracing?: Tracing;
}

export interface Readiness {
  readonly ready: boolean;
  readonly status: 'ready' | 'retrying' | 'stopping';
  /** Sinks (or `dlq`) currently being retried, with the reason of their last failure. */
  readonly unready: Record<string, string>;
  /** The partitions whose batch those retries hold (nothing from `offset` on is committed meanwhile). */
  readonly stuck: readonly StuckPartition[];
}

export interface Worker {
  readonly metrics: WorkerMetrics;
  /** Settles when the loop ends: resolves after stop(), rejects if the loop failed (exit non-zero: nothing was committed past it). */
  readonly done: Promise<void>;
  readiness(): Readiness;
  /** Stops fetching, finishes the batch in flight (abandoning it uncommitted if it is retrying), commits, leaves the group, closes everything. */
  stop(): Promise<void>;
}

/**
 * One worker: a member of the consumer group that runs poll → decode → validate → sinks → DLQ → commit, one batch at a
 * time. Offsets are committed only once every sink has settled every event of the batch (and the DLQ acknowledged
 * its records), so a crash anywhere before the commit re-delivers the batch, which the idempotent sinks absorb.
 * What forms a batch lives in poller.ts, when its offsets are committed in committer.ts.
 */
export function createWorker({
  config = loadConfig(workersConfig),
  brokers = loadConfig(connectionsConfig).kafkaBrokers,
  metrics = createWorkerMetrics(),
  sinks = createSinks(config.sinks, process.env, metrics.registry),
  consumerConfig = {},
  log = (line: string) => console.log(`workers[${config.index}] ${line}`),
  pipelines: pipelinesOf = pipelinesFromEnv({ initialMs: config.retryInitialMs, maxMs: config.retryMaxMs }, log),
  tracing = createTracing({ config: loadConfig(tracingConfig), serviceName: 'event-lens-workers' }),
}: WorkerOptions = {}): Worker {
  const beginBatch = createBatchTracer({ tracing, maxEventsPerBatch: loadConfig(tracingConfig).maxEventsPerBatch });
  let batchTrace: BatchTrace | undefined;
  const consumer = createConsumer({
    brokers,
    groupId: config.groupId,
    topics: [config.topic],
    config: { ...groupSettings(config), ...consumerConfig },
    maxBufferedBytes: config.batchMaxBytes,
  });
  const producer = createProducer({ brokers, config: { 'message.max.bytes': config.dlqMaxMessageBytes } });
  const backoff = { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs };
  const controller = new AbortController();
  const retrying = new Map<Target, string>();
  /** The batch in flight and when it began to be retried, for /readyz's `stuck`. */
  let held: { messages: readonly ConsumedMessage[]; since?: Date } | undefined;
  let stopping = false;
  let lastError = '';

  const logError = (what: string) => (e: Error) => {
    // librdkafka repeats transient errors (a broker away) until they clear; one line per change is enough.
    if (e.message !== lastError) log(`${what}: ${(lastError = e.message)}`);
  };
  consumer.on('error', logError('consumer'));
  producer.on('error', logError('dlq producer'));

  const hooks: DispatchHooks = {
    onRetrying(target: Target, _attempt: number, pending: number, reason: string) {
      if (!retrying.has(target)) log(`${target}: ${pending} events to retry (${reason}); consumption paused, not ready`);
      retrying.set(target, reason);
      if (held) held.since ??= new Date();
    },
    onSettled(target: Target) {
      batchTrace?.settled(target);
      if (retrying.delete(target)) log(`${target}: done retrying${stopping ? ' (shutdown)' : ''}`);
    },
  };
  const dispatcher = createDispatcher({ producer, dlqTopic: config.dlqTopic, metrics, backoff, truncatedBytes: config.dlqTruncatedBytes, hooks, log });
  const sinkStep = {
    sinks,
    backoff,
    retryTimeoutMs: config.retryTimeoutMs,
    signal: controller.signal,
    hooks: { ...hooks, onAttempt: dispatcher.attempt },
  };
  const pipelines = pipelinesOf?.({ metrics }) ?? null;
  const { batchSize, batchMaxBytes, pollTimeoutMs } = config;
  const poller = createPoller({ consumer, metrics, batchSize, batchMaxBytes, pollTimeoutMs, holding: () => retrying.size > 0 && !stopping });
  const committer = createCommitter({
    consumer,
    pipelines,
    metrics,
    log,
    signal: controller.signal,
    keepAlive: poller.keepAlive,
    batchSize,
    stopping: () => stopping,
    stashed: poller.stashed,
  });
  consumer.on('rebalance', ({ kind, partitions }) => {
    metrics.rebalances.inc({ kind });
    log(`${kind} ${partitions.map((p) => `${p.topic}[${p.partition}]`).join(', ') || '(none)'}`);
    if (kind === 'assign') return;
    committer.revoke(partitions);
    poller.revoke(partitions);
  });

  async function runBatch(messages: readonly ConsumedMessage[]): Promise<void> {
    const started = performance.now();
    committer.begin();
    held = { messages };
    const trace = (batchTrace = beginBatch(messages));
    const complete = await poller.keepAlive(
      (async () => {
        const processed = await processBatch(messages, sinkStep, pipelines ? (valid) => pipelines.process(valid, controller.signal) : undefined);
        trace?.decoded(processed.decodedAt);
        return !processed.aborted && (await dispatcher.settle(processed, controller.signal));
      })(),
    );
    held = undefined;
    batchTrace = undefined;
    if (!complete) {
      trace?.end(false);
      log(`shutdown while retrying: ${messages.length} messages left uncommitted; they are re-delivered`);
      return;
    }
    trace?.committing();
    await committer.commit(messages);
    trace?.end(true);
    poller.updateLag(); // as of this commit, not of the poll before the batch (which may have been a long retry ago)
    metrics.batchSize.observe({}, messages.length);
    metrics.batchDuration.observe({}, (performance.now() - started) / 1000);
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      await committer.settleBeforeRebalance();
      const messages = await poller.next();
      // Taken but not processed when shutdown began: uncommitted, so the next owner of the partitions gets them.
      if (messages.length > 0 && !stopping) await runBatch(messages);
      // A poll that found nothing: no later batch will share the flush, so it goes now rather than at the interval.
      else committer.startFlush(true);
    }
    await committer.finish();
  }

  const done = loop();
  done.catch(() => undefined); // the owner observes `done`; this only keeps a failure from also being "unhandled"
  let stopped: Promise<void> | undefined;

  return {
    metrics,
    done,
    readiness(): Readiness {
      const unready = Object.fromEntries(retrying);
      const reason = retrying.values().next().value;
      const stuck = held?.since && reason !== undefined ? stuckPartitions(held.messages, held.since, reason) : [];
      if (stopping) return { ready: false, status: 'stopping', unready, stuck };
      return retrying.size > 0 ? { ready: false, status: 'retrying', unready, stuck } : { ready: true, status: 'ready', unready, stuck };
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        controller.abort();
        await done.catch(() => undefined);
        await consumer.close(); // leaves the group, so the partitions move on without waiting for a session timeout
        await Promise.allSettled([...sinks.map((s) => s.close()), pipelines?.close()]);
        await producer.close();
        await tracing.shutdown().catch(() => undefined);
      })();
      return stopped;
    },
  };
}
