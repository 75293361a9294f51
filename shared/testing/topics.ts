import type { Admin } from '../kafka/index.ts';
import { waitFor } from './wait.ts';

/** Creates `topic` and returns once every partition has a leader, so a producer's first record does not wait for one. */
export async function createTopic(admin: Admin, topic: string, partitions = 3, config?: Record<string, string>): Promise<void> {
  await admin.createTopics([{ name: topic, partitions, config }]);
  // The controller answers before every partition has a leader; wait until metadata shows them all led.
  await waitFor(async () => {
    const md = await admin.metadata({ timeoutMs: 5000 }).catch(() => undefined);
    const t = md?.topics.find((x) => x.name === topic);
    return t !== undefined && t.error === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0);
  }, 30_000, `topic ${topic} to have leaders`);
}

/** Messages of `topic` not yet committed by `groupId` (a partition without a commit counts from its low watermark). */
export async function uncommitted(admin: Admin, groupId: string, topic: string, partitions: number): Promise<number> {
  const committed = await admin.committed(groupId, Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
  let lag = 0n;
  for (let partition = 0; partition < partitions; partition++) {
    const { low, high } = await admin.watermarks(topic, partition);
    const offset = committed.find((c) => c.partition === partition)?.offset ?? -1n;
    lag += high - (offset >= 0n ? offset : low);
  }
  return Number(lag);
}
