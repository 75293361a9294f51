import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  requests: number;
  /** Requests answered 2xx/3xx. */
  ok: number;
  non2xx: number;
  socketErrors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

/** A Lua string literal. For printable ASCII, all a header holds, JSON escapes only the double quote and the backslash, as Lua does. */
function luaString(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`wrk header text must be printable ASCII: ${JSON.stringify(s)}`);
  return JSON.stringify(s);
}

/**
 * Runs wrk (Debian package `wrk`) with a POST body and reads its summary through a Lua `done` hook, so the numbers
 * come from wrk itself rather than from parsing its human output.
 */
export async function wrk({ url, body, contentType = 'application/json', headers = {}, connections = 64, threads = 2, seconds = 10 }: {
  url: string;
  body: string;
  contentType?: string;
  /** More request headers, e.g. the API key's Authorization. */
  headers?: Record<string, string>;
  connections?: number;
  threads?: number;
  seconds?: number;
}): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'event-lens-wrk-'));
  writeFileSync(join(dir, 'body.json'), body);
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    `local f = io.open("${join(dir, 'body.json')}", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "${contentType}"
${Object.entries(headers).map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`).join('\n')}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"non2xx\\":%d,\\"socket\\":%d,\\"p50\\":%f,\\"p99\\":%f}\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50.0), latency:percentile(99.0)))
end
`,
  );
  const proc = Bun.spawn(['wrk', `-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (code !== 0 || !line) throw new Error(`wrk failed (${code}): ${out}${await new Response(proc.stderr).text()}`);
  const j = JSON.parse(line.slice(9)) as { requests: number; duration_us: number; non2xx: number; socket: number; p50: number; p99: number };
  const secs = j.duration_us / 1e6;
  return {
    requests: j.requests,
    ok: j.requests - j.non2xx,
    non2xx: j.non2xx,
    socketErrors: j.socket,
    seconds: secs,
    rps: j.requests / secs,
    p50Ms: j.p50 / 1000,
    p99Ms: j.p99 / 1000,
  };
}
