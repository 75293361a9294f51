import { describe, expect, test } from 'bun:test';
import { loadRdkafka } from './ffi.ts';
import { tuneMalloc } from './malloc.ts';

describe('malloc tuning for librdkafka', () => {
  test('loading librdkafka on glibc Linux turns fastbins off, and says so again when asked twice', () => {
    loadRdkafka();
    const expected = process.platform === 'linux' && !process.versions.musl ? 'tuned' : 'unsupported';
    expect(tuneMalloc({})).toBe(expected);
    expect(tuneMalloc({})).toBe(expected);
  });

  test('RDKAFKA_MALLOPT=off leaves malloc as it is', () => {
    expect(tuneMalloc({ RDKAFKA_MALLOPT: 'off' })).toBe('off');
  });
});
