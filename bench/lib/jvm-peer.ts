import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { loadConfig } from '../../shared/config/index.ts';
import { EVENT_PRODUCER_DEFAULTS } from '../../shared/contracts/record.ts';
import { stackConfig } from '../../infra/config.ts';

/**
 * The JVM peer (bench/peers/jvm-bridge: Vert.x + Apache Kafka's Java producer), compiled with Maven on first use as
 * the stack's Kafka jars are: classes and dependency jars under `<stack home>/jvm-peer/build`, and a stamp holding a
 * hash of the pom and the source, so a re-run with the same files skips Maven.
 */
export const JVM_PEER_DIR = join(import.meta.dir, '..', 'peers', 'jvm-bridge');
const POM = join(JVM_PEER_DIR, 'pom.xml');
const SOURCE = join(JVM_PEER_DIR, 'src', 'main', 'java', 'Bridge.java');

function buildDir(stackHome?: string): string {
  const { home } = loadConfig(stackConfig);
  const root = stackHome ?? (isAbsolute(home) ? home : join(resolve(import.meta.dir, '..', '..'), home));
  return join(root, 'jvm-peer', 'build');
}

const fingerprint = () => Bun.hash(readFileSync(POM, 'utf8') + readFileSync(SOURCE, 'utf8')).toString(16);

/** `java -cp` for the built peer. */
export const jvmPeerClassPath = (stackHome?: string): string => `${join(buildDir(stackHome), 'classes')}:${join(buildDir(stackHome), 'dependency')}/*`;

/** Builds the peer unless the stamp matches; about a minute and 20 MB from Maven Central the first time. */
export async function ensureJvmPeer({ log = console.log, stackHome }: { log?: (s: string) => void; stackHome?: string } = {}): Promise<{ built: boolean; seconds: number }> {
  for (const tool of ['java', 'mvn']) if (!Bun.which(tool)) throw new Error(`${tool} is missing: the JVM peer needs a JDK 17+ and Maven (sudo apt-get install -y openjdk-17-jdk-headless maven)`);
  const dir = buildDir(stackHome);
  const stamp = join(dir, '.pom-stamp');
  const want = fingerprint();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want && existsSync(join(dir, 'classes', 'Bridge.class'))) return { built: false, seconds: 0 };
  const started = performance.now();
  log('  building the JVM peer (Vert.x + kafka-clients from Maven Central, about a minute the first time) ...');
  // A stale dependency folder would keep jars the pom no longer names on the class path.
  rmSync(join(dir, 'dependency'), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cmd = ['mvn', '-q', '-B', '-f', POM, `-Dpeer.build=${dir}`, 'compile', 'dependency:copy-dependencies', '-DincludeScope=runtime'];
  const timer = setInterval(() => log(`  building the JVM peer ... ${((performance.now() - started) / 1000).toFixed(0)} s`), 15_000);
  try {
    const p = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`${cmd.join(' ')} failed (${code}):\n${(out + err).slice(-3000)}`);
  } finally {
    clearInterval(timer);
  }
  writeFileSync(stamp, want);
  const seconds = (performance.now() - started) / 1000;
  log(`  building the JVM peer: done in ${seconds.toFixed(0)} s`);
  return { built: true, seconds };
}

export interface JvmPeerOptions {
  port: number;
  topic: string;
  brokers: string;
  /** Event loops, one HTTP server on each; the host's cores by default, as the edge runs one process per core. */
  loops?: number;
  lingerMs?: number;
  compression?: string;
  /** -Xmx: a deployed JVM service has its heap set rather than a quarter of the host's memory. */
  heapMb?: number;
  stackHome?: string;
}

/** Starts the built peer (ensureJvmPeer first); it answers GET /readyz once it listens with topic metadata in hand. */
export function startJvmPeer({ port, topic, brokers, loops = availableParallelism(), lingerMs = EVENT_PRODUCER_DEFAULTS.lingerMs, compression = 'lz4', heapMb = 512, stackHome }: JvmPeerOptions) {
  return Bun.spawn(['java', `-Xmx${heapMb}m`, '-cp', jvmPeerClassPath(stackHome), 'Bridge'], {
    env: { ...process.env, PEER_PORT: String(port), PEER_TOPIC: topic, KAFKA_BROKERS: brokers, PEER_LOOPS: String(loops), PEER_LINGER_MS: String(lingerMs), PEER_COMPRESSION: compression },
    stdout: 'ignore',
    stderr: 'inherit',
  });
}

if (import.meta.main) {
  const r = await ensureJvmPeer();
  console.log(r.built ? `JVM peer built in ${r.seconds.toFixed(0)} s` : 'JVM peer already built (cached)');
}
