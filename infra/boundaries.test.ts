import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The README's dependency rule (Architecture), kept: dependency-cruiser with the rules in .dependency-cruiser.cjs,
 * run as a child process (under Bun, which it supports as a Node runtime) over every folder of the repo.
 */
const ROOT = join(import.meta.dir, '..');
const FOLDERS = ['shared', 'edge', 'workers', 'query', 'infra', 'bench', 'fuzz'];
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: Array<{ name: string }>;
}

/** Every import the rules forbid, as `from -> to (rule)`; a cycle also lists the modules it goes through. */
async function violations(cwd: string, folders: readonly string[]): Promise<string[]> {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'node_modules', '.bin', 'depcruise'), '--config', CONFIG, '--output-type', 'json', ...folders], {
    cwd,
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 60_000,
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  // Its exit code is the number of errors, so only output that is not a report means the check itself failed.
  if (!stdout.startsWith('{')) throw new Error(`depcruise failed (exit ${proc.exitCode}): ${stderr}`);
  const report = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations
    .map((v) => `${v.from} -> ${v.to} (${v.rule.name}${v.cycle ? `: ${[v.from, ...v.cycle.map((c) => c.name)].join(' -> ')}` : ''})`)
    .sort();
}

test('no import crosses the boundaries of the Architecture section: services use shared/ only, shared/ imports none of them, infra, bench and fuzz import no service, no cycles', async () => {
  expect(await violations(ROOT, FOLDERS)).toEqual([]);
});

const fixture = mkdtempSync(join(tmpdir(), 'boundaries-'));
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

test('each rule reports the import that breaks it, in tests and type-only imports too, and leaves allowed imports alone', async () => {
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'bundler', allowImportingTsExtensions: true, noEmit: true } }),
    'edge/app.ts': [
      "import { Hono } from 'hono';",
      "import { join } from 'node:path';",
      "import { serve } from 'bun';",
      "import { own } from './own.ts';",
      "import { ok } from '../shared/ok.ts';",
      "import { sink } from '../workers/sink.ts';",
      'export const all = [Hono, join, serve, own, ok, sink];',
    ].join('\n'),
    'edge/own.ts': 'export const own = 1;',
    'workers/sink.ts': 'export const sink = 1;',
    'workers/sink.test.ts': "import type { Row } from '../query/row.ts';\nexport const rows: Row[] = [];",
    'query/row.ts': 'export type Row = number;',
    'shared/ok.ts': 'export const ok = 1;',
    'shared/bad.ts': "import { tool } from '../infra/tool.ts';\nexport const bad = tool;",
    'infra/tool.ts': "import { own } from '../edge/own.ts';\nimport { ok } from '../shared/ok.ts';\nexport const tool = own + ok;",
    'fuzz/a.ts': "import { b } from './b.ts';\nexport const a = () => b;",
    'fuzz/b.ts': "import { a } from './a.ts';\nexport const b = () => a;",
    'bench/gone.ts': "import { nothing } from '../shared/nothing.ts';\nexport const gone = nothing;",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(fixture, dirname(path)), { recursive: true });
    writeFileSync(join(fixture, path), text);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(fixture, 'node_modules'));

  expect(await violations(fixture, FOLDERS)).toEqual([
    'bench/gone.ts -> ../shared/nothing.ts (imports-resolve)',
    'edge/app.ts -> workers/sink.ts (services-use-only-shared)',
    'fuzz/a.ts -> fuzz/b.ts (no-circular: fuzz/a.ts -> fuzz/b.ts -> fuzz/a.ts)',
    'infra/tool.ts -> edge/own.ts (tools-run-services-as-processes)',
    'shared/bad.ts -> infra/tool.ts (shared-imports-no-component)',
    'workers/sink.test.ts -> query/row.ts (services-use-only-shared)',
  ]);
});
