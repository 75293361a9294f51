import { COARSE_LATENCY_BUCKETS, LATENCY_BUCKETS, Registry } from '../shared/telemetry/metrics.ts';

const BATCH_SIZE_BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];
// A batch whose store is down lasts as long as the outage, so the long tail gets buckets of its own.
const BATCH_DURATION_BUCKETS = [...COARSE_LATENCY_BUCKETS, 30, 60, 300];

/**
 * Worker metrics. Every label comes from a fixed set: stages and sinks are named in code, reasons are each stage's
 * fixed list (workers/outcomes.ts), partitions are the topic's partition numbers, rebalance kinds are three.
 */
export function createWorkerMetrics() {
  const registry = new Registry();
  return {
    registry,
    events: registry.counter('workers_events_total', 'Events by final outcome (ok, drop, dlq) per stage, and reason.', ['outcome', 'stage', 'reason']),
    batchSize: registry.histogram('workers_batch_size_events', 'Messages per processed batch.', [], BATCH_SIZE_BUCKETS),
    batchDuration: registry.histogram(
      'workers_batch_duration_seconds',
      'From a batch being taken to its offsets being committed, retries included.',
      [],
      BATCH_DURATION_BUCKETS,
    ),
    sinkLatency: registry.histogram('workers_sink_latency_seconds', 'Duration of one write call per sink.', ['sink'], LATENCY_BUCKETS),
    sinkErrors: registry.counter('workers_sink_errors_total', 'Events a write attempt answered retry or dlq for, per sink (or dlq producer) and reason.', [
      'sink',
      'reason',
    ]),
    dlq: registry.counter('workers_dlq_events_total', 'Records delivered to the dead-letter topic, by stage and reason.', ['stage', 'reason']),
    dlqTruncated: registry.counter(
      'workers_dlq_truncated_events_total',
      'Dead letters the topic refused whole, delivered with a prefix of their value and a `truncated` header, by stage.',
      ['stage'],
    ),
    lag: registry.gauge(
      'workers_consumer_lag_messages',
      'High watermark minus the committed offset, per assigned partition: messages not yet processed, including a batch being retried.',
      ['partition'],
    ),
    rebalances: registry.counter('workers_rebalances_total', 'Partition assignments and revocations seen by this member.', ['kind']),
    commitFailures: registry.counter('workers_commit_failures_total', 'Offset commits the coordinator refused (the batch is re-delivered).'),
    // Pipeline ids are bounded by PIPELINES_MAX_PIPELINE_LABELS (the rest count as `other`); outcomes are a fixed set.
    pipelineEvents: registry.counter('workers_pipeline_events_total', 'Events a pipeline read, by outcome: output, filtered, late, no_event_time, failed (not written because the pipeline failed).', [
      'pipeline',
      'outcome',
    ]),
    windowLate: registry.counter('workers_window_late_events_total', 'Events that reached a window after it closed (recorded in window_late).', ['pipeline']),
    windowFlush: registry.histogram('workers_window_flush_seconds', 'Duration of one flush of buffered window items (state, results, live copy), retries included.', [], COARSE_LATENCY_BUCKETS),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
