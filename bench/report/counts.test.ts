import { describe, expect, test } from 'bun:test';
import { topicDelta, verifyCount, verifyCounts } from './counts.ts';

describe('count verification', () => {
  test('every acknowledged event in the topic is ok; extra events are in-flight deliveries, not loss', () => {
    expect(verifyCount({ name: 'edge', acked: 1000, inTopic: 1000 })).toEqual({ name: 'edge', acked: 1000, inTopic: 1000, missing: 0, extra: 0, ok: true });
    expect(verifyCount({ name: 'edge', acked: 1000, inTopic: 1064 })).toMatchObject({ missing: 0, extra: 64, ok: true });
  });

  test('fewer events in the topic than acknowledged is a loss, with the number missing', () => {
    expect(verifyCount({ name: 'peer', acked: 5000, inTopic: 4990 })).toMatchObject({ missing: 10, extra: 0, ok: false });
  });

  test('a count that could not be read is not ok', () => {
    expect(verifyCount({ name: 'x', acked: Number.NaN, inTopic: 5 }).ok).toBe(false);
    expect(verifyCount({ name: 'x', acked: 5, inTopic: -1 }).ok).toBe(false);
  });

  test('all systems must pass, and no checks at all is not a pass', () => {
    expect(verifyCounts([{ name: 'a', acked: 1, inTopic: 1 }, { name: 'b', acked: 2, inTopic: 3 }]).ok).toBe(true);
    expect(verifyCounts([{ name: 'a', acked: 1, inTopic: 1 }, { name: 'b', acked: 3, inTopic: 2 }]).ok).toBe(false);
    expect(verifyCounts([]).ok).toBe(false);
  });

  test('topicDelta sums high-watermark growth over partitions', () => {
    expect(topicDelta([0n, 10n, 5n], [4n, 10n, 105n])).toBe(104);
    expect(topicDelta([1, 2], [3, 4])).toBe(4);
    expect(() => topicDelta([0n], [0n, 1n])).toThrow(/partition count/);
    expect(() => topicDelta([5n], [4n])).toThrow(/backwards/);
  });
});
