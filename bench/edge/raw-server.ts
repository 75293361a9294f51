/** The reference for bench:edge: Bun.serve answering "ok" to the same requests, same processes and reusePort. */
const port = Number(process.env.RAW_PORT ?? 18081);
const processes = Number(process.env.RAW_PROCESSES ?? 1);

if (process.argv.includes('--child') || processes === 1) {
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
  const kids = Array.from({ length: processes }, () => Bun.spawn([process.execPath, import.meta.path, '--child'], { stdio: ['ignore', 'inherit', 'inherit'] }));
  process.on('SIGTERM', () => kids.forEach((k) => k.kill()));
  await Promise.all(kids.map((k) => k.exited));
}
