import { afterAll, describe, expect, test } from 'bun:test';
import type { estypes } from '@elastic/elasticsearch';
import { loadConfig } from '../../../shared/config/index.ts';
import { connectionsConfig } from '../../../shared/config/connections.ts';
import { MAX_DEPTH, keepEventText, type StampedEvent } from '../../../shared/contracts/index.ts';
import { Registry } from '../../../shared/telemetry/metrics.ts';
import type { Outcome } from '../../outcomes.ts';
import { createElasticsearchClient, createElasticsearchSink, elasticsearchConfig, otherIndexOf, templateNameOf, type SalvageReason } from './index.ts';

// Every run gets its own prefix, alias and template so runs never see each other's documents or mappings.
const run = `test_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}_events`;
const node = loadConfig(connectionsConfig).elasticsearchUrl;
const config = loadConfig(elasticsearchConfig, {}, { indexPrefix: run, alias: run });
const client = createElasticsearchClient({ node, requestTimeoutMs: 30_000 });
const salvaged: Array<[SalvageReason, number]> = [];
const registry = new Registry();
const sink = createElasticsearchSink({ node, config, registry, onSalvaged: (reason, n) => salvaged.push([reason, n]) });

/** An event received a second after its own timestamp unless `receivedAt` says otherwise. */
const event = (id: string, data: StampedEvent['data'] = {}, timestamp = '2024-03-01T12:00:00.000Z', receivedAt?: string): StampedEvent => ({
  id,
  type: 'order.created',
  source: 'checkout',
  timestamp,
  key: `key-${id}`,
  receivedAt: receivedAt ?? new Date(Date.parse(timestamp) + 1_000).toISOString(),
  data,
});
const summary = (outcomes: Outcome[]) => outcomes.map((o) => ('reason' in o ? `${o.type}:${o.reason}` : o.type));

async function search(ids: string[]): Promise<estypes.SearchHit<StampedEvent>[]> {
  await client.indices.refresh({ index: run });
  const result = await client.search<StampedEvent>({ index: run, query: { ids: { values: ids } }, size: ids.length });
  return result.hits.hits;
}

afterAll(async () => {
  await sink.close();
  // Wildcard deletes are refused (action.destructive_requires_name), so the run's indices are named one by one.
  const { indices } = await client.indices.resolveIndex({ name: `${run}-*` });
  if (indices.length > 0) await client.indices.delete({ index: indices.map((i) => i.name) });
  await client.indices.deleteIndexTemplate({ name: templateNameOf(run) }, { ignore: [404] });
  await client.close();
});

describe('the Elasticsearch sink against a real node', () => {
  test('ready() is true when the cluster answers', async () => {
    expect(await sink.ready()).toBe(true);
  });

  test('events are indexed with document id = event id and are searchable via the alias', async () => {
    const events = [event('a-1', { amount: 10 }), event('a-2', { amount: 20 }), event('a-3')];
    expect(summary(await sink.write(events))).toEqual(['ok', 'ok', 'ok']);
    const hits = await search(['a-1', 'a-2', 'a-3']);
    expect(hits.map((h) => h._id).sort()).toEqual(['a-1', 'a-2', 'a-3']);
    expect(hits.find((h) => h._id === 'a-2')?._source).toEqual(events[1]);
  });

  test('events read from Kafka are indexed from the bytes they came as, multi-byte characters included', async () => {
    // As the worker reads them: the message value, the text decoded from it, and the event validated from that text.
    const read = [event('u-1', { city: 'Zürich', note: '😀 ok' }), event('u-2', { city: 'Αθήνα' })].map((e) => {
      const bytes = new TextEncoder().encode(JSON.stringify(e));
      const text = new TextDecoder().decode(bytes);
      const parsed = JSON.parse(text) as StampedEvent;
      keepEventText(parsed, parsed, text, bytes);
      return parsed;
    });
    expect(summary(await sink.write(read))).toEqual(['ok', 'ok']);
    const hits = await search(['u-1', 'u-2']);
    expect(hits.map((h) => h._source).sort((a, b) => a!.id.localeCompare(b!.id))).toEqual(read);
  });

  test('writing the same batch twice leaves one document per event', async () => {
    const events = [event('b-1', { n: 1 }), event('b-2', { n: 2 })];
    expect(summary(await sink.write(events))).toEqual(['ok', 'ok']);
    expect(summary(await sink.write(events))).toEqual(['ok', 'ok']);
    const hits = await search(['b-1', 'b-2']);
    expect(hits.map((h) => h._id).sort()).toEqual(['b-1', 'b-2']);
    const doc = await client.get({ index: `${run}-2024.03.01`, id: 'b-1' });
    expect(doc._version).toBe(1);
  });

  test('an event whose data conflicts with the mapping is stored with its data unindexed, findable by id and envelope fields', async () => {
    salvaged.length = 0;
    expect(summary(await sink.write([event('c-1', { amount: 5 })]))).toEqual(['ok']);
    const conflicting = event('c-3', { amount: { value: 7 }, note: 'kept' });
    expect(summary(await sink.write([event('c-2', { amount: 6 }), conflicting, event('c-4')]))).toEqual(['ok', 'ok', 'ok']);
    expect(salvaged).toEqual([['mapping_conflict', 1]]);
    expect(registry.render()).toContain('workers_sink_salvaged_events_total{sink="elasticsearch",reason="mapping_conflict"} 1\n');
    const hit = (await search(['c-3']))[0];
    const { data, ...envelope } = conflicting;
    expect(hit?._source).toEqual({ ...envelope, data: {}, data_unindexed: data } as never);
    await client.indices.refresh({ index: run });
    const byKey = await client.search({ index: run, query: { term: { key: 'key-c-3' } } });
    expect(byKey.hits.hits.map((h) => h._id)).toEqual(['c-3']);
    // Written again (a re-delivery): still one document, still version 1.
    expect(summary(await sink.write([conflicting]))).toEqual(['ok']);
    expect((await client.get({ index: hit!._index, id: 'c-3' }))._version).toBe(1);
  });

  test('data that conflicts with itself (a new field holding [1, "a"]) is stored with its data unindexed', async () => {
    salvaged.length = 0;
    expect(summary(await sink.write([event('m-1', { mixed: [1, 'a'] })]))).toEqual(['ok']);
    expect(salvaged).toEqual([['invalid_document', 1]]);
    expect((await search(['m-1']))[0]?._source).toMatchObject({ data: {}, data_unindexed: { mixed: [1, 'a'] } });
  });

  test('values that do not fit their field are kept in the document: text or a huge integer in a number field, arrays mixing 1 and 1.5', async () => {
    salvaged.length = 0;
    expect(summary(await sink.write([event('v-1', { qty: 1 })]))).toEqual(['ok']);
    const odd = [event('v-2', { qty: 'many' }), event('v-3', { qty: 1e19, big: 2 ** 64 }), event('v-4', { sizes: [1, 1.5] })];
    expect(summary(await sink.write(odd))).toEqual(['ok', 'ok', 'ok']);
    expect(salvaged).toEqual([]);
    const hits = await search(['v-2', 'v-3', 'v-4']);
    expect(hits.map((h) => h._source).sort((a, b) => a!.id.localeCompare(b!.id))).toEqual(odd);
  });

  test('data nested as deep as the contract allows is indexed with its data', async () => {
    const nested = (levels: number): StampedEvent['data'] => (levels === 1 ? { leaf: 1 } : { a: nested(levels - 1) });
    salvaged.length = 0;
    const deep = event('n-1', nested(MAX_DEPTH));
    expect(summary(await sink.write([deep]))).toEqual(['ok']);
    expect(salvaged).toEqual([]);
    expect((await search(['n-1']))[0]?._source).toEqual(deep);
  });

  test('daily indices by event day (UTC) exist behind the alias', async () => {
    const days = ['2024-04-01T00:00:00.000Z', '2024-04-02T23:59:59.999Z', '2024-04-03T10:00:00.000Z'];
    expect(summary(await sink.write(days.map((t, i) => event(`d-${i}`, {}, t))))).toEqual(['ok', 'ok', 'ok']);
    const aliased = Object.keys(await client.indices.getAlias({ name: run }));
    expect(aliased).toEqual(expect.arrayContaining([`${run}-2024.04.01`, `${run}-2024.04.02`, `${run}-2024.04.03`]));
    const hit = (await search(['d-1']))[0];
    expect(hit?._index).toBe(`${run}-2024.04.02`);
  });

  test('the template maps type/source/key as keyword, timestamp as date, data strings as text with a keyword subfield and data numbers as double', async () => {
    expect(summary(await sink.write([event('e-1', { city: 'Lisbon', count: 3, price: 9.99 }, '2024-05-01T00:00:00.000Z')]))).toEqual(['ok']);
    const index = `${run}-2024.05.01`;
    const properties = (await client.indices.getMapping({ index }))[index]?.mappings.properties ?? {};
    expect(properties).toMatchObject({
      id: { type: 'keyword', index: false },
      type: { type: 'keyword' },
      source: { type: 'keyword' },
      key: { type: 'keyword' },
      timestamp: { type: 'date' },
      receivedAt: { type: 'date' },
      data: {
        properties: {
          city: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
          count: { type: 'double' },
          price: { type: 'double' },
        },
      },
    });
  });

  test('events dated across a thousand years create no index per day: those outside the window share one index behind the alias', async () => {
    const receivedAt = '2024-06-15T10:00:00.000Z';
    const years = Array.from({ length: 200 }, (_, i) => event(`y-${i}`, { i }, `${String(1000 + i * 5).padStart(4, '0')}-0${1 + (i % 9)}-1${i % 10}T08:00:00.000Z`, receivedAt));
    const near = [event('y-back', {}, '2024-05-16T00:00:00.000Z', receivedAt), event('y-ahead', {}, '2024-06-16T23:59:59.999Z', receivedAt)];
    const beyond = [event('y-too-old', {}, '2024-05-15T23:59:59.999Z', receivedAt), event('y-too-new', {}, '2024-06-17T00:00:00.000Z', receivedAt)];
    const all = [...years, ...near, ...beyond];
    expect(summary(await sink.write(all)).filter((o) => o !== 'ok')).toEqual([]);
    const hits = await search(all.map((e) => e.id));
    expect(hits.length).toBe(all.length);
    const indexOf = new Map(hits.map((h) => [h._id, h._index]));
    expect([...new Set(years.map((e) => indexOf.get(e.id)))]).toEqual([otherIndexOf(run)]);
    expect(near.map((e) => indexOf.get(e.id))).toEqual([`${run}-2024.05.16`, `${run}-2024.06.16`]);
    expect(beyond.map((e) => indexOf.get(e.id))).toEqual([otherIndexOf(run), otherIndexOf(run)]);
    // Timestamps are kept as sent, so time filters still find these events.
    expect(hits.find((h) => h._id === 'y-0')?._source?.timestamp).toBe(years[0]!.timestamp);
    const { indices } = await client.indices.resolveIndex({ name: `${run}-*` });
    const fromThisWrite = new Set(hits.map((h) => h._index));
    expect(fromThisWrite.size).toBe(3);
    expect(indices.map((i) => i.name)).toEqual(expect.arrayContaining([...fromThisWrite]));
  });

  test('events can still be filtered and sorted by their id field, which keeps doc values but no index of its own', async () => {
    const events = [event('h-2'), event('h-1'), event('h-3')];
    expect(summary(await sink.write(events))).toEqual(['ok', 'ok', 'ok']);
    await client.indices.refresh({ index: run });
    const one = await client.search<StampedEvent>({ index: run, query: { term: { id: 'h-3' } } });
    expect(one.hits.hits.map((h) => h._id)).toEqual(['h-3']);
    const sorted = await client.search<StampedEvent>({ index: run, query: { prefix: { key: 'key-h-' } }, sort: [{ id: 'asc' }] });
    expect(sorted.hits.hits.map((h) => h._id)).toEqual(['h-1', 'h-2', 'h-3']);
  });

  test('a batch larger than maxBulkBytes is split into several requests and an event larger than it is dead-lettered', async () => {
    const counting = createElasticsearchClient({ node, requestTimeoutMs: 30_000 });
    const bulkPaths: string[] = [];
    counting.diagnostic.on('request', (_, request) => {
      const path = request?.meta.request.params.path ?? '';
      if (path.endsWith('/_bulk')) bulkPaths.push(path);
    });
    const small = createElasticsearchSink({ client: counting, config: { ...config, maxBulkBytes: 1_000, installTemplate: false } });
    const events = [event('f-1', { note: 'x'.repeat(300) }), event('f-2', { note: 'y'.repeat(300) }), event('f-3', { note: 'z'.repeat(2_000) }), event('f-4')];
    expect(summary(await small.write(events))).toEqual(['ok', 'ok', 'dlq:document_too_large', 'ok']);
    expect(bulkPaths.length).toBeGreaterThan(1);
    expect((await search(['f-1', 'f-2', 'f-3', 'f-4'])).map((h) => h._id).sort()).toEqual(['f-1', 'f-2', 'f-4']);
    await small.close();
    // The sink leaves a client it was given open for its owner.
    expect(await small.ready()).toBe(true);
    await counting.close();
  });
});

describe('with an unreachable node (http://127.0.0.1:1)', () => {
  test.each([true, false])('every event is retry and nothing throws (installTemplate=%p)', async (installTemplate) => {
    const down = createElasticsearchSink({ node: 'http://127.0.0.1:1', config: { ...config, installTemplate } });
    const outcomes = await down.write([event('g-1'), event('g-2'), event('g-3')]);
    expect(summary(outcomes)).toEqual(Array(3).fill('retry:elasticsearch_unavailable'));
    expect(await down.ready()).toBe(false);
    await down.close();
  });
});
