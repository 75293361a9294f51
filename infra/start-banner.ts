/**
 * What `npm start` prints once everything is up. Every address and command in it must work as printed
 * (infra/start.test.ts runs the export and curl lines through bash), so it is built from the same settings the
 * started processes read.
 */
export interface BannerOptions {
  readonly edgeUrl: string;
  /** What the edge binds (EDGE_HOSTNAME as npm start passes it). */
  readonly edgeHostname: string;
  readonly queryUrl: string;
  /** `http://127.0.0.1:<port>` of edge process 0's admin listener; undefined when EDGE_ADMIN_PORT=0 (each picks one). */
  readonly edgeAdminUrl: string | undefined;
  readonly workersMetricsUrl: string;
  /** The development keys, or null with AUTH=off. */
  readonly keys: { readonly ingest: string; readonly admin: string; readonly file: string } | null;
  readonly stores: { readonly kafka: string; readonly topic: string; readonly elasticsearch: string; readonly postgres: string; readonly redis: string };
  readonly logs: string;
  readonly demo: boolean;
}

const isLoopback = (hostname: string) => /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i.test(hostname);

/** `[::1]` for IPv6, and a wildcard address as the loopback one a local client can use. */
export function hostForUrl(hostname: string): string {
  if (hostname === '' || hostname === '0.0.0.0') return '127.0.0.1';
  if (hostname === '::') return '[::1]';
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

/** A password in a connection URL is not for the terminal (or a shared screen): `user:***@`. */
export const hidePassword = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

const INGEST = `'{"type":"signup","key":"u-1","data":{"plan":"pro"}}'`;
const QUERY = `'{"query":"{ liveStats { total eventsPerSecond } events(query: \\"signup\\") { totalCount } }"}'`;

export function startBanner(o: BannerOptions): string {
  const auth = (variable: string) => (o.keys ? ` -H "Authorization: Bearer $${variable}"` : '');
  const lines = [
    '',
    'Event Lens is running.',
    `  Dashboard         ${o.queryUrl}/dashboard${o.keys ? `#key=${o.keys.admin}` : ''}`,
    `  GraphQL           ${o.queryUrl}/graphql       (GraphiQL in a browser)`,
    `  REST              ${o.queryUrl}/api/stats, /analytics/events/count, /data, /recent/:sensor_id`,
    `  Edge (ingest)     ${o.edgeUrl}             POST /v1/events, /orders, /events, /api/events, /api/events/ingest, /data`,
    `  Edge metrics      ${o.edgeAdminUrl ? `${o.edgeAdminUrl}/metrics   (edge process i: port + i)` : 'EDGE_ADMIN_PORT=0: each edge process logs its own port'}`,
    `  Workers metrics   ${o.workersMetricsUrl}/metrics`,
    `  Kafka             ${hidePassword(o.stores.kafka)}   topic ${o.stores.topic}`,
    `  Elasticsearch     ${hidePassword(o.stores.elasticsearch)}   alias events`,
    `  Postgres          ${hidePassword(o.stores.postgres)}   table events`,
    `  Redis             ${hidePassword(o.stores.redis)}   keys el:*`,
    `  Logs              ${o.logs}`,
    ...(o.demo ? ['  Demo traffic      on (npm start -- --no-demo to turn it off)'] : []),
    '',
    ...(o.keys
      ? [
          `Development API keys (stored in Postgres like any key, secrets kept in ${o.keys.file}; npm run -s keys -- list):`,
          `  export EVENT_LENS_KEY=${o.keys.ingest}        # ingest key for the edge`,
          `  export EVENT_LENS_ADMIN_KEY=${o.keys.admin}   # read + admin key for the gateway`,
        ]
      : [
          '!!! WARNING AUTH=off: the edge and the gateway answer every request without an API key. Local experiments only; !!!',
          '!!! they listen on 127.0.0.1. Start without AUTH=off to get keys.                                                !!!',
        ]),
    '',
    'Try:',
    `  curl -s -X POST ${o.edgeUrl}/v1/events${auth('EVENT_LENS_KEY')} -H 'content-type: application/json' -d ${INGEST}`,
    `  curl -s ${o.queryUrl}/graphql${auth('EVENT_LENS_ADMIN_KEY')} -H 'content-type: application/json' -d ${QUERY}`,
    '',
    isLoopback(o.edgeHostname)
      ? 'The edge listens on loopback only; to expose it, set EDGE_HOSTNAME=0.0.0.0 and AUTH_HASH_KEY (README, "API keys").'
      : `The edge listens on ${o.edgeHostname || '0.0.0.0'}.`,
    'Ctrl-C stops edge, workers, query and demo; the servers keep running (npm run stack -- down stops them).',
  ];
  return lines.join('\n');
}
