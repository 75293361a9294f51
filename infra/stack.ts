import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { stackConfig, type StackConfig } from './config.ts';
import { elasticsearchService } from './elasticsearch/index.ts';
import { kafkaClusterServices, kafkaNodes, kafkaService } from './kafka/index.ts';
import { postgresService } from './postgres/index.ts';
import { redisService } from './redis/index.ts';
import { ensureLibrdkafka } from './librdkafka.ts';
import { alive, logFile, readPid, spawnDetached, stopProcess } from './process.ts';
import { listening, type ManagedService, type StackContext } from './service.ts';

export const ROOT = resolve(import.meta.dir, '..');

export interface Stack {
  ctx: StackContext;
  config: StackConfig;
  services: ManagedService[];
  /** The Kafka addresses the services connect to: KAFKA_BROKERS, or every node's when the stack runs a local cluster. */
  kafkaBrokers: string;
  /** Services whose connection points elsewhere: checked, never started or stopped. */
  external: Array<{ name: string; url: string }>;
}

export type ServiceState = { name: string; state: 'running' | 'stopped' | 'external' | 'unmanaged'; pid?: number; ports: number[] };

const isLocal = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '::1';

export function createStack(env: Record<string, string | undefined> = process.env, log: (line: string) => void = console.log): Stack {
  const config = loadConfig(stackConfig, env);
  const conn = loadConfig(connectionsConfig, env);
  const home = isAbsolute(config.home) ? config.home : join(ROOT, config.home);
  const services: ManagedService[] = [];
  const external: Stack['external'] = [];
  const add = (name: string, url: string, host: string, port: number, make: (port: number) => ManagedService) => {
    if (isLocal(host)) services.push(make(port));
    else external.push({ name, url });
  };
  const [kafkaHost = '', kafkaPort = '9092'] = (conn.kafkaBrokers.split(',')[0] ?? '').trim().split(':');
  let kafkaBrokers = conn.kafkaBrokers;
  const kafka = { port: Number(kafkaPort), controllerPort: config.kafkaControllerPort, heapMb: config.kafkaHeapMb };
  if (config.kafkaBrokers === 1) add('kafka', conn.kafkaBrokers, kafkaHost, kafka.port, (port) => kafkaService({ ...kafka, port }));
  else if (!isLocal(kafkaHost)) external.push({ name: 'kafka', url: conn.kafkaBrokers });
  else {
    services.push(...kafkaClusterServices({ ...kafka, count: config.kafkaBrokers }));
    kafkaBrokers = kafkaNodes({ ...kafka, count: config.kafkaBrokers }).map((n) => `${kafkaHost}:${n.port}`).join(',');
  }
  const es = new URL(conn.elasticsearchUrl);
  add('elasticsearch', conn.elasticsearchUrl, es.hostname, Number(es.port || 9200), (port) =>
    elasticsearchService({ httpPort: port, transportPort: config.elasticsearchTransportPort, heapMb: config.elasticsearchHeapMb }),
  );
  const pg = new URL(conn.databaseUrl);
  add('postgres', conn.databaseUrl, pg.hostname, Number(pg.port || 5432), (port) =>
    postgresService({ port, database: pg.pathname.slice(1) || 'test', user: decodeURIComponent(pg.username || 'postgres') }),
  );
  const redis = new URL(conn.redisUrl);
  add('redis', conn.redisUrl, redis.hostname, Number(redis.port || 6379), (port) => redisService({ port }));
  return { ctx: { root: ROOT, home, log }, config, services, kafkaBrokers, external };
}

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)}s`;

/** Brings every managed server up, in order, waiting for each to be ready. Returns the names it started. */
export async function up(stack: Stack, only?: string[]): Promise<string[]> {
  const { ctx } = stack;
  const started: string[] = [];
  await ensureLibrdkafka(ctx);
  for (const batch of batches(selected(stack, only))) {
    const t = performance.now();
    const waiting: ManagedService[] = [];
    for (const svc of batch) {
      if (await svc.ready(ctx)) {
        ctx.log(`${svc.name}: already up on :${svc.ports[0]}`);
        continue;
      }
      await svc.install(ctx);
      if (readPid(ctx.home, svc.name) === undefined) {
        const busy = await portsInUse(svc.ports);
        if (busy.length) throw new Error(`${svc.name}: port ${busy.join(', ')} is taken by another process; free it or set ${portHint(svc.group ?? svc.name)}`);
        const spec = await svc.prepare(ctx);
        spawnDetached(ctx.home, svc.name, spec);
        started.push(svc.name);
      }
      waiting.push(svc);
    }
    for (const svc of waiting) {
      await waitReady(stack, svc);
      await svc.afterStart?.(ctx);
      ctx.log(`${svc.name}: ready on :${svc.ports[0]} (${seconds(t)})`);
    }
  }
  for (const ext of stack.external) ctx.log(`${ext.name}: using ${redact(ext.url)} (not managed by the stack)`);
  return started;
}

async function waitReady(stack: Stack, svc: ManagedService): Promise<void> {
  const deadline = Date.now() + Math.max(svc.readyTimeoutMs, stack.config.readyTimeoutMs);
  while (Date.now() < deadline) {
    if (await svc.ready(stack.ctx)) return;
    const pid = readPid(stack.ctx.home, svc.name);
    if (pid === undefined || !alive(pid)) {
      throw new Error(`${svc.name} exited during start-up. Last lines of ${logFile(stack.ctx.home, svc.name)}:\n${tail(stack.ctx.home, svc.name)}`);
    }
    await Bun.sleep(250);
  }
  throw new Error(`${svc.name} not ready after ${Math.round((deadline - Date.now()) / 1000)}s. Last log lines:\n${tail(stack.ctx.home, svc.name)}`);
}

/** Stops what the stack started (in reverse order) and checks nothing is left listening on their ports. */
export async function down(stack: Stack, only?: string[]): Promise<void> {
  for (const batch of batches(selected(stack, only)).reverse()) {
    const t = performance.now();
    const outcomes = await Promise.all(batch.map((svc) => stopProcess(stack.ctx.home, svc.name)));
    for (const [i, svc] of batch.entries()) {
      if (outcomes[i] === 'not_running') continue;
      const busy = await portsInUse(svc.ports);
      if (busy.length) throw new Error(`${svc.name}: stopped, but port ${busy.join(', ')} is still listening`);
      stack.ctx.log(`${svc.name}: ${outcomes[i]} (${seconds(t)})`);
    }
  }
}

/** The services `only` names (by name or group; all when undefined), in stack order. */
function selected(stack: Stack, only?: string[]): ManagedService[] {
  return stack.services.filter((s) => !only || only.includes(s.name) || (s.group !== undefined && only.includes(s.group)));
}

/** Consecutive services of one group form one batch; every other service is a batch of its own. */
function batches(services: ManagedService[]): ManagedService[][] {
  const out: ManagedService[][] = [];
  for (const svc of services) {
    const last = out.at(-1);
    if (svc.group !== undefined && last?.[0]?.group === svc.group) last.push(svc);
    else out.push([svc]);
  }
  return out;
}

/** Each managed server's state, all asked at once (`npm run status` waits for the slowest). */
export async function status(stack: Stack): Promise<ServiceState[]> {
  const states = await Promise.all(stack.services.map(async (svc): Promise<ServiceState> => {
    const pid = readPid(stack.ctx.home, svc.name);
    const ready = await svc.ready(stack.ctx);
    const state = pid !== undefined ? (ready ? 'running' : 'stopped') : ready ? 'unmanaged' : 'stopped';
    return { name: svc.name, state, pid, ports: svc.ports };
  }));
  for (const ext of stack.external) states.push({ name: ext.name, state: 'external', ports: [] });
  return states;
}

/** Deletes data and logs. Refuses while a managed server is still running. */
export async function wipe(stack: Stack): Promise<void> {
  for (const svc of stack.services) {
    if (readPid(stack.ctx.home, svc.name) !== undefined) throw new Error(`${svc.name} is running; run \`npm run stack down\` first`);
  }
  for (const dir of ['kafka/data', 'kafka/nodes', 'elasticsearch/data', 'elasticsearch/home', 'redis', 'postgres/data', 'logs']) {
    rmSync(join(stack.ctx.home, dir), { recursive: true, force: true });
  }
}

export function tail(home: string, name: string, lines = 20): string {
  const file = logFile(home, name);
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

async function portsInUse(ports: number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const p of ports) if (await listening(p)) busy.push(p);
  return busy;
}

function portHint(name: string): string {
  return { kafka: 'KAFKA_BROKERS', elasticsearch: 'ELASTICSEARCH_URL', postgres: 'DATABASE_URL', redis: 'REDIS_URL' }[name] ?? 'the port';
}

const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
