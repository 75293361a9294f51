import { Client } from '@elastic/elasticsearch';
import { loadConfig } from '../../../shared/config/index.ts';
import { connectionsConfig } from '../../../shared/config/connections.ts';
import { FetchConnection } from '../../../shared/stores/es-connection.ts';
import type { StampedEvent } from '../../../shared/contracts/index.ts';
import type { Registry } from '../../../shared/telemetry/metrics.ts';
import type { Outcome } from '../../outcomes.ts';
import type { Sink } from '../types.ts';
import { elasticsearchConfig, type ElasticsearchConfig } from './config.ts';
import { decideRequestFailure, type SalvageReason } from './retry.ts';
import { writeBulk } from './sink.ts';
import { ensureTemplate } from './template.ts';

export { elasticsearchConfig, type ElasticsearchConfig } from './config.ts';
export { DLQ_REASONS, REASONS, RETRY_REASONS, SALVAGE_REASONS, decideBulk, decideItem, decideRequestFailure, type Reason, type SalvageReason } from './retry.ts';
export { ensureTemplate, eventMappings, indexNameFor, indexTemplateFor, otherIndexOf, templateNameOf } from './template.ts';

export interface ElasticsearchClientOptions {
  readonly node: string;
  readonly requestTimeoutMs: number;
}

/**
 * FetchConnection (shared/stores/es-connection.ts) because the client's default (undici) connection does not work
 * under Bun and its HttpConnection costs twice the CPU per bulk request. No client-side retries: the worker
 * re-submits retry outcomes with capped backoff, and retrying here as well would multiply the load on a cluster that
 * is already struggling.
 */
export function createElasticsearchClient({ node, requestTimeoutMs }: ElasticsearchClientOptions): Client {
  return new Client({ node, Connection: FetchConnection, requestTimeout: requestTimeoutMs, maxRetries: 0 });
}

export interface ElasticsearchSinkOptions {
  /** Base URL; defaults to ELASTICSEARCH_URL. Ignored when `client` is given. */
  readonly node?: string;
  /** Defaults to the SINK_ES_* environment (see config.ts). */
  readonly config?: ElasticsearchConfig;
  /** A client owned by the caller (not closed by `close()`); by default the sink creates and owns one. */
  readonly client?: Client;
  /** ready() answers within this, so a hung node reads as not ready instead of stalling /readyz. */
  readonly readyTimeoutMs?: number;
  /** Told how many events were stored with their data unindexed after the mapping refused it, per reason. */
  readonly onSalvaged?: (reason: SalvageReason, count: number) => void;
  /** Where workers_sink_salvaged_events_total{sink,reason} is registered (the worker's /metrics), when given. */
  readonly registry?: Registry;
}

export function createElasticsearchSink({
  node = loadConfig(connectionsConfig).elasticsearchUrl,
  config = loadConfig(elasticsearchConfig),
  client: given,
  readyTimeoutMs = 2_000,
  onSalvaged: told,
  registry,
}: ElasticsearchSinkOptions = {}): Sink {
  const client = given ?? createElasticsearchClient({ node, requestTimeoutMs: config.requestTimeoutMs });
  const salvagedTotal = registry?.counter(
    'workers_sink_salvaged_events_total',
    'Events a sink stored only after setting part of them aside (Elasticsearch: data its mapping refused, kept unindexed in data_unindexed), by sink and reason.',
    ['sink', 'reason'],
  );
  const onSalvaged = (reason: SalvageReason, n: number): void => {
    salvagedTotal?.inc({ sink: 'elasticsearch', reason }, n);
    told?.(reason, n);
  };
  // Installed before the first write: a daily index auto-created without the template would get guessed mappings
  // (and no alias) for the whole day. Remembered once it succeeds; retried on the next write if it failed.
  let templateReady: Promise<void> | undefined = config.installTemplate ? undefined : Promise.resolve();

  async function prepareTemplate(): Promise<Outcome | undefined> {
    templateReady ??= ensureTemplate(client, config);
    try {
      await templateReady;
      return undefined;
    } catch (error) {
      templateReady = undefined;
      return decideRequestFailure(error);
    }
  }

  async function write(events: readonly StampedEvent[]): Promise<Outcome[]> {
    if (events.length === 0) return [];
    const failed = await prepareTemplate();
    if (failed) return events.map(() => failed);
    return writeBulk({ client, config, onSalvaged }, events);
  }

  async function ready(): Promise<boolean> {
    try {
      await client.cluster.health({}, { requestTimeout: readyTimeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  async function close(): Promise<void> {
    if (!given) await client.close();
  }

  return { name: 'elasticsearch', write, ready, close };
}
