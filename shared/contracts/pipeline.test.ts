import { describe, expect, test } from 'bun:test';
import { durationMs, parsePipeline } from './pipeline.ts';

const valid = {
  name: 'big orders per region',
  source: { types: ['order.created'] },
  sinkTopic: 'orders.big',
  steps: [
    { type: 'filter', where: { and: [{ field: 'data.amount', op: 'gte', value: 100 }, { field: 'data.region', op: 'in', value: ['eu-west', 'us-east'] }] } },
    { type: 'map', rename: { 'data.amount': 'data.total' }, set: { 'data.flag': true }, computed: { 'data.cents': 'data.total * 100' } },
    { type: 'enrich', table: 'regions', on: 'data.region', into: 'data.region_info' },
    { type: 'aggregate', window: { kind: 'hopping', size: '1m', hop: '10s', allowedLateness: '30s' }, field: 'data.total', functions: ['count', 'sum', 'p95'], groupBy: 'data.region' },
  ],
};

describe('pipeline definitions', () => {
  test('a complete definition is accepted with its defaults filled in', () => {
    const r = parsePipeline(valid);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.event.source.topic).toBe('events');
      expect(r.event.steps[2]).toMatchObject({ type: 'enrich', cacheTtlMs: 30_000 });
    }
  });

  const bad: Array<[string, (d: typeof valid) => unknown, string]> = [
    ['an unknown step type', (d) => ({ ...d, steps: [{ type: 'join' }] }), 'steps.0.type'],
    ['an unknown operator inside an and', (d) => ({ ...d, steps: [{ type: 'filter', where: { and: [{ field: 'data.a', op: 'eq', value: 1 }, { field: 'data.b', op: 'like', value: 'x' }] } }] }), 'steps.0.where.and.1.op'],
    ['a malformed window size', (d) => ({ ...d, steps: [{ type: 'aggregate', window: { kind: 'tumbling', size: '1 minute' }, functions: ['count'] }] }), 'steps.0.window.size'],
    ['a hopping window without a hop', (d) => ({ ...d, steps: [d.steps[0], { type: 'aggregate', window: { kind: 'hopping', size: '1m' }, functions: ['count'] }] }), 'steps.1.window.hop'],
    ['a sum without a field', (d) => ({ ...d, steps: [{ type: 'aggregate', window: { kind: 'tumbling', size: '1m' }, functions: ['sum'] }] }), 'steps.0.field'],
    ['an unknown key in a step', (d) => ({ ...d, steps: [{ type: 'map', renames: {} }] }), 'steps.0.renames'],
    ['no steps', (d) => ({ ...d, steps: [] }), 'steps'],
    ['a bad sink topic', (d) => ({ ...d, sinkTopic: 'no spaces allowed' }), 'sinkTopic'],
  ];
  for (const [what, change, path] of bad) {
    test(`${what} is rejected at ${path}`, () => {
      expect(parsePipeline(change(valid))).toMatchObject({ ok: false, path });
    });
  }

  test('durations read as milliseconds', () => {
    expect([durationMs('500ms'), durationMs('10s'), durationMs('1m'), durationMs('2h'), durationMs('1d')]).toEqual([500, 10_000, 60_000, 7_200_000, 86_400_000]);
    expect(() => durationMs('1w')).toThrow();
  });
});
