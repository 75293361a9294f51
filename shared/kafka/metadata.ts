import { read, type Pointer } from 'bun:ffi';
import { readCString } from './native.ts';

export interface TopicMetadata {
  name: string;
  partitions: Array<{ id: number; leader: number; replicas: number; isr: number; error: number }>;
  error: number;
}
export interface ClusterMetadata {
  brokers: Array<{ id: number; host: string; port: number }>;
  topics: TopicMetadata[];
}

/** rd_kafka_metadata_t and its nested structs, LP64 layout (rdkafka.h). */
export function readMetadata(md: Pointer): ClusterMetadata {
  const brokers: ClusterMetadata['brokers'] = [];
  const bp = read.ptr(md, 8) as Pointer;
  for (let i = 0, n = read.i32(md, 0); i < n; i++) {
    const at = i * 24;
    brokers.push({ id: read.i32(bp, at), host: readCString(read.ptr(bp, at + 8) as Pointer), port: read.i32(bp, at + 16) });
  }
  const topics: TopicMetadata[] = [];
  const tp = read.ptr(md, 24) as Pointer;
  for (let i = 0, n = read.i32(md, 16); i < n; i++) {
    const at = i * 32;
    const pp = read.ptr(tp, at + 16) as Pointer;
    const partitions: TopicMetadata['partitions'] = [];
    for (let j = 0, pn = read.i32(tp, at + 8); j < pn; j++) {
      const p = j * 40;
      partitions.push({ id: read.i32(pp, p), error: read.i32(pp, p + 4), leader: read.i32(pp, p + 8), replicas: read.i32(pp, p + 12), isr: read.i32(pp, p + 24) });
    }
    topics.push({ name: readCString(read.ptr(tp, at) as Pointer), partitions, error: read.i32(tp, at + 24) });
  }
  return { brokers, topics };
}
