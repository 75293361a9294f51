import type { Admin } from '../../shared/kafka/index.ts';

export interface TopicWatchOptions {
  admin: Pick<Admin, 'watermarks'>;
  partitions: number;
  /** Time between readings; two equal readings in a row mean nothing is still landing. */
  intervalMs?: number;
  /** Most readings before giving up and returning the last one. */
  maxReadings?: number;
}

/** A bench topic's high watermarks, read once deliveries still in flight when a load stopped have landed. */
export function topicWatch({ admin, partitions, intervalMs = 300, maxReadings = 20 }: TopicWatchOptions) {
  const highs = async (topic: string) => {
    const out: bigint[] = [];
    for (let p = 0; p < partitions; p++) out.push((await admin.watermarks(topic, p)).high);
    return out;
  };
  return {
    async settled(topic: string): Promise<bigint[]> {
      let last = await highs(topic);
      for (let i = 0; i < maxReadings; i++) {
        await Bun.sleep(intervalMs);
        const now = await highs(topic);
        if (now.every((h, j) => h === last[j])) return now;
        last = now;
      }
      return last;
    },
  };
}
