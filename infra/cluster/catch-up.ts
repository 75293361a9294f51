import type { Admin } from '../../shared/kafka/index.ts';
import { leaderOf } from './cluster.ts';

interface Sample {
  at: number;
  /** High watermark per partition, or undefined when a leader did not answer. */
  highs: bigint[] | undefined;
  committed: Map<number, bigint> | undefined;
}

/**
 * Seconds from `since` until the consumer group has caught up after a leader loss: `partition` is led by a live node
 * other than `lostNode`, and the group's committed offsets have reached, on every partition, the high watermarks read
 * `behindMs` earlier. Under steady load the log never stands still, so "lag is zero" means here: everything that was in
 * Kafka `behindMs` ago is processed. Undefined when that does not happen within `timeoutMs`.
 */
export async function secondsUntilCaughtUp({
  admin,
  topic,
  groupId,
  partitions,
  partition,
  lostNode,
  since,
  behindMs = 1000,
  everyMs = 250,
  timeoutMs = 120_000,
}: {
  admin: Admin;
  topic: string;
  groupId: string;
  partitions: number;
  partition: number;
  lostNode: number;
  since: number;
  behindMs?: number;
  everyMs?: number;
  timeoutMs?: number;
}): Promise<number | undefined> {
  const samples: Sample[] = [];
  let failedOver = false;
  while (performance.now() - since < timeoutMs) {
    const at = performance.now();
    if (!failedOver) {
      const leader = await leaderOf(admin, topic, partition);
      failedOver = leader >= 0 && leader !== lostNode;
      // Watermarks are blocking calls to each leader: asked of a dead one they hold this thread (and the load) for
      // their whole timeout, so they wait until every partition is led again.
      if (!failedOver) {
        await Bun.sleep(everyMs);
        continue;
      }
    }
    const committed = await admin
      .committed(groupId)
      .then((list) => new Map(list.filter((c) => c.topic === topic).map((c) => [c.partition, c.offset])))
      .catch(() => undefined);
    const highs = await Promise.all(Array.from({ length: partitions }, (_, p) => admin.watermarks(topic, p, { timeoutMs: 1000 }).then((w) => w.high)))
      .catch(() => undefined);
    samples.push({ at, highs, committed });
    const earlier = samples.findLast((s) => s.at <= at - behindMs);
    if (failedOver && committed && earlier?.highs && earlier.at >= since) {
      const caughtUp = earlier.highs.every((high, p) => high === 0n || (committed.get(p) ?? -1n) >= high);
      if (caughtUp) return (at - since) / 1000;
    }
    await Bun.sleep(Math.max(50, everyMs - (performance.now() - at)));
  }
  return undefined;
}
