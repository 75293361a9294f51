import type { ConsumedMessage, Consumer, TopicPartition, TopicPartitionOffset } from '../shared/kafka/index.ts';

export const keyOf = (p: TopicPartition): string => `${p.topic}\u0000${p.partition}`;

/**
 * Offsets to commit for a batch: per partition, one past its last message (Kafka commits the NEXT offset to read).
 * A fetch hands over each partition's messages as a run, so the key is built once per run rather than per message.
 */
export function nextOffsets(messages: readonly ConsumedMessage[]): Map<string, TopicPartitionOffset> {
  const next = new Map<string, TopicPartitionOffset>();
  let current: TopicPartitionOffset | undefined;
  for (const { topic, partition, offset } of messages) {
    if (current?.partition !== partition || current.topic !== topic) {
      const k = keyOf({ topic, partition });
      current = next.get(k);
      if (!current) next.set(k, (current = { topic, partition, offset: offset + 1n }));
    }
    if (current.offset <= offset) current.offset = offset + 1n;
  }
  return next;
}

export interface Pauser {
  /** Pauses every assigned partition not paused yet; call again after a rebalance may have assigned new ones. */
  pauseAssigned(): void;
  /** Resumes everything this pauser paused. */
  resumeAll(): void;
}

export function createPauser(consumer: Pick<Consumer, 'assignment' | 'pause' | 'resume'>): Pauser {
  const paused = new Map<string, TopicPartition>();
  return {
    pauseAssigned() {
      const fresh = consumer.assignment().filter((p) => !paused.has(keyOf(p)));
      if (fresh.length === 0) return;
      consumer.pause(fresh);
      for (const p of fresh) paused.set(keyOf(p), p);
    },
    resumeAll() {
      if (paused.size === 0) return;
      // Revoked ones too: the consumer remembers pauses by partition, and one handed back later must not stay paused.
      consumer.resume([...paused.values()]);
      paused.clear();
    },
  };
}
