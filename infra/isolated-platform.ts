import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStatusFile } from '../shared/supervisor-status.ts';
import type { ChildStatus } from '../shared/supervisor.ts';
import { waitFor } from '../shared/testing/wait.ts';
import { createIsolatedKeys, createIsolatedTopics, isolatedEnv, isolationId, removeIsolated, type IsolatedPorts } from './isolation.ts';
import { answers, processStatusDir, startApps, stopApps, type RunningApp } from './platform.ts';
import { ROOT } from './stack.ts';

const DEFAULT_KEYS = { ingest: 'ingest', readAdmin: 'read,admin' } as const;
/** The keys made when none are asked for: `ingest` for the edge, `readAdmin` (scopes read and admin) for the gateway. */
export type DefaultKey = keyof typeof DEFAULT_KEYS;

export interface IsolatedPlatformOptions<K extends string = DefaultKey> {
  /** Names the run (isolationId) and its stack home. */
  readonly what: string;
  readonly ports: IsolatedPorts;
  /** EDGE_PROCESSES. */
  readonly edgeProcesses?: number;
  /** WORKERS_COUNT. */
  readonly workers?: number;
  /** Set for the services over the run's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** API keys made in the run's key store before the services start, name → comma-separated scopes. */
  readonly keys?: Readonly<Record<K, string>>;
  /** Of those keys, the ones revoked before the services start. */
  readonly revoked?: readonly NoInfer<K>[];
}

/** The supervisors whose status files `npm start` writes: its own, the edge's and the workers'. */
export type Supervisor = 'platform' | 'edge' | 'workers';

export interface IsolatedPlatform<K extends string = DefaultKey> {
  readonly id: string;
  /** The run's STACK_HOME: logs/ and run/processes/ (the supervisors' status files). */
  readonly home: string;
  /** The services' environment on top of this process's, for commands run against them. */
  readonly env: Readonly<Record<string, string>>;
  /** Secrets of the run's keys. */
  readonly keys: Readonly<Record<K, string>>;
  readonly urls: {
    readonly edge: string;
    readonly query: string;
    /** Each worker process's metrics port (/healthz, /readyz, /metrics). */
    readonly workers: readonly string[];
    /** Each edge process's admin port; empty when the ports leave it to the OS. */
    readonly edgeAdmin: readonly string[];
  };
  readonly apps: readonly RunningApp[];
  /** The processes a supervisor lists in its status file. */
  processes(supervisor: Supervisor): Promise<readonly ChildStatus[]>;
  /** SIGTERM to every service, SIGKILL after `graceMs`; 0 when all drained. Later calls return the first result. */
  stopServices(graceMs?: number): Promise<number>;
  /** Stops the services if they still run, then deletes everything the run wrote (that too when stopping failed). */
  stop(): Promise<void>;
}

/**
 * The platform as `npm start` runs it (edge, workers and gateway under one supervisor) beside everything else on the
 * shared servers: its own ports, topic, group, index prefix, schema, API keys, Redis prefix and stack home. Resolves
 * once every edge process and every worker is up; a start that fails cleans up before it throws.
 */
export async function isolatedPlatform<K extends string = DefaultKey>({
  what,
  ports,
  edgeProcesses = 1,
  workers = 1,
  env: extra = {},
  keys: specs = DEFAULT_KEYS as Readonly<Record<string, string>> as Readonly<Record<K, string>>,
  revoked = [],
}: IsolatedPlatformOptions<K>): Promise<IsolatedPlatform<K>> {
  const id = isolationId(what);
  const home = mkdtempSync(join(tmpdir(), `event-lens-${what}-`));
  const env = { ...isolatedEnv(id, ports), EDGE_PROCESSES: String(edgeProcesses), WORKERS_COUNT: String(workers), ...extra };
  const local = (port: number) => `http://127.0.0.1:${port}`;
  const { edgeAdmin = 0 } = ports;
  const urls = {
    edge: local(ports.edge),
    query: local(ports.query),
    workers: Array.from({ length: workers }, (_, i) => local(ports.workers + i)),
    edgeAdmin: edgeAdmin ? Array.from({ length: edgeProcesses }, (_, i) => local(edgeAdmin + i)) : [],
  };
  const apps: RunningApp[] = [];
  const processes = async (supervisor: Supervisor) => (await readStatusFile(join(processStatusDir(home), `${supervisor}.json`)))?.processes ?? [];
  let stopping: Promise<number> | undefined;
  const stopServices = (graceMs?: number) => (stopping ??= stopApps(apps, graceMs));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async function stopIsolatedPlatform() {
      try {
        await stopServices();
      } finally {
        await removeIsolated(id);
        rmSync(home, { recursive: true, force: true });
      }
    })());

  try {
    await createIsolatedTopics(id);
    const keys = await createIsolatedKeys(id, specs, { revoked });
    apps.push(...(await startApps(ROOT, home, [
      { name: 'edge', entry: 'edge/server.ts', readyUrl: `${urls.edge}/readyz`, env },
      { name: 'workers', entry: 'workers/main.ts', readyUrl: `${urls.workers[0]}/healthz`, env },
      { name: 'query', entry: 'query/server.ts', readyUrl: `${urls.query}/healthz`, env },
    ], () => {})));
    // startApps waits for one process of each service; a test that meets the second worker still starting sees
    // a scrape refused or partitions not yet spread.
    await waitFor(async () => {
      const edges = edgeProcesses === 1 || (await processes('edge')).filter((p) => p.state === 'running').length === edgeProcesses;
      return edges && (await Promise.all([...urls.workers, ...urls.edgeAdmin].map((url) => answers(`${url}/healthz`)))).every(Boolean);
    }, 60_000, 'every edge process and every worker answering');
    return { id, home, env, keys, urls, apps, processes, stopServices, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
