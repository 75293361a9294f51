/**
 * Test helpers: an isolated run (shared/testing/isolation.ts) with its own index prefix and alias, Postgres schema,
 * Redis key prefix, dead-letter topic and API keys, seeded by the workers' own entry point (`bun workers/seed.ts`, so
 * the stores hold exactly what the workers write), and removed afterwards. Never touches other runs' data.
 */
import { join } from 'node:path';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import type { StampedEvent } from '../shared/contracts/index.ts';
import { createAdmin, createProducer, type ConsumedMessage } from '../shared/kafka/index.ts';
import { deadLetterRecord, type DeadLetter } from '../shared/stores/dead-letter.ts';
import type { AuthConfig } from '../shared/auth/config.ts';
import { createIsolatedKeys, isolatedStoresEnv, isolation, isolationId, removeIsolated } from '../shared/testing/isolation.ts';
import { createTopic } from '../shared/testing/topics.ts';
import type { QueryConfig } from './config.ts';
import type { ClientInfo } from './plugins/use-subscription-cap.ts';

export { eventually } from '../shared/testing/wait.ts';

export const connections = loadConfig(connectionsConfig);

const ROOT = join(import.meta.dir, '..');

/** The stores the workers write, by the names WORKERS_SINKS takes. */
export type StoreName = 'elasticsearch' | 'postgres' | 'redis';

export interface Run {
  readonly id: string;
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
  /**
   * Writes through the workers' sinks (all three, or `only`) with `bun workers/seed.ts` and makes the search node's
   * copy searchable; `env` overrides the seeding process's settings (e.g. SINK_REDIS_MAX_TYPES).
   */
  write(events: readonly StampedEvent[], only?: readonly StoreName[], env?: Record<string, string>): Promise<void>;
  /** Produces dead-letter records the way the workers do (shared/stores/dead-letter.ts). */
  deadLetter(letters: ReadonlyArray<{ event: StampedEvent | string; stage: DeadLetter['stage']; reason: string; detail?: string; maxValueBytes?: number }>): Promise<void>;
  cleanup(): Promise<void>;
}

export interface RunKeys {
  readonly read: string;
  readonly admin: string;
  readonly ingest: string;
}

const RUN_KEYS = { read: 'read', admin: 'read,admin', ingest: 'ingest' } satisfies Record<keyof RunKeys, string>;

/** Runs `bun workers/seed.ts` with the run's environment, `events` as NDJSON on its stdin; throws with its output if it fails. */
export async function seedStores(env: Record<string, string>, events: readonly StampedEvent[]): Promise<void> {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'workers/seed.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdin: new Blob([events.map((e) => `${JSON.stringify(e)}\n`).join('')]),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`workers/seed.ts exited with ${code}: ${out}${err}`);
}

export function createRun(): Run {
  const names = isolation(isolationId('query'));
  const { id, esPrefix, pgSchema, redisPrefix, dlqTopic } = names;
  let topicCreated = false;
  const auth: Partial<AuthConfig> = { mode: 'on', pgSchema, hashKey: names.hashKey, rateLimitPrefix: names.rateLimitPrefix };
  let keys: Promise<RunKeys> | undefined;
  const runKeys = () => (keys ??= createIsolatedKeys(id, RUN_KEYS));
  function as(name: keyof RunKeys, fetch: (request: Request, client: ClientInfo) => Response | PromiseLike<Response>) {
    return async (request: Request, client: ClientInfo = {}): Promise<Response> => {
      if (!request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${(await runKeys())[name]}`);
      return fetch(request, client);
    };
  }

  async function write(events: readonly StampedEvent[], only: readonly StoreName[] = ['elasticsearch', 'postgres', 'redis'], env: Record<string, string> = {}) {
    // One Postgres partition ahead is enough for events of today; the seeding process is short-lived.
    await seedStores({ ...isolatedStoresEnv(id), WORKERS_SINKS: only.join(','), SINK_PG_MAX_CONNECTIONS: '2', SINK_PG_PARTITIONS_AHEAD: '1', ...env }, events);
  }

  async function deadLetter(letters: Parameters<Run['deadLetter']>[0]) {
    if (!topicCreated) {
      const admin = createAdmin({ brokers: connections.kafkaBrokers });
      await createTopic(admin, dlqTopic, 1).finally(() => admin.close());
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
    await removeIsolated(id);
  }

  return {
    id,
    esPrefix,
    pgSchema,
    redisPrefix,
    dlqTopic,
    // No result cache: tests read right after they write (the cache has its own tests in cache.test.ts).
    config: { esAlias: names.esAlias, pgSchema, redisPrefix, dlqTopic, cacheTtlMs: 0 },
    auth,
    keys: runKeys,
    as,
    write,
    deadLetter,
    cleanup,
  };
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
