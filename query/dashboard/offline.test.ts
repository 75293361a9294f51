import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createQueryApp, type QueryApp } from '../app.ts';
import { serveQuery } from '../server.ts';
import { seedEvents, seedStart } from '../fixtures.ts';
import { createRun, eventually } from '../testing.ts';
import { launchBrowser, type Browser } from './browser.ts';

// GraphiQL and the dashboard in Chromium with the internet cut off: every request for another host is aborted and
// recorded, so a page that still reaches for a CDN fails here rather than on an air-gapped machine.
const run = createRun();
const seeded = seedEvents(seedStart());
const LONG_MESSAGE = `data.amount: long expected but the document held ${'a very long explanation of the mapping conflict, '.repeat(8)}end`;
const shots = mkdtempSync(join(tmpdir(), 'event-lens-pages-'));
const LOCAL = new Set(['127.0.0.1', 'localhost']);
const external: string[] = [];
let app: QueryApp;
let server: ReturnType<typeof Bun.serve>;
let browser: Browser | undefined;
let base: string;

beforeAll(async () => {
  await run.write(seeded);
  await run.deadLetter([{ event: seeded[1]!, stage: 'elasticsearch', reason: 'mapping_conflict', detail: LONG_MESSAGE }]);
  app = createQueryApp({ config: run.config, auth: run.auth });
  await eventually(() => (app.gateway.dlq?.consumed() ?? 0) >= 1, 'the dead-letter reader to catch up');
  server = serveQuery({ app, port: 0, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${server.port}`;
  browser = await launchBrowser();
  // Pages, their workers and their fetches alike; blob: and data: URLs never reach the network and are not routed.
  await browser.context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (LOCAL.has(url.hostname)) return route.continue();
    external.push(url.href);
    return route.abort('internetdisconnected');
  });
}, 900_000); // a fresh machine installs Chromium first

afterAll(async () => {
  await browser?.close();
  await server?.stop(true);
  await app?.close();
  await run.cleanup();
  // The screenshots stay, to be looked at.
  console.log(`dashboard screenshots: ${shots}`);
});

/** The response pane's text without white space: Monaco draws wrapped lines as separate, indented runs. */
const responseText = async (page: Page) => ((await page.locator('.graphiql-response').textContent()) ?? '').replace(/\s+/g, '');

/** Replaces the query editor's text and presses the run button; the brackets the editor closes itself are removed. */
async function runQuery(page: Page, query: string): Promise<void> {
  await page.locator('.graphiql-query-editor .monaco-editor').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(query);
  await page.keyboard.press('Shift+ControlOrMeta+End');
  await page.keyboard.press('Delete');
  await page.locator('.graphiql-execute-button').click();
}

describe('every page the gateway serves works with no internet access', () => {
  test('GraphiQL takes a read key from #key=, drops it from the address bar and runs a typed query', async () => {
    const page = await browser!.context.newPage();
    try {
      await page.goto(`${base}/graphql#key=${(await run.keys()).read}`);
      await page.locator('.graphiql-execute-button').waitFor();
      expect(page.url()).toBe(`${base}/graphql`);
      await runQuery(page, '{ liveStats { total byType { value count } } }');
      await eventually(async () => (await responseText(page)).startsWith('{"data"'), 'the answer in the result pane');
      expect(await responseText(page)).toContain('"total":20');
      expect(await responseText(page)).toContain('"value":"order.created"');
      expect(await page.evaluate(() => document.cookie)).toBe('');
    } finally {
      await page.close();
    }
    expect(external).toEqual([]);
  });

  test('without a key GraphiQL opens its Headers tab with the header to fill in, and a query is refused as unauthenticated', async () => {
    const page = await browser!.context.newPage();
    try {
      await page.goto(`${base}/graphql`);
      await page.locator('.graphiql-execute-button').waitFor();
      await eventually(async () => ((await page.locator('.graphiql-editor-tool').textContent()) ?? '').includes('PASTE_A_READ_KEY_HERE'), 'the placeholder in the Headers tab');
      await runQuery(page, '{ liveStats { total } }');
      await eventually(async () => (await responseText(page)).includes('invalid_credentials'), 'the refusal in the result pane');
    } finally {
      await page.close();
    }
    expect(external).toEqual([]);
  });

  test("the dashboard's GraphiQL link opens GraphiQL with the key the dashboard was given", async () => {
    const page = await browser!.context.newPage();
    try {
      await page.goto(`${base}/dashboard#key=${(await run.keys()).read}`);
      await eventually(async () => (await page.locator('#total').textContent()) === '20', 'the dashboard total');
      await page.locator('a[href="/graphql"]').click();
      await page.locator('.graphiql-execute-button').waitFor();
      await runQuery(page, '{ recentEvents(limit: 1) { type } }');
      await eventually(async () => (await responseText(page)).includes('"recentEvents"'), 'the recent events in the result pane');
      expect(await responseText(page)).not.toContain('errors');
    } finally {
      await page.close();
    }
    expect(external).toEqual([]);
  });
});

/** How far each table sticks out of its panel (scrollWidth and right edge), by table id: 0 when it fits. */
function overflowByTable(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const table of document.querySelectorAll<HTMLTableElement>('table:not([hidden])')) {
      const panel = table.closest<HTMLElement>('.card')!;
      const box = panel.getBoundingClientRect();
      const inner = box.width - parseFloat(getComputedStyle(panel).paddingLeft) - parseFloat(getComputedStyle(panel).paddingRight);
      out[table.id] = Math.max(0, Math.ceil(table.scrollWidth - inner), Math.ceil(table.getBoundingClientRect().right - box.right));
    }
    return out;
  });
}

describe('the dashboard reads well on a laptop and on a phone', () => {
  for (const [width, height] of [[1280, 900], [390, 844]] as const) {
    test(`at ${width} px wide no table sticks out of its panel, a long dead-letter message is cut to one line with the full text on hover, and the empty windows panel is one line`, async () => {
      const page = await browser!.context.newPage();
      try {
        await page.setViewportSize({ width, height });
        await page.goto(`${base}/dashboard#key=${(await run.keys()).read}`);
        await eventually(async () => ((await page.locator('#dead').textContent()) ?? '').includes('mapping_conflict'), 'the dead letter');
        await eventually(async () => (await page.locator('#recent tbody tr').count()) > 0, 'the recent events');
        await eventually(async () => (await page.locator('#delivery tbody tr').count()) > 0, 'the delivery table');
        await page.locator('#q').fill('widget');
        await page.locator('#q').press('Enter');
        await eventually(async () => (await page.locator('#search-results tbody tr').count()) > 0, 'search results');
        await eventually(async () => (await page.locator('#pipelines-note').textContent())?.startsWith('No pipelines yet'), 'the empty pipelines note');

        const message = page.locator('#dead .clip').first();
        expect(await message.getAttribute('title')).toBe(LONG_MESSAGE);
        const clip = await message.evaluate((el) => ({ cut: el.scrollWidth > el.clientWidth, height: el.getBoundingClientRect().height, font: parseFloat(getComputedStyle(el).fontSize) }));
        expect(clip.cut).toBe(true);
        expect(clip.height).toBeLessThan(clip.font * 2);

        expect(await page.locator('#pipeline-chart-note').textContent()).toContain('POST /api/pipelines');
        expect((await page.locator('#pipeline-chart').boundingBox())!.height).toBe(0);

        expect(await overflowByTable(page)).toEqual({ delivery: 0, 'search-results': 0, recent: 0, dead: 0 });
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        await page.screenshot({ path: join(shots, `dashboard-${width}.png`), fullPage: true });
        expect(Bun.file(join(shots, `dashboard-${width}.png`)).size).toBeGreaterThan(10_000);
      } finally {
        await page.close();
      }
      expect(external).toEqual([]);
    });
  }
});
