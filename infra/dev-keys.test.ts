import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listKeys, migrateKeys, revokeKey } from '../shared/auth/store.ts';
import { authFixture, type AuthFixture } from '../shared/auth/testing.ts';
import { createKeyVerifier } from '../shared/auth/verifier.ts';
import { ensureDevKeys } from './dev-keys.ts';

// The development keys `npm start` prints, in this run's own key schema and hash key, with the file in a temporary
// stack home.
let keys: AuthFixture;
const home = mkdtempSync(join(tmpdir(), 'event-lens-dev-keys-'));
const file = join(home, 'dev-keys.json');

beforeAll(async () => {
  keys = await authFixture('devkeys');
});
afterAll(async () => {
  await keys?.close();
  rmSync(home, { recursive: true, force: true });
});

const ensure = () => ensureDevKeys({ sql: keys.sql, config: keys.config, file });
const verify = () => createKeyVerifier({ sql: keys.sql, config: { ...keys.config, cacheTtlMs: 0, negativeCacheTtlMs: 0 } });

describe('development keys', () => {
  test('the first run makes an ingest key and a read + admin key, stored in Postgres, secrets in a file only its owner reads', async () => {
    const dev = await ensure();
    expect(dev.created).toEqual(['ingest', 'admin']);
    expect(dev.ingest).toStartWith('el_ingest_');
    expect(dev.admin).toStartWith('el_admin_');
    const ingest = await verify()(dev.ingest);
    const admin = await verify()(dev.admin);
    expect(ingest).toMatchObject({ ok: true, key: { scopes: ['ingest'], source: null, rate: null, burst: null } });
    expect(admin).toMatchObject({ ok: true, key: { scopes: ['read', 'admin'], source: null, rate: null } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ ingest: dev.ingest, admin: dev.admin });
  });

  test('a later run gives the same two keys and stores nothing new', async () => {
    const before = await listKeys(keys.sql, keys.id);
    const first = JSON.parse(readFileSync(file, 'utf8')) as { ingest: string; admin: string };
    const again = await ensure();
    expect(again).toEqual({ ingest: first.ingest, admin: first.admin, created: [] });
    expect(await listKeys(keys.sql, keys.id)).toHaveLength(before.length);
  });

  test('a revoked development key is replaced by a new one; the other is kept', async () => {
    const before = await ensure();
    const ingestName = (await listKeys(keys.sql, keys.id)).find((k) => k.scopes.includes('ingest'))!.name;
    await revokeKey(keys.sql, keys.id, ingestName);
    const after = await ensure();
    expect(after.created).toEqual(['ingest']);
    expect(after.ingest).not.toBe(before.ingest);
    expect(after.admin).toBe(before.admin);
    expect(await verify()(after.ingest)).toMatchObject({ ok: true });
    expect(await verify()(before.ingest)).toEqual({ ok: false, code: 'invalid_credentials' });
  });

  test('after the key schema is wiped, both keys are made again and work', async () => {
    const before = await ensure();
    await keys.sql.unsafe(`drop schema ${keys.id} cascade`);
    const after = await ensure();
    expect(after.created).toEqual(['ingest', 'admin']);
    expect(after.ingest).not.toBe(before.ingest);
    expect(await verify()(after.admin)).toMatchObject({ ok: true, key: { scopes: ['read', 'admin'] } });
    await migrateKeys(keys.sql, keys.id);
  });

  test('a file that does not hold two secrets is replaced, still readable by its owner only', async () => {
    writeFileSync(file, 'not json', { mode: 0o644 });
    const dev = await ensure();
    expect(dev.created).toEqual(['ingest', 'admin']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ ingest: dev.ingest, admin: dev.admin });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
