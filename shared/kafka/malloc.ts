import { dlopen } from 'bun:ffi';
import { kafkaClientSettings } from './settings.ts';

/** mallopt(3)'s parameter numbers, from glibc's malloc.h. */
const M_MXFAST = 1;
const M_TRIM_THRESHOLD = -1;

/**
 * Free memory glibc keeps at the top of its main heap before handing it back to the OS. Its default is 128 KiB; glibc
 * raises it by itself only when a chunk of its own mmap()ed memory is freed (up to 64 MiB on 64-bit hosts, twice
 * DEFAULT_MMAP_THRESHOLD_MAX), which librdkafka's small allocations never are.
 */
export const TRIM_THRESHOLD_BYTES = 32 * 1024 * 1024;

export type MallocTuning = 'tuned' | 'off' | 'unsupported';

let tuned = false;

/**
 * Tunes glibc's malloc for librdkafka before its first allocation. librdkafka allocates each message, its header list
 * and each header separately and frees a delivery report's messages in one go.
 * - Fastbins off (mallopt(M_MXFAST, 0)): the small header chunks sat in fastbins and glibc spent ~20% of the
 *   producing thread in malloc_consolidate and _int_free (perf).
 * - Trim threshold 32 MiB: with the default 128 KiB the heap shrank whenever delivered messages were freed and grew
 *   again, page fault by page fault, for the next ones. Under 100-message Segment batches (~900 bytes a message)
 *   _int_malloc and its page faults were ~20% of the edge's main thread. A trim threshold set in GLIBC_TUNABLES wins.
 * Measured effects: shared/kafka/README.md, "glibc malloc". `RDKAFKA_MALLOPT=off` leaves malloc as it is; other
 * platforms (macOS, musl) are left alone.
 */
export function tuneMalloc(env: Record<string, string | undefined> = process.env): MallocTuning {
  if (kafkaClientSettings(env).mallopt === 'off') return 'off';
  if (tuned) return 'tuned';
  if (process.platform !== 'linux') return 'unsupported';
  try {
    const { symbols } = dlopen('libc.so.6', { mallopt: { args: ['i32', 'i32'], returns: 'i32' } });
    tuned = symbols.mallopt(M_MXFAST, 0) === 1;
    if (tuned && !(env.GLIBC_TUNABLES ?? '').includes('malloc.trim_threshold')) symbols.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES);
  } catch {
    // No libc.so.6 (musl): its allocator is another one.
  }
  return tuned ? 'tuned' : 'unsupported';
}
