import { createConsumer, type ConsumedMessage } from '../../shared/kafka/index.ts';
import type { PartitionRange } from './range.ts';

export interface RangeReaderOptions {
  readonly brokers: string;
  readonly topic: string;
  readonly ranges: readonly PartitionRange[];
  /** Records handed over per chunk; the reader copies at most two chunks ahead of the caller out of librdkafka. */
  readonly chunkSize?: number;
  /** A read that gets no record for this long while records are still due fails (a broker that stopped serving). */
  readonly stallMs?: number;
}

/**
 * Streams the records of `ranges` in chunks with a throwaway consumer group (nothing is committed): each assigned
 * partition is sought to its start, records at or past its end are left unread, and it ends when every partition
 * reached its end. Records come without their values (null): the audit reads headers, timestamps and positions only.
 */
export async function* readRange({ brokers, topic, ranges, chunkSize = 5000, stallMs = 60_000 }: RangeReaderOptions): AsyncGenerator<ConsumedMessage[]> {
  const pending = new Map(ranges.filter((r) => r.end > r.start).map((r) => [r.partition, r]));
  if (pending.size === 0) return;
  const consumer = createConsumer({
    brokers,
    groupId: `event-lens-audit-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`,
    topics: [topic],
    maxBuffered: chunkSize * 2,
    values: false,
    // Each poll copies at most maxBuffered records out of librdkafka, so the first chunk's ids are looked up while the
    // rest of a long backlog is still to be copied, rather than after all of what librdkafka fetched ahead.
    boundedPoll: true,
    config: { 'auto.offset.reset': 'earliest', 'enable.partition.eof': false },
  });
  consumer.on('rebalance', (e) => {
    if (e.kind !== 'assign') return;
    for (const p of e.partitions) {
      const r = pending.get(p.partition);
      if (r) consumer.seek({ topic, partition: p.partition, offset: r.start });
    }
  });
  consumer.on('error', () => {});
  try {
    let lastProgress = Date.now();
    while (pending.size > 0) {
      const batch = await consumer.poll(chunkSize, 500);
      const chunk: ConsumedMessage[] = [];
      for (const m of batch) {
        const r = pending.get(m.partition);
        if (!r || m.offset < r.start) continue;
        if (m.offset >= r.end) {
          pending.delete(m.partition);
          continue;
        }
        chunk.push(m);
        if (m.offset + 1n >= r.end) pending.delete(m.partition);
      }
      if (chunk.length > 0) {
        lastProgress = Date.now();
        yield chunk;
      } else if (Date.now() - lastProgress > stallMs) {
        // Whether the group ever handed the partitions over tells a coordinator that never answered from a broker that stopped serving.
        const assigned = consumer.assignment().length;
        const state = assigned === 0 ? 'no partition was assigned to the reader' : `${assigned} partitions assigned`;
        throw Object.assign(new Error(`no records of ${topic} for ${stallMs} ms with ${pending.size} partitions unfinished (${state})`), { code: 'kafka_read_stalled' });
      }
    }
  } finally {
    await consumer.close();
  }
}
