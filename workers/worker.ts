import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { createConsumer, createProducer, type ConsumedMessage, type KafkaConfig, type Producer, type TopicPartitionOffset } from '../shared/kafka/index.ts';
import { processBatch } from './batch.ts';
import { groupSettings, workersConfig, type WorkersConfig } from './config.ts';
import { createDispatcher, type DispatchHooks, type Target } from './dispatch.ts';
import { batchCut, stuckPartitions, type StuckPartition } from './held.ts';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.ts';
import { createPauser, keyOf, nextOffsets } from './partitions.ts';
import { pipelinesFromEnv, type Pipelines } from './pipelines/index.ts';
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
  /** Runs pipelines beside the sinks, output via the DLQ producer (acks=all), before the commit; default from PIPELINES_*, null: none. */
  readonly pipelines?: ((parts: { producer: Producer; metrics: WorkerMetrics }) => Pipelines) | null;
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
  const pauser = createPauser(consumer);
  /** Partitions revoked while the current batch was in flight: their offsets are not committed (the next owner re-reads them). */
  const revoked = new Set<string>();
  /** Next offsets of processed batches whose window items wait for the pipelines' flush (pipelines/index.ts). */
  let deferred = new Map<string, TopicPartitionOffset>();
  /** The flush in flight (at most one, so the operator applies each partition in offset order) and what it commits. */
  let flushing: { done: Promise<void>; offsets: Map<string, TopicPartitionOffset> } | undefined;
  /** Messages a keep-alive poll returned (from partitions assigned during a retry); they form the next batch. */
  let stash: ConsumedMessage[] = [];
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
  consumer.on('rebalance', ({ kind, partitions }) => {
    metrics.rebalances.inc({ kind });
    log(`${kind} ${partitions.map((p) => `${p.topic}[${p.partition}]`).join(', ') || '(none)'}`);
    if (kind === 'assign') return;
    const gone = new Set(partitions.map(keyOf));
    for (const k of gone) {
      revoked.add(k);
      deferred.delete(k);
      flushing?.offsets.delete(k);
    }
    stash = stash.filter((m) => !gone.has(keyOf(m)));
    for (const p of partitions) metrics.lag.set({ partition: String(p.partition) }, 0);
  });

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
  const pipelines = pipelinesOf?.({ producer, metrics }) ?? null;

  let lagAt = 0;
  /**
   * From the committed offsets, not the fetch position: prefetch moves the position past a batch held by retries, and
   * the gauge then read 0 while the partition was stuck. While batches flow, at most twice a second (it showed in a
   * --cpu-prof profile when called per poll); when idle, always.
   */
  function updateLag(busy = false): void {
    if (busy && performance.now() - lagAt < 500) return;
    lagAt = performance.now();
    for (const p of consumer.lag()) if (p.uncommitted !== undefined) metrics.lag.set({ partition: String(p.partition) }, Number(p.uncommitted));
  }

  /**
   * Waits for the batch while polling with every assigned partition paused whenever something is retrying, so the
   * member keeps calling poll() (max.poll.interval.ms) and stays in the group through a long outage.
   */
  async function keepAlive<T>(work: Promise<T>): Promise<T> {
    let finished = false;
    const settled = work.then(() => (finished = true), () => (finished = true));
    try {
      while (!finished) {
        if (retrying.size === 0 || stopping) await Promise.race([settled, Bun.sleep(config.pollTimeoutMs)]);
        else {
          pauser.pauseAssigned();
          stash.push(...(await consumer.poll(config.batchSize, config.pollTimeoutMs)));
          updateLag(true);
        }
      }
    } finally {
      pauser.resumeAll();
    }
    return work;
  }

  /**
   * Commits the batch, or defers it while the pipelines hold window items not flushed yet: committing before the
   * flush would lose them in a crash. Deferred offsets of partitions revoked meanwhile are dropped; their next owner
   * re-reads from the last commit and the operator skips what was applied.
   */
  async function commit(messages: readonly ConsumedMessage[]): Promise<void> {
    const next = nextOffsets(messages);
    const skipped = [...next.keys()].filter((k) => revoked.has(k));
    if (skipped.length > 0) log(`not committing ${skipped.length} partition(s) revoked during the batch; the next owner re-reads them`);
    const kept = [...next].filter(([k]) => !revoked.has(k));
    if (!pipelines) return commitOffsets(kept.map(([, o]) => o));
    for (const [k, o] of kept) deferred.set(k, o);
    // The buffer is due (interval passed or full) while the previous flush still runs: wait for it, which is also
    // the backpressure while Postgres is slow or being retried.
    if (flushing && pipelines.due()) await keepAlive(flushing.done);
    startFlush(stash.length === 0 && (messages.length < config.batchSize || atEndOfPartitions()));
  }

  /**
   * Whether this batch reached the end of every assigned partition, by the high watermarks of the last fetch. Without
   * it a full last batch waited for an empty poll (PIPELINES_FLUSH_MS, then pollTimeoutMs) before its windows were
   * written and committed: 0.3–1.7 s of a 5 s bench:windows run. A stale watermark only makes one flush smaller.
   */
  function atEndOfPartitions(): boolean {
    return consumer.lag().every((p) => p.lag !== undefined && p.lag <= 0n);
  }

  /**
   * Starts a flush of the buffered window items and then the commit of the offsets it covers, in the background, so
   * the next batches are processed meanwhile (waiting for it stalled the worker 0.3–0.6 s per flush in bench:windows). One at a
   * time, so the operator applies each partition in offset order. It starts when the buffer is due, when the consumer
   * has caught up (`caughtUp`: no later batch would share the flush), or at once when nothing is buffered.
   */
  function startFlush(caughtUp: boolean): void {
    if (!pipelines || deferred.size === 0 || flushing) return;
    if (pipelines.pending() > 0 && !caughtUp && !pipelines.due() && !stopping) return;
    const current = {
      offsets: deferred,
      done: pipelines.flush(controller.signal).then(async (flushed) => {
        if (flushed) await commitOffsets([...current.offsets.values()]);
        else log(`shutdown while retrying the window flush: ${current.offsets.size} partition(s) left uncommitted; they are re-delivered`);
        flushing = undefined;
        // Batches that finished during this flush wait for the next one; once caught up, nothing else would start it
        // until the next poll came back empty.
        startFlush(atEndOfPartitions());
      }),
    };
    deferred = new Map();
    flushing = current;
  }

  async function commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    try {
      await consumer.commit(offsets);
    } catch (error) {
      // Typically a rebalance got there first. The batch is re-delivered to whoever owns it now, and the sinks absorb it.
      metrics.commitFailures.inc();
      log(`commit failed (${error instanceof Error ? error.message : String(error)}); the batch will be re-delivered`);
    }
  }

  async function runBatch(messages: readonly ConsumedMessage[]): Promise<void> {
    const started = performance.now();
    revoked.clear();
    held = { messages };
    const trace = (batchTrace = beginBatch(messages));
    const complete = await keepAlive(
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
    await commit(messages);
    trace?.end(true);
    updateLag(); // as of this commit, not of the poll before the batch (which may have been a long retry ago)
    metrics.batchSize.observe({}, messages.length);
    metrics.batchDuration.observe({}, (performance.now() - started) / 1000);
  }

  /**
   * Flushes the buffered window items and commits what they cover before a pending rebalance is applied (by the next
   * poll). Without it a revoke dropped the deferred offsets and the next owner re-read everything since the last
   * flush: in bench:windows the second worker's join made the first re-process up to a second of events.
   */
  async function settleBeforeRebalance(): Promise<void> {
    if (!pipelines || !consumer.rebalancePending()) return;
    while (!stopping && (deferred.size > 0 || flushing)) {
      startFlush(true);
      if (flushing) await keepAlive(flushing.done);
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      await settleBeforeRebalance();
      const messages = stash.length > 0 ? stash.splice(0, config.batchSize) : await consumer.poll(config.batchSize, config.pollTimeoutMs);
      // Cut by bytes too: what is past the cut waits in the stash, ahead of anything polled later.
      const cut = batchCut(messages, config.batchMaxBytes);
      if (cut < messages.length) stash.unshift(...messages.splice(cut));
      updateLag(messages.length > 0);
      // Taken but not processed when shutdown began: uncommitted, so the next owner of the partitions gets them.
      if (messages.length > 0 && !stopping) await runBatch(messages);
      // A poll that found nothing: no later batch will share the flush, so it goes now rather than at the interval.
      else startFlush(true);
    }
    await flushing?.done;
    startFlush(true);
    await flushing?.done;
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
