/**
 * Test helper: the Debian Chromium driven by playwright-core. Playwright's own browser downloads need the network,
 * so the system package is used; on a fresh machine (as root) it is installed the way the project's setup does.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

// No GPU, no sandbox (containers run as root), and nothing that reaches for the network on its own.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function run(command: string[], log: (line: string) => void): Promise<void> {
  log(`$ ${command.join(' ')}`);
  const child = Bun.spawn(command, { stdout: 'inherit', stderr: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const code = await child.exited;
  if (code !== 0) throw new Error(`${command.join(' ')} exited with ${code}`);
}

/** Makes sure /usr/bin/chromium exists: installs `chromium chromium-driver` with apt when missing and root. */
export async function ensureChromium(log: (line: string) => void = (line) => console.log(`dashboard test: ${line}`)): Promise<string> {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM} is missing and this is not root: run \`apt-get update && apt-get install -y chromium chromium-driver\``);
  }
  log(`${CHROMIUM} is missing; installing the Debian packages chromium and chromium-driver (takes a few minutes)`);
  await run(['apt-get', 'update'], log);
  await run(['apt-get', 'install', '-y', 'chromium', 'chromium-driver'], log);
  if (!existsSync(CHROMIUM)) throw new Error(`apt installed chromium but ${CHROMIUM} is still missing`);
  log(`installed ${CHROMIUM}`);
  return CHROMIUM;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A browser with a new, empty profile directory (--user-data-dir, which Playwright takes as launchPersistentContext's
 * first argument), so no run sees another's cache, storage or crash state; the directory is removed on close.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = await ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'event-lens-dashboard-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    // Stable output for the screenshot and the formatted numbers the test reads.
    locale: 'en-US',
    colorScheme: 'light',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
