import type { StampedEvent } from '../contracts/index.ts';
import type { AggregateStep, PipelineDefinition } from '../contracts/pipeline.ts';
import type { Budget } from './budget.ts';
import { createEnricher, type Enricher, type Lookup } from './enrich.ts';
import { matches } from './filter.ts';
import { applyMap } from './map.ts';
import { getPath, type PipelineEvent } from './paths.ts';
import { timingOf, windowsFor, type TimeWindow } from './windows.ts';

export interface TraceEntry {
  readonly step: number;
  readonly type: PipelineDefinition['steps'][number]['type'];
  readonly before: PipelineEvent;
  /** null when the step filtered the event out. */
  readonly after: PipelineEvent | null;
  readonly note: string;
}

/** The event as it reached an aggregate step, and the windows it falls in (empty without a readable event time). */
export interface AggregateInput {
  readonly step: number;
  readonly spec: AggregateStep;
  readonly event: PipelineEvent;
  /** Event time in epoch ms; undefined when the event has no readable time (then `windows` is empty). */
  readonly time: number | undefined;
  readonly windows: readonly TimeWindow[];
}

export interface EventRun {
  /** The event after every step, or null when a filter dropped it. */
  readonly output: PipelineEvent | null;
  /** One entry per step the event reached; empty when run with `trace: false`. */
  readonly trace: readonly TraceEntry[];
  readonly aggregated: readonly AggregateInput[];
}

export interface RunOptions {
  readonly lookup: Lookup;
  readonly now?: () => number;
  /** Keys the enrich cache; the worker passes the pipeline id so pipelines do not share cached lookups. */
  readonly pipelineId?: string;
  /** A long-lived enricher keeps its cache across calls (the worker); the default is fresh per call (dry-run). */
  readonly enricher?: Enricher;
  /** Off in the worker's hot path: traces copy nothing, but they do allocate an entry per step and event. */
  readonly trace?: boolean;
  /** Charged per event and step (and per window an event falls in); throws to stop the run (budget.ts). */
  readonly budget?: Budget;
}

export const toPipelineEvent = (event: StampedEvent): PipelineEvent => ({ ...event });

/** Event time in epoch ms: the event's `timestamp` as the steps left it, or undefined when it is not a date. */
export function eventTimeOf(event: PipelineEvent): number | undefined {
  const ts = getPath(event, 'timestamp');
  const ms = typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** Whether a pipeline reads an event: same topic, and its type listed when the pipeline names types. */
export function sourceMatches(definition: PipelineDefinition, topic: string, type: string): boolean {
  return definition.source.topic === topic && (definition.source.types === undefined || definition.source.types.includes(type));
}

const describe = (windows: readonly TimeWindow[]) =>
  windows.length === 0 ? 'in no window' : `windows ${windows.map((w) => `[${new Date(w.start).toISOString()}, ${new Date(w.end).toISOString()})`).join(', ')}`;

/**
 * Runs a definition's steps over events, step by step across the whole list (so an enrich step makes one lookup per
 * batch), keeping each event's order. Pure apart from `lookup`. The aggregate step only reports the windows each
 * event falls in: window state lives in the worker (workers/windows), so here the event passes through unchanged.
 */
export async function runSteps(definition: PipelineDefinition, events: readonly StampedEvent[] | readonly PipelineEvent[], options: RunOptions): Promise<EventRun[]> {
  const { lookup, now = Date.now, pipelineId = 'dry-run', trace = true, budget } = options;
  const enricher = options.enricher ?? createEnricher({ lookup, now });
  const current: Array<PipelineEvent | null> = events.map((e) => ({ ...e }) as PipelineEvent);
  const traces: TraceEntry[][] = events.map(() => []);
  const aggregated: AggregateInput[][] = events.map(() => []);
  // A thunk, so with tracing off no entry is built: the aggregate step's note formats two ISO dates per event, which
  // showed in the windowed worker's profile (bench:windows) although the worker never reads traces.
  const record = (i: number, entry: () => TraceEntry) => trace && traces[i]!.push(entry());

  for (const [index, step] of definition.steps.entries()) {
    const alive = current.flatMap((e, i) => (e ? [i] : []));
    if (alive.length === 0) break;
    if (step.type === 'enrich') {
      const results = await enricher.enrich(pipelineId, step, alive.map((i) => current[i]!));
      budget?.(alive.length, index);
      alive.forEach((i, k) => {
        record(i, () => ({ step: index, type: step.type, before: current[i]!, after: results[k]!.event, note: results[k]!.note }));
        current[i] = results[k]!.event;
      });
      continue;
    }
    const timing = step.type === 'aggregate' ? timingOf(step.window) : undefined;
    for (const i of alive) {
      budget?.(1, index);
      const before = current[i]!;
      if (step.type === 'filter') {
        const kept = matches(step.where, before);
        record(i, () => ({ step: index, type: step.type, before, after: kept ? before : null, note: kept ? 'passed' : 'filtered out' }));
        if (!kept) current[i] = null;
      } else if (step.type === 'map') {
        const after = applyMap(step, before);
        record(i, () => ({ step: index, type: step.type, before, after, note: 'mapped' }));
        current[i] = after;
      } else {
        const time = eventTimeOf(before);
        const windows = time === undefined ? [] : windowsFor(time, timing!);
        budget?.(windows.length, index);
        aggregated[i]!.push({ step: index, spec: step, event: before, time, windows });
        record(i, () => ({ step: index, type: step.type, before, after: before, note: time === undefined ? 'no event time: not aggregated' : describe(windows) }));
      }
    }
  }
  return current.map((output, i) => ({ output, trace: traces[i]!, aggregated: aggregated[i]! }));
}
