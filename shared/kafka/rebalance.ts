import type { Pointer } from 'bun:ffi';
import { errorFromCode, takeError, type KafkaError } from './errors.ts';
import { ERR, type Rdkafka } from './ffi.ts';
import { asPtr, fromTpList, type TopicPartition } from './native.ts';

export interface RebalanceEvent {
  kind: 'assign' | 'revoke' | 'error';
  partitions: TopicPartition[];
  error?: KafkaError;
}

/**
 * Applies a REBALANCE event the way rdkafka.h's rebalance_cb example does: incremental (un)assign for the
 * COOPERATIVE protocol, full assign / assign(NULL) for EAGER; on an error code, assign(NULL) to resync state.
 * `cooperative` tells the caller whether a revoke covers only the listed partitions or everything.
 */
export function applyRebalance(lib: Rdkafka, rk: Pointer, ev: Pointer, onError: (e: KafkaError) => void): RebalanceEvent & { cooperative: boolean } {
  const code = lib.rd_kafka_event_error(ev);
  const list = asPtr(lib.rd_kafka_event_topic_partition_list(ev));
  const partitions = fromTpList(list).map(({ topic, partition }) => ({ topic, partition }));
  const cooperative = String(lib.rd_kafka_rebalance_protocol(rk)) === 'COOPERATIVE';
  const check = (e: Pointer | bigint | null) => {
    const p = asPtr(e);
    if (p) onError(takeError(lib, p));
  };
  if (code === ERR.ASSIGN_PARTITIONS) {
    if (cooperative) check(lib.rd_kafka_incremental_assign(rk, list));
    else lib.rd_kafka_assign(rk, list);
    return { kind: 'assign', partitions, cooperative };
  }
  if (code === ERR.REVOKE_PARTITIONS) {
    if (cooperative) check(lib.rd_kafka_incremental_unassign(rk, list));
    else lib.rd_kafka_assign(rk, null);
    return { kind: 'revoke', partitions, cooperative };
  }
  lib.rd_kafka_assign(rk, null);
  return { kind: 'error', partitions, error: errorFromCode(lib, code), cooperative: false };
}
