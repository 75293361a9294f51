import type { Admin } from '../../shared/kafka/index.ts';
import { readGroupLag } from '../../shared/kafka/lag.ts';
import type { LocalCluster } from './cluster.ts';

interface Sample {
  at: number;
  /** High watermark per partition, or undefined when a leader did not answer. */
  highs: bigint[] | undefined;
  committed: Map<number, bigint> | undefined;
}

/**
 * Seconds from `since` until the consumer group has caught up after a leader loss: every partition is led by a live
 * node other than `lostNode`, and the group's committed offsets have reached, on every partition, the high watermarks read
 * `behindMs` earlier. Under steady load the log never stands still, so "lag is zero" means here: everything that was in
 * Kafka `behindMs` ago is processed. Undefined when that does not happen within `timeoutMs`.
 */
export async function secondsUntilCaughtUp({
  withAdmin,
  topic,
  groupId,
  partitions,
  lostNode,
  since,
  behindMs = 1000,
  everyMs = 250,
  timeoutMs = 120_000,
}: {
  /** Runs one sample with an admin client of its own. */
  withAdmin: LocalCluster['withAdmin'];
  topic: string;
  groupId: string;
  partitions: number;
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
    // Each sample has an admin client of its own (see LocalCluster.openAdmin): none is connected when a node dies.
    const sample = await withAdmin(async (admin) => {
      // Watermarks are blocking calls to each leader: asked of a dead one they hold this thread (and the load) for
      // their whole timeout, and librdkafka 2.0.2 (Debian 12) can go on past that timeout (confluentinc/librdkafka#4460,
      // fixed in 2.3.0). So they wait until every partition, not only the busiest, is led by a live node again.
      if (!failedOver && !(await everyPartitionLed(admin, topic, partitions, lostNode))) return undefined;
      const committed = await admin
        .committed(groupId)
        .then((list) => new Map(list.filter((c) => c.topic === topic).map((c) => [c.partition, c.offset])))
        .catch(() => undefined);
      const highs = await Promise.all(Array.from({ length: partitions }, (_, p) => admin.watermarks(topic, p, { timeoutMs: 1000 }).then((w) => w.high)))
        .catch(() => undefined);
      return { at, highs, committed };
    }).catch(() => undefined);
    if (sample) {
      failedOver = true;
      samples.push(sample);
      const earlier = samples.findLast((s) => s.at <= at - behindMs);
      if (sample.committed && earlier?.highs && earlier.at >= since) {
        const { committed } = sample;
        const caughtUp = earlier.highs.every((high, p) => high === 0n || (committed.get(p) ?? -1n) >= high);
        if (caughtUp) return (at - since) / 1000;
      }
    }
    await Bun.sleep(Math.max(50, everyMs - (performance.now() - at)));
  }
  return undefined;
}

/** Whether each of the topic's partitions has a leader, none of them `lostNode` (false when metadata is not to be had). */
async function everyPartitionLed(admin: Admin, topic: string, partitions: number, lostNode: number): Promise<boolean> {
  const md = await admin.metadata({ timeoutMs: 2000 }).catch(() => undefined);
  const led = md?.topics.find((t) => t.name === topic)?.partitions.filter((p) => p.leader >= 0 && p.leader !== lostNode) ?? [];
  return led.length === partitions;
}

/**
 * True once the group has committed up to the high watermark of every partition of `topic` (one it never committed
 * counts from the low watermark, as `npm run status` counts it); false when that does not happen within `timeoutMs`.
 */
export async function waitForZeroLag(admin: Admin, { groupId, topic, timeoutMs = 90_000 }: { groupId: string; topic: string; timeoutMs?: number }): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const report = await readGroupLag(admin, { groupId, topic, timeoutMs: 2000 }).catch(() => undefined);
    if (report?.topicExists && report.partitions.length > 0 && report.partitions.every((p) => p.lag === 0n)) return true;
    await Bun.sleep(250);
  }
  return false;
}
