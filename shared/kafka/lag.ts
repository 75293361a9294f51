import type { Admin, ClusterMetadata } from './admin.ts';

/** One partition of a topic as an operator reads it: who leads it, how many replicas are in sync, how far a group is behind. */
export interface PartitionLagState {
  readonly partition: number;
  /** Broker id of the leader; -1 while the partition has none. */
  readonly leader: number;
  readonly replicas: number;
  readonly isr: number;
  /** Null when the leader could not be asked. */
  readonly highWatermark: bigint | null;
  /** The group's committed offset (the next one it reads); null before its first commit. */
  readonly committed: bigint | null;
  /** High watermark minus committed (minus the low watermark before a first commit); null when not known. */
  readonly lag: bigint | null;
}

export interface GroupLagReport {
  readonly brokers: ClusterMetadata['brokers'];
  /** False when the cluster does not have the topic (yet: the edge creates it with its first event). */
  readonly topicExists: boolean;
  readonly partitions: readonly PartitionLagState[];
}

/**
 * A group's lag on one topic, per partition, with the cluster's brokers and each partition's leader and ISR.
 * committed() goes first: it is an asynchronous Admin API request, so an unreachable cluster fails it without holding
 * the caller's thread. metadata() and watermarks() are librdkafka's blocking calls, each bounded by timeoutMs, and a
 * partition without a leader is not asked at all (its call could only time out).
 */
export async function readGroupLag(admin: Admin, { groupId, topic, timeoutMs = 1000 }: { groupId: string; topic: string; timeoutMs?: number }): Promise<GroupLagReport> {
  const committed = new Map((await admin.committed(groupId)).filter((c) => c.topic === topic).map((c) => [c.partition, c.offset]));
  const metadata = await admin.metadata({ timeoutMs });
  const found = metadata.topics.find((t) => t.name === topic);
  const partitions: PartitionLagState[] = [];
  for (const p of [...(found?.partitions ?? [])].sort((a, b) => a.id - b.id)) {
    const offset = committed.get(p.id);
    const at = offset !== undefined && offset >= 0n ? offset : null;
    let marks: { low: bigint; high: bigint } | null = null;
    if (p.leader >= 0) marks = await admin.watermarks(topic, p.id, { timeoutMs }).catch(() => null);
    const lag = marks === null ? null : marks.high - (at ?? marks.low);
    partitions.push({ partition: p.id, leader: p.leader, replicas: p.replicas, isr: p.isr, highWatermark: marks?.high ?? null, committed: at, lag: lag !== null && lag < 0n ? 0n : lag });
  }
  return { brokers: metadata.brokers, topicExists: found !== undefined && found.error === 0, partitions };
}
