import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

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
  proc: Subprocess;
  log: string;
}

export async function startApps(root: string, home: string, apps: AppProcess[], log: (line: string) => void, timeoutMs = 60_000): Promise<RunningApp[]> {
  mkdirSync(join(home, 'logs'), { recursive: true });
  const running: RunningApp[] = [];
  for (const app of apps) {
    const t = performance.now();
    const file = join(home, 'logs', `${app.name}.log`);
    const fd = openSync(file, 'w');
    const proc = Bun.spawn([process.execPath, join(root, app.entry), ...(app.args ?? [])], {
      cwd: root,
      env: { ...process.env, ...app.env },
      stdout: fd,
      stderr: fd,
    });
    running.push({ name: app.name, proc, log: file });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (proc.exitCode !== null) {
        await stopApps(running);
        throw new Error(`${app.name} exited with ${proc.exitCode} during start-up; see ${file}:\n${await tailFile(file)}`);
      }
      if (await answers(app.readyUrl)) break;
      if (Date.now() > deadline) {
        await stopApps(running);
        throw new Error(`${app.name} not ready at ${app.readyUrl} after ${timeoutMs / 1000}s; see ${file}:\n${await tailFile(file)}`);
      }
      await Bun.sleep(200);
    }
    log(`${app.name}: ready (${((performance.now() - t) / 1000).toFixed(1)}s), log ${file}`);
  }
  return running;
}

/** SIGTERM each (they drain in-flight work), in reverse start order, then wait for them to exit. */
export async function stopApps(apps: RunningApp[], graceMs = 30_000): Promise<void> {
  for (const app of [...apps].reverse()) {
    if (app.proc.exitCode !== null) continue;
    app.proc.kill('SIGTERM');
    const timer = setTimeout(() => app.proc.kill('SIGKILL'), graceMs);
    await app.proc.exited;
    clearTimeout(timer);
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function tailFile(file: string, lines = 15): Promise<string> {
  return (await Bun.file(file).text()).trimEnd().split('\n').slice(-lines).join('\n');
}
