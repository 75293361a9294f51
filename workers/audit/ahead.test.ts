import { describe, expect, test } from 'bun:test';
import { readAhead } from './ahead.ts';

/** A source of 1..n that records how far it was read and whether it was closed. */
function numbers(n: number) {
  const state = { read: 0, closed: false };
  async function* source(): AsyncGenerator<number> {
    try {
      for (let i = 1; i <= n; i++) {
        state.read = i;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, source: source() };
}

/** Work that finishes only when the test says so, in any order. */
function gate() {
  const waiting = new Map<number, PromiseWithResolvers<string>>();
  const started: number[] = [];
  return {
    started,
    start(item: number): Promise<string> {
      started.push(item);
      const w = Promise.withResolvers<string>();
      waiting.set(item, w);
      return w.promise;
    },
    finish(item: number, error?: Error): void {
      const w = waiting.get(item)!;
      if (error) w.reject(error);
      else w.resolve(`done ${item}`);
    },
  };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** readAhead over 1..n with gated work, consumed in the background until the test lets every item finish. */
function running(n: number, depth: number) {
  const { state, source } = numbers(n);
  const work = gate();
  const results: string[] = [];
  const run = (async () => {
    for await (const r of readAhead(source, (i) => work.start(i), { depth })) results.push(r);
  })();
  return { state, work, results, run };
}

describe('readAhead', () => {
  test('yields every result in source order even when later work finishes first', async () => {
    const { work, results, run } = running(5, 5);
    await tick();
    for (const i of [5, 3, 4, 1, 2]) work.finish(i);
    await run;
    expect(results).toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
  });

  test('starts the next items while the first is still under way, but never more than depth at once', async () => {
    const { state, work, results, run } = running(10, 3);
    await tick();
    expect(work.started).toEqual([1, 2, 3]);
    expect(state.read).toBe(3);
    work.finish(2);
    work.finish(3);
    await tick();
    // Item 1 still holds the window: finishing later items does not let the reader run further ahead.
    expect(work.started).toEqual([1, 2, 3]);
    work.finish(1);
    await tick();
    expect(results).toEqual(['done 1', 'done 2', 'done 3']);
    expect(work.started).toEqual([1, 2, 3, 4, 5, 6]);
    for (let i = 4; i <= 10; i++) {
      work.finish(i);
      await tick();
    }
    await run;
    expect(results).toHaveLength(10);
  });

  test('a failed item ends the iteration with its error and closes the source, and later failures stay unobserved', async () => {
    const { state, work, results, run } = running(10, 3);
    await tick();
    work.finish(3, new Error('third failed too'));
    work.finish(1);
    work.finish(2, new Error('store down'));
    await expect(run).rejects.toThrow('store down');
    expect(results).toEqual(['done 1']);
    expect(state.closed).toBe(true);
    expect(state.read).toBeLessThan(10);
  });

  test('a consumer that stops early closes the source', async () => {
    const { state, source } = numbers(10);
    for await (const r of readAhead(source, async (i) => i * 2, { depth: 2 })) if (r === 4) break;
    expect(state.closed).toBe(true);
    expect(state.read).toBeLessThan(10);
  });

  test('depth must be at least 1', async () => {
    const { source } = numbers(1);
    await expect(readAhead(source, async (i) => i, { depth: 0 }).next()).rejects.toThrow(RangeError);
  });
});
