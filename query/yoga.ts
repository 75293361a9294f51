import { createSchema, createYoga, type YogaServerInstance } from 'graphql-yoga';
import { authConfig, type AuthConfig } from '../shared/auth/config.ts';
import { loadConfig } from '../shared/config/index.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { queryConfig, type QueryConfig } from './config.ts';
import { createAccess, type Access } from './auth/access.ts';
import { createGatewayKeys, type GatewayKeys } from './auth/keys.ts';
import { createTtlCache, type TtlCache } from './cache.ts';
import { createContext, type GatewayContext } from './context.ts';
import { createGraphiQLRenderer } from './graphiql.ts';
import { createDeadLetterReader, type DeadLetterReader } from './dlq/reader.ts';
import { createQueryMetrics, type QueryMetrics } from './metrics.ts';
import { maskedErrors } from './plugins/mask-errors.ts';
import { createParseCaches, type ParseCaches } from './parse-cache.ts';
import { useAuth } from './plugins/use-auth.ts';
import { createCors, useCors, type Cors } from './plugins/use-cors.ts';
import { useDocumentLimits } from './plugins/use-document-limits.ts';
import { useHealth } from './plugins/use-health.ts';
import { useLimits } from './plugins/use-limits.ts';
import { useMetrics } from './plugins/use-metrics.ts';
import { useReadiness } from './plugins/use-readiness.ts';
import { createSubscriptionCap, type ClientInfo, type SubscriptionCap } from './plugins/use-subscription-cap.ts';
import { createKafkaReader, type KafkaReader } from './kafka/reader.ts';
import { resolvers } from './resolvers/index.ts';
import { typeDefs } from './schema/index.ts';
import { closeStores, createStores, type StoreUrls, type Stores } from './stores.ts';

/** What GraphiQL's Headers tab shows until a key is pasted over it (ASCII: browsers refuse other header bytes). */
export const GRAPHIQL_KEY_PLACEHOLDER = 'PASTE_A_READ_KEY_HERE';

export interface GatewayOptions {
  /** Overrides of the QUERY_* settings, validated like the environment's. */
  readonly config?: Partial<QueryConfig>;
  /** Overrides of the AUTH_* settings (shared/auth/config.ts), validated like the environment's. */
  readonly auth?: Partial<AuthConfig>;
  readonly env?: Record<string, string | undefined>;
  /** Store addresses; default to the connections config (ELASTICSEARCH_URL, DATABASE_URL, REDIS_URL). */
  readonly urls?: Partial<StoreUrls>;
  /** Clients to use instead of creating them; the gateway closes only the ones it created. */
  readonly stores?: Partial<Stores>;
  readonly kafkaBrokers?: string;
  /** A dead-letter reader to use; `false` for none. By default one is started on QUERY_DLQ_TOPIC when dlqEnabled. */
  readonly dlq?: DeadLetterReader | false;
  readonly metrics?: QueryMetrics;
  readonly draining?: () => boolean;
  readonly log?: (...args: unknown[]) => void;
}

export interface Gateway {
  /** yoga.fetch(request, { clientAddress }) tells it who the client is (use-subscription-cap.ts). */
  readonly yoga: YogaServerInstance<ClientInfo, GatewayContext>;
  readonly config: QueryConfig;
  readonly auth: AuthConfig;
  /** Who may call what (auth/access.ts), shared by the REST router and GraphQL. */
  readonly access: Access;
  readonly keys: GatewayKeys;
  readonly cors: Cors;
  /** yoga's parsed-document and parse-error caches, bounded (parse-cache.ts). */
  readonly parseCaches: ParseCaches;
  readonly stores: Stores;
  readonly metrics: QueryMetrics;
  readonly dlq: DeadLetterReader | undefined;
  /** Aggregations and liveStats shared across requests for QUERY_CACHE_TTL_MS. */
  readonly cache: TtlCache;
  /** The process the health and delivery fields' Kafka reads run in, started with the first (kafka/reader.ts). */
  readonly kafka: KafkaReader;
  /** Subscriptions open now (QUERY_MAX_SUBSCRIPTIONS, QUERY_MAX_SUBSCRIPTIONS_PER_CLIENT). */
  readonly subscriptions: SubscriptionCap;
  close(): Promise<void>;
}

function startDlq(config: QueryConfig, brokers: string, log: (...args: unknown[]) => void): DeadLetterReader | undefined {
  if (!config.dlqEnabled) return undefined;
  try {
    return createDeadLetterReader({ brokers, topic: config.dlqTopic, capacity: config.dlqBuffer, maxBytes: config.dlqRingMaxBytes });
  } catch (error) {
    // No librdkafka, or a bad broker list: the rest of the API is still worth serving; deadLetters says kafka is down.
    log('query: dead-letter reader did not start', error);
    return undefined;
  }
}

/**
 * The GraphQL gateway. Plugins run in list order: health and readiness answer before anything else, CORS wraps
 * every answer, metrics time what is left; the key is checked before parsing and its scopes before execution
 * (use-auth.ts), so a refused operation runs nothing and holds no subscription slot; document limits refuse abusive documents while parsing and before
 * validation, the cost limit before a resolver runs, and the subscription cap before a stream opens. Unexpected
 * errors are masked (mask-errors.ts); GraphiQL is served on GET /graphql.
 */
export function createGateway({
  env = process.env,
  config: overrides = {},
  auth: authOverrides = {},
  urls = {},
  stores: given = {},
  kafkaBrokers,
  dlq: givenDlq,
  metrics = createQueryMetrics(),
  draining = () => false,
  log = console.error,
}: GatewayOptions = {}): Gateway {
  const config = loadConfig(queryConfig, env, overrides);
  const auth = loadConfig(authConfig, env, authOverrides);
  const connections = loadConfig(connectionsConfig, env);
  const { stores, created } = createStores(
    { urls: { ...connections, ...urls }, timeoutMs: config.storeTimeoutMs, pgMaxConnections: config.pgMaxConnections },
    given,
  );
  const dlq = givenDlq === false ? undefined : (givenDlq ?? startDlq(config, kafkaBrokers ?? connections.kafkaBrokers, log));
  const cache = createTtlCache({ ttlMs: config.cacheTtlMs });
  // Started with the first health or delivery read, not here: most gateways in tests never make one.
  const kafka = createKafkaReader({ brokers: kafkaBrokers ?? connections.kafkaBrokers, log, onEnd: (reason) => metrics.kafkaReaderEnds.inc({ reason }) });
  const rejected = (code: string) => metrics.operations.inc({ operation: 'any', outcome: code });
  const subscriptions = createSubscriptionCap({ maxTotal: config.maxSubscriptions, maxPerClient: config.maxSubscriptionsPerClient, onReject: rejected });
  const refused = (code: string) => metrics.refused.inc({ code });
  const keys = createGatewayKeys({ sql: stores.sql, auth });
  const access = createAccess({ mode: auth.mode, verify: keys.verify, retryAfterSeconds: Math.max(1, Math.ceil(auth.lookupTimeoutMs / 1000)), onRefuse: refused });
  const cors = createCors({ origins: config.corsOrigins, onRefuse: () => refused('origin_not_allowed') });
  const parseCaches = createParseCaches({ maxEntries: config.parseCacheMaxEntries, maxDocumentChars: config.parseCacheMaxDocumentChars });

  const yoga = createYoga<ClientInfo, GatewayContext>({
    schema: createSchema<GatewayContext>({ typeDefs, resolvers }),
    graphqlEndpoint: '/graphql',
    graphiql: {
      title: 'Event Lens',
      defaultQuery: '{\n  liveStats { total eventsPerSecond byType { value count } }\n}\n',
      // The page itself needs no key; its requests do. Without a key in the address or the tab (graphiql.ts), the
      // Headers tab opens with the header to fill in; what is typed there is not persisted (localStorage outlives the tab).
      headers: JSON.stringify({ Authorization: `Bearer ${GRAPHIQL_KEY_PLACEHOLDER}` }, null, 2),
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
    },
    // Served from node_modules, every asset inlined: yoga's default page loads them from unpkg.
    renderGraphiQL: createGraphiQLRenderer(),
    landingPage: false,
    cors: false,
    parserAndValidationCache: { ...parseCaches, validationCache: true },
    maskedErrors: maskedErrors({ log }),
    // Masked errors are logged once, with their incident id, by maskedErrors; yoga would log them a second time.
    logging: { debug: () => {}, info: () => {}, warn: log, error: () => {} },
    context: () => createContext({ stores, config, metrics, dlq, keys, kafka, cache }),
    plugins: [
      useHealth(),
      useReadiness({ stores, timeoutMs: config.readyTimeoutMs, draining }),
      useCors(cors),
      useMetrics(metrics),
      useAuth({ access, onUnsupported: () => refused('unsupported_media_type') }),
      useDocumentLimits({ maxTokens: config.maxTokens, maxAliases: config.maxAliases, maxDirectives: config.maxDirectives, maxDepth: config.maxDepth, onReject: rejected }),
      useLimits({
        maxCost: config.maxCost,
        maxSearchChars: config.maxSearchChars,
        maxArgumentChars: config.maxArgumentChars,
        maxArgumentItems: config.maxArgumentItems,
        onReject: rejected,
      }),
      subscriptions.plugin,
    ],
  });

  async function close(): Promise<void> {
    // The reader only if this gateway started it, and only the clients it created: the rest are the caller's.
    if (givenDlq === undefined) await dlq?.close();
    await kafka.close();
    await closeStores(created);
  }

  return { yoga, config, auth, access, keys, cors, parseCaches, stores, metrics, dlq, cache, kafka, subscriptions, close };
}
