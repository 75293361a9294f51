import { describe, expect, test } from 'bun:test';
import { parseCredentials } from './credentials.ts';

const secret = 'el_ingest_0123456789abcdefghijABCDEFGHIJ0123456789abc';
const withAuth = (value?: string) => new Headers(value === undefined ? {} : { authorization: value });

describe('credentials from request headers', () => {
  test('a Bearer token is the secret', () => {
    expect(parseCredentials(withAuth(`Bearer ${secret}`))).toEqual({ ok: true, secret });
    expect(parseCredentials(withAuth(`bearer ${secret}`))).toEqual({ ok: true, secret });
  });

  test("Basic with the key as user name and an empty password is the secret, as Segment's SDKs send it", () => {
    expect(parseCredentials(withAuth(`Basic ${btoa(`${secret}:`)}`))).toEqual({ ok: true, secret });
    expect(parseCredentials(withAuth(`Basic ${btoa(`${secret}:anything`)}`))).toEqual({ ok: true, secret });
  });

  test('no Authorization header is missing credentials', () => {
    expect(parseCredentials(withAuth())).toEqual({ ok: false, code: 'missing_credentials' });
    expect(parseCredentials(withAuth(''))).toEqual({ ok: false, code: 'missing_credentials' });
  });

  test('malformed headers are invalid credentials', () => {
    const bad = [
      'Bearer',
      'Bearer ',
      `Token ${secret}`,
      `Bearer ${secret} extra`,
      'Basic not*base64',
      `Basic ${btoa(secret)}`, // no colon: not user-id ":" password
      `Basic ${btoa(':password')}`, // empty user name
      `Bearer ${'a'.repeat(2000)}`,
    ];
    for (const value of bad) expect(parseCredentials(withAuth(value))).toEqual({ ok: false, code: 'invalid_credentials' });
  });
});
