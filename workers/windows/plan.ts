import type { AggregateStep } from '../../shared/contracts/pipeline.ts';
import { eventTimeOf, getPath, timingOf, windowsFor, type PipelineEvent } from '../../shared/pipelines/index.ts';

/** One event reaching an aggregate step, with where it came from (the offset is what makes replays idempotent). */
export interface WindowItem {
  readonly partition: number;
  readonly offset: bigint;
  readonly eventId: string;
  readonly event: PipelineEvent;
}

export interface PartitionState {
  /** Largest event time seen in the partition; null before its first event. */
  readonly maxEventTime: number | null;
  /** Last offset applied; -1 before the first. */
  readonly lastOffset: bigint;
}

/** Where one event's value goes: a window of a group key, kept apart per partition. */
export interface Target {
  readonly start: number;
  readonly end: number;
  readonly key: string;
  readonly partition: number;
}

export interface Application {
  readonly target: Target;
  readonly value: number | undefined;
  readonly offset: bigint;
}

export interface LateEvent {
  readonly partition: number;
  readonly offset: bigint;
  readonly eventId: string;
  readonly eventTime: number;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly watermark: number;
  readonly value: number | undefined;
}

export interface Plan {
  /** In partition then offset order, which is the order the values are folded in (float sums stay reproducible). */
  readonly applications: readonly Application[];
  readonly late: readonly LateEvent[];
  readonly partitions: ReadonlyMap<number, PartitionState>;
  /** Windows (with key) whose result to re-read, re-delivered events' included so their live copy is refreshed. */
  readonly touched: ReadonlyMap<string, Omit<Target, 'partition'>>;
  readonly skipped: number;
  readonly withoutTime: number;
}

/** The group key's text: scalars as themselves, anything else (or nothing) as `(none)`, like the Redis sink's source. */
export function groupKeyOf(event: PipelineEvent, path: string): string {
  const v = getPath(event, path);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '(none)';
}

export const targetId = (t: Target) => `${t.start}|${t.end}|${t.partition}|${t.key}`;
export const resultId = (t: Omit<Target, 'partition'>) => `${t.start}|${t.end}|${t.key}`;

/**
 * Decides, without I/O, what a batch does to one aggregate step's state: which (window, key, partition) each new event
 * goes to, which events are late, and the partitions' new watermark inputs. Watermark of a partition = max event time
 * seen in it (before the event) minus allowed lateness; an event is late for a window whose end the watermark has
 * reached, i.e. the window is closed. It is decided per window, so with hopping windows an event can be late for
 * the oldest window and still count in the newer ones. Events at offsets already applied are skipped.
 */
export function planBatch(spec: AggregateStep, items: readonly WindowItem[], states: ReadonlyMap<number, PartitionState>): Plan {
  const timing = timingOf(spec.window);
  const sorted = [...items].sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  const partitions = new Map(states);
  const applications: Application[] = [];
  const late: LateEvent[] = [];
  const touched = new Map<string, Omit<Target, 'partition'>>();
  let skipped = 0;
  let withoutTime = 0;
  for (const item of sorted) {
    const state = partitions.get(item.partition) ?? { maxEventTime: null, lastOffset: -1n };
    const time = eventTimeOf(item.event);
    const key = groupKeyOf(item.event, spec.groupBy);
    const windows = time === undefined ? [] : windowsFor(time, timing);
    for (const w of windows) touched.set(resultId({ ...w, key }), { ...w, key });
    if (item.offset <= state.lastOffset) {
      skipped++;
      continue;
    }
    const raw = spec.field === undefined ? undefined : getPath(item.event, spec.field);
    const value = typeof raw === 'number' ? raw : undefined;
    if (time === undefined) {
      withoutTime++;
      partitions.set(item.partition, { ...state, lastOffset: item.offset });
      continue;
    }
    const watermark = state.maxEventTime === null ? Number.NEGATIVE_INFINITY : state.maxEventTime - timing.latenessMs;
    for (const w of windows) {
      if (w.end <= watermark) late.push({ partition: item.partition, offset: item.offset, eventId: item.eventId, eventTime: time, key, ...w, watermark, value });
      else applications.push({ target: { ...w, key, partition: item.partition }, value, offset: item.offset });
    }
    partitions.set(item.partition, { maxEventTime: Math.max(state.maxEventTime ?? time, time), lastOffset: item.offset });
  }
  return { applications, late, partitions, touched, skipped, withoutTime };
}

/** The watermark a result's `closed` flag is judged by: the slowest partition's (min over partitions). */
export function globalWatermark(states: Iterable<PartitionState>, latenessMs: number): number | null {
  let min: number | null = null;
  for (const s of states) if (s.maxEventTime !== null) min = min === null ? s.maxEventTime - latenessMs : Math.min(min, s.maxEventTime - latenessMs);
  return min;
}
