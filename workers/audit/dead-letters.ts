import { readDeadLetterHeaders } from '../../shared/stores/dead-letter.ts';
import type { Admin } from '../../shared/kafka/index.ts';
import { readRange } from './read.ts';
import { topicRange } from './range.ts';
import { STORES, type Store } from './tally.ts';

/** Original (partition, offset) -> the stores a dead letter explains the absence from ('all' for decode/validate). */
export type Explanations = Map<string, Set<Store | 'all'>>;

export const recordKey = (partition: number, offset: bigint): string => `${partition}:${offset}`;

/**
 * Dead letters of `topic`'s records from `from` until now. A dead letter is written after its event was received, up
 * to retryTimeoutMs later and more while a store is down, so the dead-letter topic is read from `from` to its end
 * rather than to the audited range's end. Letters are matched to records by their topic/partition/offset headers,
 * which every letter carries, also those of events too broken to have an id.
 */
export async function readExplanations({ admin, brokers, dlqTopic, topic, from, maxLetters = 1_000_000, stallMs }: {
  admin: Admin;
  brokers: string;
  dlqTopic: string;
  topic: string;
  from: number;
  maxLetters?: number;
  stallMs?: number;
}): Promise<{ explanations: Explanations; letters: number; truncated: boolean }> {
  const explanations: Explanations = new Map();
  let letters = 0;
  let ranges;
  try {
    ranges = await topicRange(admin, dlqTopic, from, Date.now() + 60_000);
  } catch (error) {
    if ((error as { code?: string }).code === 'topic_not_found') return { explanations, letters, truncated: false };
    throw error;
  }
  for await (const chunk of readRange({ brokers, topic: dlqTopic, ranges, stallMs })) {
    for (const m of chunk) {
      const h = readDeadLetterHeaders(m);
      if (h.topic !== topic || h.partition === undefined || h.offset === undefined) continue;
      if (explanations.size >= maxLetters) return { explanations, letters, truncated: true };
      const key = recordKey(Number(h.partition), BigInt(h.offset));
      const stage = (STORES as readonly string[]).includes(h.stage ?? '') ? (h.stage as Store) : 'all';
      let set = explanations.get(key);
      if (!set) explanations.set(key, (set = new Set()));
      set.add(stage);
      letters++;
    }
  }
  return { explanations, letters, truncated: false };
}
