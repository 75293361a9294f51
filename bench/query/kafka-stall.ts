import { join } from 'node:path';
import { parseCli } from '../../shared/cli.ts';
import { bearer, benchKeys } from '../lib/keys.ts';
import { freePort, printTable, waitFor } from '../lib/run.ts';

/**
 * bench:query-stall — what a Kafka that does not answer costs the gateway's other queries. A TCP listener that takes
 * connections and never answers stands in for the brokers; the gateway (`bun query/server.ts`, keys on, the real
 * search node, Postgres and Redis) is asked the `delivery` field over 24 hours, whose Kafka column waits out the store
 * timeout, while a plain `{ __typename }` query goes in every 20 ms. It prints how long the plain queries took while
 * the delivery read was under way. The Kafka calls block the thread that makes them; the gateway makes them in its
 * Kafka reader process (query/kafka/reader.ts), so they should cost the plain queries nothing.
 */
const USAGE = `usage: bun bench/query/kafka-stall.ts [--json]
  --json    print the result as one JSON line`;
const { values } = parseCli({ usage: USAGE, options: { json: { type: 'boolean' } } });
const storeTimeoutMs = 3000;
const root = join(import.meta.dir, '..', '..');

const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
const keys = await benchKeys('bench_query_stall');
const read = bearer(await keys.create({ name: 'bench-query-stall-read', scopes: 'read' }));
const port = freePort();
const gateway = Bun.spawn([process.execPath, join(root, 'query/server.ts')], {
  env: {
    ...process.env,
    ...keys.env,
    QUERY_PORT: String(port),
    KAFKA_BROKERS: `127.0.0.1:${silent.port}`,
    QUERY_STORE_TIMEOUT_MS: String(storeTimeoutMs),
    QUERY_CACHE_TTL_MS: '0',
    QUERY_DLQ_ENABLED: 'false',
  },
  stdout: 'ignore',
  stderr: 'ignore',
});
async function ask(query: string): Promise<{ data?: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...read }, body: JSON.stringify({ query }) });
  return (await res.json()) as { data?: Record<string, unknown> };
}

try {
  await waitFor('gateway', `http://127.0.0.1:${port}/healthz`);
  await ask('{ __typename }');
  const to = Math.floor(Date.now() / 60_000) * 60_000;
  const from = to - 24 * 60 * 60_000;
  const started = performance.now();
  let deliveryMs: number | undefined;
  const delivery = ask(`{ delivery(from: "${new Date(from).toISOString()}", to: "${new Date(to).toISOString()}") { totals { received } } }`).then((answer) => {
    deliveryMs = performance.now() - started;
    return answer;
  });
  const plain: number[] = [];
  while (deliveryMs === undefined) {
    const t = performance.now();
    await ask('{ __typename }');
    plain.push(performance.now() - t);
    await Bun.sleep(20);
  }
  const received = ((await delivery).data?.delivery as { totals: { received: number | null } } | undefined)?.totals.received;
  plain.sort((a, b) => a - b);
  const result = { storeTimeoutMs, deliveryMs, kafkaColumn: received ?? null, plainQueries: plain.length, plainP50Ms: plain[plain.length >> 1] ?? null, plainMaxMs: plain.at(-1) ?? null };
  if (values.json) console.log(JSON.stringify(result));
  else {
    printTable(
      ['while Kafka does not answer', 'value'],
      [
        [`delivery over 24 h answered in (store timeout ${storeTimeoutMs} ms)`, `${deliveryMs.toFixed(0)} ms`],
        ['its Kafka column (received)', String(result.kafkaColumn)],
        ['plain queries answered meanwhile', String(plain.length)],
        ['their p50', `${result.plainP50Ms?.toFixed(1)} ms`],
        ['the slowest', `${result.plainMaxMs?.toFixed(1)} ms`],
      ],
    );
  }
} finally {
  gateway.kill('SIGTERM');
  await Promise.race([gateway.exited, Bun.sleep(10_000)]);
  silent.stop(true);
  await keys.close();
}
