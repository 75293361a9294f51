/**
 * Test helpers: a run with its own search-node prefix/alias, Postgres schema, Redis key prefix and dead-letter topic,
 * seeded with the real sinks (what the workers write), and removed afterwards. Never touches other runs' data.
 */
import { Client } from '@elastic/elasticsearch';
import { FetchConnection } from '../shared/stores/es-connection.ts';
import postgres from 'postgres';
import Redis from 'ioredis';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import type { StampedEvent } from '../shared/contracts/index.ts';
import { createAdmin, createProducer, type ConsumedMessage } from '../shared/kafka/index.ts';
import { deadLetterRecord } from '../shared/stores/dead-letter.ts';
import type { Stage } from '../workers/dlq.ts';
import { createElasticsearchSink, elasticsearchConfig, templateNameOf } from '../workers/sinks/elasticsearch/index.ts';
import { createPostgresSink, postgresSinkConfig } from '../workers/sinks/postgres/index.ts';
import { createRedisSink } from '../workers/sinks/redis/index.ts';
import type { Sink } from '../workers/sinks/types.ts';
import type { AuthConfig } from '../shared/auth/config.ts';
import { parseKeySpec, type Scope } from '../shared/auth/keys.ts';
import { createKey, migrateKeys } from '../shared/auth/store.ts';
import type { QueryConfig } from './config.ts';
import type { ClientInfo } from './plugins/use-subscription-cap.ts';
import { deleteKeys } from '../shared/stores/redis-scan.ts';

export const connections = loadConfig(connectionsConfig);

export interface Run {
  readonly esPrefix: string;
  readonly pgSchema: string;
  readonly redisPrefix: string;
  readonly dlqTopic: string;
  /** The gateway settings that point at this run's data. */
  readonly config: Partial<QueryConfig>;
  /** AUTH on, keys in this run's schema under a hash key of its own: pass as the gateway's `auth` option. */
  readonly auth: Partial<AuthConfig>;
  /** Secrets of keys in this run's schema, created on first call: read (read), admin (read, admin), ingest (ingest). */
  keys(): Promise<RunKeys>;
  /** `fetch` with this run's key of that name sent as a Bearer token, unless the request carries an Authorization already. */
  as(key: keyof RunKeys, fetch: (request: Request, client: ClientInfo) => Response | PromiseLike<Response>): (request: Request, client?: ClientInfo) => Promise<Response>;
  readonly sinks: { readonly elasticsearch: Sink; readonly postgres: Sink; readonly redis: Sink };
  /** Writes through all three sinks (as a worker does) and makes the search node's copy searchable. */
  write(events: readonly StampedEvent[], only?: ReadonlyArray<keyof Run['sinks']>): Promise<void>;
  /** Produces dead-letter records the way the workers do (shared/stores/dead-letter.ts). */
  deadLetter(letters: ReadonlyArray<{ event: StampedEvent | string; stage: Stage; reason: string; detail?: string; maxValueBytes?: number }>): Promise<void>;
  cleanup(): Promise<void>;
}

export interface RunKeys {
  readonly read: string;
  readonly admin: string;
  readonly ingest: string;
}

const RUN_KEYS: Record<keyof RunKeys, Scope[]> = { read: ['read'], admin: ['read', 'admin'], ingest: ['ingest'] };

/** Stores keys named after RUN_KEYS in `schema` (hashed with `hashKey`) and returns their secrets. */
async function createRunKeys(schema: string, hashKey: string): Promise<RunKeys> {
  const sql = postgres(connections.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await migrateKeys(sql, schema);
    const secrets: Partial<Record<keyof RunKeys, string>> = {};
    for (const [name, scopes] of Object.entries(RUN_KEYS) as Array<[keyof RunKeys, Scope[]]>) {
      secrets[name] = (await createKey(sql, schema, parseKeySpec({ name: `test-${name}`, scopes }), hashKey)).secret;
    }
    return secrets as RunKeys;
  } finally {
    await sql.end();
  }
}

export function createRun(): Run {
  const id = crypto.randomUUID().replaceAll('-', '').slice(0, 12);
  const esPrefix = `test_query_${id}`;
  const pgSchema = `test_query_${id}`;
  const redisPrefix = `test:query:${id}:`;
  const dlqTopic = `query-test-dlq-${id}`;
  const es = new Client({ node: connections.elasticsearchUrl, Connection: FetchConnection });
  const sinks = {
    elasticsearch: createElasticsearchSink({ config: loadConfig(elasticsearchConfig, {}, { indexPrefix: esPrefix, alias: esPrefix }) }),
    postgres: createPostgresSink({ config: loadConfig(postgresSinkConfig, {}, { schema: pgSchema, maxConnections: 2, partitionsAhead: 1 }) }),
    redis: createRedisSink({ config: { keyPrefix: redisPrefix } }),
  };
  let topicCreated = false;
  const auth: Partial<AuthConfig> = { mode: 'on', pgSchema, hashKey: `test-hash-key-${id}-${crypto.randomUUID()}` };
  let keys: Promise<RunKeys> | undefined;
  const runKeys = () => (keys ??= createRunKeys(pgSchema, auth.hashKey!));
  function as(name: keyof RunKeys, fetch: (request: Request, client: ClientInfo) => Response | PromiseLike<Response>) {
    return async (request: Request, client: ClientInfo = {}): Promise<Response> => {
      if (!request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${(await runKeys())[name]}`);
      return fetch(request, client);
    };
  }

  async function write(events: readonly StampedEvent[], only = ['elasticsearch', 'postgres', 'redis'] as const) {
    for (const name of only) {
      const outcomes = await sinks[name].write(events);
      const failed = outcomes.filter((o) => o.type !== 'ok');
      if (failed.length > 0) throw new Error(`${name} sink refused events: ${JSON.stringify(failed)}`);
    }
    if (only.includes('elasticsearch')) await es.indices.refresh({ index: `${esPrefix}-*` });
  }

  async function deadLetter(letters: Parameters<Run['deadLetter']>[0]) {
    if (!topicCreated) {
      const admin = createAdmin({ brokers: connections.kafkaBrokers });
      await admin.createTopics([{ name: dlqTopic, partitions: 1 }]);
      await admin.close();
      topicCreated = true;
    }
    const producer = createProducer({ brokers: connections.kafkaBrokers });
    try {
      await Promise.all(
        letters.map((letter, i) => {
          const value = typeof letter.event === 'string' ? letter.event : JSON.stringify(letter.event);
          const key = typeof letter.event === 'string' ? null : letter.event.key;
          const message: ConsumedMessage = {
            topic: 'events', partition: 0, offset: BigInt(100 + i), key: key === null ? null : new TextEncoder().encode(key),
            value: new TextEncoder().encode(value), headers: [], timestamp: Date.now(), timestampType: 'create',
          };
          const eventId = typeof letter.event === 'string' ? undefined : letter.event.id;
          return producer.produce(
            deadLetterRecord(
              dlqTopic,
              { message, stage: letter.stage, reason: letter.reason, detail: letter.detail ?? '', attempts: 1, ...(eventId && { eventId }) },
              { maxValueBytes: letter.maxValueBytes },
            ),
          );
        }),
      );
    } finally {
      await producer.close();
    }
  }

  async function cleanup() {
    await keys?.catch(() => undefined);
    await Promise.allSettled(Object.values(sinks).map((sink) => sink.close()));
    const { indices } = await es.indices.resolveIndex({ name: `${esPrefix}-*` });
    if (indices.length > 0) await es.indices.delete({ index: indices.map((i) => i.name) });
    await es.indices.deleteIndexTemplate({ name: templateNameOf(esPrefix) }, { ignore: [404] });
    await es.close();
    const sql = postgres(connections.databaseUrl, { max: 1, onnotice: () => {} });
    await sql.unsafe(`drop schema if exists ${pgSchema} cascade`);
    await sql.end();
    const redis = new Redis(connections.redisUrl);
    await deleteKeys(redis, `${redisPrefix}*`);
    redis.disconnect();
    if (topicCreated) {
      const admin = createAdmin({ brokers: connections.kafkaBrokers });
      await admin.deleteTopics([dlqTopic]).catch(() => undefined);
      await admin.close();
    }
  }

  return {
    esPrefix,
    pgSchema,
    redisPrefix,
    dlqTopic,
    // No result cache: tests read right after they write (the cache has its own tests in cache.test.ts).
    config: { esAlias: esPrefix, pgSchema, redisPrefix, dlqTopic, cacheTtlMs: 0 },
    auth,
    keys: runKeys,
    as,
    sinks,
    write,
    deadLetter,
    cleanup,
  };
}

/** Polls until `check` is truthy (stores and consumers catch up asynchronously); throws with `what` on timeout. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

export interface GraphQLAnswer<D = Record<string, unknown>> {
  readonly status: number;
  readonly data?: D | null;
  readonly errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

/** POSTs an operation to a yoga-like fetch handler and returns the status with the parsed body. */
export async function graphql<D = Record<string, any>>(
  fetch: (request: Request) => Response | Promise<Response>,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLAnswer<D>> {
  const response = await fetch(
    new Request('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    }),
  );
  const body = (await response.json()) as Omit<GraphQLAnswer<D>, 'status'>;
  return { status: response.status, ...body };
}
