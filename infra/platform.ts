import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backoff } from '../shared/supervisor-policy.ts';
import { statusFileWriter } from '../shared/supervisor-status.ts';
import { createSupervisor, type Supervisor } from '../shared/supervisor.ts';
import { Registry } from '../shared/telemetry/metrics.ts';

/** One of the platform's own services, run by `npm start` in the foreground (unlike the stack's servers). */
export interface AppProcess {
  name: string;
  entry: string;
  args?: string[];
  /** Polled until it answers 200. */
  readyUrl: string;
  env?: Record<string, string>;
}

export interface RunningApp {
  name: string;
  log: string;
  /** Its process id now (a restart changes it); undefined while it waits to be started again. */
  pid(): number | undefined;
  /** The one supervisor every app of this start runs under. */
  supervisor: Supervisor;
}

export interface StartAppsOptions {
  backoff?: Backoff;
  /** How long stopApps lets the apps drain before SIGKILL. */
  graceMs?: number;
}

/** Where the supervisors of `npm start` write their status (shared/supervisor-status.ts): `<name>.json` and `.prom`. */
export const processStatusDir = (home: string): string => join(home, 'run', 'processes');

// Longer than the edge's own supervisor waits for its processes (EDGE_SHUTDOWN_GRACE_MS + 5 s) and the workers'
// (WORKERS_SHUTDOWN_GRACE_MS, 30 s), so they finish draining before anything is killed from here.
const PLATFORM_GRACE_MS = 40_000;

/**
 * Starts the apps under one supervisor (restarted with backoff when they exit, each on its own: the edge keeps
 * serving while the workers or the gateway are down) and resolves once each answers its readyUrl. An app that exits
 * before it was ever ready (a bad setting, a port in use) stops them all and throws with the end of its log.
 */
export async function startApps(
  root: string,
  home: string,
  apps: AppProcess[],
  log: (line: string) => void,
  timeoutMs = 60_000,
  { backoff, graceMs = PLATFORM_GRACE_MS }: StartAppsOptions = {},
): Promise<RunningApp[]> {
  mkdirSync(join(home, 'logs'), { recursive: true });
  const status = processStatusDir(home);
  // The edge and the workers supervise processes of their own; their status files sit beside this one.
  const inner = { EDGE_STATUS_FILE: join(status, 'edge.json'), WORKERS_STATUS_FILE: join(status, 'workers.json') };
  const registry = new Registry();
  const logs = apps.map((app) => join(home, 'logs', `${app.name}.log`));
  for (const file of logs) writeFileSync(file, '');
  const supervisor = createSupervisor({
    name: 'platform',
    children: apps.map((app, i) => ({
      name: app.name,
      cmd: [process.execPath, join(root, app.entry), ...(app.args ?? [])],
      cwd: root,
      env: { ...inner, ...app.env },
      logFile: logs[i],
    })),
    backoff,
    graceMs,
    log,
    registry,
    onChange: statusFileWriter({ file: join(status, 'platform.json'), supervisor: 'platform', registry }),
  });
  const t = performance.now();
  supervisor.start();
  const running = apps.map((app, i): RunningApp => ({ name: app.name, log: logs[i]!, pid: () => supervisor.status()[i]?.pid ?? undefined, supervisor }));
  try {
    await Promise.all(apps.map(async (app, i) => {
      await ready(app, logs[i]!, () => supervisor.status()[i]!.lastExit, timeoutMs);
      log(`${app.name}: ready (${((performance.now() - t) / 1000).toFixed(1)}s), log ${logs[i]}`);
    }));
  } catch (error) {
    await supervisor.stop('SIGTERM');
    throw error;
  }
  return running;
}

/** SIGTERM every app (they drain in-flight work), SIGKILL what is left after the grace period; 0 when all drained. */
export async function stopApps(apps: RunningApp[], graceMs?: number): Promise<number> {
  return (await apps[0]?.supervisor.stop('SIGTERM', graceMs)) ?? 0;
}

async function ready(app: AppProcess, file: string, lastExit: () => { code: number | null; signal: string | null } | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = lastExit();
    if (exit) throw new Error(`${app.name} exited with ${exit.signal ?? exit.code} during start-up; see ${file}:\n${await tailFile(file)}`);
    if (await answers(app.readyUrl)) return;
    if (Date.now() > deadline) throw new Error(`${app.name} not ready at ${app.readyUrl} after ${timeoutMs / 1000}s; see ${file}:\n${await tailFile(file)}`);
    await Bun.sleep(200);
  }
}

/** Whether `url` answers 2xx within `timeoutMs`; a refused connection or a timeout is false. */
export async function answers(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

async function tailFile(file: string, lines = 15): Promise<string> {
  return (await Bun.file(file).text()).trimEnd().split('\n').slice(-lines).join('\n');
}
