import type { Admin } from '../../shared/kafka/index.ts';

/** Offsets [start, end) of one partition that hold the records received in the audited time range. */
export interface PartitionRange {
  readonly partition: number;
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Where [from, to) begins and ends in each partition of `topic`, by record timestamp (the edge's receive time) and the
 * broker's time index. A time past the last record maps to the high watermark, so a range reaching into the future
 * stops at what the topic holds now.
 */
export async function topicRange(admin: Admin, topic: string, from: number, to: number): Promise<PartitionRange[]> {
  const md = await admin.metadata();
  const partitions = md.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
  if (partitions.length === 0) throw Object.assign(new Error(`topic ${topic} does not exist`), { code: 'topic_not_found' });
  const starts = await admin.offsetsForTimes(topic, partitions.map((partition) => ({ partition, timestamp: from })));
  const ends = await admin.offsetsForTimes(topic, partitions.map((partition) => ({ partition, timestamp: to })));
  const out: PartitionRange[] = [];
  for (const partition of partitions) {
    const { high } = await admin.watermarks(topic, partition);
    const at = (list: Array<{ partition: number; offset: bigint }>) => {
      const o = list.find((x) => x.partition === partition)?.offset ?? -1n;
      return o < 0n ? high : o;
    };
    out.push({ partition, start: at(starts), end: at(ends) });
  }
  return out;
}

export const rangeSize = (ranges: readonly PartitionRange[]): number => ranges.reduce((n, r) => n + Number(r.end > r.start ? r.end - r.start : 0n), 0);
