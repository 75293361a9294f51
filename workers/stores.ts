import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { createElasticsearchSink, elasticsearchConfig } from './sinks/elasticsearch/index.ts';
import { createPostgresSink, postgresSinkConfig } from './sinks/postgres/index.ts';
import { createRedisSink } from './sinks/redis/index.ts';
import type { Sink, SinkName } from './sinks/types.ts';
import type { Registry } from '../shared/telemetry/metrics.ts';

/**
 * The configured sinks, each reading its own settings (SINK_ES_*, SINK_PG_*, SINK_REDIS_*) and connection
 * (ELASTICSEARCH_URL, DATABASE_URL, REDIS_URL) from `env`. Each connects lazily and installs its template or
 * migrations on its first write, so creating them cannot fail because a store is down. Sinks with metrics of their
 * own (Redis: its caps; Elasticsearch: salvaged events) register them on `registry` when one is given.
 */
export function createSinks(names: readonly SinkName[], env: Record<string, string | undefined> = process.env, registry?: Registry): Sink[] {
  const connections = loadConfig(connectionsConfig, env);
  return names.map((name) => {
    switch (name) {
      case 'elasticsearch':
        return createElasticsearchSink({
          node: connections.elasticsearchUrl,
          config: loadConfig(elasticsearchConfig, env),
          registry,
        });
      case 'postgres':
        return createPostgresSink({ url: connections.databaseUrl, config: loadConfig(postgresSinkConfig, env) });
      case 'redis':
        return createRedisSink({ env, url: connections.redisUrl, registry });
    }
  });
}
