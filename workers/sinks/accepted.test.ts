import { afterAll, expect, test } from 'bun:test';
import fc from 'fast-check';
import {
  ISSUE_CODES,
  MAX_DEPTH,
  parseEvent,
  stampEvent,
  uuidv7,
  type JsonObject,
  type StampedEvent,
} from '../../shared/contracts/index.ts';
import { newRun, runSinks, storeReaders } from '../testing.ts';

/**
 * Whatever the edge accepts, every store keeps: events generated from the envelope's own shape, with hostile strings,
 * keys, numbers and depths, go through the contract as the edge runs it (parseEvent, then stampEvent); every accepted
 * one is written through the three real sinks and found in each store with its data, and every refused one names a
 * published code and a path.
 */
const run = newRun('accepted');
const sinks = runSinks(run);
const stores = storeReaders();
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  await stores.cleanup(run);
  await stores.close();
});

const hostileText = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00',
  '\ud83d\ude00 ok',
  '\u202eשלום',
  '\\u0000',
  '',
  ' ',
  'é',
  'x'.repeat(40_000),
);
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 8 }), hostileText);
const hostileKey = fc.constantFrom('', ' ', '\t', '\u001c', '\u00a0', '.', '..', '.a', 'a.', 'a..b', 'a. .b', 'a.b', ' a ', '\u0000', 'k\ud800', '😀', '_id', '__proto__', 'data_unindexed', 'k'.repeat(300));
const key = fc.oneof(fc.string({ maxLength: 12 }), hostileKey);
const hostileNumber = fc.constantFrom(1e308, -1e308, 5e-324, -0, 2 ** 53 + 1, 2 ** 64, -(2 ** 63) - 4096, 1e19, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY);
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), hostileNumber);
const scalar = fc.oneof(text, number, fc.boolean(), fc.constant(null));

/** Built with Object.fromEntries so keys such as `__proto__` are own fields, as JSON.parse makes them. */
const objectOf = (value: fc.Arbitrary<unknown>) => fc.array(fc.tuple(key, value), { maxLength: 5 }).map((entries) => Object.fromEntries(entries));

const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('json'), { maxLength: 4 }), objectOf(tie('json'))),
}));

/** Wraps `inner` in `levels` objects or arrays, so depths reach past the contract's limit. */
const deep = fc
  .tuple(fc.integer({ min: 1, max: MAX_DEPTH + 2 }), fc.array(fc.boolean(), { minLength: MAX_DEPTH + 2, maxLength: MAX_DEPTH + 2 }), json)
  .map(([levels, arrays, inner]) => arrays.slice(0, levels).reduce<unknown>((value, asArray) => (asArray ? [value] : { n: value }), inner));

const data = fc.tuple(objectOf(json), fc.option(deep)).map(([shallow, spine]) => (spine === null ? shallow : { ...shallow, spine }));

const timestamp = fc.oneof(
  fc.date({ min: new Date('-000001-12-31T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date(Date.now() - 40 * 86_400_000), max: new Date(Date.now() + 3 * 86_400_000), noInvalidDate: true }).map((d) => d.getTime()),
);

// `sensor.reading` is among the types because Postgres also projects it into sensor_data, which holds numbers only.
const envelope = fc.record(
  {
    id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
    type: fc.oneof(fc.constantFrom('page.view', 'order.created', 'Order Completed', 'sensor.reading'), fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/)),
    source: text,
    timestamp,
    key: text,
    data,
  },
  { requiredKeys: ['type'] },
);

const normalised = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

test('every event the contract accepts is stored by all three sinks with its data, and every refused one names a code and a path', async () => {
  let accepted = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(envelope, { minLength: 50, maxLength: 80, selector: (e) => e.id ?? Math.random() }), async (inputs) => {
      const now = Date.now();
      const events: StampedEvent[] = [];
      for (const input of inputs) {
        const result = parseEvent('event', input);
        if (result.ok) {
          events.push(stampEvent(result.event, { now, newId: uuidv7 }));
          continue;
        }
        refused++;
        expect(ISSUE_CODES).toContain(result.code);
        expect(result.path).not.toBe('');
      }
      accepted += events.length;
      // Ids are unique within a run only per batch; a later batch gets its own so stores are checked per batch.
      const batch = events.map((e) => ({ ...e, id: `${e.id}-${now}` }));
      for (const sink of sinks) {
        const outcomes = await sink.write(batch);
        const failed = outcomes.flatMap((o, i) => (o.type === 'ok' ? [] : [{ sink: sink.name, outcome: o, event: batch[i] }]));
        expect(failed).toEqual([]);
      }
      const ids = batch.map((e) => e.id);
      const expected = new Map(batch.map((e) => [e.id, normalised(e)]));

      await stores.es.indices.refresh({ index: run.esPrefix });
      const hits = (await stores.es.search<StampedEvent & { data_unindexed?: JsonObject }>({ index: run.esPrefix, query: { ids: { values: ids } }, size: ids.length })).hits.hits;
      expect(hits.length).toBe(batch.length);
      for (const hit of hits) {
        const { data_unindexed, ...source } = hit._source!;
        expect(data_unindexed === undefined ? source : { ...source, data: data_unindexed }).toEqual(expected.get(hit._id!)!);
      }

      const rows = await stores.sql<Array<{ event_id: string; data: JsonObject; source: string | null; key: string }>>`
        select event_id, data, source, key from ${stores.sql(`${run.pgSchema}.events`)} where event_id = any(${ids})`;
      expect(rows.length).toBe(batch.length);
      for (const row of rows) {
        const e = expected.get(row.event_id)!;
        expect({ data: row.data, source: row.source ?? undefined, key: row.key }).toEqual({ data: e.data, source: e.source, key: e.key });
      }

      const seen = await Promise.all(ids.map((id) => stores.redis.exists(stores.seenKey(run, id))));
      expect(seen.filter((n) => n !== 1)).toEqual([]);
    }),
    { numRuns: 5, seed: Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31) },
  );
  // The generator reaches both sides of the contract.
  expect(accepted).toBeGreaterThan(50);
  expect(refused).toBeGreaterThan(50);
}, 120_000);
