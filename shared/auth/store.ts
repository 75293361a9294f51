import type { Sql } from 'postgres';
import { uuidv7 } from '../contracts/uuid.ts';
import { checkedSchema as checked, runMigrations, type Migration } from '../stores/migrate.ts';
import { KeyError } from './errors.ts';
import { generateSecret, hashSecret, type ApiKey, type KeySpec, type Scope } from './keys.ts';

/**
 * API keys in Postgres. Only the HMAC of each secret is stored (keys.ts); the secret itself exists once, in
 * createKey's answer. Callers check new keys with parseKeySpec first.
 */

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create_api_keys',
    statements: (s) => [
      `create table if not exists ${s}.api_keys (
        id text primary key,
        name text not null unique,
        hash text not null unique,
        scopes text[] not null check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read', 'admin']),
        source text,
        rate double precision check (rate > 0),
        burst integer check (burst >= 1),
        created_at timestamptz not null default now(),
        revoked_at timestamptz,
        check ((rate is null) = (burst is null))
      )`,
    ],
  },
];

/** Versioned and idempotent (shared/stores/migrate.ts), with its own bookkeeping table beside the other components'. */
export function migrateKeys(sql: Sql, schema: string): Promise<number[]> {
  return runMigrations(sql, { schema, table: 'api_key_migrations', lockName: 'api_keys', migrations: MIGRATIONS });
}

interface KeyRow {
  id: string;
  name: string;
  scopes: Scope[];
  source: string | null;
  rate: number | null;
  burst: number | null;
  created_at: Date;
  revoked_at: Date | null;
}

// Never `hash`: nothing read from this module can be used to look a key up offline.
const COLUMNS = 'id, name, scopes, source, rate, burst, created_at, revoked_at';
const fromRow = (r: KeyRow): ApiKey => ({
  id: r.id, name: r.name, scopes: r.scopes, source: r.source, rate: r.rate, burst: r.burst, createdAt: r.created_at, revokedAt: r.revoked_at,
});

/** Stores a new key and returns it with its secret, which is not kept anywhere and cannot be shown again. */
export async function createKey(sql: Sql, schema: string, spec: KeySpec, hashKey: string): Promise<{ key: ApiKey; secret: string }> {
  const secret = generateSecret(spec.scopes);
  const [row] = await sql.unsafe<KeyRow[]>(
    `insert into ${checked(schema)}.api_keys (id, name, hash, scopes, source, rate, burst) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (name) do nothing returning ${COLUMNS}`,
    [uuidv7(), spec.name, hashSecret(secret, hashKey), spec.scopes as string[], spec.source, spec.rate, spec.burst],
  );
  if (!row) throw new KeyError('key_exists', 'name', `a key named ${JSON.stringify(spec.name)} already exists`);
  return { key: fromRow(row), secret };
}

/** Every key, revoked ones included, oldest first; never a secret or its hash. */
export async function listKeys(sql: Sql, schema: string): Promise<ApiKey[]> {
  const rows = await sql.unsafe<KeyRow[]>(`select ${COLUMNS} from ${checked(schema)}.api_keys order by created_at, name`);
  return rows.map(fromRow);
}

/** Marks the key revoked; revoking it again keeps the first revocation time. An unknown name is `unknown_key`. */
export async function revokeKey(sql: Sql, schema: string, name: string): Promise<ApiKey> {
  const [row] = await sql.unsafe<KeyRow[]>(
    `update ${checked(schema)}.api_keys set revoked_at = coalesce(revoked_at, now()) where name = $1 returning ${COLUMNS}`,
    [name],
  );
  if (!row) throw new KeyError('unknown_key', 'name', `no key is named ${JSON.stringify(name)}`);
  return fromRow(row);
}

/** The key whose secret hashes to `hash` (revoked or not), or null. */
export async function findByHash(sql: Sql, schema: string, hash: string): Promise<ApiKey | null> {
  const [row] = await sql.unsafe<KeyRow[]>(`select ${COLUMNS} from ${checked(schema)}.api_keys where hash = $1`, [hash]);
  return row ? fromRow(row) : null;
}
