import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall, type ManagedService } from '../service.ts';

/** Sends PING over a raw socket: no client library needed before `npm install` of the services has run. */
export async function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  const { promise, resolve } = Promise.withResolvers<boolean>();
  const timer = setTimeout(() => resolve(false), 1000);
  try {
    await Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          s.write('PING\r\n');
        },
        data(s, chunk) {
          resolve(Buffer.from(chunk).toString().startsWith('+PONG'));
          s.end();
        },
        error() {
          resolve(false);
        },
        close() {
          resolve(false);
        },
      },
    });
  } catch {
    resolve(false);
  }
  const ok = await promise;
  clearTimeout(timer);
  return ok;
}

/** Used only when nothing answers on the Redis port: starts Debian's redis-server with the machine's defaults. */
export function redisService({ port = 6379 }: { port?: number } = {}): ManagedService {
  return {
    name: 'redis',
    ports: [port],
    readyTimeoutMs: 15_000,
    async install(ctx) {
      if (!Bun.which('redis-server')) await aptInstall(ctx, ['redis-server']);
    },
    async prepare(ctx) {
      const dir = join(ctx.home, 'redis');
      mkdirSync(dir, { recursive: true });
      return { cmd: ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir] };
    },
    ready: () => redisPing(port),
  };
}
