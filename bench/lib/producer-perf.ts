import { isAbsolute, join, resolve } from 'node:path';
import { loadConfig } from '../../shared/config/index.ts';
import { stackConfig } from '../../infra/config.ts';

/**
 * Kafka's own Java ProducerPerformance (from the stack's Kafka jars) against a topic; returns its summary line,
 * parsed. `payloadFile` (one record per line) makes it send the same bytes another system sends.
 */
export async function producerPerformance(opts: {
  topic: string;
  records: number;
  brokers: string;
  props: Record<string, string | number | boolean>;
  payloadFile?: string;
  recordSize?: number;
  stackHome?: string;
  log?: (line: string) => void;
}): Promise<{ records: number; recordsPerSec: number; mbPerSec: number; avgLatencyMs: number }> {
  const { home } = loadConfig(stackConfig);
  const stackHome = opts.stackHome ?? (isAbsolute(home) ? home : join(resolve(import.meta.dir, '..', '..'), home));
  const props = [`bootstrap.servers=${opts.brokers}`, ...Object.entries(opts.props).map(([k, v]) => `${k}=${v}`)];
  const payload = opts.payloadFile ? ['--payload-file', opts.payloadFile, '--payload-delimiter', '\n'] : ['--record-size', String(opts.recordSize ?? 200)];
  const cmd = ['java', '-cp', `${join(stackHome, 'kafka', 'lib')}/*`, 'org.apache.kafka.tools.ProducerPerformance', '--topic', opts.topic,
    '--num-records', String(opts.records), ...payload, '--throughput', '-1', '--producer-props', ...props];
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const lines = out.split('\n').filter((l) => l && !l.includes('deprecated'));
  for (const l of lines) opts.log?.(`  java: ${l}`);
  if (code !== 0) throw new Error(`ProducerPerformance exited with ${code}: ${(err || out).slice(-2000)}`);
  // "1000000 records sent, 128123.4 records/sec (24.44 MB/sec), 130.2 ms avg latency, ..."
  const m = lines.map((l) => /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency/.exec(l)).filter(Boolean).at(-1);
  if (!m) throw new Error(`cannot parse ProducerPerformance summary: ${lines.at(-1)}`);
  return { records: Number(m[1]), recordsPerSec: Number(m[2]), mbPerSec: Number(m[3]), avgLatencyMs: Number(m[4]) };
}
