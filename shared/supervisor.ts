import { closeSync, openSync } from 'node:fs';
import type { Registry } from './telemetry/metrics.ts';
import { DEFAULT_BACKOFF, DEFAULT_CRASH_LOOP, NO_RESTARTS, planRestart, type Backoff, type CrashLoop, type RestartHistory } from './supervisor-policy.ts';

/**
 * One process supervisor for every fan-out (edge processes, worker processes, `npm start`'s services): a child that
 * exits without being asked is started again after a capped exponential backoff (supervisor-policy.ts), never given
 * up on; stop() signals the children, waits up to graceMs, then SIGKILLs what is left.
 */
export interface ChildSpec {
  readonly name: string;
  readonly cmd: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Output appended to this file (kept across restarts); the supervisor's own stdout and stderr when absent. */
  readonly logFile?: string;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface SpawnedChild {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  kill(signal: NodeJS.Signals): void;
}

export type SpawnChild = (spec: ChildSpec) => SpawnedChild;

export type ChildState = 'running' | 'backoff' | 'crashing' | 'stopped';

export interface ChildStatus {
  readonly name: string;
  readonly state: ChildState;
  readonly pid: number | null;
  readonly startedAt: string | null;
  readonly uptimeMs: number | null;
  readonly restarts: number;
  readonly lastExit: (ExitStatus & { at: string }) | null;
  /** While in backoff: when the next start is due. */
  readonly restartAt: string | null;
}

export interface SupervisorOptions {
  /** The component, as in its metric names (`<name>_process_restarts_total`) and log lines. */
  readonly name: string;
  readonly children: readonly ChildSpec[];
  readonly backoff?: Backoff;
  readonly crashLoop?: CrashLoop;
  /** After the stop signal, how long children may drain before SIGKILL. */
  readonly graceMs?: number;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  readonly spawn?: SpawnChild;
  /** Where `<name>_process_restarts_total{process}` is counted. */
  readonly registry?: Registry;
  /** Called after every change of state (start, exit, restart, stop), e.g. to write a status file. */
  readonly onChange?: (children: readonly ChildStatus[]) => void;
}

export interface Supervisor {
  readonly name: string;
  start(): void;
  /** Resolves 0 when every child exited with 0 or by the signal sent, 1 when one failed or had to be killed. */
  stop(signal?: NodeJS.Signals, grace?: number): Promise<number>;
  status(): ChildStatus[];
}

interface Slot {
  readonly spec: ChildSpec;
  proc: SpawnedChild | undefined;
  startedAt: number | undefined;
  restarts: number;
  history: RestartHistory;
  crashing: boolean;
  lastExit: { code: number | null; signal: string | null; at: number } | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  restartAt: number | undefined;
}

export function createSupervisor({
  name,
  children,
  backoff = DEFAULT_BACKOFF,
  crashLoop = DEFAULT_CRASH_LOOP,
  graceMs = 30_000,
  log = (line: string) => console.error(line),
  now = Date.now,
  spawn = spawnWithBun,
  registry,
  onChange,
}: SupervisorOptions): Supervisor {
  const restartsTotal = registry?.counter(`${name}_process_restarts_total`, 'Supervised processes started again after exiting on their own.', ['process']);
  const slots: Slot[] = children.map((spec) => ({ spec, proc: undefined, startedAt: undefined, restarts: 0, history: NO_RESTARTS, crashing: false, lastExit: undefined, timer: undefined, restartAt: undefined }));
  let stopping = false;
  const changed = () => onChange?.(status());

  function launch(slot: Slot): void {
    slot.timer = undefined;
    slot.restartAt = undefined;
    const proc = spawn(slot.spec);
    slot.proc = proc;
    slot.startedAt = now();
    void proc.exited.then((exit) => exited(slot, proc, exit));
    changed();
  }

  function exited(slot: Slot, proc: SpawnedChild, exit: ExitStatus): void {
    const at = now();
    const startedAt = slot.startedAt ?? at;
    slot.proc = undefined;
    slot.lastExit = { ...exit, at };
    if (stopping) return changed();
    const plan = planRestart(slot.history, { startedAt, exitedAt: at }, backoff, crashLoop);
    slot.history = plan.history;
    slot.crashing = plan.crashing;
    slot.restartAt = at + plan.delayMs;
    log(`${name}: ${slot.spec.name} (pid ${proc.pid}) exited with ${describeExit(exit)} after ${seconds(at - startedAt)}; restarting in ${seconds(plan.delayMs)}`);
    if (plan.crashing) {
      log(`${name}: ${slot.spec.name} is CRASHING: ${plan.history.recent.length} restarts within ${seconds(crashLoop.windowMs)}; still restarting it every ${seconds(backoff.maxMs)}`);
    }
    slot.timer = setTimeout(() => {
      slot.restarts++;
      restartsTotal?.inc({ process: slot.spec.name });
      launch(slot);
    }, plan.delayMs);
    changed();
  }

  function stateOf(slot: Slot, at: number): ChildState {
    if (slot.proc) return slot.crashing && at - (slot.startedAt ?? at) < backoff.resetAfterMs ? 'crashing' : 'running';
    if (slot.timer !== undefined) return slot.crashing ? 'crashing' : 'backoff';
    return 'stopped';
  }

  function status(): ChildStatus[] {
    const at = now();
    return slots.map((slot) => ({
      name: slot.spec.name,
      state: stateOf(slot, at),
      pid: slot.proc?.pid ?? null,
      startedAt: slot.proc && slot.startedAt !== undefined ? new Date(slot.startedAt).toISOString() : null,
      uptimeMs: slot.proc && slot.startedAt !== undefined ? at - slot.startedAt : null,
      restarts: slot.restarts,
      lastExit: slot.lastExit ? { code: slot.lastExit.code, signal: slot.lastExit.signal, at: new Date(slot.lastExit.at).toISOString() } : null,
      restartAt: slot.restartAt !== undefined ? new Date(slot.restartAt).toISOString() : null,
    }));
  }

  async function stop(signal: NodeJS.Signals = 'SIGTERM', grace = graceMs): Promise<number> {
    stopping = true;
    for (const slot of slots) {
      if (slot.timer !== undefined) clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.restartAt = undefined;
    }
    const running = slots.flatMap((slot) => (slot.proc ? [slot.proc] : []));
    let killed = false;
    for (const proc of running) proc.kill(signal);
    const timer = setTimeout(() => {
      killed = true;
      for (const slot of slots) slot.proc?.kill('SIGKILL');
    }, grace);
    const exits = await Promise.all(running.map((proc) => proc.exited));
    clearTimeout(timer);
    changed();
    const clean = exits.every((exit) => exit.code === 0 || exit.signal === signal);
    return clean && !killed ? 0 : 1;
  }

  return {
    name,
    start() {
      stopping = false;
      for (const slot of slots) if (!slot.proc && slot.timer === undefined) launch(slot);
    },
    stop,
    status,
  };
}

export function describeExit({ code, signal }: ExitStatus): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;

/** The default spawn: `Bun.spawn`, stdin closed, output to the spec's log file (appended) or inherited. */
export function spawnWithBun(spec: ChildSpec): SpawnedChild {
  const fd = spec.logFile ? openSync(spec.logFile, 'a') : undefined;
  try {
    const proc = Bun.spawn([...spec.cmd], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', fd ?? 'inherit', fd ?? 'inherit'],
    });
    return {
      pid: proc.pid,
      exited: proc.exited.then((): ExitStatus => (proc.signalCode ? { code: null, signal: String(proc.signalCode) } : { code: proc.exitCode, signal: null })),
      kill(signal) {
        // An exit the supervisor has not yet been told of: nothing left to signal.
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      },
    };
  } finally {
    // The child holds its own copy of the descriptor once spawned.
    if (fd !== undefined) closeSync(fd);
  }
}
