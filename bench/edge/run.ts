import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createAdmin } from '../../shared/kafka/index.ts';
import { sampleRss } from '../lib/proc.ts';
import { ensureTool, kafkaProduceRate, printTable, waitFor } from '../lib/run.ts';
import { wrk, type WrkResult } from '../lib/wrk.ts';

/**
 * bench:edge — wrk against the edge (acks=all) and, in the same run, against a raw Bun.serve answering "ok" with the
 * same processes, connections, duration and payload. Prints events/s, p50/p99, the edge's peak RSS, and the ratios
 * the issue sets as targets; checks that Kafka holds at least every event the edge acknowledged.
 */
const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const seconds = quick ? 5 : 15;
const connections = 64;
const processes = Number(process.env.EDGE_PROCESSES || availableParallelism());
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const root = join(import.meta.dir, '..', '..');
const log = (s: string) => !json && console.log(s);

await ensureTool('wrk', 'wrk');
const topic = `bench-edge-${Date.now().toString(36)}`;
const admin = createAdmin({ brokers });
await admin.createTopics([{ name: topic, partitions: 6 }]);

const event = (i: number) => ({ type: 'page.view', source: 'bench', key: `user-${i % 1000}`, data: { page: '/pricing', referrer: 'https://example.com/blog/launch', session: `s-${i}`, ms: 1234 } });
const single = JSON.stringify(event(1));
const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => event(i)));
log(`bench:edge — ${processes} edge processes, wrk -t2 -c${connections} -d${seconds}s, event ${single.length} B, topic ${topic}`);

const raw = Bun.spawn([process.execPath, join(import.meta.dir, 'raw-server.ts')], { env: { ...process.env, RAW_PORT: '18081', RAW_PROCESSES: String(processes) }, stdout: 'ignore', stderr: 'inherit' });
const edge = Bun.spawn([process.execPath, join(root, 'edge/server.ts')], {
  env: { ...process.env, EDGE_PORT: '18080', EDGE_TOPIC: topic, EDGE_PROCESSES: String(processes), KAFKA_BROKERS: brokers },
  stdout: 'ignore',
  stderr: 'inherit',
});
try {
  await waitFor('raw Bun.serve', 'http://127.0.0.1:18081/', 'POST');
  await waitFor('edge', 'http://127.0.0.1:18080/readyz');
  const runs: Array<{ name: string; r: WrkResult; eventsPerRequest: number }> = [];
  const go = async (name: string, url: string, body: string, eventsPerRequest: number) => {
    log(`  running ${name} ...`);
    runs.push({ name, r: await wrk({ url, body, connections, seconds }), eventsPerRequest });
  };
  await go('raw Bun.serve, single event', 'http://127.0.0.1:18081/v1/events', single, 1);
  const stopRss = sampleRss(edge.pid);
  await go('edge, single event, acks=all', 'http://127.0.0.1:18080/v1/events', single, 1);
  await go('edge, 100-event batch, acks=all', 'http://127.0.0.1:18080/v1/events', batch, 100);
  const rss = stopRss();
  log('  measuring the Kafka client produce rate (bench:kafka --quick) ...');
  const kafka = await kafkaProduceRate(root);

  let inKafka = 0n;
  for (let p = 0; p < 6; p++) inKafka += (await admin.watermarks(topic, p)).high;
  const acked = runs.filter((x) => x.name.startsWith('edge')).reduce((n, x) => n + x.r.ok * x.eventsPerRequest, 0);
  const [rawRun, edgeSingle, edgeBatch] = runs.map((x) => x.r) as [WrkResult, WrkResult, WrkResult];
  const result = {
    processes,
    seconds,
    connections,
    runs: runs.map(({ name, r, eventsPerRequest }) => ({ name, ...r, eventsPerSecond: (r.ok * eventsPerRequest) / r.seconds })),
    kafkaClientMsgsPerSec: kafka,
    edgePeakRssBytes: rss.peakProcessBytes,
    edgePeakRssTotalBytes: rss.peakTotalBytes,
    ratios: {
      singleVsRaw: edgeSingle.ok / edgeSingle.seconds / (rawRun.ok / rawRun.seconds),
      batchVsKafkaClient: kafka ? (edgeBatch.ok * 100) / edgeBatch.seconds / kafka : undefined,
    },
    eventsAcked: acked,
    eventsInKafka: Number(inKafka),
    noLoss: Number(inKafka) >= acked,
  };
  if (json) console.log(JSON.stringify(result));
  else {
    printTable(
      ['run', 'req/s', 'events/s', 'p50 ms', 'p99 ms', 'non-2xx'],
      result.runs.map((x) => [x.name, x.rps.toFixed(0), x.eventsPerSecond.toFixed(0), x.p50Ms.toFixed(2), x.p99Ms.toFixed(2), String(x.non2xx + x.socketErrors)]),
    );
    const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
    console.log(`
ratio  edge single events / raw Bun.serve            ${result.ratios.singleVsRaw.toFixed(2)}×  (target ≥ 0.5×)
ratio  edge batch events/s / Kafka client produce    ${result.ratios.batchVsKafkaClient?.toFixed(2) ?? 'n/a'}×  (target ≥ 0.7×; client ${kafka?.toFixed(0) ?? 'n/a'} msgs/s)
edge   peak RSS per process                          ${mb(rss.peakProcessBytes)}  (target ≤ 150 MB; all ${processes} processes ${mb(rss.peakTotalBytes)})
check  events in Kafka ≥ events acknowledged         ${result.eventsInKafka} ≥ ${acked}: ${result.noLoss ? 'ok' : 'LOSS'}`);
  }
  process.exitCode = result.noLoss ? 0 : 1;
} finally {
  edge.kill('SIGTERM');
  raw.kill('SIGTERM');
  await Promise.all([edge.exited, raw.exited]);
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.close();
}
