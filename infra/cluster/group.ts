import type { Admin, GroupDescription } from '../../shared/kafka/index.ts';

/** One member of the group and the partitions of the topic the coordinator gave it, sorted. */
export interface MemberShare {
  clientId: string;
  memberId: string;
  partitions: number[];
}

/** The consumer group on one topic as its coordinator holds it (Admin.describeGroup), members sorted by client id. */
export interface GroupView {
  state: string;
  assignor: string;
  members: MemberShare[];
}

export function groupView(description: GroupDescription, topic: string): GroupView {
  const members = description.members.map((m) => ({
    clientId: m.clientId,
    memberId: m.memberId,
    partitions: m.assignment.filter((p) => p.topic === topic).map((p) => p.partition).sort((a, b) => a - b),
  }));
  return { state: description.state, assignor: description.assignor, members: members.sort((a, b) => a.clientId.localeCompare(b.clientId)) };
}

/** `worker 1234: 0,1,2 | worker 5678: 3,4,5`, for logs and failure messages. */
export const describeView = (view: GroupView): string =>
  `${view.state}: ${view.members.map((m) => `${m.clientId} [${m.partitions.join(',')}]`).join(' | ') || 'no members'}`;

/** Every partition 0..partitions-1 owned by exactly one member, and no member idle. */
export function splitsTopic(view: GroupView, partitions: number): boolean {
  const owned = view.members.flatMap((m) => m.partitions).sort((a, b) => a - b);
  return owned.length === partitions && owned.every((p, i) => p === i) && view.members.every((m) => m.partitions.length > 0);
}

/**
 * Polls the coordinator until the group is Stable with `members` members that split the topic's `partitions` between
 * them (splitsTopic), and returns that view; throws with the last view seen after `timeoutMs`. A bound, not a timing
 * claim: how long a rebalance takes depends on heartbeats and the session timeout.
 */
export async function waitForSplit(
  admin: Admin,
  { groupId, topic, partitions, members, timeoutMs = 60_000 }: { groupId: string; topic: string; partitions: number; members: number; timeoutMs?: number },
): Promise<GroupView> {
  const deadline = Date.now() + timeoutMs;
  let last: GroupView | undefined;
  while (Date.now() < deadline) {
    const description = await admin.describeGroup(groupId).catch(() => undefined);
    if (description) {
      last = groupView(description, topic);
      if (last.state === 'Stable' && last.members.length === members && splitsTopic(last, partitions)) return last;
    }
    await Bun.sleep(250);
  }
  throw new Error(`group ${groupId}: no stable split of ${partitions} partitions over ${members} members within ${timeoutMs} ms; last seen ${last ? describeView(last) : 'nothing'}`);
}
