import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { stampEvent, uuidv7, type StampedEvent } from '../../shared/contracts/index.ts';
import { connections, newRun, runSinks, storeReaders } from '../testing.ts';
import { elasticsearchLookup, postgresLookup, redisLookup, type Copies, type Lookup } from './stores.ts';

// The lookups against the real stores, filled by the workers' own sinks: events held once, one event held twice (a
// second copy dated decades earlier goes to the search node's catch-all index and Postgres's default partition), and
// one event whose Redis seen marker is gone.
const run = newRun('audit_stores');
const sinks = runSinks(run);
const stores = storeReaders();
const now = Date.now();
const events: StampedEvent[] = Array.from({ length: 5 }, (_, i) => stampEvent({ type: 'audit.lookup', source: 'test', data: { i } }, { now: now + i, newId: uuidv7 }));
const [once, twice, noMarker, also, more] = events.map((e) => e.id) as [string, string, string, string, string];
const absent = `absent-${crypto.randomUUID()}`;

const copiesOf = async (lookup: Lookup, ids: readonly string[]): Promise<number[]> => {
  const copies: Copies = await lookup(ids);
  return ids.map((id) => copies(id));
};

beforeAll(async () => {
  const again = { ...events[1]!, timestamp: '2001-02-03T04:05:06.000Z' };
  for (const sink of sinks) {
    expect((await sink.write(events)).map((o) => o.type)).toEqual(events.map(() => 'ok'));
    expect((await sink.write([again]))[0]!.type).toBe('ok');
  }
  await stores.redis.del(stores.seenKey(run, noMarker));
  await stores.es.indices.refresh({ index: run.esPrefix });
}, 60_000);

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  await stores.cleanup(run);
  await stores.close();
});

describe('elasticsearchLookup', () => {
  const lookup = elasticsearchLookup({ url: connections.elasticsearchUrl, alias: run.esAlias });

  test('ids held once in one index count 1 each, a repeated id included', async () => {
    expect(await copiesOf(lookup, [once, noMarker, also, once])).toEqual([1, 1, 1, 1]);
  });

  test('an absent id counts 0 beside held ones, also when every match is in one index', async () => {
    expect(await copiesOf(lookup, [once, absent, also])).toEqual([1, 0, 1]);
  });

  test('an event in two indices counts 2', async () => {
    expect(await copiesOf(lookup, [once, twice, absent])).toEqual([1, 2, 0]);
  });

  test('a chunk larger than one request is asked in parts with the same answer', async () => {
    const small = elasticsearchLookup({ url: connections.elasticsearchUrl, alias: run.esAlias, idsPerRequest: 2 });
    expect(await copiesOf(small, [once, absent, twice, also, more])).toEqual([1, 0, 2, 1, 1]);
  });

  test('on an alias over one index, held ids count 1 each, a repeated one included, and an absent id 0', async () => {
    const daily = Object.keys(await stores.es.indices.get({ index: `${run.esPrefix}-*` })).find((name) => !name.endsWith('-other'))!;
    await stores.es.indices.putAlias({ index: daily, name: `${run.esAlias}-daily` });
    const single = elasticsearchLookup({ url: connections.elasticsearchUrl, alias: `${run.esAlias}-daily` });
    expect(await copiesOf(single, [once, also, once])).toEqual([1, 1, 1]);
    expect(await copiesOf(single, [once, absent, twice, once])).toEqual([1, 0, 1, 1]);
  });

  test('an alias that does not exist holds nothing', async () => {
    const none = elasticsearchLookup({ url: connections.elasticsearchUrl, alias: `${run.esAlias}-none` });
    expect(await copiesOf(none, [once, absent])).toEqual([0, 0]);
  });
});

describe('postgresLookup', () => {
  const lookup = postgresLookup({ sql: stores.sql, schema: run.pgSchema });

  test('ids held once count 1 each, and an id stored with two event times counts 2', async () => {
    expect(await copiesOf(lookup, [once, twice, also, once])).toEqual([1, 2, 1, 1]);
  });

  test('an absent id counts 0 beside held and doubled ones', async () => {
    expect(await copiesOf(lookup, [absent, once, twice])).toEqual([0, 1, 2]);
  });

  test('an id no event could have (a newline in it) is looked up whole', async () => {
    const odd = `odd\n${crypto.randomUUID()}`;
    await stores.sql`insert into ${stores.sql(`${run.pgSchema}.events`)} (event_id, type, key, event_time, received_at, data) values (${odd}, 'audit.lookup', 'k', now(), now(), '{}')`;
    expect(await copiesOf(lookup, [odd, once, absent, twice])).toEqual([1, 1, 0, 2]);
  });

  test('a copy stored in a partition made after the first lookup counts', async () => {
    const table = stores.sql(`${run.pgSchema}.events`);
    expect(await copiesOf(lookup, [more, also])).toEqual([1, 1]);
    await stores.sql`create table ${stores.sql(`${run.pgSchema}.events_p20400101`)} partition of ${table} for values from ('2040-01-01') to ('2040-01-02')`;
    await stores.sql`insert into ${table} (event_id, type, key, event_time, received_at, data) values (${more}, 'audit.lookup', 'k', '2040-01-01T12:00:00Z', now(), '{}')`;
    expect(await copiesOf(lookup, [more, also])).toEqual([2, 1]);
  });

  test('a schema without an events table holds nothing', async () => {
    const none = postgresLookup({ sql: stores.sql, schema: `${run.pgSchema}_none` });
    expect(await copiesOf(none, [once, absent])).toEqual([0, 0]);
  });
});

describe('redisLookup', () => {
  const lookup = redisLookup({ redis: stores.redis, prefix: run.redisPrefix });

  test('ids with a seen marker count 1', async () => {
    expect(await copiesOf(lookup, [once, twice, also, once])).toEqual([1, 1, 1, 1]);
  });

  test('an id whose marker is gone, an empty id and an id never seen count 0 beside marked ones', async () => {
    expect(await copiesOf(lookup, [once, noMarker, '', absent, more])).toEqual([1, 0, 0, 0, 1]);
  });
});
