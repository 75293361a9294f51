import { maskError, type YogaServerOptions } from 'graphql-yoga';

type MaskedErrors = Exclude<YogaServerOptions<object, object>['maskedErrors'], boolean | undefined>;

/**
 * Unexpected errors reach clients as "Unexpected error." with code INTERNAL_SERVER_ERROR and an incident id that is
 * also in the log next to the real error, so a report from a user can be found without leaking internals to them.
 * Expected errors (GraphQLErrors thrown on purpose: BAD_USER_INPUT, STORE_UNAVAILABLE, ...) pass unchanged.
 */
export function maskedErrors({ log = console.error }: { log?: (...args: unknown[]) => void } = {}): MaskedErrors {
  return {
    errorMessage: 'Unexpected error.',
    maskError(error, message, isDev) {
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
