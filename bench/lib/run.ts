export { freePort } from '../../shared/testing/ports.ts';

/** Installs a Debian package when its command is missing (root only), else stops with the command to run. */
export async function ensureTool(command: string, aptPackage: string): Promise<void> {
  if (Bun.which(command)) return;
  if (process.getuid?.() !== 0 || !Bun.which('apt-get')) throw new Error(`${command} is missing: sudo apt-get install -y ${aptPackage}`);
  // stderr: a caller's stdout may be one JSON line (bench --json).
  console.error(`installing ${aptPackage} from Debian packages ...`);
  for (const cmd of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', aptPackage]]) {
    const p = Bun.spawn(cmd, { stdout: 'ignore', stderr: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if ((await p.exited) !== 0) throw new Error(`${cmd.join(' ')} failed`);
  }
}

export async function waitFor(name: string, url: string, method = 'GET', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { method, signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await Bun.sleep(200);
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs / 1000}s`);
}


export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** The mean of a bench's rounds (bench:workers, bench:windows alternate their runs and report each side's mean). */
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
