import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INGEST_ROUTES } from './app.ts';
import type { Receipt } from './receipt.ts';
import { acceptedIds, countById, edgeFixture, readTopic, type EdgeFixture } from './testing.ts';

// The README promises that every curl line under "Ingesting events" works as printed. These run those lines, taken
// from the README itself, through bash and curl against the real app on a real port, producing to the real broker.
const README = readFileSync(join(import.meta.dir, '..', 'README.md'), 'utf8');
const PRINTED_ORIGIN = 'localhost:8080';

/** The shell commands of the first ```sh block after `heading`, with continuation lines (`\`, `|`) joined. */
function shellExamples(markdown: string, heading: string): string[] {
  const section = markdown.slice(markdown.indexOf(heading));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const commands: string[] = [];
  let current = '';
  for (const line of block.split('\n')) {
    if (current === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    current += line.endsWith('\\') ? `${line.slice(0, -1)} ` : `${line}\n`;
    if (!line.endsWith('\\') && !line.trimEnd().endsWith('|')) {
      commands.push(current.trim());
      current = '';
    }
  }
  return commands;
}

const examples = shellExamples(README, '## Ingesting events');
let fx: EdgeFixture;
let server: ReturnType<typeof Bun.serve>;
const accepted: string[] = [];

beforeAll(async () => {
  fx = await edgeFixture({ what: 'readme' });
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: fx.app.fetch });
}, 60_000);

afterAll(async () => {
  await server?.stop(true);
  await fx?.close();
}, 30_000);

/**
 * Runs one README command against the test server, with EVENT_LENS_KEY set to the fixture's ingest key as the README
 * tells a reader to export it (null: not set); curl's -w appends the status on a line of its own.
 */
async function run(command: string, key: string | null = fx.key!.secret): Promise<{ status: number; body: string }> {
  const pointed = command.replaceAll(PRINTED_ORIGIN, `127.0.0.1:${server.port}`).replace(/curl -s /, `curl -s -w '\\n%{http_code}' `);
  const env: Record<string, string | undefined> = { ...process.env, EVENT_LENS_KEY: key ?? undefined };
  if (key === null) delete env.EVENT_LENS_KEY;
  const proc = Bun.spawn(['bash', '-o', 'pipefail', '-c', pointed], { stdout: 'pipe', stderr: 'pipe', env });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`"${pointed}" exited ${code}: ${err}`);
  const at = out.lastIndexOf('\n');
  return { status: Number(out.slice(at + 1)), body: out.slice(0, at) };
}

describe('the README ingestion examples', () => {
  test('show at least one curl example for every ingestion route', () => {
    for (const [path] of INGEST_ROUTES) {
      expect(examples.some((c) => c.includes(`${PRINTED_ORIGIN}${path} `) || c.includes(`${PRINTED_ORIGIN}${path}?`) || c.includes(`${PRINTED_ORIGIN}${path}'`))).toBe(true);
    }
    expect(examples.length).toBeGreaterThanOrEqual(INGEST_ROUTES.length);
  });

  test('each sends the key exported as EVENT_LENS_KEY: without it the edge refuses them with 401', async () => {
    for (const command of examples.slice(0, 2)) {
      const { status, body } = await run(command, null);
      // curl then sends "Authorization: Bearer" with nothing after it, which is no credential at all.
      expect({ status, code: (JSON.parse(body) as { error: { code: string } }).error.code }).toEqual({ status: 401, code: 'invalid_credentials' });
    }
  });

  test('each works as printed: 202, or 207 where the README shows a rejected item, with a receipt per event', async () => {
    for (const command of examples) {
      const { status, body } = await run(command);
      const receipt = JSON.parse(body) as Receipt;
      const expectsRejection = command.includes('"data":"oops"');
      expect({ command, status }).toEqual({ command, status: expectsRejection ? 207 : 202 });
      expect(receipt.accepted).toBeGreaterThanOrEqual(1);
      expect(receipt.rejected).toBe(expectsRejection ? 1 : 0);
      expect(receipt.results.map((r) => r.index)).toEqual(receipt.results.map((_, i) => i));
      if (command.includes('ack=queued')) expect(receipt.ack).toBe('queued');
      else {
        expect(receipt.ack).toBe('kafka');
        for (const r of receipt.results) if (r.status === 'accepted') expect(r).toMatchObject({ partition: expect.any(Number), offset: expect.any(String) });
      }
      accepted.push(...acceptedIds(receipt));
    }
  }, 60_000);

  test('every event the examples got accepted is in Kafka once', async () => {
    expect(accepted.length).toBeGreaterThanOrEqual(examples.length);
    const counts = countById(await readTopic(fx.brokers, fx.admin, fx.topic));
    for (const id of accepted) expect(counts.get(id)).toBe(1);
    expect(counts.size).toBe(accepted.length);
  }, 60_000);
});
