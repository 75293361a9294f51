import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ManagedService, type SpawnSpec, type StackContext, run } from '../service.ts';

/**
 * A real Elasticsearch 8.19 single node without Docker: the server, transport-netty4 and the test framework's
 * MockPluginsService come from Maven Central (pom.xml), and src/org/elasticsearch/node/EventLensNode.java starts them
 * as a plain `java` process. Missing next to a distribution: painless, _reindex/_delete_by_query, ingest processors,
 * data streams and x-pack. Present: analyzers, index templates, aliases, bulk, search, aggregations, GET/HEAD /.
 */
export function elasticsearchService(
  opts: { httpPort?: number; transportPort?: number; heapMb?: number } = {},
): ManagedService {
  const httpPort = opts.httpPort ?? 9200;
  const transportPort = opts.transportPort ?? 9300;
  const heapMb = opts.heapMb ?? 1024;
  const paths = (home: string) => {
    const base = join(home, 'elasticsearch');
    return {
      base,
      lib: join(base, 'lib'),
      classes: join(base, 'classes'),
      stamp: join(base, 'install.stamp'),
      home: join(base, 'home'),
      data: join(base, 'data'),
      logs: join(base, 'home', 'logs'),
    };
  };

  return {
    name: 'elasticsearch',
    ports: [httpPort, transportPort],
    // Measured 3.4–6.7 s to yellow (fresh, restarted, and after kill -9 with translog replay).
    readyTimeoutMs: 90_000,

    async install(ctx: StackContext): Promise<void> {
      const p = paths(ctx.home);
      const sources = await javaSources();
      const hash = await inputsHash(sources);
      const previous = await readFile(p.stamp, 'utf8').catch(() => '');
      const launcher = Bun.file(join(p.classes, 'org/elasticsearch/node/EventLensNode.class'));
      if (previous.trim() === hash && (await launcher.exists())) return;

      ctx.log('elasticsearch: resolving jars from Maven Central');
      await rm(p.lib, { recursive: true, force: true });
      await rm(p.classes, { recursive: true, force: true });
      await mkdir(p.base, { recursive: true });
      await run(['mvn', '-q', '-B', '-f', join(here, 'pom.xml'), 'dependency:copy-dependencies',
        `-DoutputDirectory=${p.lib}`, '-DincludeScope=runtime']);
      const jars = (await readdir(p.lib)).filter((f) => f.endsWith('.jar'));
      // The test framework's own dependencies must stay excluded (pom.xml): with randomizedtesting-runner on the
      // classpath the node dies in Randomness.get before it binds a port.
      const stray = jars.find((f) => f.startsWith('randomizedtesting'));
      if (stray) throw new Error(`elasticsearch: ${stray} must not be on the classpath; check the pom.xml exclusions`);

      ctx.log(`elasticsearch: compiling launcher against ${jars.length} jars`);
      await run(['javac', '--release', '17', '-d', p.classes, '-cp', `${p.lib}/*`,
        ...sources.map((s) => join(here, s))]);
      await writeFile(p.stamp, `${hash}\n`);
    },

    async prepare(ctx: StackContext): Promise<SpawnSpec> {
      const p = paths(ctx.home);
      await mkdir(p.data, { recursive: true });
      await mkdir(p.logs, { recursive: true });
      const settings: Record<string, string> = {
        'path.home': p.home,
        'path.data': p.data,
        'path.logs': p.logs,
        'cluster.name': 'event-lens',
        'node.name': 'event-lens',
        'network.host': '127.0.0.1',
        'http.port': String(httpPort),
        'transport.port': String(transportPort),
        'discovery.type': 'single-node',
        // Dev disks are often >90 % full; the watermarks would then leave new shards unassigned (health red).
        'cluster.routing.allocation.disk.threshold_enabled': 'false',
        // Idle shards get flushed after 20 s instead of 5 min, so a kill -9 leaves little translog to replay.
        'indices.memory.shard_inactive_time': '20s',
        // Without a log4j2.properties the root logger stays at ERROR; see EventLensNode.
        'logger.level': 'INFO',
        // No xpack.* here: x-pack is not on the classpath and unknown settings abort start-up.
      };
      return {
        cwd: p.home,
        cmd: [
          'java',
          `-Xms${heapMb}m`,
          `-Xmx${heapMb}m`,
          '-Djava.awt.headless=true',
          '-Dfile.encoding=UTF-8',
          // As the distribution's jvm.options: ES closes log4j itself, so shutdown messages still reach the log.
          '-Dlog4j.shutdownHookEnabled=false',
          '-Dlog4j2.disable.jmx=true',
          '-XX:+ExitOnOutOfMemoryError',
          '-cp',
          `${p.lib}/*:${p.classes}`,
          'org.elasticsearch.node.EventLensNode',
          ...Object.entries(settings).map(([key, value]) => `-E${key}=${value}`),
        ],
      };
    },

    async ready(): Promise<boolean> {
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
          signal: AbortSignal.timeout(3_000),
        });
        await res.arrayBuffer();
        return res.ok;
      } catch {
        return false;
      }
    },
  };
}

const here = import.meta.dir;

/** Java sources relative to this folder, sorted so the install hash is stable. */
async function javaSources(): Promise<string[]> {
  const found = await Array.fromAsync(new Bun.Glob('src/**/*.java').scan({ cwd: here }));
  return found.sort();
}

/** Hash of everything install() turns into jars and classes: pom.xml and the launcher sources. */
async function inputsHash(sources: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['pom.xml', ...sources]) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(here, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}
