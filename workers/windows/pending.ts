import { retryUntilDone, type Backoff } from '../steps/sinks.ts';
import type { WindowMirror } from './live.ts';
import type { AggregateTask, WindowOperator } from './operator.ts';
import type { WindowItem } from './plan.ts';

export interface FlushedTask {
  readonly pipelineId: string;
  /** Distinct late events (an event late for several hopping windows counts once). */
  readonly late: number;
  readonly withoutTime: number;
}

export interface PendingWindowsOptions {
  readonly operator: Pick<WindowOperator, 'apply'>;
  readonly mirror: Pick<WindowMirror, 'publish'>;
  readonly backoff: Backoff;
  /** A flush is due this long after the first item buffered since the last one. */
  readonly flushMs?: number;
  /** ... or once this many items are buffered, whichever comes first: the buffer is bounded. */
  readonly maxItems?: number;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
  readonly onFlushed?: (task: FlushedTask) => void;
}

/**
 * Window items waiting for the next flush, per (pipeline revision, aggregate step). Applying every batch on its own
 * wrote one partial row and one result row per touched (window, key) each time, which made a windowed pipeline cost
 * as much as indexing (bench:windows). Flushing several batches at once writes each touched row once per flush — Kafka
 * Streams' record cache and commit interval do the same. It stays exactly-once because the worker commits the
 * batches' offsets only after the flush (worker.ts): a crash before it re-delivers them, and the operator skips
 * offsets it already applied.
 */
export function createPendingWindows({ operator, mirror, backoff, flushMs = 1_000, maxItems = 50_000, now = () => performance.now(), log = console.log, onFlushed = () => {} }: PendingWindowsOptions) {
  const tasks = new Map<string, { task: AggregateTask; items: WindowItem[] }>();
  let size = 0;
  let since = 0;

  function add(revision: string, task: AggregateTask, items: readonly WindowItem[]): void {
    if (items.length === 0) return;
    const id = `${revision}|${task.step}`;
    let entry = tasks.get(id);
    if (!entry) tasks.set(id, (entry = { task, items: [] }));
    for (const item of items) entry.items.push(item);
    if (size === 0) since = now();
    size += items.length;
  }

  async function applyOne(task: AggregateTask, items: readonly WindowItem[]): Promise<FlushedTask> {
    const applied = await operator.apply(task, items);
    await mirror.publish(applied.results);
    return { pipelineId: task.pipelineId, late: new Set(applied.late.map((l) => `${l.partition}:${l.offset}`)).size, withoutTime: applied.withoutTime };
  }

  /**
   * Applies what is buffered now, each task retried with backoff until it succeeds; items added meanwhile wait for
   * the next flush. Resolves false if shutdown (`signal`) cut the retries short: the rest is then dropped, and the
   * batches it came from stay uncommitted, to be re-delivered.
   */
  async function flush(signal: AbortSignal): Promise<boolean> {
    const taken = [...tasks];
    tasks.clear();
    size = 0;
    for (const [id, { task, items }] of taken) {
      const done = await retryUntilDone(async () => onFlushed(await applyOne(task, items)), { what: `pipeline ${id}`, backoff, signal, log });
      if (!done) return false;
    }
    return true;
  }

  return {
    add,
    flush,
    /** Items buffered. */
    size: () => size,
    /** Something is buffered and it is time (or the buffer is full) to flush it. */
    due: () => size > 0 && (size >= maxItems || now() - since >= flushMs),
  };
}

export type PendingWindows = ReturnType<typeof createPendingWindows>;
