import * as v from 'valibot';
import { defineConfig, loadConfig, positiveInt, setting } from '../shared/config/index.ts';

export const demoConfig = defineConfig('demo', 'DEMO', {
  edgeUrl: setting(v.pipe(v.string(), v.url()), 'http://127.0.0.1:8080', 'Edge base URL the demo traffic is posted to.'),
  apiKey: setting(
    v.string(),
    '',
    'API key (ingest scope) the demo traffic sends as Authorization: Bearer; `npm start` passes its development ingest key. Empty: no key is sent, which only an edge with AUTH=off accepts.',
  ),
  ordersPerSecond: setting(v.pipe(v.number(), v.minValue(0)), 20, 'Orders posted per second (POST /orders, in small batches).'),
  userEventsPerSecond: setting(v.pipe(v.number(), v.minValue(0)), 30, 'User events posted per second (POST /v1/events).'),
  sensors: setting(positiveInt, 5, 'Simulated sensors; each posts a reading every sensorIntervalMs (POST /data).'),
  sensorIntervalMs: setting(positiveInt, 2000, 'Interval between readings of one sensor.'),
});

const REGIONS = ['eu-west', 'us-east', 'ap-south'];
const CATEGORIES = ['books', 'games', 'garden', 'music', 'toys'];
const PAGES = ['/', '/pricing', '/docs', '/blog', '/checkout'];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/**
 * Demo traffic for `npm start`: orders, sensor readings and user events through the edge's public routes, so the
 * whole path (edge → Kafka → workers → stores) has something to show. Stops when the returned function is called.
 */
export function startDemoTraffic({ env = process.env, log = console.log }: { env?: Record<string, string | undefined>; log?: (line: string) => void } = {}) {
  const cfg = loadConfig(demoConfig, env);
  let sent = 0;
  let failed = 0;
  let lastError = '';
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(cfg.apiKey && { authorization: `Bearer ${cfg.apiKey}` }) };
  const post = async (path: string, body: unknown) => {
    try {
      const res = await fetch(`${cfg.edgeUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      const receipt = (await res.json()) as { accepted?: number };
      if (res.status >= 300 && res.status !== 207) throw new Error(`HTTP ${res.status}`);
      sent += receipt.accepted ?? 0;
    } catch (err) {
      failed++;
      lastError = (err as Error).message;
    }
  };
  let order = 0;
  const tick = 250;
  const timers = [
    setInterval(() => {
      const n = poisson((cfg.ordersPerSecond * tick) / 1000);
      const orders = Array.from({ length: n }, () => ({
        order_id: `o-${Date.now().toString(36)}-${order++}`,
        region: pick(REGIONS),
        category: pick(CATEGORIES),
        amount: Math.round(Math.random() * 20000) / 100,
        quantity: 1 + Math.floor(Math.random() * 4),
      }));
      if (orders.length) void post('/orders', orders);
      const m = poisson((cfg.userEventsPerSecond * tick) / 1000);
      const events = Array.from({ length: m }, () => {
        const user = `u-${1 + Math.floor(Math.random() * 50)}`;
        return { type: pick(['page.view', 'page.view', 'button.click', 'signup']), source: 'web', key: user, data: { user_id: user, page: pick(PAGES) } };
      });
      if (events.length) void post('/v1/events', events);
    }, tick),
    ...Array.from({ length: cfg.sensors }, (_, i) =>
      setInterval(() => {
        const base = 18 + i * 1.5;
        void post('/data', { sensor_id: `sensor-${i + 1}`, value: Math.round((base + Math.sin(Date.now() / 60000) * 2 + Math.random()) * 100) / 100, unit: 'celsius' });
      }, cfg.sensorIntervalMs),
    ),
    setInterval(() => log(`demo: ${sent} events accepted${failed ? `, ${failed} requests failed (last: ${lastError})` : ''}`), 30_000),
  ];
  log(`demo: posting ~${cfg.ordersPerSecond} orders/s, ~${cfg.userEventsPerSecond} user events/s and ${cfg.sensors} sensors every ${cfg.sensorIntervalMs} ms to ${cfg.edgeUrl}`);
  return function stopDemoTraffic() {
    for (const t of timers) clearInterval(t);
    return { sent, failed };
  };
}

function poisson(mean: number): number {
  let k = 0;
  for (let p = Math.exp(-mean), s = p, u = Math.random(); u > s; k++) {
    p *= mean / (k + 1);
    s += p;
  }
  return k;
}
