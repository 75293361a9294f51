import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStatusFile, statusFileWriter } from './supervisor-status.ts';
import { createSupervisor, type Supervisor } from './supervisor.ts';
import { Registry } from './telemetry/metrics.ts';

// Real child processes (supervisor-child.ts) that serve, crash or ignore SIGTERM on cue.
const dir = mkdtempSync(join(tmpdir(), 'event-lens-supervisor-'));
const started: Supervisor[] = [];
afterAll(async () => {
  for (const s of started) await s.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function child(name: string, mode: 'serve' | 'crash' | 'stubborn') {
  const starts = join(dir, `${name}-${mode}.starts`);
  return { spec: { name, cmd: [process.execPath, join(import.meta.dir, 'supervisor-child.ts')], env: { CHILD_MODE: mode, CHILD_STARTS: starts } }, starts };
}
/** Pid and start time of every start of a child, as the child itself recorded it. */
function startsOf(file: string): Array<{ pid: number; at: number }> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.trim().split('\n').filter(Boolean).map((line) => ({ pid: Number(line.split(' ')[0]), at: Number(line.split(' ')[1]) }));
}
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await Bun.sleep(25);
  }
}
function supervise(options: Omit<Parameters<typeof createSupervisor>[0], 'name'> & { name?: string }) {
  const lines: string[] = [];
  const registry = new Registry();
  const supervisor = createSupervisor({ name: 'tests', log: (line) => lines.push(line), registry, ...options });
  started.push(supervisor);
  supervisor.start();
  return { supervisor, lines, registry };
}

describe('a supervised process', () => {
  test('killed with SIGKILL comes back after its backoff as a new process, and the restart is logged and counted', async () => {
    const api = child('api', 'serve');
    const file = join(dir, 'kill', 'status.json');
    const registry = new Registry();
    const { supervisor, lines } = supervise({
      children: [api.spec],
      backoff: { initialMs: 100, maxMs: 1000, resetAfterMs: 60_000 },
      registry,
      onChange: statusFileWriter({ file, supervisor: 'tests', registry }),
    });
    await until('the first start', () => startsOf(api.starts).length === 1);
    const first = startsOf(api.starts)[0]!.pid;
    expect(supervisor.status()[0]).toMatchObject({ name: 'api', state: 'running', pid: first, restarts: 0, lastExit: null });

    process.kill(first, 'SIGKILL');
    await until('the restart', () => startsOf(api.starts).length === 2);
    const second = startsOf(api.starts)[1]!.pid;
    expect(second).not.toBe(first);
    await until('the new pid in the status', () => supervisor.status()[0]!.pid === second);
    expect(supervisor.status()[0]).toMatchObject({ state: 'running', restarts: 1, lastExit: { code: null, signal: 'SIGKILL' } });
    expect(lines.join('\n')).toContain(`api (pid ${first}) exited with signal SIGKILL`);
    expect(registry.render()).toContain('tests_process_restarts_total{process="api"} 1');

    const written = await readStatusFile(file);
    expect(written?.processes[0]).toMatchObject({ name: 'api', pid: second, restarts: 1, lastExit: { signal: 'SIGKILL' } });
    expect(readFileSync(join(dir, 'kill', 'status.prom'), 'utf8')).toContain('tests_process_restarts_total{process="api"} 1');
    expect(await supervisor.stop()).toBe(0);
  }, 30_000);

  test('that exits 0 on its own is started again too: only stop() ends it', async () => {
    const once = child('once', 'crash');
    const spec = { ...once.spec, cmd: [process.execPath, '-e', `require('fs').appendFileSync(${JSON.stringify(once.starts)}, process.pid + ' ' + Date.now() + '\\n')`] };
    const { supervisor, lines } = supervise({ children: [spec], backoff: { initialMs: 50, maxMs: 200, resetAfterMs: 60_000 } });
    await until('two starts', () => startsOf(once.starts).length >= 2);
    expect(lines[0]).toContain('exited with code 0');
    expect(await supervisor.stop()).toBe(0);
    expect(supervisor.status()[0]!.state).toBe('stopped');
  }, 30_000);

  test('that crashes at start-up over and over is restarted with growing gaps, reported as crashing, and never given up on', async () => {
    const boom = child('boom', 'crash');
    const calm = child('calm', 'serve');
    const { supervisor, lines, registry } = supervise({
      children: [boom.spec, calm.spec],
      backoff: { initialMs: 200, maxMs: 1600, resetAfterMs: 60_000 },
      crashLoop: { restarts: 4, windowMs: 60_000 },
    });
    await until('six starts', () => startsOf(boom.starts).length >= 6, 30_000);
    const at = startsOf(boom.starts).map((s) => s.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Waits of 200, 400, 800 ms, then the cap (1600) once crashing: each gap longer than the one before, up to the cap.
    for (let i = 1; i < 4; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]!);
    expect(gaps[4]!).toBeGreaterThanOrEqual(1600);
    expect(lines.filter((l) => l.includes('boom is CRASHING')).length).toBeGreaterThan(0);
    expect(lines.find((l) => l.includes('boom (pid'))).toContain('exited with code 1');
    await until('the crashing state', () => supervisor.status()[0]!.state === 'crashing');
    expect(registry.render()).toContain('tests_process_restarts_total{process="boom"} 5');
    // Its neighbour was never touched.
    expect(startsOf(calm.starts).length).toBe(1);
    expect(supervisor.status()[1]).toMatchObject({ name: 'calm', state: 'running', restarts: 0 });
    // Stopping while it waits for its next start cancels that start.
    await until('a wait between starts', () => supervisor.status()[0]!.pid === null);
    expect(await supervisor.stop()).toBe(0);
    const count = startsOf(boom.starts).length;
    await Bun.sleep(2000);
    expect(startsOf(boom.starts).length).toBe(count);
    expect(supervisor.status().map((s) => s.state)).toEqual(['stopped', 'stopped']);
  }, 60_000);
});

describe('stop()', () => {
  test('SIGTERMs every child, and resolves 0 once all have drained', async () => {
    const a = child('a', 'serve');
    const b = child('b', 'serve');
    const { supervisor, lines } = supervise({ children: [a.spec, b.spec] });
    await until('both started', () => startsOf(a.starts).length === 1 && startsOf(b.starts).length === 1);
    expect(await supervisor.stop('SIGTERM')).toBe(0);
    expect(supervisor.status().map((s) => [s.state, s.lastExit?.code])).toEqual([['stopped', 0], ['stopped', 0]]);
    // A stop is not a crash: nothing is logged as an exit to restart from.
    expect(lines.filter((l) => l.includes('restarting'))).toEqual([]);
  }, 30_000);

  test('SIGKILLs a child still running after the grace period, and resolves 1', async () => {
    const deaf = child('deaf', 'stubborn');
    const ok = child('ok', 'serve');
    const { supervisor } = supervise({ children: [deaf.spec, ok.spec], graceMs: 1000 });
    await until('both started', () => startsOf(deaf.starts).length === 1 && startsOf(ok.starts).length === 1);
    await Bun.sleep(200); // the stubborn child installs its SIGTERM handler right after recording its start
    expect(await supervisor.stop('SIGTERM')).toBe(1);
    expect(supervisor.status().map((s) => s.lastExit)).toMatchObject([{ signal: 'SIGKILL' }, { code: 0 }]);
  }, 30_000);
});
