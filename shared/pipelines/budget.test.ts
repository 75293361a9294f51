import { describe, expect, test } from 'bun:test';
import type { PipelineDefinition } from '../contracts/pipeline.ts';
import { BudgetExceeded, createBudget } from './budget.ts';
import { runSteps } from './run.ts';

const definition: PipelineDefinition = {
  name: 'budget',
  source: { topic: 'events' },
  steps: [
    { type: 'filter', where: { field: 'type', op: 'eq', value: 'order.created' } },
    { type: 'aggregate', window: { kind: 'hopping', size: '1h', hop: '1m', allowedLateness: '0s' }, functions: ['count'], groupBy: 'key' },
  ],
};
const events = Array.from({ length: 10 }, (_, i) => ({ id: `e${i}`, type: 'order.created', key: 'k', timestamp: '2024-05-01T10:00:00.000Z', receivedAt: '2024-05-01T10:00:00.000Z', data: {} }));
const lookup = async () => new Map();

describe('run budgets', () => {
  test('a run within its budget answers as without one', async () => {
    const runs = await runSteps(definition, events, { lookup, budget: createBudget({ maxItems: 10 * (1 + 1 + 60), maxMs: 60_000 }) });
    expect(runs.map((r) => r.aggregated[0]!.windows.length)).toEqual(events.map(() => 60));
  });

  test('each window an event falls in counts: past the item budget the run stops at the step that went over', async () => {
    const run = runSteps(definition, events, { lookup, budget: createBudget({ maxItems: 100, maxMs: 60_000 }) });
    await expect(run).rejects.toMatchObject({ name: 'BudgetExceeded', bound: 'items', max: 100, step: 1 });
  });

  test('past the time budget the run stops', async () => {
    let clock = 0;
    const budget = createBudget({ maxItems: 1_000_000, maxMs: 5, now: () => (clock += 1) });
    const error = await runSteps(definition, events, { lookup, budget }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceeded);
    expect(error).toMatchObject({ bound: 'time', max: 5, step: 0 });
  });
});
