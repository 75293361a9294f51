import { parseCli } from '../../shared/cli.ts';
import { createGateway } from '../../query/yoga.ts';
import { printTable } from '../lib/run.ts';

/**
 * bench:query-stall — what a Kafka that does not answer costs the gateway's other queries. A TCP listener that takes
 * connections and never answers stands in for the brokers; the gateway (in this process, keys off, the real search
 * node, Postgres and Redis) is asked the `delivery` field over 24 hours, whose Kafka column waits out the store
 * timeout, while a plain `{ __typename }` query goes in every 20 ms. It prints how long the plain queries took while
 * the delivery read was under way. The Kafka calls block the thread that makes them; the gateway makes them in its
 * Kafka reader process (query/kafka/reader.ts), so they should cost the plain queries nothing.
 */
const USAGE = `usage: bun bench/query/kafka-stall.ts [--json]
  --json    print the result as one JSON line`;
const { values } = parseCli({ usage: USAGE, options: { json: { type: 'boolean' } } });
const storeTimeoutMs = 3000;

const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
const gateway = createGateway({
  config: { storeTimeoutMs, cacheTtlMs: 0 },
  auth: { mode: 'off' },
  dlq: false,
  kafkaBrokers: `127.0.0.1:${silent.port}`,
  log: () => {},
});
async function ask(query: string): Promise<{ data?: Record<string, unknown> }> {
  const res = await gateway.yoga.fetch(new Request('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }));
  return (await res.json()) as { data?: Record<string, unknown> };
}

try {
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
  await gateway.close();
  silent.stop(true);
}
