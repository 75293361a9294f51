import { GraphQLError } from 'graphql';
import { maskError, type YogaServerOptions } from 'graphql-yoga';

type MaskedErrors = Exclude<YogaServerOptions<object, object>['maskedErrors'], boolean | undefined>;

// graphql-js' own messages for a variable or an argument the client sent with the wrong type or not at all.
const INPUT_MESSAGE = /^(Variable "\$|Argument ")/;

/**
 * The code an expected error that came without one reaches the client with, so every refusal can be branched on:
 * graphql-js coerces variables and arguments with GraphQLErrors that carry no code (400 BAD_USER_INPUT), and yoga's
 * request parser lets a GET's `variables` or `extensions` that is not JSON escape as a bare SyntaxError, which would
 * otherwise be masked as a 500 (400 BAD_REQUEST). A bare SyntaxError cannot come from a resolver: graphql-js wraps
 * everything thrown during execution in a located GraphQLError.
 */
function withCode(error: unknown): GraphQLError | undefined {
  if (error instanceof SyntaxError) {
    return new GraphQLError('The variables or extensions parameter is not valid JSON.', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
  }
  if (!(error instanceof GraphQLError) || error.extensions['code'] !== undefined || !INPUT_MESSAGE.test(error.message)) return undefined;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}

/**
 * Unexpected errors reach clients as "Unexpected error." with code INTERNAL_SERVER_ERROR and an incident id that is
 * also in the log next to the real error, so a report from a user can be found without leaking internals to them.
 * Expected errors (GraphQLErrors thrown on purpose: BAD_USER_INPUT, STORE_UNAVAILABLE, ...) pass unchanged, or with
 * the code graphql-js and yoga left out (withCode).
 */
export function maskedErrors({ log = console.error }: { log?: (...args: unknown[]) => void } = {}): MaskedErrors {
  return {
    errorMessage: 'Unexpected error.',
    maskError(error, message, isDev) {
      const coded = withCode(error);
      if (coded) return coded;
      const masked = maskError(error, message, isDev);
      if (masked === error) return masked;
      const incident = crypto.randomUUID();
      log(`query: unexpected error (incident ${incident})`, error);
      const extensions = (masked as { extensions?: Record<string, unknown> }).extensions;
      if (extensions) extensions['incident'] = incident;
      return masked;
    },
  };
}
