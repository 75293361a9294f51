import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Sql } from 'postgres';
import { generateSecret, parseKeySpec } from './keys.ts';
import { createKey, findByHash, revokeKey } from './store.ts';
import { authFixture, type AuthFixture } from './testing.ts';
import { createKeyVerifier, type KeyVerifierOptions } from './verifier.ts';

let fx: AuthFixture;
beforeAll(async () => {
  fx = await authFixture('verify');
});
afterAll(() => fx.close());

/** A verifier on a clock the test moves, counting the Postgres lookups it makes. */
function verifier(config: Partial<KeyVerifierOptions['config']> = {}) {
  const clock = { now: 1_000_000 };
  const lookups: string[] = [];
  const verify = createKeyVerifier({
    sql: fx.sql,
    config: { ...fx.config, ...config },
    now: () => clock.now,
    lookup: (sql: Sql, schema: string, hash: string) => {
      lookups.push(hash);
      return findByHash(sql, schema, hash);
    },
  });
  return { verify, clock, lookups };
}

const newKey = (name: string) => createKey(fx.sql, fx.id, parseKeySpec({ name, scopes: 'ingest,read', source: 'shop' }), fx.config.hashKey);

describe('key verification', () => {
  test('a valid key is accepted with its scopes and source, and answered from the cache afterwards', async () => {
    const { key, secret } = await newKey('valid');
    const { verify, lookups } = verifier();
    expect(await verify(secret)).toEqual({ ok: true, key });
    expect(await verify(secret)).toEqual({ ok: true, key });
    expect(lookups).toHaveLength(1);
  });

  test('an unknown key is refused as invalid_credentials, and something not shaped like a key without a lookup', async () => {
    const { verify, lookups } = verifier();
    expect(await verify(generateSecret(['ingest']))).toEqual({ ok: false, code: 'invalid_credentials' });
    expect(lookups).toHaveLength(1);
    for (const junk of ['', 'el_ingest_short', 'x'.repeat(5000), 'el_root_0123456789abcdefghijABCDEFGHIJ0123456789abc']) {
      expect(await verify(junk)).toEqual({ ok: false, code: 'invalid_credentials' });
    }
    expect(lookups).toHaveLength(1);
  });

  test('a revoked key is refused once the cache TTL has passed', async () => {
    const { secret } = await newKey('revoked');
    const { verify, clock } = verifier({ cacheTtlMs: 2000 });
    expect((await verify(secret)).ok).toBe(true);
    await revokeKey(fx.sql, fx.id, 'revoked');
    clock.now += 1999;
    expect((await verify(secret)).ok).toBe(true); // still trusted from the cache, by design
    clock.now += 1;
    expect(await verify(secret)).toEqual({ ok: false, code: 'invalid_credentials' });
  });

  test('an unknown secret is refused from the negative cache until its TTL passes, then looked up again', async () => {
    const { verify, clock, lookups } = verifier({ negativeCacheTtlMs: 1000 });
    const { secret } = await newKey('late');
    await fx.sql.unsafe(`delete from ${fx.id}.api_keys where name = 'late'`);
    expect((await verify(secret)).ok).toBe(false);
    // The key appears (restored from a backup, say): the refusal stands for the negative TTL, then the key works.
    await fx.sql.unsafe(`insert into ${fx.id}.api_keys (id, name, hash, scopes) values ('late', 'late', $1, '{ingest}')`, [lookups[0]!]);
    clock.now += 999;
    expect((await verify(secret)).ok).toBe(false);
    expect(lookups).toHaveLength(1);
    clock.now += 1;
    expect((await verify(secret)).ok).toBe(true);
    expect(lookups).toHaveLength(2);
  });

  test('concurrent checks of one secret share a single lookup', async () => {
    const { secret } = await newKey('concurrent');
    const { verify, lookups } = verifier();
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(secret)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(lookups).toHaveLength(1);
  });

  test('the cache holds at most cacheMaxEntries secrets, dropping the oldest', async () => {
    const keys = await Promise.all(['bounded-a', 'bounded-b', 'bounded-c'].map(newKey));
    const { verify, lookups } = verifier({ cacheMaxEntries: 2 });
    for (const { secret } of keys) await verify(secret);
    expect(lookups).toHaveLength(3);
    await verify(keys[2]!.secret);
    await verify(keys[1]!.secret);
    expect(lookups).toHaveLength(3);
    await verify(keys[0]!.secret); // dropped when the third arrived
    expect(lookups).toHaveLength(4);
  });

  test('Postgres not answering is auth_unavailable, not a refusal of the key, and is not cached', async () => {
    const { secret } = await newKey('outage');
    let down = true;
    const verify = createKeyVerifier({
      sql: fx.sql,
      config: fx.config,
      lookup: (sql, schema, hash) => (down ? Promise.reject(new Error('connection refused')) : findByHash(sql, schema, hash)),
    });
    expect(await verify(secret)).toEqual({ ok: false, code: 'auth_unavailable' });
    down = false;
    expect((await verify(secret)).ok).toBe(true);
  });
});
