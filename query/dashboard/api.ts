/**
 * The browser side's only way to the gateway: GraphQL over fetch for queries, Server-Sent Events (read through fetch,
 * since EventSource cannot send an Authorization header) for the live subscription. Same origin as the page, so no
 * CORS and no configuration; every request carries the page's API key (key.ts).
 */
import { authorization } from './key.ts';

export interface GraphQLError {
  readonly message: string;
  readonly path?: ReadonlyArray<string | number>;
  readonly extensions?: { readonly code?: string; readonly store?: string };
}

export interface Answer<D> {
  readonly data: D | null;
  readonly errors: readonly GraphQLError[];
}

const ENDPOINT = '/graphql';

/** Runs one operation. A network failure or a non-JSON answer comes back as an error, never as a throw. */
export async function query<D>(text: string, variables: Record<string, unknown> = {}): Promise<Answer<D>> {
  try {
    const response = await fetch(ENDPOINT, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...authorization() },
      body: JSON.stringify({ query: text, variables }),
    });
    const body = (await response.json()) as { data?: D | null; errors?: GraphQLError[] };
    return { data: body.data ?? null, errors: body.errors ?? [] };
  } catch (error) {
    return { data: null, errors: [{ message: `the gateway did not answer (${String(error)})`, extensions: { code: 'NETWORK' } }] };
  }
}

/**
 * Why a field is missing, for the panel that shows it: "redis is unavailable" style text when a store is down
 * (the other fields still answer, so each panel judges only its own field), else the first error's message.
 */
export function problemWith(field: string, errors: readonly GraphQLError[]): string | undefined {
  const mine = errors.filter((e) => e.path?.[0] === field || !e.path);
  const first = mine[0];
  if (!first) return undefined;
  const store = first.extensions?.store;
  if (first.extensions?.code === 'STORE_UNAVAILABLE' && store) return `${store} is unavailable`;
  return first.message;
}

/** The stores named by STORE_UNAVAILABLE errors, for the banner at the top of the page. */
export function storesDown(errors: readonly GraphQLError[]): string[] {
  return errors.flatMap((e) => (e.extensions?.code === 'STORE_UNAVAILABLE' && e.extensions.store ? [e.extensions.store] : []));
}

export type LinkState = 'connecting' | 'live' | 'reconnecting';

/** The `event: next` payloads of complete Server-Sent Events blocks in `buffer`; what is left waits for more text. */
export function takeEvents(buffer: string): { events: string[]; rest: string } {
  const events: string[] = [];
  const blocks = buffer.replaceAll('\r\n', '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const lines = block.split('\n');
    if (!lines.includes('event: next')) continue; // pings (":") and the final "complete"
    events.push(lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n'));
  }
  return { events, rest };
}

/**
 * Subscribes over SSE with a GET (graphql-yoga answers `GET /graphql?query=subscription…` with
 * `Accept: text/event-stream`), read as a fetch stream so the key goes along. A dropped stream or an answer that is
 * not an event stream (a gateway restarting behind a proxy, say) is retried after a pause. Returns a function that
 * stops it.
 */
export function subscribe<D>(text: string, onAnswer: (answer: Answer<D>) => void, onState: (state: LinkState) => void): () => void {
  const controller = new AbortController();
  let retry: ReturnType<typeof setTimeout> | undefined;
  const open = async () => {
    try {
      const response = await fetch(`${ENDPOINT}?query=${encodeURIComponent(text)}`, {
        headers: { accept: 'text/event-stream', ...authorization() },
        signal: controller.signal,
      });
      if (!response.ok || !response.body || !response.headers.get('content-type')?.includes('text/event-stream')) throw new Error(`status ${response.status}`);
      onState('live');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const { events, rest } = takeEvents(buffer + value);
        buffer = rest;
        for (const data of events) {
          const body = JSON.parse(data) as { data?: D | null; errors?: GraphQLError[] };
          onState('live');
          onAnswer({ data: body.data ?? null, errors: body.errors ?? [] });
        }
      }
    } catch {
      // Network failure, refused answer or abort: retried below unless stopped.
    }
    if (controller.signal.aborted) return;
    onState('reconnecting');
    retry = setTimeout(() => void open(), 3000);
  };
  onState('connecting');
  void open();
  return () => {
    clearTimeout(retry);
    controller.abort();
  };
}
