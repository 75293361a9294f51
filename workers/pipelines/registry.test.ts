import { describe, expect, test } from 'bun:test';
import { loadConfig } from '../../shared/config/index.ts';
import type { PipelineDefinition } from '../../shared/contracts/index.ts';
import { pipelinesConfig } from './config.ts';
import { createPipelineRegistry, type StoredRunning } from './registry.ts';

const limits = loadConfig(pipelinesConfig, { PIPELINES_MAX_RUNNING: '2' });
const definition = (extra: Partial<PipelineDefinition> = {}): PipelineDefinition => ({
  name: 'p',
  source: { topic: 'events' },
  steps: [{ type: 'aggregate', window: { kind: 'tumbling', size: '1m', allowedLateness: '0s' }, functions: ['count'], groupBy: 'key' }],
  ...extra,
});

async function loaded(rows: StoredRunning[]) {
  const logs: string[] = [];
  const registry = createPipelineRegistry({ load: async () => rows, limits, log: (l) => logs.push(l) });
  await registry.refresh();
  return { ids: registry.current().map((p) => p.id), logs };
}

describe('the running pipelines a worker loads', () => {
  test('a definition a limit refuses (written around the gateway, or a bound lowered since) is skipped and logged', async () => {
    const { ids, logs } = await loaded([
      { id: 'ok', version: 1, definition: definition({ sinkTopic: 'pipelines.ok' }) },
      { id: 'loop', version: 1, definition: definition({ sinkTopic: 'events' }) },
      { id: 'year', version: 3, definition: definition({ steps: [{ type: 'aggregate', window: { kind: 'hopping', size: '365d', hop: '1ms', allowedLateness: '0s' }, functions: ['count'], groupBy: 'key' }] }) },
    ]);
    expect(ids).toEqual(['ok']);
    expect(logs.filter((l) => l.includes('skipped'))).toEqual([
      expect.stringMatching(/^pipeline loop@1 skipped: invalid definition \(sinkTopic: must start with "pipelines\."/),
      expect.stringMatching(/^pipeline year@3 skipped: invalid definition \(steps\.0\.window\.size: is longer than 7d/),
    ]);
  });

  test('past PIPELINES_MAX_RUNNING the extra pipelines are skipped', async () => {
    const { ids, logs } = await loaded(['a', 'b', 'c'].map((id) => ({ id, version: 1, definition: definition() })));
    expect(ids).toEqual(['a', 'b']);
    expect(logs).toContainEqual('pipeline c@1 skipped: more than 2 pipelines are running (PIPELINES_MAX_RUNNING)');
  });
});

describe('a pipeline whose run failed in this worker', () => {
  /** A store of running rows that failing takes a row out of, as failPipeline does; `down` makes every call reject. */
  function store() {
    const state = { running: new Set(['a', 'b']), recorded: [] as string[], down: false };
    const reachable = () => (state.down ? Promise.reject(new Error('connection refused')) : Promise.resolve());
    const registry = createPipelineRegistry({
      load: () => reachable().then(() => [...state.running].sort().map((id) => ({ id, version: 1, definition: definition() }))),
      recordFailure: (p, reason) => reachable().then(() => (state.running.delete(p.id), state.recorded.push(`${p.revision} ${reason}`))),
      limits,
      log: () => {},
    });
    return { state, registry, ids: () => registry.current().map((p) => p.id), failing: () => registry.failing().map((p) => p.id) };
  }

  test('leaves the running set at once, is recorded as failed, and runs again once started again', async () => {
    const { state, registry, ids, failing } = store();
    await registry.refresh();
    registry.fail(registry.current()[0]!, 'sink_topic_refused: _UNKNOWN_PARTITION');
    expect([ids(), failing()]).toEqual([['b'], ['a']]);
    await registry.refresh();
    expect(state.recorded).toEqual(['a@1 sink_topic_refused: _UNKNOWN_PARTITION']);
    expect([ids(), failing()]).toEqual([['b'], []]);
    state.running.add('a');
    await registry.refresh();
    expect(ids()).toEqual(['a', 'b']);
  });

  test('stays out of the running set while it cannot be recorded, and is recorded once the store is back', async () => {
    const { state, registry, ids } = store();
    await registry.refresh();
    state.down = true;
    registry.fail(registry.current()[1]!, 'retries_exhausted: _MSG_TIMED_OUT');
    expect(await registry.refresh()).toBe(false);
    expect(ids()).toEqual(['a']);
    state.down = false;
    expect(await registry.refresh()).toBe(true);
    expect(state.recorded).toEqual(['b@1 retries_exhausted: _MSG_TIMED_OUT']);
    expect(ids()).toEqual(['a']);
  });
});
