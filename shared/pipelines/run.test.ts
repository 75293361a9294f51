import { describe, expect, test } from 'bun:test';
import type { StampedEvent } from '../contracts/index.ts';
import type { PipelineDefinition } from '../contracts/pipeline.ts';
import { runSteps, sourceMatches } from './run.ts';

const base = { receivedAt: '2024-05-01T10:00:59.000Z', source: 'checkout' };
const events: StampedEvent[] = [
  { ...base, id: 'a', type: 'order.created', key: 'c1', timestamp: '2024-05-01T10:00:10.000Z', data: { amount: 5, customer: 'c1' } },
  { ...base, id: 'b', type: 'order.created', key: 'c2', timestamp: '2024-05-01T10:00:20.000Z', data: { amount: 500, customer: 'c2' } },
  { ...base, id: 'c', type: 'order.created', key: 'c1', timestamp: '2024-05-01T10:01:05.000Z', data: { amount: 50, customer: 'c1' } },
];

const definition: PipelineDefinition = {
  name: 'big orders',
  source: { topic: 'events', types: ['order.created'] },
  steps: [
    { type: 'filter', where: { field: 'data.amount', op: 'lt', value: 100 } },
    { type: 'map', computed: { 'data.cents': 'data.amount * 100' }, drop: ['source'] },
    { type: 'enrich', table: 'customers', on: 'data.customer', into: 'data.info', cacheTtlMs: 30_000 },
    { type: 'aggregate', window: { kind: 'tumbling', size: '1m', allowedLateness: '0s' }, field: 'data.amount', functions: ['sum'], groupBy: 'key' },
  ],
};

const lookup = async (_table: string, keys: string[]) => new Map(keys.filter((k) => k === 'c1').map((k) => [k, { tier: 'gold' }]));

describe('runSteps', () => {
  test('every step is traced with the event before and after it, and filtered events stop there', async () => {
    const [a, b] = await runSteps(definition, events, { lookup });
    const { source: _dropped, ...rest } = events[0]!;
    const expectedA = { ...rest, data: { amount: 5, customer: 'c1', cents: 500, info: { tier: 'gold' } } };
    expect(a!.output).toEqual(expectedA);
    expect(a!.trace.map((t) => [t.step, t.type, t.note])).toEqual([
      [0, 'filter', 'passed'],
      [1, 'map', 'mapped'],
      [2, 'enrich', 'joined'],
      [3, 'aggregate', 'windows [2024-05-01T10:00:00.000Z, 2024-05-01T10:01:00.000Z)'],
    ]);
    expect(a!.trace[1]!.before).toEqual({ ...events[0]! });
    expect(b!.output).toBeNull();
    expect(b!.trace).toEqual([{ step: 0, type: 'filter', before: { ...events[1]! }, after: null, note: 'filtered out' }]);
  });

  test('aggregate steps report the event as it reached them and its windows', async () => {
    const runs = await runSteps(definition, events, { lookup, trace: false });
    expect(runs.map((r) => r.aggregated.map((g) => [g.step, g.windows[0]?.start]))).toEqual([
      [[3, Date.parse('2024-05-01T10:00:00.000Z')]],
      [],
      [[3, Date.parse('2024-05-01T10:01:00.000Z')]],
    ]);
    expect(runs[2]!.aggregated[0]!.event).toMatchObject({ data: { cents: 5000 } });
    expect(runs.every((r) => r.trace.length === 0)).toBe(true);
  });

  test('an event whose timestamp a map made unreadable is in no window', async () => {
    const def: PipelineDefinition = { ...definition, steps: [{ type: 'map', set: { timestamp: 'soon' } }, definition.steps[3]!] };
    const [run] = await runSteps(def, [events[0]!], { lookup });
    expect(run!.aggregated[0]!.windows).toEqual([]);
    expect(run!.trace[1]!.note).toBe('no event time: not aggregated');
  });

  test.each([
    ['events', 'order.created', true],
    ['events', 'page.view', false],
    ['other', 'order.created', false],
  ])('source topic %s and type %s match: %p', (topic, type, expected) => {
    expect(sourceMatches(definition, topic, type)).toBe(expected);
  });
});
