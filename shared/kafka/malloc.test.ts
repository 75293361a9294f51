import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { loadRdkafka } from './ffi.ts';
import { TRIM_THRESHOLD_BYTES, tuneMalloc } from './malloc.ts';

const glibc = process.platform === 'linux' && !process.versions.musl;

// A process that tunes malloc as loading librdkafka does, then frees ~3.5 MiB of message-sized chunks from the top of
// glibc's main heap and prints how much of it the heap still holds (malloc_stats(3) writes to stderr).
const PROBE = `
import { dlopen } from 'bun:ffi';
import { tuneMalloc } from ${JSON.stringify(join(import.meta.dir, 'malloc.ts'))};
tuneMalloc();
const { symbols: c } = dlopen('libc.so.6', { malloc: { args: ['u64'], returns: 'ptr' }, free: { args: ['ptr'], returns: 'void' }, malloc_stats: { args: [], returns: 'void' } });
c.malloc_stats();
const chunks = Array.from({ length: 4096 }, () => c.malloc(900));
for (const p of chunks) c.free(p);
c.malloc_stats();
`;

/** Bytes glibc's main heap kept after the probe freed its chunks. */
function retainedAfterFree(env: Record<string, string>): number {
  const run = Bun.spawnSync([process.execPath, '-e', PROBE], { env: { ...process.env, ...env }, stderr: 'pipe', stdout: 'ignore' });
  const stats = run.stderr.toString();
  const sizes = [...stats.matchAll(/Arena 0:\s*\nsystem bytes\s*=\s*(\d+)/g)].map((m) => Number(m[1]));
  if (run.exitCode !== 0 || sizes.length !== 2) throw new Error(`probe failed (exit ${run.exitCode}): ${stats.slice(-500)}`);
  return sizes[1]! - sizes[0]!;
}

describe('malloc tuning for librdkafka', () => {
  test('loading librdkafka on glibc Linux tunes malloc, and says so again when asked twice', () => {
    loadRdkafka();
    const expected = glibc ? 'tuned' : 'unsupported';
    expect(tuneMalloc({})).toBe(expected);
    expect(tuneMalloc({})).toBe(expected);
  });

  test('RDKAFKA_MALLOPT=off leaves malloc as it is', () => {
    expect(tuneMalloc({ RDKAFKA_MALLOPT: 'off' })).toBe('off');
  });

  test.skipIf(!glibc)('freed message memory stays in the heap for the next messages instead of going back to the OS', () => {
    const freed = 4096 * 900;
    expect(TRIM_THRESHOLD_BYTES).toBeGreaterThan(freed);
    expect(retainedAfterFree({})).toBeGreaterThanOrEqual(freed * 0.9);
    // glibc's default trims everything over 128 KiB back at once.
    expect(retainedAfterFree({ RDKAFKA_MALLOPT: 'off' })).toBeLessThan(256 * 1024);
  });

  test.skipIf(!glibc)('a trim threshold set in GLIBC_TUNABLES wins over the tuned one', () => {
    expect(retainedAfterFree({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=0' })).toBeLessThan(256 * 1024);
  });
});
