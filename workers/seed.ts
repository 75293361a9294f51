import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { decodeEvent, type StampedEvent } from '../shared/contracts/index.ts';
import { workersConfig } from './config.ts';
import { elasticsearchConfig } from './sinks/elasticsearch/index.ts';
import type { Sink, SinkName } from './sinks/types.ts';
import { createSinks } from './stores.ts';

/**
 * `bun workers/seed.ts < events.ndjson`: writes stamped events (one JSON per line, as the edge puts them on the
 * topic) through the configured sinks exactly as a worker does, without Kafka, then makes the index's copy
 * searchable and prints one JSON line: `{"events": n, "sinks": {...}}`. Settings come from the environment like
 * `bun workers/main.ts` (WORKERS_SINKS picks the stores, SINK_* their names). Used to fill stores for the gateway's
 * tests and bench:query. Events are written WORKERS_BATCH_SIZE at a time. Exit 2 with
 * `{"error": {"code", "line", "path", "message"}}` for a line that is not a stamped event (neither its batch nor
 * anything after it is written); exit 1 when a store refuses events or keeps failing past WORKERS_RETRY_TIMEOUT_MS.
 */
const config = loadConfig(workersConfig);
const sinks = createSinks(config.sinks);
const written: Partial<Record<SinkName, number>> = {};
let events = 0;

type Failure = { code: string; message: string; line?: number; path?: string };
const fail = (status: 1 | 2, error: Failure): never => {
  console.log(JSON.stringify({ error, events, sinks: written }));
  process.exit(status);
};

/** One batch through one sink; `retry` outcomes go again with the worker's backoff, until its retry timeout. */
async function writeThrough(sink: Sink, batch: readonly StampedEvent[]): Promise<void> {
  const deadline = Date.now() + config.retryTimeoutMs;
  let pending = batch;
  for (let delay = config.retryInitialMs; ; delay = Math.min(delay * 2, config.retryMaxMs)) {
    const outcomes = await sink.write(pending);
    const refused = outcomes.find((o) => o.type === 'dlq' || o.type === 'drop');
    if (refused) fail(1, { code: 'sink_refused', message: `${sink.name}: ${JSON.stringify(refused)}` });
    const again = pending.filter((_, i) => outcomes[i]!.type === 'retry');
    written[sink.name] = (written[sink.name] ?? 0) + pending.length - again.length;
    if (again.length === 0) return;
    if (Date.now() + delay > deadline) fail(1, { code: 'retries_exhausted', message: `${sink.name}: ${JSON.stringify(outcomes.find((o) => o.type === 'retry'))}` });
    await Bun.sleep(delay);
    pending = again;
  }
}

async function flush(batch: StampedEvent[]): Promise<void> {
  for (const sink of sinks) await writeThrough(sink, batch);
  events += batch.length;
}

const encoder = new TextEncoder();
let batch: StampedEvent[] = [];
let line = 0;
for await (const text of console) {
  line++;
  if (text.trim() === '') continue;
  if (text.length > config.batchMaxBytes) fail(2, { code: 'line_too_large', line, path: '', message: `line ${line} is longer than batchMaxBytes (${config.batchMaxBytes})` });
  const decoded = decodeEvent(encoder.encode(text));
  if (!decoded.ok) fail(2, { code: decoded.code, line, path: decoded.path, message: `line ${line}: ${decoded.message}` });
  else batch.push(decoded.event);
  if (batch.length >= config.batchSize) {
    await flush(batch);
    batch = [];
  }
}
if (batch.length > 0) await flush(batch);

if (config.sinks.includes('elasticsearch')) {
  const { indexPrefix } = loadConfig(elasticsearchConfig);
  const url = loadConfig(connectionsConfig).elasticsearchUrl.replace(/\/$/, '');
  const res = await fetch(`${url}/${indexPrefix}-*/_refresh?allow_no_indices=true`, { method: 'POST' });
  if (!res.ok) fail(1, { code: 'refresh_failed', message: `${res.status} ${await res.text()}` });
}
await Promise.all(sinks.map((sink) => sink.close()));
console.log(JSON.stringify({ events, sinks: written }));
