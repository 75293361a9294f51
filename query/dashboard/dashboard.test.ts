import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { StampedEvent } from '../../shared/contracts/index.ts';
import { failPipeline } from '../../shared/stores/pipelines.ts';
import { migrateWindows } from '../../shared/stores/windows.ts';
import { statusFileWriter } from '../../shared/supervisor-status.ts';
import type { ChildStatus } from '../../shared/supervisor.ts';
import { createQueryApp, type QueryApp } from '../app.ts';
import { serveQuery } from '../server.ts';
import { seedEvents, seedStart } from '../fixtures.ts';
import { insertWindows, ORDER_TOTALS } from '../pipelines.fixtures.ts';
import { createRun, eventually } from '../testing.ts';
import { launchBrowser, type Browser } from './browser.ts';

// The dashboard in headless Chromium, against a gateway over this run's own seeded stores (testing.ts).
const run = createRun();
const seeded = seedEvents(seedStart());
// Outside the repo: a test run must not change tracked files (docs/dashboard.png comes from screenshot.ts).
const SCREENSHOT = join(tmpdir(), `event-lens-dashboard-${process.pid}.png`);
// The health strip reads this folder's status file, and a group and topic of its own (no partitions: lag 0).
const statusDir = mkdtempSync(join(tmpdir(), 'event-lens-dashboard-status-'));
const health = { processStatusDir: statusDir, workersGroupId: `dashboard-test-${process.pid}`, workersTopic: `dashboard-test-none-${process.pid}` };
const child = (name: string, restarts: number): ChildStatus => ({
  name, state: 'running', pid: process.pid, startedAt: new Date().toISOString(), uptimeMs: 1000, restarts, lastExit: null, restartAt: null,
});
let app: QueryApp;
let server: ReturnType<typeof Bun.serve>;
let browser: Browser | undefined;
let page: Page;
let base: string;

/** Events as a worker would store them, received now: they land in the live counters' current second. */
function probes(from: number, count: number, word?: string): StampedEvent[] {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => ({
    id: `probe-${from + i}`,
    type: 'dashboard.probe',
    source: 'browser-test',
    key: `p-${from + i}`,
    timestamp: now,
    receivedAt: now,
    data: { n: from + i, note: i === 0 && word ? `a ${word} arrived` : 'ordinary probe' },
  }));
}

const text = async (selector: string) => ((await page.locator(selector).textContent()) ?? '').trim();
/** Polls the page (bounded by eventually's timeout) until `check` holds for the text at `selector`. */
const pageShows = (selector: string, check: (text: string) => boolean, what: string) =>
  eventually(async () => check(await text(selector)), what);

beforeAll(async () => {
  await run.write(seeded);
  await run.deadLetter([{ event: seeded[1]!, stage: 'elasticsearch', reason: 'mapping_conflict', detail: 'data.amount: long expected' }]);
  statusFileWriter({ file: join(statusDir, 'platform.json'), supervisor: 'platform' })([child('edge', 0), child('workers', 1), child('query', 0)]);
  app = createQueryApp({ config: { ...run.config, ...health }, auth: run.auth });
  await eventually(() => (app.gateway.dlq?.consumed() ?? 0) >= 1, 'the dead-letter reader to catch up');
  // The server bun query/server.ts runs: its SSE subscription is quiet between ticks and must not be cut.
  server = serveQuery({ app, port: 0, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${server.port}`;
  browser = await launchBrowser();
  page = await browser.context.newPage();
}, 900_000); // a fresh machine installs Chromium first

afterAll(async () => {
  await browser?.close();
  await server?.stop(true);
  await app?.close();
  await run.cleanup();
  rmSync(statusDir, { recursive: true, force: true });
});

describe('the gateway serves the dashboard', () => {
  test('the page, its transpiled modules and uPlot; nothing else from the folder', async () => {
    const page = await fetch(`${base}/dashboard`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/dashboard/main.ts');
    const main = await fetch(`${base}/dashboard/main.ts`);
    expect(main.headers.get('content-type')).toContain('text/javascript');
    expect(await main.text()).not.toContain('interface Live');
    expect((await fetch(`${base}/dashboard/uplot.js`)).status).toBe(200);
    expect((await fetch(`${base}/dashboard/uplot.css`)).status).toBe(200);
    expect((await fetch(`${base}/dashboard/key.ts`)).status).toBe(200);
    for (const hidden of ['serve.ts', 'dashboard.test.ts', 'browser.ts', '%2e%2e/app.ts']) {
      expect((await fetch(`${base}/dashboard/${hidden}`)).status).toBe(404);
    }
    expect((await fetch(`${base}/dashboard`, { method: 'POST' })).status).toBe(405);
  });
});

describe('the dashboard asks for a key', () => {
  test('without a key the page shows the key form and no data', async () => {
    const bare = await browser!.context.newPage();
    try {
      await bare.goto(`${base}/dashboard`);
      await eventually(async () => (await bare.locator('#key-panel').isVisible()) && (await bare.locator('#key-note').textContent())?.includes('read scope'), 'the key form');
      expect(await bare.locator('#data').isHidden()).toBe(true);
      expect(await bare.locator('#total').textContent()).toBe('…');
    } finally {
      await bare.close();
    }
  });

  test('a refused key is named as refused, and a key without the read scope as lacking it', async () => {
    const other = await browser!.context.newPage();
    try {
      await other.goto(`${base}/dashboard#key=el_read_${'x'.repeat(43)}`);
      await eventually(async () => (await other.locator('#key-note').textContent())?.includes('unknown or has been revoked'), 'the refusal');
      expect(await other.locator('#data').isHidden()).toBe(true);
      await other.locator('#key').fill((await run.keys()).ingest);
      await other.locator('#key').press('Enter');
      await eventually(async () => (await other.locator('#key-note').textContent())?.includes('lacks the read scope'), 'the scope refusal');
      expect(await other.locator('#data').isHidden()).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe('the dashboard in Chromium', () => {
  test('a read key in the link shows the seeded total, the counts by type and the live link; the key leaves the address bar', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${base}/dashboard#key=${(await run.keys()).read}`);
    await pageShows('#total', (t) => t === '20', 'the total to show 20');
    expect(page.url()).toBe(`${base}/dashboard`);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const bars = await page.locator('#by-type li').allTextContents();
    expect(bars.map((b) => b.replace(/\s+/g, ' ').trim())).toEqual(['order.created10', 'sensor.reading6', 'user.signup4']);
    await pageShows('#link', (t) => t === 'Live', 'the subscription to connect');
    await pageShows('#p99', (t) => /^[\d.,]+ m?s$/.test(t), 'latency percentiles');
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#banner').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });

  test('events written while the page is open show up without a reload', async () => {
    // Three batches a moment apart, through the real sinks, so the per-second chart has a shape.
    await run.write(probes(0, 4, 'kumquat'));
    await Bun.sleep(1100);
    await run.write(probes(4, 7));
    await Bun.sleep(1100);
    await run.write(probes(11, 3));
    await pageShows('#total', (t) => t === '34', 'the total to reach 34');
    await pageShows('#by-type', (t) => t.includes('dashboard.probe14'), 'the new type among the bars');
    await pageShows('#recent', (t) => t.includes('probe-13'), 'the newest event in the recent table');
  });

  test('the search box finds an event by a distinctive word', async () => {
    await page.locator('#q').fill('kumquat');
    await page.locator('#q').press('Enter');
    await pageShows('#search-note', (t) => t === '1 match', 'one search match');
    const [row] = await page.locator('#search-results tbody tr').all();
    const cells = (await row!.locator('td').allTextContents()).map((c) => c.trim());
    expect(cells.slice(0, 2)).toEqual(['dashboard.probe', 'probe-0']);
    expect(cells[3]).toBe('p-0');
  });

  test('the dead letters panel lists the seeded dead letter', async () => {
    await pageShows('#dead', (t) => t.includes('mapping_conflict'), 'the dead letter');
    const cells = (await page.locator('#dead tbody tr').first().locator('td').allTextContents()).map((c) => c.trim());
    expect(cells.slice(1)).toEqual(['elasticsearch', 'mapping_conflict', 'order.created · order-01']);
    expect(await text('#dead tr.detail')).toBe('data.amount: long expected');
    expect(await text('#dead-count')).toBe('· 1');
  });

  test('the pipelines section lists a pipeline with its state and activity, and charts its windows', async () => {
    const admin = run.as('admin', app.fetch);
    const json = { 'content-type': 'application/json' };
    const created = await admin(new Request(`${base}/api/pipelines`, { method: 'POST', headers: json, body: JSON.stringify(ORDER_TOTALS) }));
    expect(created.status).toBe(201);
    expect((await admin(new Request(`${base}/api/pipelines/order-totals/start`, { method: 'POST', headers: json }))).status).toBe(200);
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const at = (i: number) => new Date(minute + i * 60_000).toISOString();
    await migrateWindows(app.gateway.stores.sql, run.pgSchema);
    await insertWindows(app.gateway.stores.sql, run.pgSchema, [-2, -1, 0].map((i) => ({ pipelineId: 'order-totals', key: 'eu', start: at(i), end: at(i + 1), count: 3 + i, sum: 40 + i, avg: 13 + i, closed: i < 0 })));
    await pageShows('#pipelines', (t) => t.includes('Order totals'), 'the pipeline in the list');
    const cells = (await page.locator('#pipelines tbody tr').first().locator('td').allTextContents()).map((c) => c.trim());
    expect(cells.slice(0, 6)).toEqual(['Order totals', 'order-totals', 'running', '1', '3 in 5 min', '6']);
    await pageShows('#pipeline-chart-note', (t) => t === 'key eu: the latest 3 windows', 'the window chart note');
    expect(await page.locator('#pipeline-chart canvas').count()).toBeGreaterThan(0);
    // Failed by a worker: the list says why, as nothing else on the page would.
    await failPipeline(app.gateway.stores.sql, run.pgSchema, { id: 'order-totals', version: 1, reason: 'sink_topic_refused: UNKNOWN_TOPIC_OR_PART' });
    await pageShows('#pipelines', (t) => t.includes('failed: sink_topic_refused: UNKNOWN_TOPIC_OR_PART ('), 'the failure in the list');
  });

  test('stores that are down are named where their panels are; search still answers', async () => {
    const redisDown = createQueryApp({ config: { ...run.config, storeTimeoutMs: 2_000 }, auth: run.auth, dlq: false, urls: { redisUrl: 'redis://127.0.0.1:1' } });
    const downServer = serveQuery({ app: redisDown, port: 0, hostname: '127.0.0.1' });
    const other = await browser!.context.newPage();
    try {
      await other.goto(`http://127.0.0.1:${downServer.port}/dashboard#key=${(await run.keys()).read}`);
      // Redis feeds the live counters and the recent events; this gateway has no dead-letter reader either.
      await eventually(async () => (await other.locator('#banner').textContent())?.startsWith('Unavailable: kafka, redis'), 'the banner to name the stores');
      expect(await other.locator('#total-note').textContent()).toContain('redis is unavailable');
      expect(await other.locator('#total').textContent()).toBe('—');
      expect(await other.locator('#recent-note').textContent()).toContain('redis is unavailable');
      expect(await other.locator('#dead-note').textContent()).toContain('kafka is unavailable');
      await other.locator('#q').fill('kumquat');
      await other.locator('#q').press('Enter');
      await eventually(async () => (await other.locator('#search-note').textContent()) === '1 match', 'search to answer from the search node');
    } finally {
      await other.close();
      await downServer.stop(true);
      await redisDown.close();
    }
  });

  test('the health strip shows the lag, the processes with their restarts and the stores, on one line at 390 px wide', async () => {
    await pageShows('#health-lag', (t) => t === 'lag 0', 'the lag in the strip');
    expect(await text('#health-processes')).toBe('3/3 up · 1 restart');
    expect(await text('#health-stores')).toBe('search ✓ pg ✓ redis ✓');
    const phone = await browser!.context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${base}/dashboard#key=${(await run.keys()).read}`);
      await eventually(async () => (await phone.locator('#health-stores').textContent()) === 'search ✓ pg ✓ redis ✓', 'the strip on a phone');
      const strip = await phone.locator('#health').evaluate((el) => ({
        overflow: el.scrollWidth - el.clientWidth,
        right: el.getBoundingClientRect().right,
        tops: [...el.children].map((item) => Math.round(item.getBoundingClientRect().top)),
      }));
      expect(strip.overflow).toBe(0);
      expect(strip.right).toBeLessThanOrEqual(390);
      expect(new Set(strip.tops).size).toBe(1);
    } finally {
      await phone.close();
    }
  });

  test('the delivery panel shows the last hour and its last ten minutes, with the audit command', async () => {
    // Every store holds each event written (the seeded ones and the probes); this gateway's workers topic has none.
    await pageShows('#delivery tbody tr:first-child', (t) => t.startsWith('Last hour'), 'the delivery totals row');
    const [label, received, stored, dead] = await page.locator('#delivery tbody tr:first-child td').allTextContents();
    expect(label).toBe('Last hour');
    expect(received).toBe('0');
    const perStore = stored!.split(' · ').map((n) => Number(n.replaceAll(/\D/g, '')));
    expect(perStore).toHaveLength(3);
    expect(new Set(perStore).size).toBe(1);
    expect(perStore[0]).toBeGreaterThanOrEqual(seeded.length);
    expect(Number(dead)).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#delivery tbody tr').count()).toBe(11);
    expect(await page.locator('#delivery thead th').allTextContents()).toEqual(['Minute', 'Received', 'Stored (search · pg · redis)', 'Dead-lettered', 'Missing']);
    expect(await text('#delivery-section')).toContain('npm run audit -- --from 1h --ids');
  });

  test('the page with live data and a search renders to a full-page screenshot', async () => {
    await page.bringToFront();
    await page.evaluate(() => window.scrollTo(0, 0));
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(Bun.file(SCREENSHOT).size).toBeGreaterThan(10_000);
  });
});
