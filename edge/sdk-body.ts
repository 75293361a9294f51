import { bodyHeaders, readLimited } from './body.ts';
import { EdgeError } from './errors.ts';

/**
 * Request bodies as the analytics SDKs send them: plain JSON, gzip (by Content-Encoding, or posthog-js's
 * `?compression=gzip-js` with no header), base64 (`?compression=base64`) and the `data=<base64>` form posthog-js
 * falls back to. Every step is counted against the same byte limit, so a small body that inflates is still refused.
 */

/** The query's `compression` parameter, without parsing the query unless it is there. */
export function compressionOf(url: string): string | undefined {
  const at = url.indexOf('compression=');
  if (at < 0) return undefined;
  return new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('compression') ?? undefined;
}

const gunzip = (bytes: Uint8Array, limit: number) =>
  readLimited(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>), limit);

const isGzip = (bytes: Uint8Array) => bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Segment's and RudderStack's bodies: JSON, gzip by Content-Encoding. Any Content-Type (analytics.js sends text/plain). */
export async function readJsonText(req: Request, limit: number): Promise<string> {
  const { declared, encoding } = bodyHeaders(req, limit);
  // As body.ts: a plain body of a declared length within the limit is read in one native call.
  if (encoding === 'identity' && declared >= 0) return req.text();
  if (!req.body) return '';
  const raw = await readLimited(req.body, limit);
  return new TextDecoder().decode(encoding === 'gzip' ? await gunzip(raw, limit) : raw);
}

/** PostHog's bodies, in every encoding posthog-node and posthog-js send. */
export async function readPosthogText(req: Request, limit: number): Promise<string> {
  const { encoding } = bodyHeaders(req, limit);
  if (!req.body) return '';
  let bytes = await readLimited(req.body, limit);
  let compression = compressionOf(req.url);
  if (encoding === 'gzip' || ((compression === 'gzip-js' || compression === 'gzip') && isGzip(bytes))) bytes = await gunzip(bytes, limit);
  let text = new TextDecoder().decode(bytes);
  const type = req.headers.get('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded') || text.startsWith('data=')) {
    const form = new URLSearchParams(text);
    text = form.get('data') ?? '';
    compression = form.get('compression') ?? compression;
    if (!/^\s*[[{]/.test(text)) compression = compression === 'gzip-js' || compression === 'gzip' ? compression : 'base64';
  }
  if (compression === 'lz64') throw new EdgeError(415, 'unsupported_encoding', 'compression "lz64" is not supported; use gzip-js, base64 or none');
  if (compression === 'base64' || ((compression === 'gzip-js' || compression === 'gzip') && !/^\s*[[{]/.test(text))) {
    let decoded: Uint8Array = Buffer.from(text, 'base64');
    if (isGzip(decoded)) decoded = await gunzip(decoded, limit);
    text = new TextDecoder().decode(decoded);
  }
  return text;
}
