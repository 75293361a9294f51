import { authConfig } from '../../shared/auth/config.ts';
import { parseKeySpec, type KeySpecInput } from '../../shared/auth/keys.ts';
import { createKey } from '../../shared/auth/store.ts';
import { authFixture } from '../../shared/auth/testing.ts';
import { envNameOf } from '../../shared/config/index.ts';

/**
 * API keys for one bench run: a key store of the run's own (Postgres schema, Redis prefix for rate limits, a random
 * hash key) on the shared servers, so the benches measure the services with keys on, as they are deployed, without
 * touching anyone else's keys. `close()` drops the schema and the rate limit buckets.
 */
export interface BenchKeys {
  /** Every AUTH_* setting of the store (and DATABASE_URL), for the edge and gateway processes a bench starts. */
  readonly env: Record<string, string>;
  /** Creates a key and returns its secret. */
  create(spec: KeySpecInput): Promise<string>;
  close(): Promise<void>;
}

export async function benchKeys(what: string): Promise<BenchKeys> {
  const fixture = await authFixture(what);
  const env: Record<string, string> = { ...fixture.env };
  for (const [name, value] of Object.entries(fixture.config)) env[envNameOf(authConfig, name)] = String(value);
  return {
    env,
    async create(spec) {
      const { secret } = await createKey(fixture.sql, fixture.id, parseKeySpec(spec), fixture.config.hashKey);
      return secret;
    },
    close: () => fixture.close(),
  };
}

/** The header a bench sends with every request to the edge or the gateway. */
export const bearer = (secret: string): Record<string, string> => ({ authorization: `Bearer ${secret}` });
