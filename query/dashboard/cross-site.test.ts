import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { listPipelines } from '../../shared/stores/pipelines.ts';
import { createQueryApp, type QueryApp } from '../app.ts';
import { ORDER_TOTALS } from '../pipelines.fixtures.ts';
import { serveQuery } from '../server.ts';
import { connections, createRun } from '../testing.ts';
import { launchBrowser, type Browser } from './browser.ts';

// A page on another origin (another port) opened in headless Chromium tries to create a pipeline on the gateway the
// way a hostile site would: simple text/plain and form POSTs that need no preflight, and JSON fetches that do.
const run = createRun();
const sql = postgres(connections.databaseUrl, { max: 1, onnotice: () => {} });
let app: QueryApp;
let gateway: ReturnType<typeof Bun.serve>;
let site: ReturnType<typeof Bun.serve>;
let browser: Browser | undefined;

const MUTATION = 'mutation($d: JSON!) { createPipeline(definition: $d) { id } }';

function hostilePage(target: string): string {
  const body = JSON.stringify(ORDER_TOTALS);
  const graphqlBody = JSON.stringify({ query: MUTATION, variables: { d: ORDER_TOTALS } });
  const inline = `mutation { createPipeline(definition: ${JSON.stringify(JSON.stringify(ORDER_TOTALS))}) { id } }`;
  const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  return `<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="plain" method="POST" action="${target}/api/pipelines" enctype="text/plain" target="sink"><input name="${escape(body.slice(0, -1))}" value="}"></form>
<form id="urlencoded" method="POST" action="${target}/graphql" target="sink"><input name="query" value="${escape(inline)}"></form>
<script>
const target = ${JSON.stringify(target)};
const results = {};
async function attempt(name, run) {
  try {
    const response = await run();
    results[name] = response.type === 'opaque' ? 'opaque' : response.status;
  } catch {
    results[name] = 'blocked';
  }
}
function submit(id) {
  return new Promise((resolve) => {
    document.querySelector('iframe').addEventListener('load', resolve, { once: true });
    document.getElementById(id).submit();
  });
}
const guessed = { authorization: 'Bearer el_admin_' + 'A'.repeat(43) };
(async () => {
  await attempt('plain fetch', () => fetch(target + '/api/pipelines', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(body)} }));
  await attempt('plain graphql fetch', () => fetch(target + '/graphql', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(graphqlBody)} }));
  await attempt('json fetch', () => fetch(target + '/api/pipelines', { method: 'POST', mode: 'cors', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(body)} }));
  await attempt('json fetch with a guessed key', () => fetch(target + '/api/pipelines', { method: 'POST', mode: 'cors', headers: { 'content-type': 'application/json', ...guessed }, body: ${JSON.stringify(body)} }));
  await attempt('json graphql fetch with a guessed key', () => fetch(target + '/graphql', { method: 'POST', mode: 'cors', headers: { 'content-type': 'application/json', ...guessed }, body: ${JSON.stringify(graphqlBody)} }));
  await submit('plain');
  await submit('urlencoded');
  results.forms = 'submitted';
  window.done = results;
})();
</script></body></html>`;
}

beforeAll(async () => {
  app = createQueryApp({ config: run.config, auth: run.auth, dlq: false });
  gateway = serveQuery({ app, port: 0 });
  const target = `http://127.0.0.1:${gateway.port}`;
  site = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response(hostilePage(target), { headers: { 'content-type': 'text/html' } }) });
  browser = await launchBrowser();
}, 900_000); // a fresh machine installs Chromium first

afterAll(async () => {
  await browser?.close();
  await site?.stop(true);
  await gateway?.stop(true);
  await app?.close();
  await sql.end();
  await run.cleanup();
});

describe('a page on another origin', () => {
  test('cannot create a pipeline: simple POSTs are refused as not JSON, JSON fetches fail their preflight', async () => {
    const page = await browser!.context.newPage();
    try {
      await page.goto(`http://127.0.0.1:${site.port}/`);
      const results = await (await page.waitForFunction(() => (window as unknown as { done?: unknown }).done, undefined, { timeout: 30_000 })).jsonValue();
      expect(results).toEqual({
        'plain fetch': 'opaque',
        'plain graphql fetch': 'opaque',
        'json fetch': 'blocked',
        'json fetch with a guessed key': 'blocked',
        'json graphql fetch with a guessed key': 'blocked',
        forms: 'submitted',
      });
    } finally {
      await page.close();
    }
    expect(await listPipelines(sql, run.pgSchema).catch(() => [])).toEqual([]);
    // The simple requests did reach the gateway, and were refused for their content type.
    const metrics = await (await run.as('read', app.fetch)(new Request('http://gateway.test/api/metrics'))).text();
    expect(metrics).toMatch(/query_refused_requests_total\{code="unsupported_media_type"\} [4-9]/);
    expect(metrics).toMatch(/query_refused_requests_total\{code="origin_not_allowed"\} [1-9]/);
  });

  test('the same pipeline sent as JSON with an admin key is stored, so the refusals above were not the payload', async () => {
    const response = await run.as('admin', app.fetch)(
      new Request('http://gateway.test/api/pipelines', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ORDER_TOTALS) }),
    );
    expect(response.status).toBe(201);
    expect((await listPipelines(sql, run.pgSchema)).map((p) => p.id)).toEqual(['order-totals']);
  });
});
