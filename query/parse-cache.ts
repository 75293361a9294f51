import type { DocumentNode } from 'graphql';

/** What yoga's parser cache asks of its stores (useParserAndValidationCache's documentCache and errorCache). */
export interface ParseCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  /** Entries held now, and the length of their document texts together (for /metrics and tests). */
  readonly size: number;
  readonly chars: number;
}

/**
 * A least-recently-used map keyed by document text that never keeps a text longer than `maxDocumentChars`. yoga's
 * default caches keep 1024 texts of any length, parse errors included: a flood of distinct 1 MB documents refused at
 * parse (query_too_large) would hold about 1 GB until pushed out. Bounded here to maxEntries x maxDocumentChars plus
 * their parsed forms; the real queries (the dashboard's, GraphiQL's introspection) are a few KB at most.
 */
export function createParseCache<T>({ maxEntries, maxDocumentChars }: { maxEntries: number; maxDocumentChars: number }): ParseCache<T> {
  const entries = new Map<string, T>();
  let chars = 0;
  return {
    get(key) {
      const value = entries.get(key);
      if (value === undefined) return undefined;
      // Map keeps insertion order: moving a hit to the end makes the first entry the least recently used.
      entries.delete(key);
      entries.set(key, value);
      return value;
    },
    set(key, value) {
      if (key.length > maxDocumentChars) return;
      if (entries.has(key)) {
        entries.delete(key);
        chars -= key.length;
      }
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
        chars -= oldest.length;
      }
      entries.set(key, value);
      chars += key.length;
    },
    get size() {
      return entries.size;
    },
    get chars() {
      return chars;
    },
  };
}

export interface ParseCaches {
  readonly documentCache: ParseCache<DocumentNode>;
  readonly errorCache: ParseCache<unknown>;
}

export function createParseCaches(options: { maxEntries: number; maxDocumentChars: number }): ParseCaches {
  return { documentCache: createParseCache<DocumentNode>(options), errorCache: createParseCache<unknown>(options) };
}
