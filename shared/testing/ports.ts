/**
 * A port nobody listens on now, from the kernel. Services bind with SO_REUSEPORT, which would silently share a fixed
 * port with another run's servers on a shared machine (and split the load between them), so every run picks its own.
 */
export function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}
