import { existsSync } from 'node:fs';
import { LIBRDKAFKA_CANDIDATES } from '../shared/kafka/library.ts';
import { kafkaClientSettings } from '../shared/kafka/settings.ts';
import { aptInstall, canApt, type StackContext } from './service.ts';

export function findLibrdkafka(env: Record<string, string | undefined> = process.env): string | undefined {
  const { lib } = kafkaClientSettings(env);
  if (lib) return existsSync(lib) ? lib : undefined;
  return LIBRDKAFKA_CANDIDATES.find((p) => existsSync(p));
}

/** The Kafka client binds librdkafka through bun:ffi, so the shared library must be on the machine. */
export async function ensureLibrdkafka(ctx: StackContext): Promise<string> {
  const found = findLibrdkafka();
  if (found) return found;
  const { lib } = kafkaClientSettings();
  if (lib) throw new Error(`RDKAFKA_LIB=${lib} does not exist`);
  if (!canApt()) {
    throw new Error('librdkafka not found. Install it: sudo apt-get install -y librdkafka1 (Debian/Ubuntu), brew install librdkafka (macOS), or set RDKAFKA_LIB to the library path');
  }
  await aptInstall(ctx, ['librdkafka1']);
  const installed = findLibrdkafka();
  if (!installed) throw new Error('librdkafka1 installed but librdkafka.so.1 not found; set RDKAFKA_LIB');
  return installed;
}
