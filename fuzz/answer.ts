import type { FuzzRequest } from './request.ts';

/** What a run with keys on requires of an answer (fuzz/auth.ts `expectation`). */
export type Expectation = 'refused' | 'admitted' | undefined;

/** What one request came back with, reduced to what the table and the store check need. */
export interface Answer {
  readonly route: string;
  /** HTTP status, or `timeout` / `transport_error` when no answer came. */
  readonly status: string;
  /** The error code (edge `error.code`, the first rejected item's code, GraphQL `extensions.code`), `-` for none. */
  readonly code: string;
  /**
   * A 5xx the READMEs do not document, no answer at all, an auth refusal with an undocumented code, or credentials
   * answered against their case: hostile ones accepted, the run's own key refused as unknown.
   */
  readonly failure: boolean;
  readonly acceptedIds: readonly string[];
}

// The documented 5xx (docs/ingestion.md, Errors; query/README.md): nothing was done, retry after the delay.
const DOCUMENTED_503 = {
  edge: new Set(['overloaded', 'broker_unavailable', 'delivery_failed', 'auth_unavailable', 'rate_limit_unavailable']),
  gateway: new Set(['auth_unavailable']),
} as const;

// The documented refusals for keys (README, "API keys"; docs/ingestion.md, Errors): a status there with another code is a failure. The gateway's
// 403 and 429 also answer other rules (pipelines, subscriptions), so only its 401 is held to the list.
const AUTH_CODES: Record<'edge' | 'gateway', Partial<Record<number, ReadonlySet<string>>>> = {
  edge: { 401: new Set(['missing_credentials', 'invalid_credentials']), 403: new Set(['insufficient_scope']), 429: new Set(['rate_limited', 'batch_exceeds_burst']) },
  gateway: { 401: new Set(['missing_credentials', 'invalid_credentials']) },
};

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

/** Whether the answer breaks what `expect` requires of it (auth on): a hostile key let in, the run's key refused. */
function against(req: FuzzRequest, status: number, expect: Expectation): boolean {
  if (expect === 'refused') return status < 300;
  if (expect === 'admitted') return status === 401 || (req.target === 'edge' && status === 403);
  return false;
}

/** Reads one HTTP answer. Pure, so the rules for "documented" are tested alone. */
export function classify(req: FuzzRequest, status: number, headers: { get(name: string): string | null }, text: string, expect?: Expectation): Answer {
  const body = parse(text);
  const code = codeOf(body, text);
  const documented = status === 503 && headers.get('retry-after') !== null && DOCUMENTED_503[req.target].has(code);
  const authCodes = AUTH_CODES[req.target][status];
  const undocumentedRefusal = authCodes !== undefined && !authCodes.has(code);
  const acceptedIds: string[] = [];
  if (req.target === 'edge' && Array.isArray(body?.results)) {
    for (const r of body.results) if (r.status === 'accepted' && typeof r.id === 'string') acceptedIds.push(r.id);
  }
  const failure = (status >= 500 && !documented) || undocumentedRefusal || against(req, status, expect);
  return { route: req.route, status: String(status), code, failure, acceptedIds };
}

/** No answer: the process is gone, hung past the timeout, or closed the connection. */
export function noAnswer(req: FuzzRequest, error: unknown): Answer {
  const name = error instanceof Error ? error.name : '';
  const timeout = name === 'TimeoutError' || name === 'AbortError';
  const code = timeout ? 'no_answer_in_time' : ((error as { code?: unknown })?.code as string | undefined) ?? name ?? 'error';
  return { route: req.route, status: timeout ? 'timeout' : 'transport_error', code: String(code), failure: true, acceptedIds: [] };
}

/** Sends one request and classifies the answer; never throws. */
export async function send(baseUrl: string, req: FuzzRequest, timeoutMs: number, expect?: Expectation): Promise<Answer> {
  const body = req.body && req.chunked ? new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(req.body!), c.close()) }) : req.body;
  try {
    const res = await fetch(baseUrl + req.path, { method: req.method, headers: req.headers, body: body as BodyInit | undefined, signal: AbortSignal.timeout(timeoutMs), decompress: false } as RequestInit);
    return classify(req, res.status, res.headers, await res.text(), expect);
  } catch (error) {
    return noAnswer(req, error);
  }
}
