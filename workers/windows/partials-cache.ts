import type { Accumulator } from '../../shared/pipelines/index.ts';
import { targetId, type PartitionState, type Target } from './plan.ts';

/** One partition's accumulator for one (window, key), as stored in window_partials. */
export interface PartialRow extends Accumulator, Target {}

interface Known {
  /** The partition's last applied offset this knowledge is true at. */
  lastOffset: bigint;
  /** By targetId: the row (null when Postgres has none) and its window's end, which decides when it is forgotten. */
  rows: Map<string, { end: number; row: PartialRow | null }>;
}

/**
 * What this process knows of the partials of the partitions it processes, so a batch reads from Postgres only the
 * (window, key, partition) it has not seen yet: reading every touched partial back was about half of a windowed
 * batch's time in bench:windows. Knowledge of a partition holds while the partition's last applied offset in
 * Postgres is the one it was learned at. The operator compares them after locking the partition's row (FOR UPDATE),
 * so if another worker applied batches in between (a rebalance, a replay), the offsets differ and it is dropped.
 */
export class PartialsCache {
  readonly #partitions = new Map<number, Known>();
  #size = 0;

  /** Past this many remembered rows everything is forgotten, which only costs reads. */
  constructor(readonly maxRows = 200_000) {}

  /** Drops what is known of partitions whose last applied offset is not the one it was learned at. */
  validate(states: ReadonlyMap<number, PartitionState>): void {
    for (const [partition, known] of this.#partitions) {
      const state = states.get(partition);
      if (state && state.lastOffset !== known.lastOffset) this.#drop(partition);
    }
  }

  /** The row, null when Postgres is known to have none, undefined when unknown; `id` is the target's targetId. */
  lookup(target: Target, id = targetId(target)): PartialRow | null | undefined {
    return this.#partitions.get(target.partition)?.rows.get(id)?.row;
  }

  /**
   * After a commit: remembers what the transaction read and wrote, true at each partition's new last offset, and
   * forgets windows the partition's watermark has passed (later events for them are late and change no partial).
   */
  remember(learned: Iterable<readonly [Target, PartialRow | null]>, states: ReadonlyMap<number, PartitionState>, latenessMs: number): void {
    for (const [partition, state] of states) {
      const known = this.#partitions.get(partition);
      if (known) known.lastOffset = state.lastOffset;
      else this.#partitions.set(partition, { lastOffset: state.lastOffset, rows: new Map() });
    }
    for (const [target, row] of learned) {
      const known = this.#partitions.get(target.partition);
      if (!known) continue;
      const id = targetId(target);
      if (!known.rows.has(id)) this.#size++;
      known.rows.set(id, { end: target.end, row });
    }
    for (const [partition, state] of states) {
      if (state.maxEventTime === null) continue;
      const watermark = state.maxEventTime - latenessMs;
      const known = this.#partitions.get(partition)!;
      for (const [id, { end }] of known.rows) {
        if (end <= watermark) {
          known.rows.delete(id);
          this.#size--;
        }
      }
    }
    if (this.#size > this.maxRows) this.clear();
  }

  /** After a failed transaction: rows may have been changed in place, so nothing about these partitions is trusted. */
  forget(partitions: Iterable<number>): void {
    for (const partition of partitions) this.#drop(partition);
  }

  clear(): void {
    this.#partitions.clear();
    this.#size = 0;
  }

  get size(): number {
    return this.#size;
  }

  #drop(partition: number): void {
    const known = this.#partitions.get(partition);
    if (!known) return;
    this.#size -= known.rows.size;
    this.#partitions.delete(partition);
  }
}
