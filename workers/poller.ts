import type { ConsumedMessage, Consumer, TopicPartition } from '../shared/kafka/index.ts';
import { batchCut } from './held.ts';
import type { WorkerMetrics } from './metrics.ts';
import { createPauser, keyOf } from './partitions.ts';

export interface PollerOptions {
  readonly consumer: Consumer;
  readonly metrics: WorkerMetrics;
  readonly batchSize: number;
  readonly batchMaxBytes: number;
  readonly pollTimeoutMs: number;
  /** Whether something is being retried (and no shutdown began): keepAlive() then polls with every partition paused. */
  readonly holding: () => boolean;
}

export interface Poller {
  /** The next batch: stashed messages first, else a poll; cut at batchMaxBytes, the rest stashed ahead of later polls. */
  next(): Promise<ConsumedMessage[]>;
  /** Waits for `work`, polling with every assigned partition paused while holding(), so the member stays in the group. */
  keepAlive<T>(work: Promise<T>): Promise<T>;
  /** Sets the lag gauge from the committed offsets; `busy` limits it to twice a second. */
  updateLag(busy?: boolean): void;
  /** Drops stashed messages of revoked partitions and zeroes their lag. */
  revoke(partitions: readonly TopicPartition[]): void;
  /** How many messages wait in the stash for the next batch. */
  stashed(): number;
}

/**
 * The worker's side of fetching: what forms the next batch, the polls that keep the member in its group while a batch
 * is held by retries, and the lag gauge.
 */
export function createPoller({ consumer, metrics, batchSize, batchMaxBytes, pollTimeoutMs, holding }: PollerOptions): Poller {
  const pauser = createPauser(consumer);
  /** Messages a keep-alive poll returned (from partitions assigned during a retry); they form the next batch. */
  let stash: ConsumedMessage[] = [];
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

  return {
    async next() {
      const messages = stash.length > 0 ? stash.splice(0, batchSize) : await consumer.poll(batchSize, pollTimeoutMs);
      // Cut by bytes too: what is past the cut waits in the stash, ahead of anything polled later.
      const cut = batchCut(messages, batchMaxBytes);
      if (cut < messages.length) stash.unshift(...messages.splice(cut));
      updateLag(messages.length > 0);
      return messages;
    },
    async keepAlive<T>(work: Promise<T>): Promise<T> {
      let finished = false;
      const settled = work.then(() => (finished = true), () => (finished = true));
      try {
        while (!finished) {
          if (!holding()) await Promise.race([settled, Bun.sleep(pollTimeoutMs)]);
          else {
            pauser.pauseAssigned();
            stash.push(...(await consumer.poll(batchSize, pollTimeoutMs)));
            updateLag(true);
          }
        }
      } finally {
        pauser.resumeAll();
      }
      return work;
    },
    updateLag,
    revoke(partitions) {
      const gone = new Set(partitions.map(keyOf));
      stash = stash.filter((m) => !gone.has(keyOf(m)));
      for (const p of partitions) metrics.lag.set({ partition: String(p.partition) }, 0);
    },
    stashed: () => stash.length,
  };
}
