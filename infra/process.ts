import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpawnSpec } from './service.ts';

/**
 * Detached server processes with pid files under `<home>/run`, so that `stack down` from another shell (or after the
 * CLI that started them is gone) finds and stops exactly what the stack started, and nothing else.
 */
export function pidFile(home: string, name: string): string {
  return join(home, 'run', `${name}.pid`);
}

export function logFile(home: string, name: string): string {
  return join(home, 'logs', `${name}.log`);
}

export function alive(pid: number): boolean {
  // A zombie (exited, not yet reaped by the CLI that spawned it) still answers kill(0); /proc tells the truth.
  try {
    if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) return false;
  } catch {
    // no /proc (macOS) or already gone: fall through to kill(0)
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(home: string, name: string): number | undefined {
  const file = pidFile(home, name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) return pid;
  rmSync(file, { force: true });
  return undefined;
}

/** Starts the server in its own process group, output appended to a fresh log (the previous one kept as .1). */
export function spawnDetached(home: string, name: string, spec: SpawnSpec): number {
  mkdirSync(join(home, 'run'), { recursive: true });
  mkdirSync(join(home, 'logs'), { recursive: true });
  const log = logFile(home, name);
  if (existsSync(log)) renameSync(log, `${log}.1`);
  const fd = openSync(log, 'a');
  const [cmd, ...args] = spec.cmd;
  if (!cmd) throw new Error(`${name}: empty command`);
  const child = spawn(cmd, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  if (!child.pid) throw new Error(`${name}: could not start ${cmd}`);
  child.unref();
  writeFileSync(pidFile(home, name), String(child.pid));
  return child.pid;
}

/** SIGTERM, wait up to graceMs, then SIGKILL the whole process group. Resolves when the process is gone. */
export async function stopProcess(home: string, name: string, graceMs = 30_000): Promise<'stopped' | 'killed' | 'not_running'> {
  const pid = readPid(home, name);
  if (pid === undefined) return 'not_running';
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) break;
    await Bun.sleep(100);
  }
  let outcome: 'stopped' | 'killed' = 'stopped';
  if (alive(pid)) {
    signalGroup(pid, 'SIGKILL');
    outcome = 'killed';
    while (alive(pid)) await Bun.sleep(50);
  }
  rmSync(pidFile(home, name), { force: true });
  return outcome;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
