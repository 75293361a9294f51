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
