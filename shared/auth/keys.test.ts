import { describe, expect, test } from 'bun:test';
import { loadConfig } from '../config/index.ts';
import { authConfig, DEVELOPMENT_HASH_KEY, usesDevelopmentHashKey } from './config.ts';
import { KeyError } from './errors.ts';
import { generateSecret, hashSecret, parseKeySpec, parseRate, parseScopes, SECRET_FORMAT } from './keys.ts';

function keyError(run: () => unknown): KeyError {
  try {
    run();
  } catch (error) {
    if (error instanceof KeyError) return error;
    throw error;
  }
  throw new Error('expected a KeyError');
}

describe('key fields', () => {
  test('scopes are read from a comma list, in a fixed order without repeats', () => {
    expect(parseScopes('read, ingest,read')).toEqual(['ingest', 'read']);
    expect(parseScopes(['admin'])).toEqual(['admin']);
  });

  test('an unknown scope is refused with its position, and no scope at all is refused too', () => {
    const unknown = keyError(() => parseScopes('ingest,write'));
    expect(unknown).toMatchObject({ code: 'invalid_scope', path: 'scopes', index: 1, status: 400 });
    expect(unknown.message).toBe('scopes[1]: unknown scope "write" (expected ingest, read, admin)');
    expect(keyError(() => parseScopes('')).code).toBe('missing_scope');
    expect(keyError(() => parseScopes([])).code).toBe('missing_scope');
  });

  test('a rate is events per second, written N or N/s, and must be above 0', () => {
    expect(parseRate('200')).toBe(200);
    expect(parseRate('200/s')).toBe(200);
    expect(parseRate('0.5/s')).toBe(0.5);
    for (const bad of ['0', '-5', 'fast', '200/m', '', '1e3']) expect(keyError(() => parseRate(bad))).toMatchObject({ code: 'invalid_rate', path: 'rate' });
  });

  test('the burst defaults to one second of the rate, at least one event', () => {
    expect(parseKeySpec({ name: 'shop-web', scopes: 'ingest', rate: '200/s' })).toEqual({ name: 'shop-web', scopes: ['ingest'], source: null, rate: 200, burst: 200 });
    expect(parseKeySpec({ name: 'slow', scopes: 'ingest', rate: 0.2 }).burst).toBe(1);
    expect(parseKeySpec({ name: 'batchy', scopes: 'ingest', rate: 10, burst: '500' }).burst).toBe(500);
    expect(parseKeySpec({ name: 'unlimited', scopes: 'read' })).toMatchObject({ rate: null, burst: null });
  });

  test('bad names, sources and bursts are refused with the field at fault', () => {
    for (const name of ['', 'Shop', '-shop', 'a b', 'x'.repeat(64)]) expect(keyError(() => parseKeySpec({ name, scopes: 'ingest' }))).toMatchObject({ code: 'invalid_name', path: 'name' });
    expect(keyError(() => parseKeySpec({ name: 'ok', scopes: 'ingest', source: 's'.repeat(129) }))).toMatchObject({ code: 'invalid_source', path: 'source' });
    expect(keyError(() => parseKeySpec({ name: 'ok', scopes: 'ingest', source: '' }))).toMatchObject({ code: 'invalid_source' });
    expect(keyError(() => parseKeySpec({ name: 'ok', scopes: 'ingest', rate: 5, burst: 0 }))).toMatchObject({ code: 'invalid_burst', path: 'burst' });
    expect(keyError(() => parseKeySpec({ name: 'ok', scopes: 'ingest', burst: 5 }))).toMatchObject({ code: 'invalid_burst', message: 'burst: a burst needs a rate' });
  });
});

describe('secrets', () => {
  test('a secret starts with its most powerful scope, so scanners can tell an admin key from an ingest key', () => {
    expect(generateSecret(['ingest'])).toStartWith('el_ingest_');
    expect(generateSecret(['ingest', 'read'])).toStartWith('el_read_');
    expect(generateSecret(['ingest', 'admin'])).toStartWith('el_admin_');
  });

  test('secrets are 43 base62 characters after the prefix and never repeat', () => {
    const secrets = Array.from({ length: 2000 }, () => generateSecret(['ingest']));
    expect(secrets.every((s) => SECRET_FORMAT.test(s))).toBe(true);
    expect(new Set(secrets).size).toBe(secrets.length);
    // Every base62 character turns up: the alphabet is used whole, not a biased part of it.
    expect(new Set(secrets.join('').replaceAll('el_ingest_', '')).size).toBe(62);
  });

  test('the stored hash depends on the hash key and does not contain the secret', () => {
    const secret = generateSecret(['read']);
    const hash = hashSecret(secret, 'k'.repeat(32));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(secret, 'k'.repeat(32))).toBe(hash);
    expect(hashSecret(secret, 'j'.repeat(32))).not.toBe(hash);
    expect(hash).not.toContain(secret.slice(8, 20));
  });

  test('the public development hash key is the default, and services can tell when it is in use', () => {
    expect(loadConfig(authConfig, {}).hashKey).toBe(DEVELOPMENT_HASH_KEY);
    expect(usesDevelopmentHashKey(loadConfig(authConfig, {}))).toBe(true);
    expect(usesDevelopmentHashKey(loadConfig(authConfig, { AUTH_HASH_KEY: 'x'.repeat(40) }))).toBe(false);
    expect(() => loadConfig(authConfig, { AUTH_HASH_KEY: 'short' })).toThrow(/AUTH_HASH_KEY="short": expected at least 32 characters/);
    expect(loadConfig(authConfig, { AUTH: 'off' }).mode).toBe('off');
  });
});
