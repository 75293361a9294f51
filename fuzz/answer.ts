import type { FuzzRequest } from './request.ts';

/** What one request came back with, reduced to what the table and the store check need. */
export interface Answer {
  readonly route: string;
  /** HTTP status, or `timeout` / `transport_error` when no answer came. */
  readonly status: string;
  /** The error code (edge `error.code`, the first rejected item's code, GraphQL `extensions.code`), `-` for none. */
  readonly code: string;
  /** A 5xx the READMEs do not document, or no answer at all. */
  readonly failure: boolean;
  readonly acceptedIds: readonly string[];
}

// The edge's documented 5xx (README, Errors): nothing was produced, retry after the delay.
const DOCUMENTED_503 = new Set(['overloaded', 'broker_unavailable', 'delivery_failed']);

type Parsed = {
  error?: { code?: unknown } | unknown;
  results?: Array<{ status?: unknown; id?: unknown; code?: unknown }>;
  errors?: Array<{ extensions?: { code?: unknown } }>;
};

function parse(text: string): Parsed | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Parsed) : undefined;
  } catch {
    return undefined;
  }
}

function codeOf(body: Parsed | undefined, text: string): string {
  if (!body) return text.length === 0 ? 'empty' : 'not_json';
  const error = body.error as { code?: unknown } | undefined;
  if (typeof error?.code === 'string') return error.code;
  const rejected = body.results?.find((r) => r.status === 'rejected');
  if (rejected) return String(rejected.code);
  const gqlCode = body.errors?.[0]?.extensions?.code;
  if (gqlCode !== undefined) return String(gqlCode);
  if (Array.isArray(body.errors)) return 'graphql_error';
  return '-';
}

/** Reads one HTTP answer. Pure, so the rules for "documented" are tested alone. */
export function classify(req: FuzzRequest, status: number, headers: { get(name: string): string | null }, text: string): Answer {
  const body = parse(text);
  const code = codeOf(body, text);
  const documented = req.target === 'edge' && status === 503 && headers.get('retry-after') !== null && DOCUMENTED_503.has(code);
  const acceptedIds: string[] = [];
  if (req.target === 'edge' && Array.isArray(body?.results)) {
    for (const r of body.results) if (r.status === 'accepted' && typeof r.id === 'string') acceptedIds.push(r.id);
  }
  return { route: req.route, status: String(status), code, failure: status >= 500 && !documented, acceptedIds };
}

/** No answer: the process is gone, hung past the timeout, or closed the connection. */
export function noAnswer(req: FuzzRequest, error: unknown): Answer {
  const name = error instanceof Error ? error.name : '';
  const timeout = name === 'TimeoutError' || name === 'AbortError';
  const code = timeout ? 'no_answer_in_time' : ((error as { code?: unknown })?.code as string | undefined) ?? name ?? 'error';
  return { route: req.route, status: timeout ? 'timeout' : 'transport_error', code: String(code), failure: true, acceptedIds: [] };
}

/** Sends one request and classifies the answer; never throws. */
export async function send(baseUrl: string, req: FuzzRequest, timeoutMs: number): Promise<Answer> {
  const body = req.body && req.chunked ? new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(req.body!), c.close()) }) : req.body;
  try {
    const res = await fetch(baseUrl + req.path, { method: req.method, headers: req.headers, body: body as BodyInit | undefined, signal: AbortSignal.timeout(timeoutMs), decompress: false } as RequestInit);
    return classify(req, res.status, res.headers, await res.text());
  } catch (error) {
    return noAnswer(req, error);
  }
}
