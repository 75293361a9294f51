import { launchBrowser } from './browser.ts';

/**
 * `bun query/dashboard/screenshot.ts [url] [file]`: the README's picture of the dashboard, taken from a running
 * platform (`npm start`, with demo traffic) after the live numbers have had time to fill in.
 */
const url = process.argv[2] ?? 'http://127.0.0.1:4000/dashboard';
const file = process.argv[3] ?? 'docs/dashboard.png';
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(url);
  await page.waitForTimeout(8000);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`wrote ${file}`);
} finally {
  await browser.close();
}
