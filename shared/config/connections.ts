import * as v from 'valibot';
import { defineConfig, setting } from './index.ts';

/**
 * Where the servers are. Every component reads these; `npm start`/`npm test` start local servers for the ones that
 * point at this machine's default ports and leave the others alone, so pointing a variable at an existing server is
 * all it takes to use it instead.
 */
export const connectionsConfig = defineConfig('connections', 'EVENT_LENS', {
  kafkaBrokers: setting(v.string(), '127.0.0.1:9092', 'Kafka bootstrap servers (host:port, comma separated).', {
    env: 'KAFKA_BROKERS',
  }),
  elasticsearchUrl: setting(v.pipe(v.string(), v.url()), 'http://127.0.0.1:9200', 'Elasticsearch (search node) base URL.', {
    env: 'ELASTICSEARCH_URL',
  }),
  databaseUrl: setting(v.pipe(v.string(), v.url()), 'postgres://postgres@127.0.0.1:5432/test', 'Postgres connection URL.', {
    env: 'DATABASE_URL',
  }),
  redisUrl: setting(v.pipe(v.string(), v.url()), 'redis://127.0.0.1:6379', 'Redis connection URL.', { env: 'REDIS_URL' }),
});
