import { beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listening } from '../service.ts';
import { describeView, type GroupView } from './group.ts';
import { CLUSTER_HOME, CLUSTER_PORT, runScaleOut, type ScaleOutResult } from './scale-out.ts';

// `npm run test:cluster`. Three Kafka nodes of its own (.stack/scale-out, ports 29192-29197, data deleted at the end),
// a topic of 12 partitions, two edge services on two ports with a client taking them in turn, and worker processes in
// one group (session timeout 6 s): two at first, a third started under load, then the first killed with SIGKILL.
let result: ScaleOutResult;

const clientIds = (view: GroupView) => view.members.map((m) => m.clientId).sort();
const owned = (view: GroupView) => view.members.flatMap((m) => m.partitions).sort((a, b) => a - b);
const everyPartition = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('workers scaling out and in on a three-node cluster under load', () => {
  beforeAll(async () => {
    result = await runScaleOut({ log: (line) => console.log(`scale-out: ${line}`) });
    const { load, views, at } = result;
    console.log(
      `scale-out: ${load.accepted.size} events accepted in ${load.requests.length} requests (${load.resends} resends); ` +
        `third worker started ${at.join.toFixed(1)} s into the load (three members by ${at.joined.toFixed(1)} s), ` +
        `first killed at ${at.kill.toFixed(1)} s (two survivors owning all by ${at.takenOver.toFixed(1)} s), load stopped at ${at.loadEnd.toFixed(1)} s\n` +
        `scale-out: messages processed: ${Object.values(result.workers).map((w) => `${w.clientId} ${w.processed}`).join(', ')}\n` +
        `scale-out: two workers   ${describeView(views.two)}\nscale-out: one joined    ${describeView(views.joined)}\nscale-out: one killed    ${describeView(views.survivors)}`,
    );
  }, 420_000);

  test('both edges took requests, and every event sent was accepted in the end', () => {
    const answered = (edge: number) => result.load.requests.filter((r) => r.edge === edge && r.status >= 200 && r.status < 300).length;
    expect(answered(0)).toBeGreaterThan(0);
    expect(answered(1)).toBeGreaterThan(0);
    expect([...result.load.failed.entries()].slice(0, 5)).toEqual([]);
    expect(result.load.accepted.size).toBeGreaterThan(0);
  });

  test('with two workers, Kafka gives each a part of the topic and every partition to exactly one of them', () => {
    const { two } = result.views;
    expect(clientIds(two)).toEqual([result.workers.first.clientId, result.workers.second.clientId].sort());
    expect(owned(two)).toEqual(everyPartition(result.partitions));
    expect(two.members.every((m) => m.partitions.length > 0)).toBe(true);
  });

  test('a third worker joining under load gets a share: three members split the partitions between them', () => {
    const { two, joined } = result.views;
    expect(result.at.join).toBeLessThan(result.at.loadEnd);
    expect(clientIds(joined)).toEqual([result.workers.first.clientId, result.workers.second.clientId, result.workers.joiner.clientId].sort());
    expect(owned(joined)).toEqual(everyPartition(result.partitions));
    expect(joined.members.find((m) => m.clientId === result.workers.joiner.clientId)?.partitions.length).toBeGreaterThan(0);
    // The first two gave partitions up to the newcomer: each owns fewer than before.
    for (const before of two.members) {
      expect(joined.members.find((m) => m.memberId === before.memberId)!.partitions.length).toBeLessThan(before.partitions.length);
    }
  });

  test('a worker killed with SIGKILL leaves the group, and the two survivors own every partition', () => {
    const { joined, survivors } = result.views;
    expect(result.at.kill).toBeLessThan(result.at.loadEnd);
    expect(clientIds(survivors)).toEqual([result.workers.second.clientId, result.workers.joiner.clientId].sort());
    expect(survivors.members.map((m) => m.clientId)).not.toContain(result.killed.clientId);
    expect(owned(survivors)).toEqual(everyPartition(result.partitions));
    // The same two consumers as before the kill (their member ids kept), each with more than it had then.
    for (const after of survivors.members) {
      const before = joined.members.find((m) => m.memberId === after.memberId);
      expect(before).toBeDefined();
      expect(after.partitions.length).toBeGreaterThan(before!.partitions.length);
    }
  });

  test('each of the three workers processed events while it was a member', () => {
    for (const w of Object.values(result.workers)) expect(w.processed).toBeGreaterThan(0);
  });

  test('every accepted event is in Elasticsearch, Postgres and Redis exactly once', () => {
    const accepted = result.load.accepted.size;
    for (const tally of Object.values(result.stores)) expect(tally).toEqual({ total: accepted, missing: 0, duplicates: 0 });
  });

  test('the group has no lag left on any partition once the load stops', () => {
    expect(result.drained).toBe(true);
    expect(result.lag.map((p) => [p.partition, p.lag])).toEqual(everyPartition(result.partitions).map((p) => [p, 0n]));
  });

  test('the cluster is stopped afterwards: nothing listens on its ports and its nodes left no data behind', async () => {
    for (let port = CLUSTER_PORT; port < CLUSTER_PORT + 6; port++) expect(await listening(port)).toBe(false);
    expect(existsSync(join(CLUSTER_HOME, 'kafka', 'nodes'))).toBe(false);
  });
});
