import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** A port nothing listens on: bound, read and closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function npmRun(script: string, args: string[], env: Record<string, string> = {}, timeout = 30_000) {
  // What `npm run <script> -- <args>` runs, without npm's own start-up on top.
  const command = scripts[script]!.split(' ');
  const proc = Bun.spawnSync([...command, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe', timeout });
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

test('every npm script goes through the bootstrap, so a fresh clone installs Bun and the workspace before running it', () => {
  const direct = Object.entries(scripts).filter(([, command]) => !command.startsWith('node infra/bootstrap.mjs '));
  expect(direct).toEqual([]);
  for (const [name, command] of Object.entries(scripts)) {
    if (command.includes(' run ')) expect({ name, entry: command.split(' ')[3] }).toEqual({ name, entry: expect.stringMatching(/\.ts$/) });
  }
});

test('a bench asked for --help prints its usage and exits 0 without touching the servers', () => {
  const run = npmRun('bench:kafka', ['--help'], { KAFKA_BROKERS: '127.0.0.1:1' });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('usage: bun bench/kafka/producer.ts');
  expect(run.stdout).toContain('--records N');
});

test('a bench given an unknown flag exits 2 with one line naming the flag', () => {
  const run = npmRun('bench:kafka', ['--recods', '5']);
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining("'--recods'")]);
});

test('a bench whose Kafka is not running stops at once with one line naming the command that starts it', async () => {
  const port = await closedPort();
  // Killed at 5 s (exit code null): the promise to users is an answer before a Kafka client's own 30 s timeout.
  const run = npmRun('bench:kafka', ['--quick'], { KAFKA_BROKERS: `127.0.0.1:${port}` }, 5_000);
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split('\n')).toEqual([`Kafka is not running on 127.0.0.1:${port}: run \`npm run stack -- up\` first (or point KAFKA_BROKERS at a running server)`]);
  expect(run.stdout).toBe('');
});

test.each([
  ['workers', 'usage: bun workers/main.ts'],
  ['replay', 'usage: bun workers/replay.ts'],
  ['fuzz', 'usage: npm run fuzz'],
  ['bench', 'usage: bun bench/report/run.ts'],
])('npm run %s -- --help prints the usage and exits 0', (script, usage) => {
  const run = npmRun(script, ['--help']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(usage);
});

test.each(['workers', 'replay', 'fuzz', 'bench:edge'])('npm run %s with an unknown flag exits 2 with one line', (script) => {
  const run = npmRun(script, ['--no-such-flag']);
  expect(run.code).toBe(2);
  expect(run.stderr.trim()).toBe("error: Unknown option '--no-such-flag' (--help shows the usage)");
});

test('keys with its Postgres unreachable names the command too, not a driver stack trace', async () => {
  const port = await closedPort();
  const run = npmRun('keys', ['list'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` });
  expect(run.code).toBe(1);
  expect(run.stderr.trim()).toBe(`Postgres is not running on 127.0.0.1:${port}: run \`npm run stack -- up\` first (or point DATABASE_URL at a running server)`);
});
