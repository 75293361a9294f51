import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createAdmin, type Admin } from '../shared/kafka/index.ts';
import type { Receipt } from './receipt.ts';
import { acceptedIds, BROKERS, countById, createTopic, readTopic, spawnEdgeServer, uniqueTopic, type EdgeServerProcess } from './testing.ts';

// `bun edge/server.ts` as a real process tree (a supervisor and EDGE_PROCESSES children on one port), over real HTTP.
const PORT = 18080;
const PROCESSES = 2;
const topic = uniqueTopic('server');
let admin: Admin;
let edge: EdgeServerProcess | undefined;
let proc: ReturnType<typeof Bun.spawn> | undefined;
const accepted: string[] = [];

beforeAll(async () => {
  admin = createAdmin({ brokers: BROKERS, timeoutMs: 15_000 });
  await createTopic(admin, topic);
  // Not about keys (edge/auth-server.test.ts is): run without them, as AUTH=off does on loopback.
  edge = await spawnEdgeServer({ EDGE_PROCESSES: String(PROCESSES), EDGE_PORT: String(PORT), EDGE_TOPIC: topic, AUTH: 'off' });
  proc = edge.proc;
}, 60_000);

afterAll(async () => {
  // Only the processes this file started: the supervisor, then any child it left behind.
  await edge?.stop();
  await admin?.deleteTopics([topic]).catch(() => undefined);
  await admin?.close();
}, 30_000);

const events = (what: string, n: number) => Array.from({ length: n }, (_, i) => ({ type: `server.${what}`, data: { i } }));

/**
 * A raw HTTP/1.1 connection, so a test can send a request in parts and know the server already holds it.
 * Responses are read with their Content-Length.
 */
async function rawConnection() {
  let buffer = Buffer.alloc(0);
  let closed = false;
  let wake: () => void = () => {};
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port: PORT,
    socket: {
      data(_s, chunk) {
        buffer = Buffer.concat([buffer, chunk]);
        wake();
      },
      close() {
        closed = true;
        wake();
      },
      error() {
        closed = true;
        wake();
      },
    },
  });
  return {
    write(text: string) {
      socket.write(text);
    },
    async response(timeoutMs = 30_000): Promise<{ status: number; body: string }> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end >= 0) {
          const head = buffer.subarray(0, end).toString();
          const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (buffer.length >= end + 4 + length) {
            const body = buffer.subarray(end + 4, end + 4 + length).toString();
            buffer = buffer.subarray(end + 4 + length);
            return { status: Number(head.split(' ')[1]), body };
          }
        }
        if (closed) throw new Error(`connection closed before a full response; got: ${buffer.toString().slice(0, 200)}`);
        if (Date.now() > deadline) throw new Error('no response in time');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
    },
    end() {
      socket.end();
    },
  };
}

const request = (body: string, close = false) =>
  `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

describe('bun edge/server.ts', () => {
  test('answers health, readiness and event posts over real HTTP', async () => {
    expect((await fetch(`http://127.0.0.1:${PORT}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${PORT}/readyz`)).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`http://127.0.0.1:${PORT}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events(`plain.${i}`, 10)),
      });
      expect(res.status).toBe(202);
      const receipt = (await res.json()) as Receipt;
      expect(receipt.accepted).toBe(10);
      accepted.push(...acceptedIds(receipt));
    }
  });

  test('each serving process sizes its JS heap for 8 GiB of RAM (EDGE_HEAP_RAM_MB) rather than the host\'s', async () => {
    expect(edge!.servingPids).toHaveLength(PROCESSES);
    for (const pid of edge!.servingPids) {
      const environ = (await Bun.file(`/proc/${pid}/environ`).text()).split('\0');
      expect(environ).toContain(`BUN_JSC_forceRAMSize=${8192 * 1024 * 1024}`);
    }
  });

  test('the ingestion routes, served by Bun.serve\'s own router, answer errors as JSON with a stable code', async () => {
    const send = async (path: string, body: string, contentType = 'application/json', method = 'POST') => {
      const res = await fetch(`http://127.0.0.1:${PORT}${path}`, { method, headers: { 'content-type': contentType }, body: method === 'GET' ? undefined : body });
      expect(res.headers.get('content-type')).toStartWith('application/json');
      return { status: res.status, body: (await res.json()) as { error?: { code: string; position?: unknown }; results?: Array<{ code?: string; path?: string }> } };
    };
    expect(await send('/v1/events', 'x', 'text/plain')).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } });
    expect(await send('/orders', '{"order_id": ', 'application/json')).toMatchObject({ status: 400, body: { error: { code: 'malformed_json', position: { line: 1, column: 14 } } } });
    expect(await send('/api/events/ingest', '{"type":"x","data":{}}')).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
    expect(await send('/v1/events', '[{"type":"ok","data":1},{"data":{}}]')).toMatchObject({
      status: 400,
      body: { results: [{ code: 'invalid_type', path: 'data' }, { code: 'missing_field', path: 'type' }] },
    });
    // Other methods on an ingestion path fall through to the Hono app.
    expect(await send('/v1/events', '', 'application/json', 'GET')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  test('on SIGTERM a batch request already in flight still gets its 202, and the process exits 0', async () => {
    const conn = await rawConnection();
    // A first, complete request on the connection proves a child process has accepted it.
    const first = JSON.stringify(events('first', 5));
    conn.write(request(first) + first);
    const firstReply = await conn.response();
    expect(firstReply.status).toBe(202);
    accepted.push(...acceptedIds(JSON.parse(firstReply.body) as Receipt));

    // The second request: headers and half the body, then SIGTERM, then the rest of the body.
    const body = JSON.stringify(events('inflight', 500));
    const half = Math.floor(body.length / 2);
    conn.write(request(body, true) + body.slice(0, half));
    await Bun.sleep(300); // lets the server read the headers; ordering only, nothing is asserted about time
    proc!.kill('SIGTERM');
    await Bun.sleep(300); // lets the children start draining while the request is still incomplete
    conn.write(body.slice(half));
    const reply = await conn.response();
    conn.end();
    expect(reply.status).toBe(202);
    const receipt = JSON.parse(reply.body) as Receipt;
    expect(receipt).toMatchObject({ accepted: 500, rejected: 0, ack: 'kafka' });
    accepted.push(...acceptedIds(receipt));

    const code = await proc!.exited;
    expect(code).toBe(0);
    expect(edge!.output()).toContain('stopped');
  }, 60_000);

  test('every event the server answered 202 for is in Kafka exactly once', async () => {
    expect(accepted.length).toBe(4 * 10 + 5 + 500);
    const counts = countById(await readTopic(BROKERS, admin, topic));
    for (const id of accepted) expect(counts.get(id)).toBe(1);
    expect(counts.size).toBe(accepted.length);
  }, 60_000);
});
