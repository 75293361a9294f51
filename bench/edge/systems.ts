import { join } from 'node:path';
import { PEER_DIR } from '../lib/peer.ts';
import { startBunPeer } from '../lib/bun-peer.ts';
import { startJvmPeer } from '../lib/jvm-peer.ts';
import { freePort, waitFor } from '../lib/run.ts';

/** The HTTP servers bench:edge loads: three copies of the edge, the peers and the raw Bun.serve reference. */
export type System = 'edge' | 'edgeOff' | 'edgeTraced' | 'peer' | 'jvm' | 'bunPeer' | 'raw';
/** Every system but the raw server produces to a topic of its own. */
export type Producing = Exclude<System, 'raw'>;

export const SYSTEM_NAMES: Record<System, string> = {
  raw: 'raw Bun.serve',
  edge: 'edge',
  edgeOff: 'edge, AUTH=off',
  edgeTraced: 'edge, tracing 1%',
  peer: 'Node peer (Fastify + kafka-javascript)',
  jvm: 'JVM peer (Vert.x + Kafka Java client)',
  bunPeer: 'Bun peer (Bun.serve + shared/kafka)',
};

export interface SystemsOptions {
  processes: number;
  lingerMs: string;
  compression: string;
  brokers: string;
  /** The key store's settings of this run, for the edges with keys on. */
  keysEnv: Record<string, string>;
  topics: Record<Producing, string>;
  withPeer: boolean;
  withJvm: boolean;
  withBunPeer: boolean;
}

export interface Systems {
  readonly ports: Record<System, number>;
  /** The main process of each system started: the serving processes are it and its descendants. */
  readonly pids: Partial<Record<System, number>>;
  /** Stops every process and the span receiver, waiting for the processes to exit. */
  stop(): Promise<void>;
}

const root = join(import.meta.dir, '..', '..');

/** Starts every system bench:edge compares and waits until each answers; on a failure, stops what it started. */
export async function startSystems(o: SystemsOptions): Promise<Systems> {
  const ports: Record<System, number> = { raw: freePort(), edge: freePort(), edgeOff: freePort(), edgeTraced: freePort(), peer: freePort(), jvm: freePort(), bunPeer: freePort() };
  const spawned: Partial<Record<System, ReturnType<typeof Bun.spawn>>> = {};
  spawned.raw = Bun.spawn([process.execPath, join(import.meta.dir, 'raw-server.ts'), '--port', String(ports.raw), '--processes', String(o.processes)], { stdout: 'ignore', stderr: 'inherit' });
  // The edges listen on loopback with admin ports the OS picks, so a running `npm start` edge (9480+) is no obstacle.
  const spawnEdge = (system: 'edge' | 'edgeOff' | 'edgeTraced', env: Record<string, string>) =>
    Bun.spawn([process.execPath, join(root, 'edge/server.ts')], {
      env: { ...process.env, ...o.keysEnv, EDGE_PORT: String(ports[system]), EDGE_HOSTNAME: '127.0.0.1', EDGE_ADMIN_PORT: '0', EDGE_TOPIC: o.topics[system], EDGE_PROCESSES: String(o.processes), EDGE_LINGER_MS: o.lingerMs, EDGE_COMPRESSION: o.compression, KAFKA_BROKERS: o.brokers, ...env },
      stdout: 'ignore',
      stderr: 'inherit',
    });
  spawned.edge = spawnEdge('edge', {});
  spawned.edgeOff = spawnEdge('edgeOff', { AUTH: 'off' });
  // The same edge tracing 1% of requests to an OTLP/HTTP receiver that takes and discards the spans.
  const otlpSink = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: async (req) => (await req.arrayBuffer(), Response.json({})) });
  spawned.edgeTraced = spawnEdge('edgeTraced', { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpSink.port}`, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' });
  if (o.withPeer) {
    spawned.peer = Bun.spawn(['node', join(PEER_DIR, 'server.mjs')], {
      cwd: PEER_DIR,
      env: { ...process.env, PEER_PORT: String(ports.peer), PEER_TOPIC: o.topics.peer, PEER_PROCESSES: String(o.processes), PEER_LINGER_MS: o.lingerMs, PEER_COMPRESSION: o.compression, KAFKA_BROKERS: o.brokers },
      stdout: 'ignore',
      stderr: 'inherit',
    });
  }
  if (o.withJvm) spawned.jvm = startJvmPeer({ port: ports.jvm, topic: o.topics.jvm, brokers: o.brokers, loops: o.processes, lingerMs: Number(o.lingerMs), compression: o.compression });
  if (o.withBunPeer) spawned.bunPeer = startBunPeer({ port: ports.bunPeer, topic: o.topics.bunPeer, brokers: o.brokers, processes: o.processes, lingerMs: Number(o.lingerMs), compression: o.compression });

  const processes = Object.values(spawned);
  const stop = async () => {
    for (const p of processes) p.kill('SIGTERM');
    void otlpSink.stop(true);
    await Promise.all(processes.map((p) => Promise.race([p.exited, Bun.sleep(25_000)])));
  };
  try {
    const url = (system: System, path = '/readyz') => `http://127.0.0.1:${ports[system]}${path}`;
    await waitFor(SYSTEM_NAMES.raw, url('raw', '/'), 'POST');
    for (const system of ['edge', 'edgeOff', 'edgeTraced'] as const) await waitFor(SYSTEM_NAMES[system], url(system));
    // The peers start a JVM or a Node cluster and fetch topic metadata before they answer.
    if (spawned.peer) await waitFor('Node peer', url('peer'), 'GET', 60_000);
    if (spawned.jvm) await waitFor('JVM peer', url('jvm'), 'GET', 60_000);
    if (spawned.bunPeer) await waitFor('Bun peer', url('bunPeer'));
  } catch (e) {
    await stop();
    throw e;
  }
  const pids = Object.fromEntries(Object.entries(spawned).map(([system, p]) => [system, p.pid])) as Partial<Record<System, number>>;
  return { ports, pids, stop };
}
