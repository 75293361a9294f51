import { describe, expect, test } from 'bun:test';
import { loadConfig, defineConfig } from '../config/index.ts';
import { checkPipeline, pipelineLimitSettings } from './limits.ts';

const spec = defineConfig('pipeline limits', 'PIPELINES', pipelineLimitSettings);
const defaults = loadConfig(spec, {});

const definition = (extra: Record<string, unknown>, window: Record<string, unknown> = { kind: 'tumbling', size: '1m' }) => ({
  name: 'limits',
  source: {},
  steps: [{ type: 'filter', where: { field: 'type', op: 'eq', value: 'order.created' } }, { type: 'aggregate', window, functions: ['count'] }],
  ...extra,
});

describe('pipeline limits', () => {
  test('a definition within the defaults is accepted, sinkTopic under pipelines.', () => {
    const r = checkPipeline(definition({ sinkTopic: 'pipelines.orders' }, { kind: 'hopping', size: '7d', hop: '15m', allowedLateness: '7d' }), defaults);
    expect(r.ok).toBe(true);
  });

  const refused: Array<[string, Record<string, unknown>, Record<string, unknown> | undefined, string, string]> = [
    ['a window longer than 7 days', {}, { kind: 'tumbling', size: '8d' }, 'steps.1.window.size', 'PIPELINES_WINDOW_MAX_SIZE'],
    ['one year in 1 ms hops', {}, { kind: 'hopping', size: '365d', hop: '1ms' }, 'steps.1.window.size', 'PIPELINES_WINDOW_MAX_SIZE'],
    ['a hop putting each event in 1,440 windows', {}, { kind: 'hopping', size: '1d', hop: '1m' }, 'steps.1.window.hop', 'PIPELINES_WINDOW_MAX_PER_EVENT'],
    ['a lateness over 7 days', {}, { kind: 'tumbling', size: '1h', allowedLateness: '8d' }, 'steps.1.window.allowedLateness', 'PIPELINES_WINDOW_MAX_LATENESS'],
    ['the events topic as sinkTopic (a feedback loop)', { sinkTopic: 'events' }, undefined, 'sinkTopic', 'PIPELINES_SINK_TOPIC_PREFIX'],
    ['the dead-letter topic as sinkTopic', { sinkTopic: 'events.dlq' }, undefined, 'sinkTopic', 'PIPELINES_SINK_TOPIC_PREFIX'],
    ['the bare prefix as sinkTopic', { sinkTopic: 'pipelines.' }, undefined, 'sinkTopic', 'PIPELINES_SINK_TOPIC_PREFIX'],
  ];
  for (const [what, extra, window, path, limit] of refused) {
    test(`${what} is refused at ${path}, naming ${limit}`, () => {
      expect(checkPipeline(definition(extra, window), defaults)).toMatchObject({ ok: false, code: 'invalid_value', path, limit });
    });
  }

  test('the bounds are settings: raised, the same definitions pass; lowered, smaller ones are refused', () => {
    const wide = loadConfig(spec, { PIPELINES_WINDOW_MAX_SIZE: '30d', PIPELINES_WINDOW_MAX_PER_EVENT: '2000', PIPELINES_SINK_TOPIC_PREFIX: 'out.' });
    expect(checkPipeline(definition({ sinkTopic: 'out.orders' }, { kind: 'hopping', size: '1d', hop: '1m' }), wide).ok).toBe(true);
    expect(checkPipeline(definition({ sinkTopic: 'pipelines.orders' }), wide)).toMatchObject({ ok: false, path: 'sinkTopic' });
    const narrow = loadConfig(spec, { PIPELINES_WINDOW_MAX_SIZE: '1h' });
    expect(checkPipeline(definition({}, { kind: 'tumbling', size: '2h' }), narrow)).toMatchObject({ ok: false, path: 'steps.1.window.size' });
  });

  test('a computed expression that does not parse is refused at its field', () => {
    const bad = { name: 'x', source: {}, steps: [{ type: 'map', computed: { 'data.cents': 'data.amount * ' } }] };
    expect(checkPipeline(bad, defaults)).toMatchObject({ ok: false, path: 'steps.0.computed.data.cents' });
  });

  test('contract errors come first, with their own path', () => {
    expect(checkPipeline(definition({}, { kind: 'tumbling', size: '1 week' }), defaults)).toMatchObject({ ok: false, path: 'steps.1.window.size' });
  });
});
