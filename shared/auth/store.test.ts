import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { KeyError } from './errors.ts';
import { hashSecret, parseKeySpec } from './keys.ts';
import { createKey, findByHash, listKeys, migrateKeys, revokeKey } from './store.ts';
import { authFixture, type AuthFixture } from './testing.ts';

let fx: AuthFixture;
beforeAll(async () => {
  fx = await authFixture('store');
});
afterAll(() => fx.close());

const spec = (name: string, extra: Partial<Parameters<typeof parseKeySpec>[0]> = {}) => parseKeySpec({ name, scopes: 'ingest', ...extra });

describe('key store', () => {
  test('migrations apply once, also when several processes run them at the same time', async () => {
    const schema = `${fx.id}_fresh`;
    try {
      const results = await Promise.all([migrateKeys(fx.sql, schema), migrateKeys(fx.sql, schema), migrateKeys(fx.sql, schema)]);
      expect(results.flat()).toEqual([1]);
      expect(await migrateKeys(fx.sql, schema)).toEqual([]);
    } finally {
      await fx.sql.unsafe(`drop schema if exists ${schema} cascade`);
    }
  });

  test('a created key comes back once with its secret; the stored row holds only its hash', async () => {
    const { key, secret } = await createKey(fx.sql, fx.id, spec('shop-web', { source: 'shop', rate: '200/s', burst: 50 }), fx.config.hashKey);
    expect(key).toMatchObject({ name: 'shop-web', scopes: ['ingest'], source: 'shop', rate: 200, burst: 50, revokedAt: null });
    expect(key.createdAt).toBeInstanceOf(Date);
    const rows = await fx.sql.unsafe(`select * from ${fx.id}.api_keys where name = 'shop-web'`);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(JSON.stringify(rows)).not.toContain(secret.slice(-43));
    expect(rows[0]?.hash).toBe(hashSecret(secret, fx.config.hashKey));
  });

  test('a name already in use is refused with key_exists', async () => {
    const error = await createKey(fx.sql, fx.id, spec('shop-web'), fx.config.hashKey).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyError);
    expect(error).toMatchObject({ code: 'key_exists', status: 409, path: 'name' });
  });

  test('the list shows every key oldest first, never a secret or a hash', async () => {
    const { secret } = await createKey(fx.sql, fx.id, spec('dashboard', { scopes: 'read,admin' }), fx.config.hashKey);
    const keys = await listKeys(fx.sql, fx.id);
    expect(keys.map((k) => [k.name, k.scopes])).toEqual([['shop-web', ['ingest']], ['dashboard', ['read', 'admin']]]);
    expect(Object.keys(keys[0]!).sort()).toEqual(['burst', 'createdAt', 'id', 'name', 'rate', 'revokedAt', 'scopes', 'source']);
    const listed = JSON.stringify(keys);
    expect(listed).not.toContain(secret);
    expect(listed).not.toContain(hashSecret(secret, fx.config.hashKey));
  });

  test('a key is found by the hash of its secret, under the hash key it was created with', async () => {
    const { key, secret } = await createKey(fx.sql, fx.id, spec('lookup'), fx.config.hashKey);
    expect(await findByHash(fx.sql, fx.id, hashSecret(secret, fx.config.hashKey))).toEqual(key);
    expect(await findByHash(fx.sql, fx.id, hashSecret(secret, 'another-hash-key-of-32-characters!'))).toBeNull();
  });

  test('revoking is idempotent and keeps the first revocation time; an unknown name is unknown_key', async () => {
    const first = await revokeKey(fx.sql, fx.id, 'dashboard');
    expect(first.revokedAt).toBeInstanceOf(Date);
    const again = await revokeKey(fx.sql, fx.id, 'dashboard');
    expect(again.revokedAt).toEqual(first.revokedAt);
    expect((await listKeys(fx.sql, fx.id)).find((k) => k.name === 'dashboard')?.revokedAt).toEqual(first.revokedAt);
    const error = await revokeKey(fx.sql, fx.id, 'nobody').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unknown_key', status: 404, message: 'name: no key is named "nobody"' });
  });
});
