import { dlopen } from 'bun:ffi';
import { kafkaClientSettings } from './settings.ts';

/** mallopt(3)'s parameter number for the fastbin limit, from glibc's malloc.h. */
const M_MXFAST = 1;

export type MallocTuning = 'tuned' | 'off' | 'unsupported';

let tuned = false;

/**
 * Turns glibc's fastbins off for the process (mallopt(M_MXFAST, 0)), before librdkafka's first allocation.
 * librdkafka allocates each message, its header list and each header separately and frees a delivery report's
 * messages in one go; the small header chunks sat in fastbins and glibc spent ~20% of the producing thread in
 * malloc_consolidate and _int_free (perf). Measured effect: shared/kafka/README.md, "glibc malloc".
 * `RDKAFKA_MALLOPT=off` leaves malloc as it is; other platforms (macOS, musl) are left alone.
 */
export function tuneMalloc(env: Record<string, string | undefined> = process.env): MallocTuning {
  if (kafkaClientSettings(env).mallopt === 'off') return 'off';
  if (tuned) return 'tuned';
  if (process.platform !== 'linux') return 'unsupported';
  try {
    const { symbols } = dlopen('libc.so.6', { mallopt: { args: ['i32', 'i32'], returns: 'i32' } });
    tuned = symbols.mallopt(M_MXFAST, 0) === 1;
  } catch {
    // No libc.so.6 (musl): its allocator has no fastbins to turn off.
  }
  return tuned ? 'tuned' : 'unsupported';
}
