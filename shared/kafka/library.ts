import { existsSync } from 'node:fs';
import { kafkaClientSettings } from './settings.ts';

/** Where librdkafka is usually installed, searched after RDKAFKA_LIB; infra/librdkafka.ts installs into the first. */
export const LIBRDKAFKA_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/librdkafka.so.1',
  '/usr/lib/aarch64-linux-gnu/librdkafka.so.1',
  '/usr/lib/librdkafka.so.1',
  '/usr/local/lib/librdkafka.so.1',
  '/opt/homebrew/lib/librdkafka.dylib',
  '/usr/local/lib/librdkafka.dylib',
] as const;

export class LibraryNotFoundError extends Error {
  override readonly name = 'LibraryNotFoundError';
  constructor(readonly searched: readonly string[], detail: string) {
    super(
      `librdkafka not found (${detail}). Install it: sudo apt-get install -y librdkafka1 (Debian/Ubuntu) ` +
        `or brew install librdkafka (macOS), or set RDKAFKA_LIB to the library path. Searched: ${searched.join(', ')}`,
    );
  }
}

/**
 * An explicit path (option or RDKAFKA_LIB) is authoritative: falling back to another copy would hide a typo and
 * load a different version than the operator asked for.
 */
export function resolveLibrdkafka(
  explicit?: string,
  env: Record<string, string | undefined> = process.env,
): string {
  const wanted = explicit ?? (kafkaClientSettings(env).lib || undefined);
  if (wanted) {
    if (existsSync(wanted)) return wanted;
    throw new LibraryNotFoundError([wanted], `${explicit ? 'libraryPath' : 'RDKAFKA_LIB'}=${wanted} does not exist`);
  }
  const found = LIBRDKAFKA_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new LibraryNotFoundError(LIBRDKAFKA_CANDIDATES, 'no candidate path exists');
  return found;
}
