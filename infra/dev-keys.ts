import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Sql } from 'postgres';
import * as v from 'valibot';
import type { AuthConfig } from '../shared/auth/config.ts';
import { hashSecret, SECRET_FORMAT, type Scope } from '../shared/auth/keys.ts';
import { createKey, findByHash, migrateKeys } from '../shared/auth/store.ts';

/**
 * The keys `npm start` prints: an ingest key for the edge and a read + admin key for the gateway and the dashboard.
 * They are ordinary keys in Postgres (listed and revoked with `npm run keys`); only their secrets are kept in a file
 * under the stack home, readable by its owner alone, so every run prints the same two lines. A secret that no longer
 * verifies (revoked, the schema wiped, another AUTH_HASH_KEY) is replaced by a new key.
 */
export interface DevKeys {
  /** Scope ingest, no source, no rate limit. */
  readonly ingest: string;
  /** Scopes read and admin. */
  readonly admin: string;
  /** Which of the two were made on this call. */
  readonly created: ReadonlyArray<'ingest' | 'admin'>;
}

export interface DevKeysOptions {
  readonly sql: Sql;
  readonly config: Pick<AuthConfig, 'hashKey' | 'pgSchema'>;
  /** `<stack home>/dev-keys.json`. */
  readonly file: string;
}

const KINDS = { ingest: ['ingest'], admin: ['read', 'admin'] } as const satisfies Record<string, readonly Scope[]>;
type Kind = keyof typeof KINDS;

const secret = v.pipe(v.string(), v.regex(SECRET_FORMAT));
const stored = v.object({ ingest: v.optional(secret), admin: v.optional(secret) });
// Two secrets take about 150 bytes; anything far larger is not this file.
const MAX_FILE_BYTES = 64 * 1024;

export async function ensureDevKeys({ sql, config, file }: DevKeysOptions): Promise<DevKeys> {
  await migrateKeys(sql, config.pgSchema);
  const saved = readSaved(file);
  const secrets: Partial<Record<Kind, string>> = {};
  const created: Kind[] = [];
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const old = saved[kind];
    if (old !== undefined && (await stillGood(sql, config, old, KINDS[kind]))) {
      secrets[kind] = old;
      continue;
    }
    // A fresh name each time: a revoked development key keeps its name in the table.
    const name = `dev-${kind}-${Date.now().toString(36)}${crypto.randomUUID().slice(0, 4)}`;
    const { secret: made } = await createKey(sql, config.pgSchema, { name, scopes: KINDS[kind], source: null, rate: null, burst: null }, config.hashKey);
    secrets[kind] = made;
    created.push(kind);
  }
  const keys = { ingest: secrets.ingest!, admin: secrets.admin! };
  if (created.length > 0) writeSaved(file, keys);
  return { ...keys, created };
}

function readSaved(file: string): v.InferOutput<typeof stored> {
  if (!existsSync(file) || statSync(file).size > MAX_FILE_BYTES) return {};
  try {
    const parsed = v.safeParse(stored, JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.output : {};
  } catch {
    return {};
  }
}

/** Written whole to a new file created 0600 and renamed over the old one, so the secrets are never readable by others. */
function writeSaved(file: string, keys: Record<Kind, string>): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

async function stillGood(sql: Sql, config: DevKeysOptions['config'], secretText: string, scopes: readonly Scope[]): Promise<boolean> {
  const key = await findByHash(sql, config.pgSchema, hashSecret(secretText, config.hashKey));
  return key !== null && key.revokedAt === null && scopes.every((s) => key.scopes.includes(s));
}
