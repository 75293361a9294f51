import postgres from 'postgres';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';

/** Calls `send` `count` times, `interval` ms apart from now, each with the time it was due (open loop: never waits for an answer). */
export async function paced(count: number, interval: number, send: (due: number) => void): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    send(due);
  }
}

export interface Capacity {
  /** Events per second sent: the slower part's maximum measured alone. */
  sentRate: number;
  /** Events per second the whole path stored meanwhile (rows in Postgres, one of the three sinks the workers fill). */
  storedRate: number;
}

/**
 * What the whole path stores per second on this host: `rate` events/s go in through the edge (batches of `batchSize`,
 * open loop) for `seconds`, and the events table of the run's Postgres schema is counted after `skipSeconds` (the
 * pipe filling) and at the end. The parts' maxima are measured alone; together the edge, Kafka, the workers, the
 * stores and the gateway share 2 cores, so "half the maximum" is read against what they store together (26,306
 * events/s while sent the workers' 31,656 alone, in one run).
 */
export async function pathCapacity({ post, body, batchSize, rate, seconds = 10, skipSeconds = 3, pgSchema, log }: {
  post: (body: string) => Promise<Response>;
  body: string;
  batchSize: number;
  rate: number;
  seconds?: number;
  skipSeconds?: number;
  pgSchema: string;
  log: (line: string) => void;
}): Promise<Capacity> {
  const sql = postgres(loadConfig(connectionsConfig).databaseUrl, { max: 1, onnotice: () => {} });
  const stored = async () => Number((await sql.unsafe(`select count(*)::bigint as n from "${pgSchema}".events`))[0]!.n);
  try {
    log(`  capacity: ${rate.toFixed(0)} events/s (the slower part's maximum alone) for ${seconds} s, counting what the whole path stores ...`);
    const interval = (batchSize * 1000) / rate;
    const sends: Promise<unknown>[] = [];
    let from: { at: number; rows: number } | undefined;
    const counting = Bun.sleep(skipSeconds * 1000).then(async () => (from = { at: performance.now(), rows: await stored() }));
    await paced(Math.floor((seconds * 1000) / interval), interval, () => sends.push(post(body).then((r) => r.arrayBuffer()).catch(() => undefined)));
    await counting;
    const to = { at: performance.now(), rows: await stored() };
    await Promise.all(sends);
    const storedRate = (to.rows - from!.rows) / ((to.at - from!.at) / 1000);
    log(`  capacity: the path stored ${storedRate.toFixed(0)} events/s while sent ${rate.toFixed(0)} events/s`);
    if (!(storedRate > 0)) throw new Error(`the path stored nothing in ${seconds - skipSeconds} s while sent ${rate.toFixed(0)} events/s (are the workers writing to Postgres?)`);
    return { sentRate: rate, storedRate };
  } finally {
    await sql.end();
  }
}
