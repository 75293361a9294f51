import { createAdmin, type Admin } from '../../shared/kafka/index.ts';

/**
 * Runs `bun <script> <request as JSON>` and parses the one JSON line it prints. Undefined when the process crashed, ran
 * past `timeoutMs` (it is killed) or printed no JSON: the caller treats that as a sample that is missing and asks again.
 *
 * The cluster scenarios ask Kafka about their consumer group through such processes. librdkafka's coordinator-bound
 * Admin requests (DescribeConsumerGroups, ListConsumerGroupOffsets) can abort their process when a request to the
 * coordinator fails (confluentinc/librdkafka#4605, fix pending in #5397), and its main thread can dereference NULL
 * when a broker dies (#5315). A test runner that held the client went down with both.
 */
export async function answerInChild<T>(script: string, request: unknown, timeoutMs = 15_000): Promise<T | undefined> {
  const proc = Bun.spawn([process.execPath, script, JSON.stringify(request)], { stdout: 'pipe', stderr: 'ignore', timeout: timeoutMs, killSignal: 'SIGKILL' });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) return undefined;
  try {
    return JSON.parse(out) as T;
  } catch {
    return undefined;
  }
}

/**
 * The child's side of answerInChild: reads the request from the command line, answers it with an admin client of its
 * own, prints the answer as one JSON line (bigints as decimal strings) and exits.
 */
export async function answerAsChild<R extends { brokers: string }>(answer: (admin: Admin, request: R) => Promise<unknown>): Promise<never> {
  const request = JSON.parse(process.argv[2] ?? '{}') as R;
  const admin = createAdmin({ brokers: request.brokers, timeoutMs: 5000, config: { log_level: '2' } });
  try {
    console.log(JSON.stringify(await answer(admin, request), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  } finally {
    await admin.close();
  }
  process.exit(0);
}
