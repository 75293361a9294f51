import { parseCli } from '../../shared/cli.ts';
import { launchBrowser } from './browser.ts';

/**
 * `bun query/dashboard/screenshot.ts [url] [file]`: the picture of the dashboard in docs/querying.md (docs/dashboard.png), taken from a running
 * platform (`npm start`, with demo traffic) after the live numbers have had time to fill in.
 */
const USAGE = `usage: bun query/dashboard/screenshot.ts [url] [file]
  url    the dashboard to photograph (default http://127.0.0.1:4000/dashboard)
  file   where the PNG goes (default docs/dashboard.png)`;
const { positionals } = parseCli({ usage: USAGE, options: {}, allowPositionals: true });
if (positionals.length > 2) {
  console.error(`error: at most two arguments (url, file), got ${positionals.length} (--help shows the usage)`);
  process.exit(2);
}
const [url = 'http://127.0.0.1:4000/dashboard', file = 'docs/dashboard.png'] = positionals;
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
