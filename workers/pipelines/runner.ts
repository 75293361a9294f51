import type { StampedEvent } from '../../shared/contracts/index.ts';
import { KafkaError, type ConsumedMessage, type OutgoingMessage, type Producer } from '../../shared/kafka/index.ts';
import { createEnricher, runSteps, sourceMatches, type EventRun, type Lookup } from '../../shared/pipelines/index.ts';
import type { WorkerMetrics } from '../metrics.ts';
import { sleep } from '../../shared/sleep.ts';
import { backoffMs, retryUntil, type Backoff, type RetryContext } from '../steps/sinks.ts';
import type { WindowMirror } from '../windows/live.ts';
import type { WindowOperator } from '../windows/operator.ts';
import { createPendingWindows } from '../windows/pending.ts';
import { factsOf, type WindowItem } from '../windows/plan.ts';
import type { ActivePipeline, PipelineRegistry } from './registry.ts';
import { judgePipelineRun, SinkRefused } from './sink-failure.ts';

export interface ValidEvent {
  readonly message: ConsumedMessage;
  readonly event: StampedEvent;
}

export interface PipelineRunnerOptions {
  readonly registry: PipelineRegistry;
  readonly operator: WindowOperator;
  readonly mirror: WindowMirror;
  readonly lookup: Lookup;
  readonly producer: Pick<Producer, 'produceBatch'>;
  readonly metrics: Pick<WorkerMetrics, 'pipelineEvents' | 'windowLate' | 'windowFlush'>;
  readonly backoff: Backoff;
  /** How long one run of a pipeline over a batch is retried before the pipeline is failed (PIPELINES_RETRY_TIMEOUT_MS). */
  readonly retryTimeoutMs?: number;
  /** How long a sink topic may be missing before its pipeline is failed (PIPELINES_SINK_TOPIC_MISSING_MS). */
  readonly sinkTopicMissingMs?: number;
  /** Window items are applied at most this often (and when `flushMaxItems` are waiting): see windows/pending.ts. */
  readonly flushMs?: number;
  readonly flushMaxItems?: number;
  readonly maxPipelineLabels?: number;
  readonly log?: (line: string) => void;
}

const encoder = new TextEncoder();

/**
 * Runs every running pipeline over a batch's valid events. process() resolves true once each pipeline's output is
 * acknowledged by Kafka (acks=all) and its window items are buffered; flush() resolves true once the buffered items'
 * state and results are committed in Postgres and mirrored to Redis. Only after both may the worker commit the
 * batches' offsets. Failures (a store down) are retried with backoff, each part until it succeeded once; false means
 * shutdown cut that short (the batches are then left uncommitted). A pipeline's run that its sink topic refuses for
 * good, or that still fails after `retryTimeoutMs`, fails that pipeline instead (sink-failure.ts): its events not
 * written are counted as `failed`, it stops running, and the batch moves on for the sinks and the other pipelines.
 */
export function createPipelineRunner({ registry, operator, mirror, lookup, producer, metrics, backoff, retryTimeoutMs = 300_000, sinkTopicMissingMs = 5_000, flushMs, flushMaxItems, maxPipelineLabels = 50, log = console.log }: PipelineRunnerOptions) {
  const enricher = createEnricher({ lookup });
  const judge = (error: unknown, at: RetryContext) => judgePipelineRun(error, at, { topicMissingMs: sinkTopicMissingMs });
  const labels = new Set<string>();
  const labelOf = (id: string) => (labels.has(id) || (labels.size < maxPipelineLabels && labels.add(id)) ? id : 'other');
  const windows = createPendingWindows({
    operator,
    mirror,
    backoff,
    log,
    ...(flushMs !== undefined && { flushMs }),
    ...(flushMaxItems !== undefined && { maxItems: flushMaxItems }),
    onFlushed({ pipelineId, late, withoutTime }) {
      const label = labelOf(pipelineId);
      if (withoutTime > 0) metrics.pipelineEvents.inc({ pipeline: label, outcome: 'no_event_time' }, withoutTime);
      if (late > 0) {
        metrics.pipelineEvents.inc({ pipeline: label, outcome: 'late' }, late);
        metrics.windowLate.inc({ pipeline: label }, late);
      }
    },
  });

  function aggregate(p: ActivePipeline, inputs: readonly ValidEvent[], runs: readonly EventRun[]): void {
    for (const [step, spec] of p.definition.steps.entries()) {
      if (spec.type !== 'aggregate') continue;
      const items: WindowItem[] = runs.flatMap((r, i) =>
        r.aggregated.filter((a) => a.step === step).map((a) => ({ partition: inputs[i]!.message.partition, offset: inputs[i]!.message.offset, eventId: inputs[i]!.event.id, ...factsOf(spec, a.event, a.time, a.windows) })),
      );
      windows.add(p.revision, { pipelineId: p.id, step, spec }, items);
    }
  }

  /** Produces the records still pending; returns those Kafka refused (to retry), with its errors. */
  async function produce(records: readonly OutgoingMessage[]): Promise<{ left: OutgoingMessage[]; errors: KafkaError[] }> {
    const results = await producer.produceBatch(records);
    const errors = results.filter((r): r is KafkaError => r instanceof KafkaError);
    return { left: records.filter((_, i) => results[i] instanceof KafkaError), errors };
  }

  function count(p: ActivePipeline, outcome: 'output' | 'filtered' | 'failed', n: number): void {
    if (n > 0) metrics.pipelineEvents.inc({ pipeline: labelOf(p.id), outcome }, n);
  }

  async function runPipeline(p: ActivePipeline, inputs: readonly ValidEvent[], signal: AbortSignal): Promise<boolean> {
    if (inputs.length === 0) return true;
    const sinkTopic = p.definition.sinkTopic;
    let runs: EventRun[] | undefined;
    let pending: OutgoingMessage[] | undefined;
    const end = await retryUntil(
      async () => {
        if (!runs) {
          runs = await runSteps(p.definition, inputs.map((i) => i.event), { lookup, enricher, pipelineId: p.revision, trace: false });
          aggregate(p, inputs, runs);
        }
        pending ??= sinkTopic
          ? runs.flatMap((r, i) => {
              if (!r.output) return [];
              const key = typeof r.output['key'] === 'string' ? r.output['key'] : inputs[i]!.event.key;
              return [{ topic: sinkTopic, key, value: encoder.encode(JSON.stringify(r.output)), headers: [['pipeline', p.id], ['kind', 'event']] as Array<[string, string]> }];
            })
          : [];
        if (pending.length === 0) return;
        const { left, errors } = await produce(pending);
        pending = left;
        if (errors.length > 0) throw new SinkRefused(sinkTopic!, errors);
      },
      { what: `pipeline ${p.revision}`, backoff, signal, log, judge, timeoutMs: retryTimeoutMs },
    );
    if (end.status === 'aborted') return false;
    const output = runs?.filter((r) => r.output).length ?? 0;
    // What Kafka did not acknowledge; every input when the steps themselves kept failing.
    const notWritten = runs ? (pending?.length ?? 0) : inputs.length;
    count(p, 'output', runs ? output - notWritten : 0);
    count(p, 'filtered', (runs?.length ?? 0) - output);
    if (end.status === 'done') return true;
    count(p, 'failed', notWritten);
    const detail = end.error instanceof SinkRefused ? end.error.message : `${end.error instanceof Error ? end.error.message : String(end.error)}${sinkTopic ? ` (sink topic ${sinkTopic})` : ''}`;
    log(`pipeline ${p.revision} failed (${end.reason}): ${detail}; ${notWritten} events not written; it stays failed until started again`);
    registry.fail(p, end.reason);
    return true;
  }

  /** Runs the batch through every running pipeline (in parallel; each keeps the batch's order). */
  async function process(valid: readonly ValidEvent[], signal: AbortSignal): Promise<boolean> {
    for (let round = 1; !registry.loaded(); round++) {
      if (await registry.refresh()) break;
      if (signal.aborted) return false;
      await sleep(backoffMs(round, backoff), signal);
    }
    const matching = (p: ActivePipeline) => valid.filter((v) => sourceMatches(p.definition, v.message.topic, v.event.type));
    // Failed here, not yet recorded as failed: what it skips is counted, not lost without a trace.
    for (const p of registry.failing()) count(p, 'failed', matching(p).length);
    const active = registry.current();
    if (active.length === 0 || valid.length === 0) return true;
    const done = await Promise.all(active.map((p) => runPipeline(p, matching(p), signal)));
    return done.every(Boolean);
  }

  async function flush(signal: AbortSignal): Promise<boolean> {
    if (windows.size() === 0) return true;
    const started = performance.now();
    const flushed = await windows.flush(signal);
    metrics.windowFlush.observe({}, (performance.now() - started) / 1000);
    return flushed;
  }

  return {
    process,
    flush,
    /** Window items buffered, waiting for a flush. */
    pending: windows.size,
    /** Whether the buffered window items should be flushed now (see windows/pending.ts). */
    due: windows.due,
    forget: (revisions: readonly string[]) => revisions.forEach((r) => enricher.forget(r)),
  };
}

export type PipelineRunner = ReturnType<typeof createPipelineRunner>;
