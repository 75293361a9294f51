import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { StampedEvent } from '../shared/contracts/index.ts';
import { createSearchClient } from './stores.ts';
import { connections, createRun, graphql } from './testing.ts';
import { createGateway, type Gateway } from './yoga.ts';

// Real stores, written through the real sinks under this run's own prefix/schema (testing.ts).
const run = createRun();
const es = createSearchClient(connections.elasticsearchUrl, 10_000);
const now = Date.now();
const at = (ms: number) => new Date(ms).toISOString();
const event = (id: string, data: StampedEvent['data'], ms: number): StampedEvent => ({
  id,
  type: 'reading.taken',
  source: 'lab',
  timestamp: at(ms),
  key: 'probe-1',
  receivedAt: at(ms + 1_000),
  data,
});
// The second event's `level` is an object where the first made it a number: the search node refuses its data.
const first = event('fits-1', { level: 3, unit: 'cm' }, now - 120_000);
const conflicting = event('conflicts-1', { level: { value: 4, unit: 'cm' }, note: 'nested' }, now - 60_000);
let gateway: Gateway;
const ask = (query: string, variables?: Record<string, unknown>) => graphql(run.as('read', gateway.yoga.fetch), query, variables);

beforeAll(async () => {
  await run.write([first]);
  await run.write([conflicting], ['elasticsearch']);
  gateway = createGateway({ config: run.config, auth: run.auth, stores: { es }, dlq: false });
});
afterAll(async () => {
  await gateway?.close();
  await es.close();
  await run.cleanup();
});

describe('an event the search node stored with its data unindexed', () => {
  test('event(id) answers with its original data', async () => {
    const { data, errors } = await ask('{ event(id: "conflicts-1") { id type key timestamp data } }');
    expect(errors).toBeUndefined();
    expect(data?.event).toEqual({ id: 'conflicts-1', type: 'reading.taken', key: 'probe-1', timestamp: conflicting.timestamp, data: conflicting.data });
  });

  test('events() finds it by its envelope fields and answers with its original data', async () => {
    const { data, errors } = await ask('{ events(filter: { key: "probe-1" }) { totalCount nodes { id data } } }');
    expect(errors).toBeUndefined();
    expect(data?.events).toEqual({ totalCount: 2, nodes: [{ id: 'conflicts-1', data: conflicting.data }, { id: 'fits-1', data: first.data }] });
  });
});
