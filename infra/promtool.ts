import { aptInstall, canApt, run } from './service.ts';

/** The command that installs promtool on Debian/Ubuntu (the `prometheus` package ships /usr/bin/promtool). */
export const PROMTOOL_INSTALL = 'sudo apt-get install -y prometheus';

/**
 * The path of promtool, installed from Debian's `prometheus` package when it is missing and we are root (as in CI);
 * undefined otherwise, so a test can say how to install it and skip. The package's own server is not started: there
 * is no init system in a container, and nothing here needs it.
 */
export async function ensurePromtool(log: (line: string) => void = () => {}): Promise<string | undefined> {
  const found = Bun.which('promtool');
  if (found) return found;
  if (!canApt()) return undefined;
  await aptInstall({ root: '', home: '', log }, ['prometheus']);
  return Bun.which('promtool') ?? undefined;
}

export interface PromtoolResult {
  readonly code: number;
  /** What promtool printed: errors and lint warnings, one per line; empty when the input is clean. */
  readonly problems: string;
}

/**
 * `promtool check metrics` on `text` (stdin). It exits non-zero on parse errors but prints lint warnings (a counter
 * not ending in _total, a missing HELP, a non-base unit) on stdout with exit 0 in some versions, so callers treat any
 * output as a problem.
 */
export async function checkMetrics(promtool: string, text: string): Promise<PromtoolResult> {
  const proc = Bun.spawn([promtool, 'check', 'metrics'], { stdin: new TextEncoder().encode(text), stdout: 'pipe', stderr: 'pipe', timeout: 30_000 });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, problems: `${out}${err}`.trim() };
}

/** `promtool check config <file>`; throws with promtool's output when the file is not a valid Prometheus config. */
export async function checkConfig(promtool: string, file: string): Promise<string> {
  return run([promtool, 'check', 'config', '--syntax-only', file]);
}
