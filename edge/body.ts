import { EdgeError } from './errors.ts';
import { MAX_DEPTH } from '../shared/contracts/index.ts';
import { storableText } from '../shared/contracts/json.ts';
import { findJsonError } from './json-position.ts';
import { nestingDepth, outlineJson, type Outline } from './json-outline.ts';

export interface BodyLimits {
  maxBodyBytes: number;
}

/**
 * One parsed item of a request body; NDJSON lines that fail to parse, and items refused before parsing (too deep, too
 * large), become per-item errors, not a 400.
 */
export type BodyItem =
  | { ok: true; value: unknown; bytes: number }
  | { ok: false; code: 'malformed_json' | 'too_deep' | 'event_too_large'; line?: number; message: string };

export interface ParsedBody {
  /** true when the body was one object (not an array/batch): the receipt still lists it at index 0. */
  single: boolean;
  items: BodyItem[];
  /** For `{events:[...]}` bodies: the wrapper key, so paths read `events.3.type`. */
  wrapper?: string;
  /**
   * The body's text passed storableText (shared/contracts/json.ts): no string or key of its items holds a character
   * a store refuses, so validation need not test them one by one.
   */
  storable?: boolean;
}

/**
 * Reads the request body under the byte limit, streaming, so a client cannot make us buffer more than the limit:
 * Content-Length is checked first, then the count while reading, then the count while gunzipping (a small gzip
 * body can inflate a thousandfold).
 */
export function readBody(req: Request, { maxBodyBytes }: BodyLimits): Promise<string> {
  let headers: { declared: number; encoding: 'identity' | 'gzip' };
  try {
    headers = bodyHeaders(req, maxBodyBytes);
  } catch (err) {
    return Promise.reject(err);
  }
  const { declared, encoding } = headers;
  // Fast path: a plain body whose declared length is within the limit is read natively in one call (Bun.serve will
  // not deliver more than Content-Length bytes), its promise handed on without an async function's around it;
  // chunked or gzip bodies take the counting stream below. It comes before touching `req.body`: in Bun that getter
  // builds a ReadableStream over the body, which cost ~4 µs of the edge's ~40 µs per single-event request (bench:edge,
  // one process, CPU from /proc).
  if (encoding === 'identity' && declared >= 0 && declared <= maxBodyBytes) return req.text();
  return readStreamed(req, encoding, maxBodyBytes);
}

async function readStreamed(req: Request, encoding: 'identity' | 'gzip', maxBodyBytes: number): Promise<string> {
  if (!req.body) return '';
  let stream: ReadableStream<Uint8Array> = req.body;
  if (encoding === 'gzip') stream = stream.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  return new TextDecoder().decode(await readLimited(stream, maxBodyBytes));
}

/** Reads `stream` to its end, refusing it once it passes `limit` bytes; a broken gzip stream is a 400. */
export async function readLimited(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      total += r.value.byteLength;
      if (total > limit) {
        void reader.cancel();
        throw tooLarge(limit);
      }
      chunks.push(r.value);
    }
  } catch (err) {
    if (err instanceof EdgeError) throw err;
    throw new EdgeError(400, 'malformed_gzip', `could not decompress the gzip body: ${(err as Error).message}`);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export const tooLarge = (limit: number) =>
  new EdgeError(413, 'body_too_large', `request body is larger than ${limit} bytes`, { limit_bytes: limit });

/** Content-Length (NaN when absent) checked against `limit`, and the Content-Encoding, which must be gzip or none. */
export function bodyHeaders(req: Request, limit: number): { declared: number; encoding: 'identity' | 'gzip' } {
  const declared = Number(req.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw tooLarge(limit);
  const encoding = (req.headers.get('content-encoding') ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new EdgeError(415, 'unsupported_encoding', `Content-Encoding "${encoding}" is not supported; use gzip or none`);
  }
  return { declared, encoding };
}

/** The per-request limits a body is held to while it is parsed; without them nothing is counted ahead. */
export interface ParseLimits {
  maxEventBytes?: number;
  maxEventsPerRequest?: number;
}

/**
 * Bodies at least this long are outlined before they are parsed. Below it a body holds too few characters to carry
 * more than the limit's items (each takes at least two: one for itself, one for a comma or newline), and nests too
 * shallowly to cost much (see PARSE_FIRST_BELOW).
 */
export function outlineFrom({ maxEventsPerRequest = Infinity }: ParseLimits): number {
  return Math.min(2 * maxEventsPerRequest + 1, 65_536);
}

/**
 * A JSON body shorter than this is parsed whole first, and outlined only when that fails (so a malformed body that
 * also carries too many events is still refused as too_many_events). Whatever such a body holds, parsing it is
 * bounded: 64 KiB of nested arrays, the worst measured, took ~6 ms, of `{}` items ~1 ms (Bun 1.4.5). The outline is a
 * walk over every character in JavaScript and costs about as much as JSON.parse itself on ordinary bodies (~1 µs for
 * each of a 100-event batch's ~560-byte events), which batches of richer events paid on every request.
 */
const PARSE_FIRST_BELOW = 65_536;

/** Nesting past this cannot pass the contract (`data`, one level inside the event, may nest MAX_DEPTH levels). */
const ITEM_MAX_DEPTH = MAX_DEPTH + 1;

/** JSON: one object, an array, or `{events:[...]}`. A syntax error is a 400 with line, column and offset. */
export function parseJsonBody(text: string, limits: ParseLimits = {}): ParsedBody {
  if (text.trim() === '') throw new EdgeError(400, 'empty_body', 'the request body is empty');
  const { maxEventBytes, maxEventsPerRequest = Infinity } = limits;
  // No event can be larger than the whole body: below the per-event limit, skip measuring each one (a second
  // JSON.stringify per event, which showed in bench:edge's batch profile).
  const small = maxEventBytes !== undefined && (text.length * 3 <= maxEventBytes || Buffer.byteLength(text) <= maxEventBytes);
  const sized = (v: unknown): BodyItem => ({ ok: true, value: v, bytes: small ? 0 : byteLengthOf(v) });
  if (text.length >= outlineFrom(limits)) {
    const value = text.length < PARSE_FIRST_BELOW ? parsedOrUnparsed(text) : UNPARSED;
    if (value !== UNPARSED) return bodyOf(value, text, sized);
    const outlined = parseOutlined(text, outlineJson(text, maxEventsPerRequest), { maxEventBytes: maxEventBytes ?? Infinity, maxEventsPerRequest }, sized);
    if (outlined) return { ...outlined, storable: storableText(text) };
  }
  return bodyOf(parseWhole(text), text, sized);
}

const UNPARSED = Symbol('unparsed');

function parsedOrUnparsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return UNPARSED;
  }
}

/** The items of a body parsed whole: an array, `{events: [...]}`, or one event. */
function bodyOf(value: unknown, text: string, sized: (v: unknown) => BodyItem): ParsedBody {
  const batch = Array.isArray(value) ? value : isEventsWrapper(value) ? value.events : undefined;
  if (batch?.length === 0) throw new EdgeError(400, 'empty_body', 'the batch has no events');
  // One scan of the text instead of a regex test per string and key: on 100-event batches those tests were ~1 µs of
  // the edge's ~9 µs of CPU per event.
  const storable = storableText(text);
  if (Array.isArray(value)) return { single: false, items: value.map(sized), storable };
  if (isEventsWrapper(value)) return { single: false, items: value.events.map(sized), wrapper: 'events', storable };
  return { single: true, items: [sized(value)], storable };
}

/**
 * A long body by its outline: refused when it carries too many events, its too-deep items rejected without being
 * parsed; undefined when nothing stands out and JSON.parse may take the body whole.
 */
function parseOutlined(text: string, outline: Outline, limits: Required<ParseLimits>, sized: (v: unknown) => BodyItem): ParsedBody | undefined {
  if (outline.shape === 'malformed') throw malformedJson(text);
  if (outline.shape === 'single') {
    if (outline.depth > ITEM_MAX_DEPTH) return { single: true, items: [tooDeepItem()] };
    // Every object or array takes at least two characters once serialised.
    if (outline.containers * 2 > limits.maxEventBytes) throw eventTooLarge(limits.maxEventBytes);
    return undefined;
  }
  if (outline.count > limits.maxEventsPerRequest) throw tooManyEvents(limits.maxEventsPerRequest);
  if (outline.depths.every((d) => d <= ITEM_MAX_DEPTH)) return undefined;
  // Only the parts around the items are parsed whole: the brackets and commas of an array were checked by the outline.
  if (outline.wrapper) parseWhole(skeleton(text, outline.values));
  const items: BodyItem[] = [];
  for (let n = 0; n < outline.count; n++) {
    if (outline.depths[n]! > ITEM_MAX_DEPTH) {
      items.push(tooDeepItem());
      continue;
    }
    const start = outline.starts[n]!;
    const item = text.slice(start, outline.ends[n]!);
    try {
      items.push(sized(JSON.parse(item)));
    } catch {
      throw malformedJson(item, start, text);
    }
  }
  return { single: false, items, wrapper: outline.wrapper ? 'events' : undefined };
}

function parseWhole(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformedJson(text, 0, text, (err as Error).message);
  }
}

/** 400 malformed_json at the first syntax error of `part`, which starts at `offset` in the whole body. */
function malformedJson(part: string, offset = 0, whole = part, fallback = 'syntax error'): EdgeError {
  const at = findJsonError(part);
  const position = at ? linePosition(whole, offset + at.offset) : undefined;
  const where = position ? ` at line ${position.line}, column ${position.column}` : '';
  return new EdgeError(400, 'malformed_json', `malformed JSON${where}: ${at?.message ?? fallback}`, { position });
}

function linePosition(text: string, offset: number) {
  const lineStart = text.lastIndexOf('\n', offset - 1);
  let line = 1;
  for (let at = text.indexOf('\n'); at >= 0 && at < offset; at = text.indexOf('\n', at + 1)) line++;
  return { offset, line, column: offset - lineStart };
}

/** The root object with its values blanked, so a batch's wrapper is checked without parsing the batch again. */
function skeleton(text: string, values: ReadonlyArray<readonly [number, number]>): string {
  let out = '';
  let from = 0;
  for (const [open, close] of values) {
    out += `${text.slice(from, open)}[]`;
    from = close + 1;
  }
  return out + text.slice(from);
}

/**
 * NDJSON: one event per line; blank lines are skipped; a bad line rejects that item only. Lines are taken one at a
 * time, and counted first when the body could hold more than the limit, so no line is parsed in a refused request.
 */
export function parseNdjsonBody(text: string, limits: ParseLimits = {}): ParsedBody {
  const { maxEventBytes = Infinity, maxEventsPerRequest = Infinity } = limits;
  if (text.length >= 2 * maxEventsPerRequest + 1 && countLines(text, maxEventsPerRequest + 1) > maxEventsPerRequest) {
    throw tooManyEvents(maxEventsPerRequest);
  }
  const outlined = text.length >= outlineFrom(limits);
  const items: BodyItem[] = [];
  for (let start = 0, n = 1; start <= text.length; n++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end);
    start = end + 1;
    if (isBlank(raw)) continue;
    const line = raw.trim();
    const bytes = Buffer.byteLength(line);
    if (outlined && bytes > maxEventBytes) {
      items.push({ ok: false, code: 'event_too_large', line: n, message: `event on line ${n} is larger than ${maxEventBytes} bytes` });
      continue;
    }
    if (outlined && line.length > 2 * ITEM_MAX_DEPTH && nestingDepth(line, 0, line.length, ITEM_MAX_DEPTH) > ITEM_MAX_DEPTH) {
      items.push(tooDeepItem(n));
      continue;
    }
    try {
      items.push({ ok: true, value: JSON.parse(line), bytes });
    } catch {
      const at = findJsonError(line);
      items.push({ ok: false, code: 'malformed_json', line: n, message: `malformed JSON on line ${n}${at ? `, column ${at.column}` : ''}: ${at?.message ?? 'syntax error'}` });
    }
  }
  if (items.length === 0) throw new EdgeError(400, 'empty_body', 'the request body has no events');
  return { single: false, items, storable: storableText(text) };
}

/** Non-blank lines in `text`, counting no further than `stopAt`. */
function countLines(text: string, stopAt: number): number {
  let n = 0;
  for (let start = 0; start <= text.length && n < stopAt; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const first = text.charCodeAt(start);
    // The common line starts with a printable ASCII character; anything else is checked as parseNdjsonBody does.
    if (end > start && ((first > 0x20 && first < 0x7f) || !isBlank(text.slice(start, end)))) n++;
    start = end + 1;
  }
  return n;
}

const isBlank = (line: string) => line.trim() === '';

const tooDeepItem = (line?: number): BodyItem => ({ ok: false, code: 'too_deep', line, message: `event nests deeper than ${MAX_DEPTH} levels` });

export const tooManyEvents = (limit: number) =>
  new EdgeError(413, 'too_many_events', `a request may carry at most ${limit} events`, { limit });

export const eventTooLarge = (limit: number) => new EdgeError(413, 'event_too_large', `event is larger than ${limit} bytes`, { limit_bytes: limit });

function isEventsWrapper(value: unknown): value is { events: unknown[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'events' && Array.isArray((value as { events: unknown }).events);
}

/** Size of one event as the client sent it, for the per-event limit; re-serialising is cheaper than tracking spans. */
function byteLengthOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}
