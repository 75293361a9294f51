import type { GroupDescription } from '../../shared/kafka/index.ts';

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
