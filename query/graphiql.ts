/**
 * GraphiQL's page, whole: @graphql-yoga/render-graphiql inlines the script, the stylesheet, the icon and the Monaco
 * workers (as blob: URLs), so the page asks nothing of the network. yoga's own page loads them from unpkg and GitHub,
 * which leaves a machine without internet access at "Loading…" forever.
 *
 * The key is taken the way the dashboard takes it (dashboard/key.ts): a `#key=` in the address (removed from the
 * address bar at once) or the key this tab already holds in sessionStorage, never a cookie. With a key, every request
 * carries it and the Headers tab starts empty; without one, the tab opens with the header to fill in.
 */
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions } from 'graphql-yoga';
import { KEY_STORAGE } from './dashboard/key.ts';

/** Runs in the page before GraphiQL starts: the options, with the tab's key as a header on every request. */
const withKey = (storage: string) => `(function (options) {
  var key = null;
  try {
    var params = new URLSearchParams(location.hash.slice(1));
    var given = (params.get('key') || '').trim();
    if (params.has('key')) {
      params.delete('key');
      var rest = params.toString();
      history.replaceState(history.state, '', location.pathname + location.search + (rest ? '#' + rest : ''));
      if (given) sessionStorage.setItem(${JSON.stringify(storage)}, given);
    }
    key = given || sessionStorage.getItem(${JSON.stringify(storage)});
  } catch (error) {
    // Storage turned off: only a key in the address is used.
  }
  if (!key) return options;
  return Object.assign({}, options, {
    additionalHeaders: Object.assign({}, options.additionalHeaders, { Authorization: 'Bearer ' + key }),
    headers: '{}',
    defaultEditorToolsVisibility: false,
  });
})`;

export interface GraphiQLRendererOptions {
  /** The sessionStorage entry the dashboard keeps the key in; the same one, so a tab moving between them keeps it. */
  readonly storage?: string;
}

/**
 * yoga's `renderGraphiQL`. The page is about 9 MB (Monaco), so it is built and encoded once per set of options
 * (the gateway has one) rather than on every request.
 */
export function createGraphiQLRenderer({ storage = KEY_STORAGE }: GraphiQLRendererOptions = {}) {
  let cached: { options: string; page: Uint8Array<ArrayBuffer> } | undefined;
  return function renderGatewayGraphiQL(options: GraphiQLOptions): Uint8Array<ArrayBuffer> {
    const json = JSON.stringify(options);
    if (cached?.options === json) return cached.page;
    const html = renderGraphiQL(options);
    // The options are the last thing the page inlines, after the 9 MB script: searched from the end.
    const at = html.lastIndexOf(json);
    if (at < 0) throw new Error('@graphql-yoga/render-graphiql no longer inlines its options as JSON; the key cannot be added');
    const page = new TextEncoder().encode(`${html.slice(0, at)}${withKey(storage)}(${json})${html.slice(at + json.length)}`);
    cached = { options: json, page };
    return page;
  };
}
