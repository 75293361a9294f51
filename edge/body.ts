import { EdgeError } from './errors.ts';
import { findJsonError } from './json-position.ts';

export interface BodyLimits {
  maxBodyBytes: number;
}

/** One parsed item of a request body; NDJSON lines that fail to parse become per-item errors, not a 400. */
export type BodyItem = { ok: true; value: unknown; bytes: number } | { ok: false; line: number; message: string };

export interface ParsedBody {
  /** true when the body was one object (not an array/batch): the receipt still lists it at index 0. */
  single: boolean;
  items: BodyItem[];
  /** For `{events:[...]}` bodies: the wrapper key, so paths read `events.3.type`. */
  wrapper?: string;
}

/**
 * Reads the request body under the byte limit, streaming, so a client cannot make us buffer more than the limit:
 * Content-Length is checked first, then the count while reading, then the count while gunzipping (a small gzip
 * body can inflate a thousandfold).
 */
export async function readBody(req: Request, { maxBodyBytes }: BodyLimits): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBodyBytes) throw tooLarge(maxBodyBytes);
  const encoding = (req.headers.get('content-encoding') ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new EdgeError(415, 'unsupported_encoding', `Content-Encoding "${encoding}" is not supported; use gzip or none`);
  }
  // Fast path: a plain body whose declared length is within the limit is read natively in one call (Bun.serve will
  // not deliver more than Content-Length bytes); chunked or gzip bodies take the counting stream below. It comes
  // before touching `req.body`: in Bun that getter builds a ReadableStream over the body, which cost ~4 µs of the
  // edge's ~40 µs per single-event request (bench:edge, one process, CPU from /proc).
  if (encoding === 'identity' && declared >= 0 && declared <= maxBodyBytes) return req.text();
  if (!req.body) return '';
  let stream: ReadableStream<Uint8Array> = req.body;
  if (encoding === 'gzip') stream = stream.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      total += r.value.byteLength;
      if (total > maxBodyBytes) {
        void reader.cancel();
        throw tooLarge(maxBodyBytes);
      }
      chunks.push(r.value);
    }
  } catch (err) {
    if (err instanceof EdgeError) throw err;
    throw new EdgeError(400, 'malformed_gzip', `could not decompress the gzip body: ${(err as Error).message}`);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

const tooLarge = (limit: number) =>
  new EdgeError(413, 'body_too_large', `request body is larger than ${limit} bytes`, { limit_bytes: limit });

/** JSON: one object, an array, or `{events:[...]}`. A syntax error is a 400 with line, column and offset. */
export function parseJsonBody(text: string, { maxEventBytes }: { maxEventBytes?: number } = {}): ParsedBody {
  if (text.trim() === '') throw new EdgeError(400, 'empty_body', 'the request body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const at = findJsonError(text);
    const where = at ? ` at line ${at.line}, column ${at.column}` : '';
    throw new EdgeError(400, 'malformed_json', `malformed JSON${where}: ${at?.message ?? (err as Error).message}`, {
      position: at ? { offset: at.offset, line: at.line, column: at.column } : undefined,
    });
  }
  // No event can be larger than the whole body: below the per-event limit, skip measuring each one (a second
  // JSON.stringify per event, which showed in bench:edge's batch profile).
  const small = maxEventBytes !== undefined && (text.length * 3 <= maxEventBytes || Buffer.byteLength(text) <= maxEventBytes);
  const sized = (v: unknown): BodyItem => ({ ok: true, value: v, bytes: small ? 0 : byteLengthOf(v) });
  const batch = Array.isArray(value) ? value : isEventsWrapper(value) ? value.events : undefined;
  if (batch?.length === 0) throw new EdgeError(400, 'empty_body', 'the batch has no events');
  if (Array.isArray(value)) return { single: false, items: value.map(sized) };
  if (isEventsWrapper(value)) return { single: false, items: value.events.map(sized), wrapper: 'events' };
  return { single: true, items: [sized(value)] };
}

/** NDJSON: one event per line; blank lines are skipped; a bad line rejects that item only. */
export function parseNdjsonBody(text: string): ParsedBody {
  const items: BodyItem[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    try {
      items.push({ ok: true, value: JSON.parse(line), bytes: Buffer.byteLength(line) });
    } catch {
      const at = findJsonError(line);
      items.push({ ok: false, line: n + 1, message: `malformed JSON on line ${n + 1}${at ? `, column ${at.column}` : ''}: ${at?.message ?? 'syntax error'}` });
    }
  }
  if (items.length === 0) throw new EdgeError(400, 'empty_body', 'the request body has no events');
  return { single: false, items };
}

function isEventsWrapper(value: unknown): value is { events: unknown[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'events' && Array.isArray((value as { events: unknown }).events);
}

/** Size of one event as the client sent it, for the per-event limit; re-serialising is cheaper than tracking spans. */
function byteLengthOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}
