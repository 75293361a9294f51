import { createSchema, createYoga, type YogaServerInstance } from 'graphql-yoga';
import { loadConfig } from '../shared/config/index.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { queryConfig, type QueryConfig } from './config.ts';
import { createTtlCache, type TtlCache } from './cache.ts';
import { createContext, type GatewayContext } from './context.ts';
import { createDeadLetterReader, type DeadLetterReader } from './dlq/reader.ts';
import { createQueryMetrics, type QueryMetrics } from './metrics.ts';
import { maskedErrors } from './plugins/mask-errors.ts';
import { useCors } from './plugins/use-cors.ts';
import { useDocumentLimits } from './plugins/use-document-limits.ts';
import { useHealth } from './plugins/use-health.ts';
import { useLimits } from './plugins/use-limits.ts';
import { useMetrics } from './plugins/use-metrics.ts';
import { useReadiness } from './plugins/use-readiness.ts';
import { createSubscriptionCap, type ClientInfo, type SubscriptionCap } from './plugins/use-subscription-cap.ts';
import { resolvers } from './resolvers/index.ts';
import { typeDefs } from './schema/index.ts';
import { closeStores, createStores, type StoreUrls, type Stores } from './stores.ts';

export interface GatewayOptions {
  /** Overrides of the QUERY_* settings, validated like the environment's. */
  readonly config?: Partial<QueryConfig>;
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
  readonly stores: Stores;
  readonly metrics: QueryMetrics;
  readonly dlq: DeadLetterReader | undefined;
  /** Aggregations and liveStats shared across requests for QUERY_CACHE_TTL_MS. */
  readonly cache: TtlCache;
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
 * every answer, metrics time what is left; document limits refuse abusive documents while parsing and before
 * validation, the cost limit before a resolver runs, and the subscription cap before a stream opens. Unexpected
 * errors are masked (mask-errors.ts); GraphiQL is served on GET /graphql.
 */
export function createGateway({
  env = process.env,
  config: overrides = {},
  urls = {},
  stores: given = {},
  kafkaBrokers,
  dlq: givenDlq,
  metrics = createQueryMetrics(),
  draining = () => false,
  log = console.error,
}: GatewayOptions = {}): Gateway {
  const config = loadConfig(queryConfig, env, overrides);
  const connections = loadConfig(connectionsConfig, env);
  const { stores, created } = createStores(
    { urls: { ...connections, ...urls }, timeoutMs: config.storeTimeoutMs, pgMaxConnections: config.pgMaxConnections },
    given,
  );
  const dlq = givenDlq === false ? undefined : (givenDlq ?? startDlq(config, kafkaBrokers ?? connections.kafkaBrokers, log));
  const cache = createTtlCache({ ttlMs: config.cacheTtlMs });
  const rejected = (code: string) => metrics.operations.inc({ operation: 'any', outcome: code });
  const subscriptions = createSubscriptionCap({ maxTotal: config.maxSubscriptions, maxPerClient: config.maxSubscriptionsPerClient, onReject: rejected });

  const yoga = createYoga<ClientInfo, GatewayContext>({
    schema: createSchema<GatewayContext>({ typeDefs, resolvers }),
    graphqlEndpoint: '/graphql',
    graphiql: { title: 'Event Lens', defaultQuery: '{\n  liveStats { total eventsPerSecond byType { value count } }\n}\n' },
    landingPage: false,
    cors: false,
    maskedErrors: maskedErrors({ log }),
    // Masked errors are logged once, with their incident id, by maskedErrors; yoga would log them a second time.
    logging: { debug: () => {}, info: () => {}, warn: log, error: () => {} },
    context: () => createContext({ stores, config, metrics, dlq, cache }),
    plugins: [
      useHealth(),
      useReadiness({ stores, timeoutMs: config.readyTimeoutMs, draining }),
      useCors({ origin: config.corsOrigin }),
      useMetrics(metrics),
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
    await closeStores(created);
  }

  return { yoga, config, stores, metrics, dlq, cache, subscriptions, close };
}
