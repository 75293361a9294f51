import { readGroupLag, type PartitionLagState } from '../../shared/kafka/lag.ts';
import { answerAsChild, answerInChild } from './child.ts';
import { describeView, groupView, splitsTopic, type GroupView } from './group.ts';

/**
 * Kafka's view of a consumer group, each read by a process of its own (child.ts says why):
 * `bun infra/cluster/group-probe.ts <json>` with { brokers, groupId, topic, read }, printing one JSON line.
 */
export interface GroupProbe {
  brokers: string;
  groupId: string;
  topic: string;
  /** `members`: the coordinator's description of the group; `lag`: the group's lag on `topic` per partition. */
  read: 'members' | 'lag';
}

type Wire<T> = { [K in keyof T]: T[K] extends bigint | null ? string | null : T[K] };
interface LagAnswer {
  topicExists: boolean;
  partitions: Array<Wire<PartitionLagState>>;
}

const SCRIPT = import.meta.path;
const big = (s: string | null) => (s === null ? null : BigInt(s));

/** The group as its coordinator holds it; undefined when the probe got no answer. */
export const probeMembers = (brokers: string, groupId: string, topic: string): Promise<GroupView | undefined> =>
  answerInChild<GroupView>(SCRIPT, { brokers, groupId, topic, read: 'members' } satisfies GroupProbe);

/** The group's lag on `topic` per partition (readGroupLag); undefined when the probe got no answer. */
export async function probeLag(brokers: string, groupId: string, topic: string): Promise<{ topicExists: boolean; partitions: PartitionLagState[] } | undefined> {
  const answer = await answerInChild<LagAnswer>(SCRIPT, { brokers, groupId, topic, read: 'lag' } satisfies GroupProbe);
  if (!answer) return undefined;
  const partitions = answer.partitions.map((p) => ({ ...p, highWatermark: big(p.highWatermark), committed: big(p.committed), lag: big(p.lag) }));
  return { topicExists: answer.topicExists, partitions };
}

/**
 * Polls the coordinator until the group is Stable with `members` members that split the topic's `partitions` between
 * them (splitsTopic), and returns that view; throws with the last view seen after `timeoutMs`. A bound, not a timing
 * claim: how long a rebalance takes depends on heartbeats and the session timeout.
 */
export async function waitForSplit(
  brokers: string,
  { groupId, topic, partitions, members, timeoutMs = 60_000 }: { groupId: string; topic: string; partitions: number; members: number; timeoutMs?: number },
): Promise<GroupView> {
  const deadline = Date.now() + timeoutMs;
  let last: GroupView | undefined;
  while (Date.now() < deadline) {
    last = (await probeMembers(brokers, groupId, topic)) ?? last;
    if (last && last.state === 'Stable' && last.members.length === members && splitsTopic(last, partitions)) return last;
    await Bun.sleep(250);
  }
  throw new Error(`group ${groupId}: no stable split of ${partitions} partitions over ${members} members within ${timeoutMs} ms; last seen ${last ? describeView(last) : 'nothing'}`);
}

/**
 * Waits until the group has committed up to the high watermark of every partition of `topic` (one it never committed
 * counts from the low watermark, as `npm run status` counts it). `drained` is false when that did not happen within
 * `timeoutMs`; `partitions` is the last lag read.
 */
export async function waitForZeroLag(
  brokers: string,
  { groupId, topic, timeoutMs = 90_000 }: { groupId: string; topic: string; timeoutMs?: number },
): Promise<{ drained: boolean; partitions: PartitionLagState[] }> {
  const deadline = Date.now() + timeoutMs;
  let partitions: PartitionLagState[] = [];
  while (Date.now() < deadline) {
    const report = await probeLag(brokers, groupId, topic);
    if (report?.topicExists) partitions = report.partitions;
    if (report?.topicExists && partitions.length > 0 && partitions.every((p) => p.lag === 0n)) return { drained: true, partitions };
    await Bun.sleep(250);
  }
  return { drained: false, partitions };
}

if (import.meta.main) {
  await answerAsChild<GroupProbe>(async (admin, { groupId, topic, read }) => {
    if (read === 'members') return groupView(await admin.describeGroup(groupId), topic);
    const { topicExists, partitions } = await readGroupLag(admin, { groupId, topic, timeoutMs: 2000 });
    return { topicExists, partitions };
  });
}
