import type { Admin } from '../../shared/kafka/index.ts';
import { answerAsChild } from './child.ts';

/**
 * One catch-up sample, run as a process of its own by catch-up.ts: `bun infra/cluster/catch-up-sample.ts <json>` with
 * { brokers, topic, groupId, partitions, lostNode, failedOver }, printing one JSON line: { led, highs, committed }
 * (offsets as strings; null where a part did not answer). A librdkafka client alive while a node is down can crash
 * its process (confluentinc/librdkafka#5315), so none lives in the process that runs the scenario.
 */
export interface SampleRequest {
  brokers: string;
  topic: string;
  groupId: string;
  partitions: number;
  lostNode: number;
  /** Whether an earlier sample already saw every partition led by a live node. */
  failedOver: boolean;
}

export interface SampleAnswer {
  led: boolean;
  highs: string[] | null;
  committed: Array<[number, string]> | null;
}

async function sample(admin: Admin, { topic, groupId, partitions, lostNode, failedOver }: SampleRequest): Promise<SampleAnswer> {
  // Watermarks are blocking calls to each leader: asked of a dead one they hold the thread for their whole timeout,
  // and librdkafka 2.0.2 (Debian 12) can go on past that timeout (confluentinc/librdkafka#4460, fixed in 2.3.0). So
  // they wait until every partition, not only the busiest, is led by a live node again.
  if (!failedOver && !(await everyPartitionLed(admin, topic, partitions, lostNode))) return { led: false, highs: null, committed: null };
  const committed = await admin
    .committed(groupId)
    .then((list) => list.filter((c) => c.topic === topic).map((c): [number, string] => [c.partition, String(c.offset)]))
    .catch(() => null);
  const highs = await Promise.all(Array.from({ length: partitions }, (_, p) => admin.watermarks(topic, p, { timeoutMs: 1000 }).then((w) => String(w.high))))
    .catch(() => null);
  return { led: true, highs, committed };
}

/** Whether each of the topic's partitions has a leader, none of them `lostNode` (false when metadata is not to be had). */
async function everyPartitionLed(admin: Admin, topic: string, partitions: number, lostNode: number): Promise<boolean> {
  const md = await admin.metadata({ timeoutMs: 2000 }).catch(() => undefined);
  const led = md?.topics.find((t) => t.name === topic)?.partitions.filter((p) => p.leader >= 0 && p.leader !== lostNode) ?? [];
  return led.length === partitions;
}

if (import.meta.main) await answerAsChild(sample);
