import { describe, expect, test } from 'bun:test';
import { durationMs, parsePipeline } from './pipeline.ts';

const valid = {
  name: 'big orders per region',
  source: { types: ['order.created'] },
  sinkTopic: 'pipelines.orders.big',
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
    ['a regex with lookahead', (d) => ({ ...d, steps: [d.steps[0], { type: 'filter', where: { field: 'key', op: 'regex', value: '^(?=admin)' } }] }), 'steps.1.where.value'],
    ['a regex with a backreference, inside an or', (d) => ({ ...d, steps: [{ type: 'filter', where: { or: [{ field: 'type', op: 'eq', value: 'x' }, { field: 'key', op: 'regex', value: '(a)\\1' }] } }] }), 'steps.0.where.or.1.value'],
    ['a regex that does not parse', (d) => ({ ...d, steps: [{ type: 'filter', where: { field: 'key', op: 'regex', value: '(' } }] }), 'steps.0.where.value'],
    ['a regex that is not a string', (d) => ({ ...d, steps: [{ type: 'filter', where: { field: 'key', op: 'regex', value: 42 } }] }), 'steps.0.where.value'],
    ['a regex longer than 512 characters', (d) => ({ ...d, steps: [{ type: 'filter', where: { field: 'key', op: 'regex', value: 'a'.repeat(513) } }] }), 'steps.0.where.value'],
    ['a short regex that compiles too large', (d) => ({ ...d, steps: [{ type: 'filter', where: { field: 'key', op: 'regex', value: '((a{100}){100})' } }] }), 'steps.0.where.value'],
    ['a window of size 0', (d) => ({ ...d, steps: [{ type: 'aggregate', window: { kind: 'tumbling', size: '0s' }, functions: ['count'] }] }), 'steps.0.window.size'],
    ['a hop of 0', (d) => ({ ...d, steps: [{ type: 'aggregate', window: { kind: 'hopping', size: '1m', hop: '0ms' }, functions: ['count'] }] }), 'steps.0.window.hop'],
  ];
  for (const [what, change, path] of bad) {
    test(`${what} is rejected at ${path}`, () => {
      expect(parsePipeline(change(valid))).toMatchObject({ ok: false, path });
    });
  }

  test('a regex RE2 refuses is refused at definition with what RE2 said', () => {
    const r = parsePipeline({ ...valid, steps: [{ type: 'filter', where: { field: 'key', op: 'regex', value: 'x(?!y)' } }] });
    expect(r).toMatchObject({ ok: false, code: 'invalid_value', path: 'steps.0.where.value' });
    if (!r.ok) expect(r.message).toContain('RE2');
  });

  test('an RE2 pattern (classes, anchors, flags, named groups) is accepted', () => {
    expect(parsePipeline({ ...valid, steps: [{ type: 'filter', where: { field: 'key', op: 'regex', value: '(?i)^(?P<kind>order|refund)-\\d{1,8}$' } }] }).ok).toBe(true);
  });

  test('durations read as milliseconds', () => {
    expect([durationMs('500ms'), durationMs('10s'), durationMs('1m'), durationMs('2h'), durationMs('1d')]).toEqual([500, 10_000, 60_000, 7_200_000, 86_400_000]);
    expect(() => durationMs('1w')).toThrow();
  });
});
