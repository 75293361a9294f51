import { createRateLimitMetrics } from '../shared/auth/rate-limit.ts';
import { LATENCY_BUCKETS, Registry } from '../shared/telemetry/metrics.ts';

/** Edge metrics; label values come from fixed sets (route patterns, status codes, error codes). */
export function createEdgeMetrics() {
  const registry = new Registry();
  return {
    registry,
    requests: registry.counter('edge_requests_total', 'HTTP requests by route pattern and status.', ['route', 'status']),
    events: registry.counter('edge_events_total', 'Events by outcome (accepted, rejected, lost_after_ack: answered with ?ack=queued, then not delivered) and code.', ['outcome', 'code']),
    produceLatency: registry.histogram('edge_produce_latency_seconds', 'Time from produce to acknowledgement, per request.', ['ack'], LATENCY_BUCKETS),
    queueDepth: registry.gauge('edge_producer_queue_depth_messages', 'Messages waiting in the producer queue.'),
    authRefusals: registry.counter(
      'edge_auth_refusals_total',
      'Ingestion requests refused for their API key, by code (missing_credentials, invalid_credentials, insufficient_scope, auth_unavailable, rate_limited, batch_exceeds_burst, rate_limit_unavailable).',
      ['code'],
    ),
    rateLimit: createRateLimitMetrics(registry, 'edge'),
  };
}
export type EdgeMetrics = ReturnType<typeof createEdgeMetrics>;
