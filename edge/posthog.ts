import { parsePosthog } from '../shared/contracts/index.ts';
import { isPlainObject, storableText } from '../shared/contracts/json.ts';
import { tooManyEvents } from './body.ts';
import { EdgeError } from './errors.ts';
import type { Limits } from './ingest.ts';
import { readPosthogText } from './sdk-body.ts';
import { keyText, parseJson, sizedItem, type Answer, type Dialect, type Outcome, type SdkBody } from './sdk.ts';

/**
 * PostHog's capture API as posthog-node (`/batch/`) and posthog-js (`/e/`, `/i/v0/e/`, `/capture/`) call it, with or
 * without the trailing slash. The project key is an Event Lens ingest key, sent as `api_key` or `token` in the body,
 * in posthog-js's `properties.token`, or as a Bearer header.
 */
export const POSTHOG_PATHS = ['/batch', '/capture', '/e', '/i/v0/e'] as const;
export const POSTHOG_ROUTES: readonly string[] = POSTHOG_PATHS.flatMap((path) => [path, `${path}/`]);

export const POSTHOG_SOURCE = 'posthog';

/** PostHog's answers: `{"status": 1}`; errors as `{type, code, detail, ...}`. */
export function posthogAnswer(outcome: Outcome): Answer {
  if (outcome.kind === 'taken') return { status: 200, body: { status: 1 } };
  const { code, message, index, path } = outcome.first;
  const type = outcome.kind === 'retry' ? 'server_error' : 'validation_error';
  return { status: outcome.kind === 'retry' ? 503 : 400, body: { type, code, detail: message, index, path } };
}

export function posthogError(err: EdgeError): Answer {
  // posthog-node halves its batch on a 413 and sends again, so a too-large body keeps its 413.
  const status = err.status >= 500 ? 503 : err.status === 413 || err.status === 415 ? err.status : 400;
  return { status, body: { type: status === 503 ? 'server_error' : 'validation_error', code: err.code, detail: err.message, ...err.details } };
}

/** The key a body carries: `api_key` or `token` on the body, else on (the properties of) its first event. */
function keyOf(body: Record<string, unknown>, first: unknown): string | undefined {
  const own = keyText(body.api_key) ?? keyText(body.token);
  if (own !== undefined || !isPlainObject(first) || first === body) return own;
  return keyText(first.api_key) ?? keyText(first.token) ?? (isPlainObject(first.properties) ? keyText(first.properties.token) : undefined);
}

export async function readPosthog(req: Request, limits: Limits): Promise<SdkBody> {
  const text = await readPosthogText(req, limits.maxBodyBytes);
  const value = parseJson(text);
  let events: unknown[];
  let key: string | undefined;
  if (Array.isArray(value)) {
    events = value;
    key = keyOf({}, value[0]);
  } else if (isPlainObject(value)) {
    events = Array.isArray(value.batch) ? value.batch : [value];
    key = keyOf(value, events[0]);
  } else {
    throw new EdgeError(400, 'invalid_body', 'expected an event, an array of events or {"batch": [...]}', { path: '' });
  }
  if (events.length === 0) throw new EdgeError(400, 'empty_body', 'the batch has no events');
  if (events.length > limits.maxEventsPerRequest) throw tooManyEvents(limits.maxEventsPerRequest);
  const bodyBytes = text.length * 3 <= limits.maxEventBytes ? text.length : Buffer.byteLength(text);
  return { items: events.map((event) => sizedItem(event, limits.maxEventBytes, bodyBytes)), key, storable: storableText(text) };
}

export const posthogDialect: Dialect = {
  read: readPosthog,
  parser(access, body) {
    const source = access.source ?? POSTHOG_SOURCE;
    const storable = body.storable === true;
    return (value) => parsePosthog(value, source, storable);
  },
  answer: posthogAnswer,
  error: posthogError,
};
