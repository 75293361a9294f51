import { describe, expect, test } from 'bun:test';
import type { AggregateStep } from '../../shared/contracts/pipeline.ts';
import type { AggregateTask } from './operator.ts';
import { createPendingWindows } from './pending.ts';
import type { WindowItem } from './plan.ts';

// Pure logic: the operator and mirror are recorders here; operator.test.ts runs the real ones against Postgres and Redis.
const spec: AggregateStep = { type: 'aggregate', window: { kind: 'tumbling', size: '1m', allowedLateness: '0s' }, field: 'data.amount', functions: ['count'], groupBy: 'key' };
const task = (pipelineId: string, step = 0): AggregateTask => ({ pipelineId, step, spec });
const item = (partition: number, offset: number): WindowItem => ({ partition, offset: BigInt(offset), eventId: `${partition}-${offset}`, event: { type: 'order', key: 'k', data: {} } });
const offsetsOf = (items: readonly WindowItem[]) => items.map((i) => `${i.partition}:${i.offset}`);

function recorder({ failures = 0 } = {}) {
  const applied: Array<{ pipelineId: string; offsets: string[] }> = [];
  let left = failures;
  const operator = {
    async apply(t: AggregateTask, items: readonly WindowItem[]) {
      if (left-- > 0) throw new Error('connection refused');
      applied.push({ pipelineId: t.pipelineId, offsets: offsetsOf(items) });
      return { results: [], late: [], skipped: 0, withoutTime: 0 };
    },
  };
  return { applied, operator, mirror: { publish: async () => {} } };
}

const backoff = { initialMs: 1, maxMs: 2 };

describe('window items waiting for a flush', () => {
  test('nothing is due until the interval has passed since the first buffered item, or the buffer is full', () => {
    let clock = 0;
    const { operator, mirror } = recorder();
    const pending = createPendingWindows({ operator, mirror, backoff, flushMs: 1_000, maxItems: 5, now: () => clock });
    expect(pending.due()).toBe(false);
    pending.add('p@1', task('p'), [item(0, 1)]);
    clock = 999;
    pending.add('p@1', task('p'), [item(0, 2)]);
    expect(pending.due()).toBe(false);
    clock = 1_000;
    expect(pending.due()).toBe(true);
    const full = createPendingWindows({ operator, mirror, backoff, flushMs: 1_000, maxItems: 5, now: () => 0 });
    full.add('p@1', task('p'), [item(0, 1), item(0, 2), item(0, 3), item(0, 4)]);
    expect(full.due()).toBe(false);
    full.add('p@1', task('p'), [item(1, 1)]);
    expect(full.due()).toBe(true);
  });

  test('a flush applies each task once with its items in the order they came, and items added meanwhile wait for the next', async () => {
    const { applied, operator, mirror } = recorder();
    const pending = createPendingWindows({ operator, mirror, backoff });
    pending.add('a@1', task('a'), [item(0, 1), item(1, 1)]);
    pending.add('b@1', task('b'), [item(0, 1)]);
    pending.add('a@1', task('a'), [item(0, 2)]);
    const flushing = pending.flush(new AbortController().signal);
    pending.add('a@1', task('a'), [item(0, 3)]);
    expect(await flushing).toBe(true);
    expect(applied).toEqual([
      { pipelineId: 'a', offsets: ['0:1', '1:1', '0:2'] },
      { pipelineId: 'b', offsets: ['0:1'] },
    ]);
    expect(pending.size()).toBe(1);
    await pending.flush(new AbortController().signal);
    expect(applied.at(-1)).toEqual({ pipelineId: 'a', offsets: ['0:3'] });
    expect(pending.size()).toBe(0);
  });

  test('a failing store is retried until the flush succeeds; shutdown during the retries reports it unflushed', async () => {
    const flaky = recorder({ failures: 2 });
    const lines: string[] = [];
    const pending = createPendingWindows({ ...flaky, backoff, log: (l) => lines.push(l) });
    pending.add('a@1', task('a'), [item(0, 1)]);
    expect(await pending.flush(new AbortController().signal)).toBe(true);
    expect(flaky.applied).toEqual([{ pipelineId: 'a', offsets: ['0:1'] }]);
    expect(lines[0]).toContain('connection refused; retrying (attempt 1)');

    const down = recorder({ failures: Number.POSITIVE_INFINITY });
    const stopping = new AbortController();
    const stuck = createPendingWindows({ ...down, backoff, log: () => {} });
    stuck.add('a@1', task('a'), [item(0, 1)]);
    const result = stuck.flush(stopping.signal);
    stopping.abort();
    expect(await result).toBe(false);
    expect(down.applied).toEqual([]);
  });
});
