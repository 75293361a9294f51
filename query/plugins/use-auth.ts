import type { Plugin } from 'graphql-yoga';
import type { ApiKey } from '../../shared/auth/keys.ts';
import type { Access, Refusal } from '../auth/access.ts';
import { refusalError } from '../errors.ts';
import { scopesOf } from '../schema/scopes.ts';

/** What the plugin adds to every operation's context: the verified key, or null with AUTH=off. */
export interface AuthContext {
  readonly apiKey: ApiKey | null;
}

/**
 * GraphQL sends JSON only: application/x-www-form-urlencoded, multipart/form-data and text/plain are what a page on
 * another origin can POST without a CORS preflight (Fetch standard, "CORS-safelisted request-header"), so refusing
 * them means no cross-site form can reach a resolver.
 */
export const isJson = (request: Request): boolean => {
  const type = request.headers.get('content-type');
  if (type === null) return false;
  const semicolon = type.indexOf(';');
  return (semicolon < 0 ? type : type.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
};

type Answerable = Omit<Refusal, 'status' | 'code'> & { readonly status: number; readonly code: string };

// As yoga answers an error carrying extensions.http: the status on the response, not in the body.
const answer = (refusal: Answerable): Response =>
  Response.json(
    { errors: [{ message: refusal.message, extensions: { code: refusal.code, ...(refusal.scope && { scope: refusal.scope }) } }] },
    { status: refusal.status, headers: refusal.headers },
  );

const unsupported = {
  status: 415,
  code: 'unsupported_media_type',
  message: 'send the operation as JSON (Content-Type: application/json), or as a GET query',
  headers: { accept: 'application/json' },
} as const;

/**
 * Keys for GraphQL. Before the request is parsed (yoga's onRequestParse: every request yoga takes as GraphQL, at any
 * spelling of the endpoint, and never GraphiQL's page, which yoga serves earlier): a POST that is not JSON is 415
 * unsupported_media_type, a request without a valid key 401/503, a key with neither read nor admin 403, and the body is
 * not read. Before execution: every
 * root field's scope (schema/scopes.ts) must be among the key's, else 403 insufficient_scope and nothing runs.
 * Mutations over GET are refused by yoga itself (405).
 */
export function useAuth({ access, onUnsupported = () => {} }: { access: Access; onUnsupported?: () => void }): Plugin {
  function refusedScope(context: Partial<AuthContext>, document: Parameters<typeof scopesOf>[0], operationName: string | null | undefined) {
    const refusal = access.authorize(context.apiKey ?? null, scopesOf(document, operationName));
    return refusal && { errors: [refusalError(refusal.code, refusal.message, refusal.status, { ...refusal.headers }, { scope: refusal.scope })] };
  }
  return {
    async onRequestParse({ request, endResponse }) {
      if (request.method === 'POST' && !isJson(request)) {
        onUnsupported();
        return endResponse(answer(unsupported));
      }
      const identity = await access.identify(request);
      if (!identity.ok) return endResponse(answer(identity.refusal));
      // A key that can neither read nor administer (an ingest-only key) can run no operation at all: it is refused
      // here, before the document is parsed or validated, rather than answered with the document's own errors.
      const key = identity.key;
      if (key !== null && !key.scopes.includes('read') && !key.scopes.includes('admin')) {
        const refused = access.authorize(key, ['read']);
        if (refused) endResponse(answer(refused));
      }
    },
    async onContextBuilding({ context, extendContext }) {
      const identity = await access.identify(context.request);
      extendContext({ apiKey: identity.ok ? identity.key : null } as Partial<typeof context>);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refused = refusedScope(args.contextValue as Partial<AuthContext>, args.document, args.operationName);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = refusedScope(args.contextValue as Partial<AuthContext>, args.document, args.operationName);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}
