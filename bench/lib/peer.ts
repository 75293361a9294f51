import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Installs and builds the Node.js peer (bench/peers/node-kafka) on demand, into its own node_modules, and caches the
 * result: a stamp file holds a hash of package.json and the Node version, and a re-run whose stamp matches and whose
 * addon still loads skips the build.
 *
 * The addon (@confluentinc/kafka-javascript) builds librdkafka from source here — its prebuilt download is not
 * reachable — and needs `CKJS_LINKING=dynamic` plus Debian's OpenSSL/zlib/zstd/lz4/SASL dev packages; without it the
 * build tries to download zlib and OpenSSL sources and fails. About three minutes on two cores.
 */
export const PEER_DIR = join(import.meta.dir, '..', 'peers', 'node-kafka');
const STAMP = join(PEER_DIR, 'node_modules', '.event-lens-peer-build');
const DEBIAN_PACKAGES = ['libssl-dev', 'zlib1g-dev', 'libzstd-dev', 'liblz4-dev', 'libsasl2-dev', 'python3', 'make', 'g++'];

async function fingerprint(): Promise<string> {
  const node = Bun.which('node');
  if (!node) throw new Error('node is missing: the peer runs under Node.js (apt-get install nodejs, or Node 20+)');
  const version = (await new Response(Bun.spawn([node, '--version'], { stdout: 'pipe' }).stdout).text()).trim();
  return createHash('sha256').update(readFileSync(join(PEER_DIR, 'package.json'))).update(version).digest('hex').slice(0, 16);
}

async function loads(): Promise<boolean> {
  const p = Bun.spawn(['node', '-e', "require('@confluentinc/kafka-javascript'); require('fastify')"], { cwd: PEER_DIR, stdout: 'ignore', stderr: 'ignore' });
  return (await p.exited) === 0;
}

async function missingDebianPackages(): Promise<string[]> {
  const missing: string[] = [];
  for (const pkg of DEBIAN_PACKAGES) {
    const p = Bun.spawn(['dpkg-query', '-W', '-f=${Status}', pkg], { stdout: 'pipe', stderr: 'ignore' });
    const out = await new Response(p.stdout).text();
    if ((await p.exited) !== 0 || !out.includes('install ok installed')) missing.push(pkg);
  }
  return missing;
}

async function run(cmd: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; label: string; log: (s: string) => void; logFile?: string }): Promise<void> {
  const started = performance.now();
  const timer = setInterval(() => opts.log(`  ${opts.label} ... ${((performance.now() - started) / 1000).toFixed(0)} s`), 15_000);
  const p = Bun.spawn(cmd, { cwd: opts.cwd, env: opts.env ?? process.env, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearInterval(timer);
  if (opts.logFile) writeFileSync(opts.logFile, `$ ${cmd.join(' ')}\n${out}\n${err}`);
  if (code !== 0) throw new Error(`${cmd.join(' ')} failed (${code})${opts.logFile ? `; log in ${opts.logFile}` : ''}:\n${(out + err).slice(-3000)}`);
  opts.log(`  ${opts.label}: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** Makes sure the peer is installed and its addon loads; builds it when the cache is missing or stale. */
export async function ensurePeer(log: (s: string) => void = console.log): Promise<{ built: boolean; seconds: number }> {
  const started = performance.now();
  const want = await fingerprint();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === want && (await loads())) return { built: false, seconds: 0 };

  const missing = await missingDebianPackages();
  if (missing.length) {
    if (process.getuid?.() !== 0 || !Bun.which('apt-get')) throw new Error(`the Node peer needs Debian packages: sudo apt-get install -y ${missing.join(' ')}`);
    log(`  installing ${missing.join(' ')} from Debian packages ...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run(['apt-get', 'update', '-qq'], { env, label: 'apt-get update', log });
    await run(['apt-get', 'install', '-y', '-qq', ...missing], { env, label: 'apt-get install', log });
  }
  log('  building the Node peer (npm install; librdkafka compiles from source, about 3 minutes) ...');
  await run(['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: PEER_DIR,
    env: { ...process.env, CKJS_LINKING: 'dynamic', npm_config_foreground_scripts: 'false' },
    label: 'building the Node peer',
    log,
    logFile: join(tmpdir(), 'event-lens-peer-build.log'),
  });
  if (!(await loads())) throw new Error(`the Node peer built, but @confluentinc/kafka-javascript does not load under node (see ${PEER_DIR})`);
  writeFileSync(STAMP, `${want}\n`);
  return { built: true, seconds: (performance.now() - started) / 1000 };
}

if (import.meta.main) {
  const r = await ensurePeer();
  console.log(r.built ? `Node peer built in ${r.seconds.toFixed(0)} s` : 'Node peer already built (cached)');
}
