/**
 * Starts `start` on each item of `source` as soon as it is read and yields the results in source order, with at most
 * `depth` started and not yet yielded: the source is read ahead while earlier work is still under way, and memory
 * holds `depth` items' work whatever the source's length. When the consumer stops early or a result rejects, the
 * source is closed (its `finally` runs) and results still pending are left to settle unobserved.
 */
export async function* readAhead<T, R>(source: AsyncIterable<T>, start: (item: T) => Promise<R>, { depth = 3 }: { depth?: number } = {}): AsyncGenerator<R> {
  if (!(depth >= 1)) throw new RangeError(`depth must be at least 1, got ${depth}`);
  const pending: Promise<R>[] = [];
  const track = (work: Promise<R>): void => {
    // Awaited in order below; until then a rejection must not count as unhandled and end the process.
    work.catch(() => {});
    pending.push(work);
  };
  for await (const item of source) {
    track(start(item));
    if (pending.length >= depth) yield await pending.shift()!;
  }
  while (pending.length > 0) yield await pending.shift()!;
}
