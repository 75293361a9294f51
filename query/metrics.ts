import { COARSE_LATENCY_BUCKETS, Registry, type Counter, type Gauge, type Histogram } from '../shared/telemetry/metrics.ts';

export interface QueryMetrics {
  readonly registry: Registry;
  /** Every HTTP request, by route (a fixed set, see routeOf) and status. */
  readonly requests: Counter<'route' | 'status'>;
  readonly duration: Histogram<'route'>;
  /** GraphQL operations by type and outcome: ok, partial (data and errors), error (no data), rejected (limits). */
  readonly operations: Counter<'operation' | 'outcome'>;
  readonly storeErrors: Counter<'store'>;
  /** Requests refused before anything ran, by code (auth/access.ts, unsupported_media_type, origin_not_allowed). */
  readonly refused: Counter<'code'>;
  readonly dlqBuffered: Gauge;
  /** The Kafka reader process ending on its own (`exited`) or stopped for answering nothing (`stuck`); kafka/reader.ts. */
  readonly kafkaReaderEnds: Counter<'reason'>;
}

export function createQueryMetrics(registry = new Registry()): QueryMetrics {
  return {
    registry,
    requests: registry.counter('query_requests_total', 'HTTP requests answered by the gateway.', ['route', 'status']),
    duration: registry.histogram('query_request_duration_seconds', 'Time to answer an HTTP request.', ['route'], COARSE_LATENCY_BUCKETS),
    operations: registry.counter('query_graphql_operations_total', 'GraphQL operations executed.', ['operation', 'outcome']),
    storeErrors: registry.counter('query_store_unavailable_total', 'Store reads that failed because the store was down or slow.', ['store']),
    refused: registry.counter(
      'query_refused_requests_total',
      'Requests refused before anything ran, by code (missing_credentials, invalid_credentials, insufficient_scope, auth_unavailable, unsupported_media_type, origin_not_allowed).',
      ['code'],
    ),
    dlqBuffered: registry.gauge('query_dlq_buffered', 'Dead letters held in memory for the deadLetters query.'),
    kafkaReaderEnds: registry.counter(
      'query_kafka_reader_ends_total',
      'Times the process that reads Kafka for the health and delivery fields ended while the gateway ran, by reason (exited: on its own, as when librdkafka aborts it; stuck: stopped after answering nothing); the next read starts another.',
      ['reason'],
    ),
  };
}

const KNOWN_ROUTES = new Set(['/graphql', '/healthz', '/readyz', '/data', '/api/stats', '/api/metrics', '/metrics', '/analytics/events/count']);

/** A bounded label: the known paths as they are, parameterised ones by their pattern, anything else `unmatched`. */
export function routeOf(pathname: string): string {
  if (KNOWN_ROUTES.has(pathname)) return pathname;
  if (pathname.startsWith('/recent/')) return '/recent/:sensor_id';
  if (pathname === '/api/keys') return pathname;
  if (pathname.startsWith('/api/keys/')) return '/api/keys/:name';
  if (pathname === '/dashboard' || pathname.startsWith('/dashboard/')) return '/dashboard';
  return 'unmatched';
}
