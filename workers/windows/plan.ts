import type { AggregateStep } from '../../shared/contracts/pipeline.ts';
import { eventTimeOf, getPath, timingOf, windowsFor, type PipelineEvent, type TimeWindow } from '../../shared/pipelines/index.ts';
import { memoize } from '../../shared/memo.ts';

/** One event reaching an aggregate step, with where it came from (the offset is what makes replays idempotent). */
export type WindowItem = ItemOrigin & (EventItem | ItemFacts);

interface ItemOrigin {
  readonly partition: number;
  readonly offset: bigint;
  readonly eventId: string;
}

/** The event itself; the step's facts are read from it. */
interface EventItem {
  readonly event: PipelineEvent;
}

/**
 * Only what the step needs, worked out when the event was seen (factsOf). The worker buffers up to
 * PIPELINES_FLUSH_MAX_ITEMS items until a flush (pending.ts), and these few fields are all it needs to hold.
 */
export interface ItemFacts {
  /** Event time in epoch ms; undefined when the event has none (then `windows` is empty). */
  readonly time: number | undefined;
  readonly windows: readonly TimeWindow[];
  readonly key: string;
  /** The numeric value of the step's field, if the event has one. */
  readonly value: number | undefined;
}

/** The facts of an event for an aggregate step; `time` and `windows` may come from runSteps, which has them. */
export function factsOf(spec: AggregateStep, event: PipelineEvent, time = eventTimeOf(event), windows?: readonly TimeWindow[]): ItemFacts {
  const raw = spec.field === undefined ? undefined : getPath(event, spec.field);
  return {
    time,
    windows: windows ?? (time === undefined ? [] : windowsFor(time, timingOf(spec.window))),
    key: groupKeyOf(event, spec.groupBy),
    value: typeof raw === 'number' ? raw : undefined,
  };
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

// Ids are built per event and per partial. Consecutive calls nearly always share the window (and partition), so the
// numeric prefix is kept from the last call: formatting two epoch-ms numbers each time showed in bench:windows' profile.
let lastTarget = { start: Number.NaN, end: Number.NaN, partition: Number.NaN, prefix: '' };
let lastResult = { start: Number.NaN, end: Number.NaN, prefix: '' };

export function targetId({ start, end, partition, key }: Target): string {
  if (start !== lastTarget.start || end !== lastTarget.end || partition !== lastTarget.partition) lastTarget = { start, end, partition, prefix: `${start}|${end}|${partition}|` };
  return lastTarget.prefix + key;
}

export function resultId({ start, end, key }: Omit<Target, 'partition'>): string {
  if (start !== lastResult.start || end !== lastResult.end) lastResult = { start, end, prefix: `${start}|${end}|` };
  return lastResult.prefix + key;
}

/** ISO text of an epoch ms. Window bounds repeat across every key of a window, so each is formatted once. */
export const isoText = memoize((ms: number) => new Date(ms).toISOString(), 10_000);

const byOffset = (a: WindowItem, b: WindowItem) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0);

/**
 * Items by partition, then offset. A flush holds several batches, each in offset order per partition, so grouping by
 * partition is usually enough (linear, rather than a sort with bigint comparisons over ~20,000 items per flush);
 * anything out of order falls back to the sort.
 */
function inPartitionOrder(items: readonly WindowItem[]): WindowItem[] {
  const groups = new Map<number, WindowItem[]>();
  for (const item of items) {
    const group = groups.get(item.partition);
    if (!group) groups.set(item.partition, [item]);
    else if (group.at(-1)!.offset < item.offset) group.push(item);
    else return [...items].sort(byOffset);
  }
  return [...groups.keys()].sort((a, b) => a - b).flatMap((p) => groups.get(p)!);
}

/**
 * Decides, without I/O, what a batch does to one aggregate step's state: which (window, key, partition) each new event
 * goes to, which events are late, and the partitions' new watermark inputs. Watermark of a partition = max event time
 * seen in it (before the event) minus allowed lateness; an event is late for a window whose end the watermark has
 * reached, i.e. the window is closed. It is decided per window, so with hopping windows an event can be late for
 * the oldest window and still count in the newer ones. Events at offsets already applied are skipped.
 */
export function planBatch(spec: AggregateStep, items: readonly WindowItem[], states: ReadonlyMap<number, PartitionState>): Plan {
  const timing = timingOf(spec.window);
  const sorted = inPartitionOrder(items);
  const partitions = new Map(states);
  const applications: Application[] = [];
  const late: LateEvent[] = [];
  const touched = new Map<string, Omit<Target, 'partition'>>();
  let skipped = 0;
  let withoutTime = 0;
  for (const item of sorted) {
    const state = partitions.get(item.partition) ?? { maxEventTime: null, lastOffset: -1n };
    const { time, windows, key, value } = 'event' in item ? factsOf(spec, item.event) : item;
    for (const { start, end } of windows) {
      const id = resultId({ start, end, key });
      if (!touched.has(id)) touched.set(id, { start, end, key });
    }
    if (item.offset <= state.lastOffset) {
      skipped++;
      continue;
    }
    if (time === undefined) {
      withoutTime++;
      partitions.set(item.partition, { ...state, lastOffset: item.offset });
      continue;
    }
    const watermark = state.maxEventTime === null ? Number.NEGATIVE_INFINITY : state.maxEventTime - timing.latenessMs;
    for (const w of windows) {
      if (w.end <= watermark) late.push({ partition: item.partition, offset: item.offset, eventId: item.eventId, eventTime: time, key, start: w.start, end: w.end, watermark, value });
      else applications.push({ target: { start: w.start, end: w.end, key, partition: item.partition }, value, offset: item.offset });
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
