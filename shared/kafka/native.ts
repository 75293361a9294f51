import { CString, read, type Pointer } from 'bun:ffi';
import { TPAR, TPLIST, type Rdkafka } from './ffi.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}
export interface TopicPartitionOffset extends TopicPartition {
  offset: bigint;
}
export interface TopicPartitionResult extends TopicPartitionOffset {
  err: number;
}

const encoder = new TextEncoder();

/** NUL-terminated copy for `const char *` arguments; librdkafka copies what it keeps. */
export function cstr(s: string): Uint8Array {
  const out = new Uint8Array(Buffer.byteLength(s) + 1);
  encoder.encodeInto(s, out);
  return out;
}

export function readCString(p: Pointer | null): string {
  return p ? new CString(p).toString() : '';
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Caller owns the returned list: pass it to rd_kafka_topic_partition_list_destroy. */
export function toTpList(lib: Rdkafka, parts: ReadonlyArray<TopicPartition & { offset?: bigint }>): Pointer {
  const list = mustPtr(lib.rd_kafka_topic_partition_list_new(Math.max(parts.length, 1)), 'rd_kafka_topic_partition_list_new');
  for (const p of parts) {
    const name = cstr(p.topic);
    lib.rd_kafka_topic_partition_list_add(list, name, p.partition);
    if (p.offset !== undefined) lib.rd_kafka_topic_partition_list_set_offset(list, name, p.partition, p.offset);
  }
  return list;
}

export function fromTpList(list: Pointer | null): TopicPartitionResult[] {
  if (!list) return [];
  const cnt = read.i32(list, TPLIST.cnt);
  const elems = read.ptr(list, TPLIST.elems) as Pointer;
  const out: TopicPartitionResult[] = [];
  for (let i = 0; i < cnt; i++) {
    const at = i * TPAR.size;
    out.push({
      topic: readCString(read.ptr(elems, at + TPAR.topic) as Pointer),
      partition: read.i32(elems, at + TPAR.partition),
      offset: BigInt(read.i64(elems, at + TPAR.offset)),
      err: read.i32(elems, at + TPAR.err),
    });
  }
  return out;
}

export function withTpList<T>(lib: Rdkafka, parts: ReadonlyArray<TopicPartition & { offset?: bigint }>, fn: (list: Pointer) => T): T {
  const list = toTpList(lib, parts);
  try {
    return fn(list);
  } finally {
    lib.rd_kafka_topic_partition_list_destroy(list);
  }
}

/** bun:ffi types "ptr" returns as `Pointer | bigint | null`; user-space addresses fit a double on LP64 targets. */
export function asPtr(x: Pointer | bigint | null): Pointer | null {
  return typeof x === 'bigint' ? (Number(x) as Pointer) : x;
}

export function mustPtr(x: Pointer | bigint | null, what: string): Pointer {
  const p = asPtr(x);
  if (!p) throw new Error(`${what} returned NULL`);
  return p;
}
