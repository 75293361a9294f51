import type { StampedEvent } from '../../shared/contracts/index.ts';
import { KafkaError, type ConsumedMessage, type OutgoingMessage, type Producer } from '../../shared/kafka/index.ts';
import { createEnricher, runSteps, sourceMatches, type EventRun, type Lookup } from '../../shared/pipelines/index.ts';
import type { WorkerMetrics } from '../metrics.ts';
import { sleep } from '../../shared/sleep.ts';
import { backoffMs, type Backoff } from '../steps/sinks.ts';
import type { WindowMirror } from '../windows/live.ts';
import type { WindowOperator } from '../windows/operator.ts';
import type { WindowItem } from '../windows/plan.ts';
import type { ActivePipeline, PipelineRegistry } from './registry.ts';

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
  readonly metrics: Pick<WorkerMetrics, 'pipelineEvents' | 'windowLate'>;
  readonly backoff: Backoff;
  readonly maxPipelineLabels?: number;
  readonly log?: (line: string) => void;
}

const encoder = new TextEncoder();

/**
 * Runs every running pipeline over a batch's valid events. Resolves true once each pipeline's window state and
 * results are committed in Postgres, mirrored to Redis, and its output acknowledged by Kafka (acks=all): only then
 * may the worker commit the batch's offsets. Failures (a store down) are retried with backoff, each part until it
 * succeeded once; resolves false when shutdown cut that short (the batch is then left uncommitted).
 */
export function createPipelineRunner({ registry, operator, mirror, lookup, producer, metrics, backoff, maxPipelineLabels = 50, log = console.log }: PipelineRunnerOptions) {
  const enricher = createEnricher({ lookup });
  const labels = new Set<string>();
  const labelOf = (id: string) => (labels.has(id) || (labels.size < maxPipelineLabels && labels.add(id)) ? id : 'other');

  async function aggregate(p: ActivePipeline, inputs: readonly ValidEvent[], runs: readonly EventRun[]): Promise<number> {
    let late = 0;
    for (const [step, spec] of p.definition.steps.entries()) {
      if (spec.type !== 'aggregate') continue;
      const items: WindowItem[] = runs.flatMap((r, i) =>
        r.aggregated.filter((a) => a.step === step).map((a) => ({ partition: inputs[i]!.message.partition, offset: inputs[i]!.message.offset, eventId: inputs[i]!.event.id, event: a.event })),
      );
      const applied = await operator.apply({ pipelineId: p.id, step, spec }, items);
      await mirror.publish(applied.results);
      late += new Set(applied.late.map((l) => `${l.partition}:${l.offset}`)).size;
      if (applied.withoutTime > 0) metrics.pipelineEvents.inc({ pipeline: labelOf(p.id), outcome: 'no_event_time' }, applied.withoutTime);
    }
    return late;
  }

  /** Produces the records still pending; returns those Kafka refused (to retry). */
  async function produce(records: readonly OutgoingMessage[]): Promise<OutgoingMessage[]> {
    const results = await producer.produceBatch(records);
    return records.filter((_, i) => results[i] instanceof KafkaError);
  }

  async function runPipeline(p: ActivePipeline, valid: readonly ValidEvent[], signal: AbortSignal): Promise<boolean> {
    const inputs = valid.filter((v) => sourceMatches(p.definition, v.message.topic, v.event.type));
    if (inputs.length === 0) return true;
    let runs: EventRun[] | undefined;
    let late: number | undefined;
    let pending: OutgoingMessage[] | undefined;
    for (let round = 1; ; round++) {
      try {
        runs ??= await runSteps(p.definition, inputs.map((i) => i.event), { lookup, enricher, pipelineId: p.revision, trace: false });
        late ??= await aggregate(p, inputs, runs);
        const sinkTopic = p.definition.sinkTopic;
        pending ??= sinkTopic
          ? runs.flatMap((r, i) => {
              if (!r.output) return [];
              const key = typeof r.output['key'] === 'string' ? r.output['key'] : inputs[i]!.event.key;
              return [{ topic: sinkTopic, key, value: encoder.encode(JSON.stringify(r.output)), headers: [['pipeline', p.id], ['kind', 'event']] as Array<[string, string]> }];
            })
          : [];
        if (pending.length > 0) pending = await produce(pending);
        if (pending.length > 0) throw new Error(`sink topic ${sinkTopic} refused ${pending.length} records`);
        const label = labelOf(p.id);
        const output = runs.filter((r) => r.output).length;
        metrics.pipelineEvents.inc({ pipeline: label, outcome: 'output' }, output);
        metrics.pipelineEvents.inc({ pipeline: label, outcome: 'filtered' }, runs.length - output);
        if (late > 0) {
          metrics.pipelineEvents.inc({ pipeline: label, outcome: 'late' }, late);
          metrics.windowLate.inc({ pipeline: label }, late);
        }
        return true;
      } catch (error) {
        if (round === 1 || round % 10 === 0) log(`pipeline ${p.revision}: ${error instanceof Error ? error.message : String(error)}; retrying (attempt ${round})`);
        if (signal.aborted) return false;
        await sleep(backoffMs(round, backoff), signal);
        if (signal.aborted) return false;
      }
    }
  }

  /** Runs the batch through every running pipeline (in parallel; each keeps the batch's order). */
  async function process(valid: readonly ValidEvent[], signal: AbortSignal): Promise<boolean> {
    for (let round = 1; !registry.loaded(); round++) {
      if (await registry.refresh()) break;
      if (signal.aborted) return false;
      await sleep(backoffMs(round, backoff), signal);
    }
    const active = registry.current();
    if (active.length === 0 || valid.length === 0) return true;
    const done = await Promise.all(active.map((p) => runPipeline(p, valid, signal)));
    return done.every(Boolean);
  }

  return { process, forget: (revisions: readonly string[]) => revisions.forEach((r) => enricher.forget(r)) };
}

export type PipelineRunner = ReturnType<typeof createPipelineRunner>;
