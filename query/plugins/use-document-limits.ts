import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { validate, type GraphQLError, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitError, type LimitCode } from '../errors.ts';

export interface DocumentLimits {
  readonly maxTokens: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxDepth: number;
}

export interface DocumentLimitsOptions extends DocumentLimits {
  /** Called with the error code of every refused document (metrics). */
  readonly onReject?: (code: LimitCode) => void;
}

// graphql-armor's messages say "Syntax Error: ... found N."; the count is kept, the misleading prefix is not.
const foundIn = (error: GraphQLError): number | undefined => Number(/found (\d+)/.exec(error.message)?.[1]) || undefined;
const messageOf = (error: GraphQLError): string => error.message.replace(/^Syntax Error: /, '');

/**
 * Refuses abusive documents before graphql-js validates them. Validation is superlinear in repeated fields
 * (OverlappingFieldsCanBeMerged: an 88 KB document of one repeated field took 0.37 s, a 1 MB one tens of seconds), so:
 * - tokens are counted while parsing and the parse stops at the limit: a huge document is never fully parsed;
 * - aliases, directives and depth are counted on the parsed document by graphql-armor's rules alone (a linear walk),
 *   and a document over one of them gets its error as the validation result, so the full validation never runs.
 * Introspection (`__schema`) is left out of the depth only: GraphiQL's own schema query nests `ofType` about 15 deep,
 * and its size is bounded by the token limit and charged by the cost model (limits.ts).
 */
export function useDocumentLimits({ maxTokens, maxAliases, maxDirectives, maxDepth, onReject = () => {} }: DocumentLimitsOptions): Plugin {
  const tokens = maxTokensPlugin({
    n: maxTokens,
    onReject: [
      () => {
        onReject('query_too_large');
        throw limitError('query_too_large', `Query is too large: more than ${maxTokens} tokens. Send a smaller document.`, { limit: maxTokens });
      },
    ],
  });

  function rule(code: LimitCode, limit: number, make: (reject: (error: GraphQLError) => void) => ValidationRule, refused: GraphQLError[]): ValidationRule {
    return make((error) => {
      const found = foundIn(error);
      const extra = code === 'QUERY_TOO_DEEP' ? { depth: found, maxDepth: limit } : { found };
      refused.push(limitError(code, messageOf(error), { limit, ...extra }));
    });
  }

  function refusalsOf(schema: Parameters<typeof validate>[0], document: Parameters<typeof validate>[1]): GraphQLError[] {
    const refused: GraphQLError[] = [];
    const common = { propagateOnRejection: false, exposeLimits: true };
    validate(schema, document, [
      rule('too_many_aliases', maxAliases, (reject) => maxAliasesRule({ ...common, n: maxAliases, onReject: [(_, e) => reject(e)] }), refused),
      rule('too_many_directives', maxDirectives, (reject) => maxDirectivesRule({ ...common, n: maxDirectives, onReject: [(_, e) => reject(e)] }), refused),
      rule('QUERY_TOO_DEEP', maxDepth, (reject) => maxDepthRule({ ...common, n: maxDepth, flattenFragments: true, onReject: [(_, e) => reject(e)] }), refused),
    ]);
    return refused;
  }

  return {
    onParse(payload) {
      return tokens.onParse?.(payload);
    },
    onValidate({ params, setResult }) {
      const refused = refusalsOf(params.schema, params.documentAST);
      if (refused.length === 0) return;
      onReject(String(refused[0]!.extensions['code']) as LimitCode);
      setResult(refused.slice(0, 1));
    },
  };
}
