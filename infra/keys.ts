import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { authConfig, usesDevelopmentHashKey, type AuthConfig } from '../shared/auth/config.ts';
import { KeyError } from '../shared/auth/errors.ts';
import { parseKeySpec, type ApiKey } from '../shared/auth/keys.ts';
import { createKey, listKeys, migrateKeys, revokeKey } from '../shared/auth/store.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { ConfigError, loadConfig } from '../shared/config/index.ts';

const USAGE = `usage: npm run -s keys -- <command>
  create --name NAME --scopes ingest[,read,admin] [--source S] [--rate N[/s]] [--burst N]
                    create a key; the secret is printed once, alone on the last line
  list              every key: name, scopes, source, rate, burst, created, revoked (never secrets)
  revoke NAME       refuse the key from now on (within AUTH_CACHE_TTL_MS on running services)

Keys live in Postgres (DATABASE_URL, schema AUTH_PG_SCHEMA), hashed with AUTH_HASH_KEY.
Exit codes: 0 done, 1 failed, 2 usage error.`;

/** A command line the user can fix: printed with the usage, exit code 2. */
class UsageError extends Error {}

const OPTIONS = {
  name: { type: 'string' },
  scopes: { type: 'string' },
  source: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const cell = (value: string | number | Date | null) => (value === null ? '-' : value instanceof Date ? value.toISOString().slice(0, 19) + 'Z' : String(value));

function table(keys: readonly ApiKey[]): string {
  const rows = [
    ['name', 'scopes', 'source', 'rate', 'burst', 'created', 'revoked'],
    ...keys.map((k) => [k.name, k.scopes.join(','), k.source, k.rate === null ? null : `${k.rate}/s`, k.burst, k.createdAt, k.revokedAt].map(cell)),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function run(command: string, args: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>, config: AuthConfig): Promise<void> {
  const { values, positionals } = args;
  if (command !== 'create' && command !== 'list' && command !== 'revoke') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const given = Object.keys(values).filter((option) => option !== 'help');
  if (command !== 'create' && given.length > 0) throw new UsageError(`${command} takes no --${given[0]}`);
  if (positionals.length !== (command === 'revoke' ? 2 : 1)) throw new UsageError(command === 'revoke' ? 'revoke needs exactly one key name' : `${command} takes no arguments`);
  if (command === 'create' && (values.name === undefined || values.scopes === undefined)) throw new UsageError('create needs --name and --scopes');
  // Checked before connecting, so a typo is a usage error even when Postgres is down.
  const spec = command === 'create' ? parseKeySpec({ name: values.name ?? '', scopes: values.scopes ?? '', source: values.source, rate: values.rate, burst: values.burst }) : null;
  // Only creating depends on the hash key: listing and revoking go by name.
  if (spec && usesDevelopmentHashKey(config)) console.error('warning: AUTH_HASH_KEY is not set; keys are hashed with the public development key and will not verify on services that set one');
  const sql = postgres(loadConfig(connectionsConfig).databaseUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await migrateKeys(sql, config.pgSchema);
    if (spec) {
      const { key, secret } = await createKey(sql, config.pgSchema, spec, config.hashKey);
      const limit = key.rate === null ? 'no rate limit' : `rate ${key.rate}/s, burst ${key.burst}`;
      console.log(`created key ${key.name}: scopes ${key.scopes.join(',')}, source ${key.source ?? 'any'}, ${limit}`);
      console.log('The secret is shown only this once; store it now:');
      console.log(secret);
    } else if (command === 'list') {
      console.log(table(await listKeys(sql, config.pgSchema)));
    } else {
      const key = await revokeKey(sql, config.pgSchema, positionals[1]!);
      console.log(`revoked key ${key.name} at ${cell(key.revokedAt)}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`error: ${(error as Error).message.split('\n')[0]} (--help shows the usage)`);
    return 2;
  }
  const command = args.positionals[0];
  if (args.values.help || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command === undefined) {
    console.error(USAGE);
    return 2;
  }
  try {
    await run(command, args, loadConfig(authConfig));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof KeyError) {
      console.error(`error: ${error.message} (${error.code})`);
      return error.status === 400 ? 2 : 1;
    }
    console.error(error instanceof ConfigError ? `error: ${error.message}` : `error: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
