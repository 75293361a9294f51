import type { Sql } from 'postgres';
import type { AuthConfig } from '../../shared/auth/config.ts';
import { parseKeySpec, type ApiKey, type KeySpecInput } from '../../shared/auth/keys.ts';
import { createKey, findByHash, listKeys, migrateKeys, revokeKey } from '../../shared/auth/store.ts';
import { createKeyVerifier, type KeyVerifier } from '../../shared/auth/verifier.ts';

/** The gateway's view of the api_keys table: verifying secrets, and the admin routes that manage keys. */
export interface GatewayKeys {
  readonly verify: KeyVerifier;
  list(): Promise<ApiKey[]>;
  /** Checks the fields (KeyError with code, path and index, as `npm run keys` reports them) and stores the key. */
  create(input: KeySpecInput): Promise<{ key: ApiKey; secret: string }>;
  revoke(name: string): Promise<ApiKey>;
}

/**
 * Over the gateway's own Postgres pool. The table is created on first use (idempotent, under the migrations' lock),
 * not at start, so a gateway started while Postgres is down still serves and answers auth_unavailable until it is back.
 */
export function createGatewayKeys({ sql, auth }: { sql: Sql; auth: AuthConfig }): GatewayKeys {
  let migrated: Promise<unknown> | undefined;
  function ready(): Promise<unknown> {
    migrated ??= migrateKeys(sql, auth.pgSchema).catch((error: unknown) => {
      migrated = undefined;
      throw error;
    });
    return migrated;
  }
  const verify = createKeyVerifier({
    sql,
    config: auth,
    lookup: async (client, schema, hash) => {
      await ready();
      return findByHash(client, schema, hash);
    },
  });
  return {
    verify,
    async list() {
      await ready();
      return listKeys(sql, auth.pgSchema);
    },
    async create(input) {
      const spec = parseKeySpec(input);
      await ready();
      return createKey(sql, auth.pgSchema, spec, auth.hashKey);
    },
    async revoke(name) {
      await ready();
      return revokeKey(sql, auth.pgSchema, name);
    },
  };
}
