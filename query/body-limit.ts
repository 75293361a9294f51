/**
 * QUERY_MAX_BODY_BYTES, answered with a code. A request declaring a larger Content-Length is refused before its body
 * is read (the common case costs one header lookup); a body sent without one (chunked) is counted while it is read,
 * and reading stops at the limit, so no request holds more than the limit in memory.
 */

export interface BodyLimitOptions<C> {
  readonly maxBytes: number;
  /** The handler a request within the limit goes on to, with what the server knows of its client. */
  readonly fetch: (request: Request, client: C) => Response | Promise<Response>;
}

/** 413 with code body_too_large, in GraphQL's error shape on /graphql and in the REST routes' shape elsewhere. */
export function bodyTooLarge(request: Request, maxBytes: number): Response {
  const message = `Request body is larger than ${maxBytes} bytes (QUERY_MAX_BODY_BYTES); operations are small, send a smaller one.`;
  const extensions = { code: 'body_too_large', limit_bytes: maxBytes };
  const graphql = new URL(request.url).pathname.startsWith('/graphql');
  // Connection: close, since the rest of the body is never read; the client would otherwise send it for nothing.
  const init = { status: 413, headers: { connection: 'close' } };
  return Response.json(graphql ? { errors: [{ message, extensions }] } : { error: { message, ...extensions } }, init);
}

async function readWithin(request: Request, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Request | undefined> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const headers = new Headers(request.headers);
  headers.delete('transfer-encoding');
  headers.set('content-length', String(total));
  return new Request(request.url, { method: request.method, headers, body: Buffer.concat(chunks), signal: request.signal });
}

export function withBodyLimit<C>({ maxBytes, fetch }: BodyLimitOptions<C>) {
  return function limitBody(request: Request, client: C): Response | Promise<Response> {
    const declared = request.headers.get('content-length');
    if (declared !== null) return Number(declared) > maxBytes ? bodyTooLarge(request, maxBytes) : fetch(request, client);
    if (request.body === null) return fetch(request, client);
    return readWithin(request, request.body, maxBytes).then((read) => (read ? fetch(read, client) : bodyTooLarge(request, maxBytes)));
  };
}
