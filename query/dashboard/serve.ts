/**
 * Serves the dashboard: one HTML page, its stylesheet, its browser modules (TypeScript, transpiled here on first
 * request, so there is no build step), and uPlot's files from node_modules (no CDN: the platform may have no
 * network). Only the names listed below are served, so nothing else in this folder or in node_modules leaks out.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const HERE = import.meta.dir;
const UPLOT = join(Bun.resolveSync('uplot/package.json', HERE), '..', 'dist');
const MODULES = new Set(['main.ts', 'api.ts', 'view.ts', 'pipelines.ts', 'health.ts', 'delivery.ts', 'key.ts']);

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

type Asset = { file: string; type: keyof typeof CONTENT_TYPES; transpile?: boolean };

function assetOf(pathname: string): Asset | undefined {
  if (pathname === '/dashboard' || pathname === '/dashboard/') return { file: join(HERE, 'index.html'), type: 'html' };
  const name = pathname.slice('/dashboard/'.length);
  if (name === 'dashboard.css') return { file: join(HERE, name), type: 'css' };
  if (name === 'uplot.js') return { file: join(UPLOT, 'uPlot.iife.min.js'), type: 'js' };
  if (name === 'uplot.css') return { file: join(UPLOT, 'uPlot.min.css'), type: 'css' };
  if (MODULES.has(name)) return { file: join(HERE, name), type: 'js', transpile: true };
  return undefined;
}

// Type-only imports (uPlot's types) are dropped; relative `./x.ts` imports stay and come back here as modules.
const transpiler = new Bun.Transpiler({ loader: 'ts', target: 'browser' });
// The files do not change while the process runs; a restart picks up edits.
const cache = new Map<string, Promise<string>>();

async function load(asset: Asset): Promise<string> {
  const source = await readFile(asset.file, 'utf8');
  return asset.transpile ? transpiler.transformSync(source) : source;
}

/** The dashboard's answer for `/dashboard` and `/dashboard/*`, or undefined for any other path. */
export async function serveDashboard(request: Request, url: URL): Promise<Response | undefined> {
  if (url.pathname !== '/dashboard' && !url.pathname.startsWith('/dashboard/')) return undefined;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('method not allowed', { status: 405, headers: { allow: 'GET, HEAD' } });
  }
  const asset = assetOf(url.pathname);
  if (!asset) return new Response('not found', { status: 404 });
  let body = cache.get(asset.file);
  if (!body) {
    body = load(asset);
    cache.set(asset.file, body);
    // A failed read is not cached, so a file restored on disk is served on the next request.
    body.catch(() => cache.delete(asset.file));
  }
  const text = await body;
  return new Response(request.method === 'HEAD' ? null : text, {
    headers: { 'content-type': CONTENT_TYPES[asset.type]!, 'cache-control': 'no-cache' },
  });
}
