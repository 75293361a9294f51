import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall, probeSocket, type ManagedService } from '../service.ts';

/** Sends PING over a raw socket: no client library needed before `npm install` of the services has run. */
export function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return probeSocket(port, 'PING\r\n', (reply) => Buffer.from(reply).toString().startsWith('+PONG'), host);
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
