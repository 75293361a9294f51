import { ptr, read, type Pointer } from 'bun:ffi';
import { errorFromCode } from './errors.ts';
import type { Rdkafka } from './ffi.ts';
import { asPtr, fromTpList, type TopicPartition } from './native.ts';

/** One member of a consumer group as its coordinator describes it. */
export interface GroupMember {
  /** The id the coordinator gave the member when it joined; kept by that consumer across rebalances. */
  readonly memberId: string;
  /** The consumer's `client.id`. */
  readonly clientId: string;
  /** Where the coordinator sees the member connect from, e.g. `/127.0.0.1`. */
  readonly host: string;
  /** The partitions the group's last completed rebalance gave this member. */
  readonly assignment: readonly TopicPartition[];
}

/** A consumer group as its coordinator sees it (Kafka's DescribeGroups). */
export interface GroupDescription {
  readonly groupId: string;
  /** `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty`, `Dead` or `Unknown`. */
  readonly state: string;
  /** The assignor the members agreed on (`range`, `roundrobin`, `cooperative-sticky`, ...); empty while none did. */
  readonly assignor: string;
  readonly members: readonly GroupMember[];
}

const text = (s: unknown): string => (s === null || s === undefined ? '' : String(s));

/** Reads the first group of a DescribeConsumerGroups result event; a group-level error throws. */
export function readGroupDescription(lib: Rdkafka, groupId: string, ev: Pointer): GroupDescription {
  const cnt = new BigUint64Array(1);
  const groups = asPtr(lib.rd_kafka_DescribeConsumerGroups_result_groups(lib.rd_kafka_event_DescribeConsumerGroups_result(ev), ptr(cnt)));
  if (!groups || cnt[0] === 0n) return { groupId, state: 'Unknown', assignor: '', members: [] };
  const g = read.ptr(groups, 0) as Pointer;
  const err = asPtr(lib.rd_kafka_ConsumerGroupDescription_error(g));
  if (err) throw errorFromCode(lib, lib.rd_kafka_error_code(err), `describe group ${groupId}: ${String(lib.rd_kafka_error_string(err))}`);
  const members: GroupMember[] = [];
  const count = Number(lib.rd_kafka_ConsumerGroupDescription_member_count(g));
  for (let i = 0; i < count; i++) {
    const m = lib.rd_kafka_ConsumerGroupDescription_member(g, i) as Pointer;
    const assignment = asPtr(lib.rd_kafka_MemberDescription_assignment(m));
    members.push({
      memberId: text(lib.rd_kafka_MemberDescription_consumer_id(m)),
      clientId: text(lib.rd_kafka_MemberDescription_client_id(m)),
      host: text(lib.rd_kafka_MemberDescription_host(m)),
      assignment: assignment
        ? fromTpList(asPtr(lib.rd_kafka_MemberAssignment_partitions(assignment))).map(({ topic, partition }) => ({ topic, partition }))
        : [],
    });
  }
  return {
    groupId,
    state: String(lib.rd_kafka_consumer_group_state_name(lib.rd_kafka_ConsumerGroupDescription_state(g))),
    // NULL for a group that has no members.
    assignor: text(lib.rd_kafka_ConsumerGroupDescription_partition_assignor(g)),
    members,
  };
}
