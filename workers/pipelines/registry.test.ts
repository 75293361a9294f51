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
