/**
 * The dashboard's API key: typed once into the page, or brought by a link (`/dashboard#key=el_read_…`). It is kept
 * in this tab's sessionStorage (in memory when storage is unavailable) and sent as `Authorization: Bearer` on every
 * request; never in a cookie, so no other site can make the browser send it. The fragment never reaches a server
 * and is taken out of the address bar at once, so the key does not linger in history or a shared screen.
 */

/** The sessionStorage entry; GraphiQL's page (../graphiql.ts) reads the same one. */
export const KEY_STORAGE = 'event-lens-key';
let memory: string | null = null;

export function saveKey(key: string): void {
  memory = key;
  try {
    sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    // Storage turned off: the key lives as long as the page.
  }
}

export function forgetKey(): void {
  memory = null;
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Nothing stored.
  }
}

export function currentKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? memory;
  } catch {
    return memory;
  }
}

/** Moves a `#key=` from the address into storage and removes it from the address bar; then the key to use, if any. */
export function takeKeyFromAddress(): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const key = params.get('key');
  if (key !== null) {
    params.delete('key');
    const rest = params.toString();
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
    if (key.trim() !== '') saveKey(key.trim());
  }
  return currentKey();
}

/** The header that carries the key, or none. */
export function authorization(): Record<string, string> {
  const key = currentKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}
