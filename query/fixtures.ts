import type { StampedEvent } from '../shared/contracts/index.ts';

/**
 * The seeded events: 10 orders one minute apart, 6 sensor readings of two sensors, 4 signups, all in the
 * ten minutes from `start` (event time); received during the last minute, so they are in Redis' live counters.
 */
export function seedEvents(start: number, now = Date.now()): StampedEvent[] {
  const received = (i: number) => new Date(now - 60_000 + i * 100).toISOString();
  const at = (ms: number) => new Date(ms).toISOString();
  const orders = Array.from({ length: 10 }, (_, i): StampedEvent => ({
    id: `order-${String(i).padStart(2, '0')}`,
    type: 'order.created',
    source: 'checkout',
    key: `o-${i}`,
    timestamp: at(start + i * 60_000),
    receivedAt: received(i),
    data: { order_id: `o-${i}`, amount: 10 + i, region: i % 2 === 0 ? 'eu' : 'us', note: i < 3 ? 'blue widget' : 'red gadget' },
  }));
  const readings = Array.from({ length: 6 }, (_, i): StampedEvent => ({
    id: `reading-${i}`,
    type: 'sensor.reading',
    source: 'sensors',
    key: `s-${i % 2}`,
    timestamp: at(start + i * 60_000 + 30_000),
    receivedAt: received(10 + i),
    data: { sensor_id: `s-${i % 2}`, value: 20 + i, unit: 'C' },
  }));
  const signups = Array.from({ length: 4 }, (_, i): StampedEvent => ({
    id: `signup-${i}`,
    type: 'user.signup',
    source: 'web',
    key: `u-${i}`,
    timestamp: at(start + i * 60_000 + 45_000),
    receivedAt: received(16 + i),
    data: { user_id: `u-${i}`, plan: i === 0 ? 'pro' : 'free' },
  }));
  return [...orders, ...readings, ...signups];
}

/** A ten-minute window starting on a whole minute, an hour ago, so histogram buckets line up with it. */
export function seedStart(now = Date.now()): number {
  return Math.floor((now - 3_600_000) / 60_000) * 60_000;
}
