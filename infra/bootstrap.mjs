#!/usr/bin/env node
// Entry point of `npm start` / `npm test` / `npm run stack`: runs on plain Node with no dependencies installed, so a
// machine with only Node and npm can bootstrap. It installs the workspace (Bun comes from npm as a devDependency)
// when node_modules is missing or older than the lockfile, then hands over to the Bun CLI in infra/cli.ts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bun = join(root, 'node_modules', '.bin', 'bun');
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');

function stale() {
  if (!existsSync(bun) || !existsSync(installed)) return true;
  return existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs;
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 18) {
  console.error(`Node ${process.versions.node} is too old: Event Lens needs Node 18 or newer (for npm and the Bun package).`);
  process.exit(1);
}

if (stale()) {
  const t = Date.now();
  const ci = existsSync(lock) && (process.env.CI === 'true' || !existsSync(join(root, 'node_modules')));
  const args = ci ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  process.stdout.write(`setup: npm ${args[0]} (Bun and the workspace packages) ... `);
  const res = spawnSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.status !== 0) {
    console.log('failed');
    console.error((res.stderr || res.stdout || '').split('\n').slice(-20).join('\n'));
    console.error('Fix: check that the npm registry is reachable (npm ping), then run `npm install` to see the full error.');
    process.exit(res.status ?? 1);
  }
  console.log(`done (${((Date.now() - t) / 1000).toFixed(1)}s)`);
}

const child = spawn(bun, [join(root, 'infra', 'cli.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
