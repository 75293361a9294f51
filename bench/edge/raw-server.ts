/** The reference for bench:edge: Bun.serve answering "ok" to the same requests, same processes and reusePort. */
import { parseCli, positiveInt } from '../../shared/cli.ts';

const USAGE = `usage: bun bench/edge/raw-server.ts [--port N] [--processes N]
  --port N        the port every process listens on (reusePort; default 18081)
  --processes N   how many processes (default 1)`;
const { values } = parseCli({ usage: USAGE, options: { port: { type: 'string' }, processes: { type: 'string' }, child: { type: 'boolean' } } });
const port = positiveInt('port', values.port, 18081);
const processes = positiveInt('processes', values.processes, 1);

if (values.child || processes === 1) {
  Bun.serve({
    port,
    hostname: '127.0.0.1',
    reusePort: true,
    async fetch(req) {
      await req.arrayBuffer();
      return new Response('ok', { status: 202 });
    },
  });
} else {
  const kids = Array.from({ length: processes }, () => Bun.spawn([process.execPath, import.meta.path, ...process.argv.slice(2), '--child'], { stdio: ['ignore', 'inherit', 'inherit'] }));
  process.on('SIGTERM', () => kids.forEach((k) => k.kill()));
  await Promise.all(kids.map((k) => k.exited));
}
