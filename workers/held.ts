import type { ConsumedMessage } from '../shared/kafka/index.ts';

/**
 * How many of `messages` (from the start) form the next batch: all of them, or as many as fit in `maxBytes` of
 * values and keys, and never fewer than one, so a message larger than the bound still gets processed on its own.
 */
export function batchCut(messages: readonly ConsumedMessage[], maxBytes: number): number {
  let bytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    bytes += (m.value?.byteLength ?? 0) + (m.key?.byteLength ?? 0);
    if (bytes > maxBytes) return Math.max(i, 1);
  }
  return messages.length;
}

/** A partition whose batch is held by retries: nothing from `offset` on is committed until they end. */
export interface StuckPartition {
  readonly topic: string;
  readonly partition: number;
  /** The batch's first offset in the partition (as a string: offsets are 64-bit). */
  readonly offset: string;
  /** When the batch started retrying, ISO 8601. */
  readonly since: string;
  /** What is being retried: a sink's retry reason, or the dead-letter producer's (dlq-retry.ts). */
  readonly reason: string;
}

/** The partitions of a held batch with their first offsets; computed when asked (readiness), not per batch. */
export function stuckPartitions(messages: readonly ConsumedMessage[], since: Date, reason: string): StuckPartition[] {
  const first = new Map<string, ConsumedMessage>();
  for (const m of messages) {
    const key = `${m.topic}\u0000${m.partition}`;
    const seen = first.get(key);
    if (!seen || m.offset < seen.offset) first.set(key, m);
  }
  return [...first.values()]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((m) => ({ topic: m.topic, partition: m.partition, offset: String(m.offset), since: since.toISOString(), reason }));
}
