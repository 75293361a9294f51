/**
 * The browser side's only way to the gateway: GraphQL over fetch for queries, Server-Sent Events for the live
 * subscription. Same origin as the page, so no CORS and no configuration.
 */

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
      headers: { 'content-type': 'application/json', accept: 'application/json' },
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

/**
 * Subscribes over SSE with a GET (graphql-yoga answers `GET /graphql?query=subscription…` with
 * `Accept: text/event-stream`, which EventSource sends). EventSource retries by itself after a dropped connection,
 * but gives up for good on an answer that is not an event stream (a gateway restarting behind a proxy, say), so
 * that case is retried here. Returns a function that stops it.
 */
export function subscribe<D>(text: string, onAnswer: (answer: Answer<D>) => void, onState: (state: LinkState) => void): () => void {
  let source: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    const current = new EventSource(`${ENDPOINT}?query=${encodeURIComponent(text)}`);
    source = current;
    current.addEventListener('open', () => onState('live'));
    current.addEventListener('error', () => {
      onState('reconnecting');
      if (current.readyState === EventSource.CLOSED) retry = setTimeout(open, 3000);
    });
    current.addEventListener('next', (message) => {
      const body = JSON.parse((message as MessageEvent<string>).data) as { data?: D | null; errors?: GraphQLError[] };
      onState('live');
      onAnswer({ data: body.data ?? null, errors: body.errors ?? [] });
    });
  };
  onState('connecting');
  open();
  return () => {
    clearTimeout(retry);
    source?.close();
  };
}
