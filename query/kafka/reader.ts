import { join } from 'node:path';
import type { Subprocess } from 'bun';
import type { GroupLagReport } from '../../shared/kafka/lag.ts';

/** What the reader process is started with (its command line, as JSON). */
export interface ReaderStart {
  readonly brokers: string;
}

/** One request to the reader process; `timeoutMs` bounds each Kafka call it makes for the request. */
export type KafkaReadRequest =
  | { readonly id: number; readonly op: 'lag'; readonly groupId: string; readonly topic: string; readonly timeoutMs: number }
  | { readonly id: number; readonly op: 'perMinute'; readonly topics: readonly string[]; readonly start: number; readonly minutes: number; readonly timeoutMs: number };

export type KafkaReadReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

export interface KafkaReaderOptions {
  brokers: string;
  /** Requests sent and not answered yet (their callers may have stopped waiting) past which a new one is refused at once. */
  maxOutstanding?: number;
  /** A reader with maxOutstanding requests that has answered nothing for this long is stopped, and the next request starts another. */
  stuckAfterMs?: number;
  /** After the process exits, requests within this long are refused rather than each starting a process. */
  restartDelayMs?: number;
  log?: (line: string) => void;
  /** Called when the process ends while the reader is open: on its own, or stopped because it answered nothing. */
  onEnd?: (reason: 'exited' | 'stuck') => void;
}

export interface KafkaReader {
  /** The group's lag on `topic` per partition (shared/kafka/lag.ts); rejects after `waitMs`. */
  lag(request: { groupId: string; topic: string; timeoutMs: number }, waitMs: number): Promise<GroupLagReport>;
  /** Records per minute of each topic (query/resolvers/delivery-kafka.ts), in the order given; rejects after `waitMs`. */
  recordsPerMinute(request: { topics: readonly string[]; start: number; minutes: number; timeoutMs: number }, waitMs: number): Promise<number[][]>;
  /** The reader process's pid while one runs. */
  readonly pid: number | undefined;
  close(): Promise<void>;
}

const CHILD = join(import.meta.dir, 'reader-child.ts');

interface Waiting {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

interface Session {
  readonly proc: Subprocess;
  readonly waiting: Map<number, Waiting>;
  /** Sent and not answered, whether or not the caller still waits. */
  readonly outstanding: Set<number>;
  lastHeard: number;
}

/**
 * The gateway's Kafka reads (the health field's lag, the delivery field's records per minute) run in a process of their
 * own, started on the first read and kept. librdkafka's metadata, watermark and offsets-for-times calls block the
 * thread that makes them for up to their timeout, and a range of many minutes makes one call per minute: in the
 * gateway they held every other query while Kafka was slow or a long range was read. Its coordinator-bound Admin
 * requests can also abort their process when a request to the coordinator fails (confluentinc/librdkafka#4605); here
 * that ends the reader, whose reads in flight fail with the reason, and the next read starts a new one.
 */
export function createKafkaReader({ brokers, maxOutstanding = 8, stuckAfterMs = 30_000, restartDelayMs = 1000, log = console.error, onEnd = () => {} }: KafkaReaderOptions): KafkaReader {
  let session: Session | undefined;
  let lastExit: { at: number; why: string } | undefined;
  let nextId = 1;
  let closed = false;

  function end(s: Session, why: string): void {
    if (session === s) session = undefined;
    for (const w of s.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new Error(`the Kafka reader process ${why}`));
    }
    s.waiting.clear();
    s.outstanding.clear();
  }

  function spawn(): Session {
    const start: ReaderStart = { brokers };
    const s: Session = {
      proc: Bun.spawn([process.execPath, CHILD, JSON.stringify(start)], {
        stdio: ['ignore', 'ignore', 'inherit'],
        serialization: 'advanced',
        ipc: (reply: KafkaReadReply) => answered(s, reply),
        onExit: (_proc, code, signal) => {
          const why = `exited (${signal ? `signal ${signal}` : `exit code ${code}`})`;
          if (!closed && session === s) {
            lastExit = { at: performance.now(), why };
            log(`query: the Kafka reader process ${why}; the next Kafka read starts another`);
            onEnd('exited');
          }
          end(s, why);
        },
      }),
      waiting: new Map(),
      outstanding: new Set(),
      lastHeard: performance.now(),
    };
    s.proc.unref();
    return s;
  }

  function answered(s: Session, reply: KafkaReadReply): void {
    s.lastHeard = performance.now();
    s.outstanding.delete(reply.id);
    const w = s.waiting.get(reply.id);
    if (!w) return;
    s.waiting.delete(reply.id);
    clearTimeout(w.timer);
    if (reply.ok) w.resolve(reply.value);
    else w.reject(new Error(reply.error));
  }

  /** The running session, a new one, or why there is none to ask now. */
  function ready(): Session | Error {
    if (closed) return new Error('the gateway is closing');
    if (session && session.outstanding.size >= maxOutstanding) {
      if (performance.now() - session.lastHeard < stuckAfterMs) return new Error(`${session.outstanding.size} Kafka reads are still waiting for an answer`);
      const stuck = session;
      log(`query: the Kafka reader process answered nothing for ${stuckAfterMs} ms with ${stuck.outstanding.size} reads waiting; starting another`);
      stuck.proc.kill('SIGKILL');
      end(stuck, `answered nothing for ${stuckAfterMs} ms and was stopped`);
      onEnd('stuck');
    }
    if (session) return session;
    if (lastExit && performance.now() - lastExit.at < restartDelayMs) return new Error(`the Kafka reader process ${lastExit.why}; another starts shortly`);
    try {
      return (session = spawn());
    } catch (error) {
      return new Error(`the Kafka reader process could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function request<T>(body: Body<KafkaReadRequest>, waitMs: number): Promise<T> {
    const s = ready();
    if (s instanceof Error) return Promise.reject(s);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        s.waiting.delete(id);
        reject(new Error(`no answer within ${waitMs} ms`));
      }, waitMs);
      s.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      s.outstanding.add(id);
      try {
        s.proc.send({ ...body, id });
      } catch (error) {
        // The process ended and its exit has not been heard yet: this read fails now, the exit handler ends the rest.
        clearTimeout(timer);
        s.waiting.delete(id);
        s.outstanding.delete(id);
        reject(new Error(`the Kafka reader process did not take the read: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  }

  return {
    lag: ({ groupId, topic, timeoutMs: callMs }, waitMs) => request<GroupLagReport>({ op: 'lag', groupId, topic, timeoutMs: callMs }, waitMs),
    recordsPerMinute: ({ topics, start, minutes, timeoutMs: callMs }, waitMs) => request<number[][]>({ op: 'perMinute', topics, start, minutes, timeoutMs: callMs }, waitMs),
    get pid() {
      return session?.proc.pid;
    },
    async close() {
      closed = true;
      const s = session;
      if (!s) return;
      end(s, 'was stopped: the gateway is closing');
      s.proc.kill('SIGTERM');
      await Promise.race([s.proc.exited, Bun.sleep(2000)]);
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    },
  };
}
