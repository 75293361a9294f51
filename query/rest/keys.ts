import { KeyError } from '../../shared/auth/errors.ts';
import type { ApiKey, KeySpecInput } from '../../shared/auth/keys.ts';
import { iso, json, jsonBody, RestError } from './http.ts';
import { admin, type Handler, type Methods } from './route.ts';

/** Key management for admins: the same operations and checks as `npm run keys`. Secrets are never listed. */

export const keyJson = (k: ApiKey) => ({
  id: k.id, name: k.name, scopes: k.scopes, source: k.source, rate: k.rate, burst: k.burst,
  created_at: iso(k.createdAt.getTime()), revoked_at: k.revokedAt === null ? null : iso(k.revokedAt.getTime()),
});

const FIELDS = new Set(['name', 'scopes', 'source', 'rate', 'burst']);
const isText = (value: unknown): value is string => typeof value === 'string';
const isNumberish = (value: unknown): value is string | number | null | undefined => value == null || typeof value === 'number' || typeof value === 'string';

/** The body's fields with their JSON types checked; the values themselves are checked by parseKeySpec. */
export function keySpecInput(body: unknown): KeySpecInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RestError(400, 'invalid_parameter', 'the body must be a JSON object {name, scopes, source?, rate?, burst?}', { parameter: 'body' });
  }
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).find((field) => !FIELDS.has(field));
  if (unknown !== undefined) throw new RestError(400, 'unknown_field', `unknown field ${JSON.stringify(unknown)} (expected name, scopes, source, rate, burst)`, { path: unknown });
  const { name, scopes, source, rate, burst } = input;
  if (!isText(name)) throw new KeyError('invalid_name', 'name', 'expected a string');
  if (!isText(scopes) && !Array.isArray(scopes)) throw new KeyError('missing_scope', 'scopes', 'expected a list of scopes (ingest, read, admin)');
  if (Array.isArray(scopes)) {
    const bad = scopes.findIndex((scope) => !isText(scope));
    if (bad >= 0) throw new KeyError('invalid_scope', 'scopes', 'expected a string', bad);
  }
  if (source != null && !isText(source)) throw new KeyError('invalid_source', 'source', 'expected a string');
  if (!isNumberish(rate)) throw new KeyError('invalid_rate', 'rate', 'expected a number of events per second');
  if (!isNumberish(burst)) throw new KeyError('invalid_burst', 'burst', 'expected a whole number of events');
  return { name, scopes: scopes as string | string[], source, rate, burst };
}

const list: Handler = async ({ ctx }) => {
  const keys = await ctx.read('postgres', () => ctx.keys.list());
  return json({ keys: keys.map(keyJson), count: keys.length });
};

/** POST /api/keys: 201 {key, secret}; the secret is in this answer only. */
const create: Handler = async ({ ctx, request }) => {
  const input = keySpecInput(await jsonBody(request));
  const { key, secret } = await ctx.read('postgres', () => ctx.keys.create(input));
  return json({ key: keyJson(key), secret }, 201);
};

/** DELETE /api/keys/:name: the key is refused from now on (within AUTH_CACHE_TTL_MS on every process). */
const revoke: Handler = async ({ ctx, params: [name = ''] }) => {
  const key = await ctx.read('postgres', () => ctx.keys.revoke(name));
  return json({ key: keyJson(key) });
};

export const KEY_ROUTES: ReadonlyArray<readonly [string, Methods]> = [
  ['/api/keys', { GET: admin(list), POST: admin(create) }],
  ['/api/keys/:name', { DELETE: admin(revoke) }],
];
