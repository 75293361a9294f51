import type { ConsumedMessage, Consumer, TopicPartition, TopicPartitionOffset } from '../shared/kafka/index.ts';
import type { WorkerMetrics } from './metrics.ts';
import { keyOf, nextOffsets } from './partitions.ts';
import type { Pipelines } from './pipelines/index.ts';

export interface CommitterOptions {
  readonly consumer: Consumer;
  /** With pipelines, a batch's offsets wait for the flush of the window items it buffered. */
  readonly pipelines: Pipelines | null;
  readonly metrics: WorkerMetrics;
  readonly log: (line: string) => void;
  /** Aborted on shutdown: a flush being retried gives up, and what it covers stays uncommitted. */
  readonly signal: AbortSignal;
  /** Waits for a flush while keeping the member in its group (poller.ts). */
  readonly keepAlive: <T>(work: Promise<T>) => Promise<T>;
  readonly batchSize: number;
  readonly stopping: () => boolean;
  /** Messages polled but not yet in a batch: while there are any, the consumer has not caught up. */
  readonly stashed: () => number;
}

export interface Committer {
  /** A batch begins: partitions revoked from here on are not committed for it. */
  begin(): void;
  /** Partitions this member no longer owns: their offsets are not committed (the next owner re-reads them). */
  revoke(partitions: readonly TopicPartition[]): void;
  /** Commits a processed batch, or defers it until the pipelines' flush. */
  commit(messages: readonly ConsumedMessage[]): Promise<void>;
  /** Starts the flush of the buffered window items if it is due, or at once when `caughtUp`. */
  startFlush(caughtUp: boolean): void;
  /** Flushes and commits before a pending rebalance is applied (by the next poll). */
  settleBeforeRebalance(): Promise<void>;
  /** At shutdown: waits for the flush in flight, then flushes and commits what is left. */
  finish(): Promise<void>;
}

/**
 * When the worker's offsets are committed: at once after a batch, or, with pipelines, after the flush of the window
 * items it buffered (committing before the flush would lose them in a crash).
 */
export function createCommitter({ consumer, pipelines, metrics, log, signal, keepAlive, batchSize, stopping, stashed }: CommitterOptions): Committer {
  /** Partitions revoked while the current batch was in flight: their offsets are not committed (the next owner re-reads them). */
  const revoked = new Set<string>();
  /** Next offsets of processed batches whose window items wait for the pipelines' flush (pipelines/index.ts). */
  let deferred = new Map<string, TopicPartitionOffset>();
  /** The flush in flight (at most one, so the operator applies each partition in offset order) and what it commits. */
  let flushing: { done: Promise<void>; offsets: Map<string, TopicPartitionOffset> } | undefined;

  /**
   * Commits the batch, or defers it while the pipelines hold window items not flushed yet. Deferred offsets of
   * partitions revoked meanwhile are dropped; their next owner re-reads from the last commit and the operator skips
   * what was applied.
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
    startFlush(stashed() === 0 && (messages.length < batchSize || atEndOfPartitions()));
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
    if (pipelines.pending() > 0 && !caughtUp && !pipelines.due() && !stopping()) return;
    const current = {
      offsets: deferred,
      done: pipelines.flush(signal).then(async (flushed) => {
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

  return {
    begin: () => revoked.clear(),
    revoke(partitions) {
      for (const k of new Set(partitions.map(keyOf))) {
        revoked.add(k);
        deferred.delete(k);
        flushing?.offsets.delete(k);
      }
    },
    commit,
    startFlush,
    /**
     * Without it a revoke dropped the deferred offsets and the next owner re-read everything since the last flush: in
     * bench:windows the second worker's join made the first re-process up to a second of events.
     */
    async settleBeforeRebalance() {
      if (!pipelines || !consumer.rebalancePending()) return;
      while (!stopping() && (deferred.size > 0 || flushing)) {
        startFlush(true);
        if (flushing) await keepAlive(flushing.done);
      }
    },
    async finish() {
      await flushing?.done;
      startFlush(true);
      await flushing?.done;
    },
  };
}
