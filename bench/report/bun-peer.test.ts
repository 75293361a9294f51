import { describe, expect, test } from 'bun:test';
import { edgeMeasurements, type EdgeOut } from './edge-part.ts';
import { buildFigures, summary } from './ratios.ts';

const main = {
  single: { edge: 50_000, jvm: 40_000, bunPeer: 60_000, raw: 80_000 },
  batch: { edge: 200_000, jvm: 250_000, bunPeer: 300_000, client: 400_000 },
};

describe('the edge against the Bun peer', () => {
  test('measured in ABBA legs, the edge / Bun peer rows read the legs, with each one\'s CPU per event beside them', () => {
    const by = Object.fromEntries(
      buildFigures({ edge: { ...main, vsBunPeer: { singleOn: 57_000, singleOff: 60_000, batchOn: 285_000, batchOff: 300_000, singleCpuOn: 24, singleCpuOff: 22, batchCpuOn: 5.2, batchCpuOff: 5 } } }).map((f) => [f.id, f]),
    );
    expect(by['edge.single.vsBunPeer']).toMatchObject({ value: 0.95, status: 'info', target: undefined, subject: { name: 'edge', value: 57_000 }, reference: { name: 'Bun peer', value: 60_000 } });
    expect(by['edge.batch.vsBunPeer']).toMatchObject({ value: 0.95, status: 'info', subject: { value: 285_000 } });
    expect(by['edge.single.vsBunPeer.cpu']!.value).toBeCloseTo(24 / 22, 6);
    expect(by['edge.batch.vsBunPeer.cpu']).toMatchObject({ value: 1.04, supporting: true, subject: { unit: 'µs CPU/event' } });
    expect(by['edge.batch.vsBunPeer']!.note).toContain('ABBA legs');
  });

  test('without the legs, the rows read the main rounds and carry no CPU rows; the targets are judged the same either way', () => {
    const withLegs = buildFigures({ edge: { ...main, vsBunPeer: { singleOn: 1, singleOff: 2, batchOn: 3, batchOff: 4 } } });
    const without = buildFigures({ edge: main });
    const by = Object.fromEntries(without.map((f) => [f.id, f]));
    expect(by['edge.batch.vsBunPeer']).toMatchObject({ value: 200_000 / 300_000, status: 'info' });
    expect(by['edge.batch.vsBunPeer']!.note).toContain('main rounds');
    expect(without.some((f) => f.id === 'edge.batch.vsBunPeer.cpu')).toBe(false);
    expect(summary(withLegs)).toEqual(summary(without));
  });

  test("bench:edge's JSON line carries the legs into the report, a side not measured (null in JSON) as an n/a CPU row", () => {
    const pair = (on: number, off: number, cpuOn: number, cpuOff: number) => ({ on, off, cpuUsPerEvent: { on: cpuOn, off: cpuOff } });
    const line = { ...main, vsBunPeer: { single: pair(57_000, 60_000, 24, 22), batch: pair(285_000, 300_000, Number.NaN, 5) }, rss: { edge: { peakProcessBytes: 1 } }, counts: [], noLoss: true };
    const edge = edgeMeasurements(JSON.parse(JSON.stringify(line)) as EdgeOut);
    expect(edge.vsBunPeer).toMatchObject({ singleOn: 57_000, singleOff: 60_000, batchOn: 285_000, batchOff: 300_000, singleCpuOn: 24, batchCpuOn: undefined, batchCpuOff: 5 });
    const by = Object.fromEntries(buildFigures({ edge }).map((f) => [f.id, f]));
    expect(by['edge.batch.vsBunPeer.cpu']).toMatchObject({ value: undefined, status: 'n/a' });
    expect(by['edge.single.vsBunPeer']!.value).toBe(0.95);
  });
});
