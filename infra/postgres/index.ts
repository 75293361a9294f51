import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall, probeSocket, run, type ManagedService, type StackContext } from '../service.ts';

/** The newest Debian PostgreSQL server binaries on this machine, if any. */
function pgBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((d) => existsSync(join(base, d, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(base, versions[0], 'bin');
}

/** Postgres refuses to run as root; Debian's package creates the `postgres` user for exactly this. */
function asServerUser(cmd: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...cmd] : cmd;
}

/** SSLRequest probe: any server that answers 'S' or 'N' is a Postgres accepting connections. */
export async function postgresAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  if (Bun.which('pg_isready')) {
    const proc = Bun.spawn(['pg_isready', '-q', '-h', host, '-p', String(port), '-t', '1'], { stdout: 'ignore', stderr: 'ignore' });
    return (await proc.exited) === 0;
  }
  const sslRequest = Buffer.alloc(8);
  sslRequest.writeInt32BE(8, 0);
  sslRequest.writeInt32BE(80877103, 4);
  return probeSocket(port, sslRequest, (reply) => reply[0] === 0x53 || reply[0] === 0x4e, host);
}

/** Used only when nothing answers on the Postgres port: a private cluster under .stack/ with trust auth. */
export function postgresService({ port = 5432, database = 'test', user = 'postgres' } = {}): ManagedService {
  const dataDir = (ctx: StackContext) => join(ctx.home, 'postgres', 'data');
  return {
    name: 'postgres',
    ports: [port],
    readyTimeoutMs: 30_000,
    async install(ctx) {
      if (!pgBin()) await aptInstall(ctx, ['postgresql']);
    },
    async prepare(ctx) {
      const bin = pgBin();
      if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
      const data = dataDir(ctx);
      if (!existsSync(join(data, 'PG_VERSION'))) {
        ctx.log('initialising a Postgres cluster (trust auth, local only)');
        mkdirSync(data, { recursive: true });
        if (process.getuid?.() === 0) {
          const { uid, gid } = await pgUser();
          chownSync(join(ctx.home, 'postgres'), uid, gid);
          chownSync(data, uid, gid);
        }
        await run(asServerUser([join(bin, 'initdb'), '-D', data, '-U', user, '--auth=trust', '-E', 'UTF8']));
      }
      return { cmd: asServerUser([join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', '/tmp', '-c', 'listen_addresses=127.0.0.1']) };
    },
    ready: () => postgresAnswers(port),
    async afterStart() {
      const psql = ['psql', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-tAc'];
      const exists = (await run([...psql, `select 1 from pg_database where datname = '${database.replace(/'/g, "''")}'`])).trim();
      if (exists !== '1') await run([...psql, `create database "${database.replace(/"/g, '""')}"`]);
    },
  };
}

async function pgUser(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run(['id', '-u', 'postgres'])).trim());
  const gid = Number((await run(['id', '-g', 'postgres'])).trim());
  return { uid, gid };
}
