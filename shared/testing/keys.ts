import { authConfig } from '../auth/config.ts';
import { parseKeySpec, type ApiKey, type KeySpecInput } from '../auth/keys.ts';
import { createKey } from '../auth/store.ts';
import type { AuthFixture } from '../auth/testing.ts';
import { envNameOf } from '../config/index.ts';

/** A key made for a test, with the header value that sends it. */
export interface TestKey {
  key: ApiKey;
  secret: string;
  /** `Bearer <secret>`. */
  authorization: string;
}

/** Creates a key in the fixture's own schema, hashed with its own hash key. */
export async function createTestKey(keys: AuthFixture, spec: KeySpecInput): Promise<TestKey> {
  const { key, secret } = await createKey(keys.sql, keys.id, parseKeySpec(spec), keys.config.hashKey);
  return { key, secret, authorization: `Bearer ${secret}` };
}

/** A key store's settings (every AUTH_* variable) as environment variables, for a process started on it. */
export function keyStoreEnv(keys: AuthFixture): Record<string, string> {
  const env: Record<string, string> = { ...keys.env };
  for (const [name, value] of Object.entries(keys.config)) env[envNameOf(authConfig, name)] = String(value);
  return env;
}
