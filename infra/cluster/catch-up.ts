import { join } from 'node:path';
import type { Admin } from '../../shared/kafka/index.ts';
import { readGroupLag } from '../../shared/kafka/lag.ts';
import type { SampleAnswer, SampleRequest } from './catch-up-sample.ts';

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
    const answer = await sampleInChild({ brokers, topic, groupId, partitions, lostNode, failedOver });
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

/**
 * One sample in a process of its own (catch-up-sample.ts): short-lived admin clients in the scenario's own process
 * still took it down with SIGSEGV seconds after a kill. A sample whose process crashes or hangs is just missing.
 */
async function sampleInChild(request: SampleRequest): Promise<SampleAnswer | undefined> {
  const proc = Bun.spawn([process.execPath, SAMPLE_SCRIPT, JSON.stringify(request)], { stdout: 'pipe', stderr: 'ignore', timeout: 15_000, killSignal: 'SIGKILL' });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) return undefined;
  try {
    return JSON.parse(out) as SampleAnswer;
  } catch {
    return undefined;
  }
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
