import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { networkInterfaces } from 'node:os';
import { createAdmin, type Admin } from '../shared/kafka/index.ts';
import { BROKERS, createTopic, spawnEdgeServer, uniqueTopic } from './testing.ts';

// AUTH=off on `bun edge/server.ts`: the edge then takes events from anyone who reaches it, so it must only be
// reachable from this machine.
const PORT = 18099;
const topic = uniqueTopic('auth_off');
let admin: Admin;

beforeAll(async () => {
  admin = createAdmin({ brokers: BROKERS, timeoutMs: 15_000 });
  await createTopic(admin, topic, 1);
}, 60_000);
afterAll(async () => {
  await admin?.deleteTopics([topic]).catch(() => undefined);
  await admin?.close();
});

/** An address of this machine other than loopback, if it has one. */
const publicAddress = () =>
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

describe('AUTH=off', () => {
  test('with EDGE_HOSTNAME set to a public address the edge refuses to start, in one line naming both variables', async () => {
    const proc = Bun.spawn([process.execPath, `${import.meta.dir}/server.ts`], {
      env: { ...process.env, AUTH: 'off', EDGE_HOSTNAME: '0.0.0.0', EDGE_PORT: String(PORT), EDGE_TOPIC: topic, KAFKA_BROKERS: BROKERS },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const code = await Promise.race([proc.exited, Bun.sleep(30_000).then(() => 'still running')]);
    if (code === 'still running') proc.kill('SIGKILL');
    expect(code).toBe(1);
    const lines = (await new Response(proc.stderr).text()).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('EDGE_HOSTNAME=0.0.0.0');
    expect(lines[0]).toContain('AUTH=off');
  }, 40_000);

  test('without EDGE_HOSTNAME the edge listens on loopback only, warns at start, and takes events without a key', async () => {
    const edge = await spawnEdgeServer({ AUTH: 'off', EDGE_HOSTNAME: '', EDGE_PORT: String(PORT), EDGE_TOPIC: topic, EDGE_PROCESSES: '1' });
    try {
      expect(edge.output()).toContain(`listening on http://127.0.0.1:${PORT}`);
      expect(edge.output()).toContain('WARNING AUTH=off');
      const res = await fetch(`http://127.0.0.1:${PORT}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"open.event"}' });
      expect(res.status).toBe(202);
      const address = publicAddress();
      if (address !== undefined) {
        const outside = await fetch(`http://${address}:${PORT}/healthz`).then((r) => r.status, () => 'refused');
        expect(outside).toBe('refused');
      }
    } finally {
      await edge.stop();
    }
  }, 60_000);
});
