import { join } from 'node:path';
import type { SampleAnswer, SampleRequest } from './catch-up-sample.ts';
import { answerInChild } from './child.ts';

const SAMPLE_SCRIPT = join(import.meta.dir, 'catch-up-sample.ts');

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
  brokers,
  topic,
  groupId,
  partitions,
  lostNode,
  since,
  behindMs = 1000,
  everyMs = 250,
  timeoutMs = 120_000,
}: {
  brokers: string;
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
    const answer = await answerInChild<SampleAnswer>(SAMPLE_SCRIPT, { brokers, topic, groupId, partitions, lostNode, failedOver } satisfies SampleRequest);
    if (answer?.led) {
      failedOver = true;
      const committed = answer.committed && new Map(answer.committed.map(([p, o]) => [p, BigInt(o)]));
      const sample = { at, highs: answer.highs?.map(BigInt), committed: committed ?? undefined };
      samples.push(sample);
      const earlier = samples.findLast((s) => s.at <= at - behindMs);
      if (committed && earlier?.highs && earlier.at >= since) {
        const caughtUp = earlier.highs.every((high, p) => high === 0n || (committed.get(p) ?? -1n) >= high);
        if (caughtUp) return (at - since) / 1000;
      }
    }
    await Bun.sleep(Math.max(50, everyMs - (performance.now() - at)));
  }
  return undefined;
}
