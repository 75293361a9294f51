import type { Admin } from '../../shared/kafka/index.ts';

const MINUTE_MS = 60_000;

/**
 * Records per minute of `topic` between `start` and `start + minutes` minutes, summed over its partitions, from the
 * broker's time index (offsets-for-times at each minute boundary) without reading a record. The record timestamp is the
 * edge's receive time (shared/contracts/record.ts), so a minute here is the same minute as an event's receivedAt.
 *
 * A request can carry one timestamp per partition only (the broker answers UNSUPPORTED_VERSION to a partition listed
 * twice), so each boundary is one blocking call of about a millisecond against a local broker. Offsets only grow with
 * time, so when two boundaries give the same offsets every minute between them is empty and is not asked: a quiet
 * topic costs a few calls per range, a busy one at most minutes + 1. `deadline` (epoch ms) bounds the whole walk.
 * A topic that does not exist has received nothing: zeros.
 */
export async function recordsPerMinute(
  admin: Admin,
  { topic, start, minutes, timeoutMs, deadline }: { topic: string; start: number; minutes: number; timeoutMs: number; deadline: number },
): Promise<number[]> {
  const counts = new Array<number>(minutes).fill(0);
  const md = await admin.metadata({ timeoutMs });
  const partitions = md.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
  if (partitions.length === 0) return counts;
  const highs = await Promise.all(partitions.map(async (p) => (await admin.watermarks(topic, p, { timeoutMs })).high));
  const at = new Map<number, bigint[]>();
  async function offsets(i: number): Promise<bigint[]> {
    const known = at.get(i);
    if (known) return known;
    if (Date.now() > deadline) throw new Error(`offsets of ${topic} not read within the store timeout`);
    const found = await admin.offsetsForTimes(topic, partitions.map((partition) => ({ partition, timestamp: start + i * MINUTE_MS })), { timeoutMs });
    // -1: no record at or after that time, so the minute boundary is the end of what the partition holds now.
    const list = partitions.map((p, k) => {
      const o = found.find((x) => x.partition === p)?.offset ?? -1n;
      return o < 0n ? highs[k]! : o;
    });
    at.set(i, list);
    return list;
  }
  const same = (a: readonly bigint[], b: readonly bigint[]) => a.every((o, k) => o === b[k]);
  // Iterative bisection: a stack of boundary pairs whose minutes are not known yet.
  const stack: Array<[number, number]> = [[0, minutes]];
  while (stack.length > 0) {
    const [lo, hi] = stack.pop()!;
    const a = await offsets(lo);
    const b = await offsets(hi);
    if (same(a, b)) continue;
    if (hi - lo === 1) {
      counts[lo] = Number(b.reduce((sum, o, k) => sum + (o - a[k]!), 0n));
      continue;
    }
    const mid = (lo + hi) >>> 1;
    stack.push([mid, hi], [lo, mid]);
  }
  return counts;
}
