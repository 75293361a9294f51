import { ptr, type Pointer } from 'bun:ffi';
import { loadLibc, type Rdkafka } from './ffi.ts';
import { asPtr } from './native.ts';

export interface EventPumpOptions {
  lib: Rdkafka;
  queue: Pointer;
  /** Handles (and normally destroys) one event. Return false to stop draining; the handler then owns the event. */
  handle: (event: Pointer) => boolean;
  /** When false the pump leaves events in librdkafka's (bounded) queue; the owner drains later itself. */
  canDrain?: () => boolean;
  /** Slow timer that drains anyway, in case a wakeup was missed (librdkafka writes once per non-empty transition). */
  safetyMs?: number;
}

const O_NONBLOCK = process.platform === 'darwin' ? 0x4 : 0o4000;
const F_GETFL = 3;
const F_SETFL = 4;
const WAKE = new Uint8Array([0x31]);

/**
 * Serves an rd_kafka_queue_t from Bun's event loop without C->JS callbacks or busy polling:
 * rd_kafka_queue_io_event_enable() writes a byte to a pipe whenever the queue becomes non-empty, and the read end
 * is a non-blocking fd read through Bun.file(fd).stream(), which Bun waits on with epoll/kqueue (node:net Socket
 * on a pipe fd never fired, fs.createReadStream threw EAGAIN). Every rd_kafka_queue_poll here uses timeout 0.
 */
export class EventPump {
  readonly #lib: Rdkafka;
  readonly #queue: Pointer;
  readonly #handle: (event: Pointer) => boolean;
  readonly #canDrain: () => boolean;
  readonly #waiters = new Set<() => void>();
  readonly #fds = new Int32Array(2);
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor({ lib, queue, handle, canDrain = () => true, safetyMs = 1000 }: EventPumpOptions) {
    this.#lib = lib;
    this.#queue = queue;
    this.#handle = handle;
    this.#canDrain = canDrain;
    const libc = loadLibc();
    if (libc.pipe(ptr(this.#fds)) !== 0) throw new Error('pipe() failed for the librdkafka event queue');
    const rfd = this.#fds[0]!;
    libc.fcntl(rfd, F_SETFL, libc.fcntl(rfd, F_GETFL, 0) | O_NONBLOCK);
    lib.rd_kafka_queue_io_event_enable(queue, this.#fds[1]!, WAKE, 1);
    this.#reader = Bun.file(rfd).stream().getReader();
    void this.#readLoop(this.#reader);
    this.#timer = setInterval(() => this.#wake(), safetyMs);
    this.#timer.unref();
    // Events enqueued before io_event_enable produced no byte: drain them now or they would wait for the timer.
    queueMicrotask(() => this.#wake());
  }

  async #readLoop(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const { done } = await reader.read();
        if (done || this.#stopped) return;
        this.#wake();
      }
    } catch {
      // The reader is cancelled on stop(); nothing else can fail on a pipe we own.
    }
  }

  #wake(): void {
    if (this.#stopped) return;
    if (this.#canDrain()) this.drain();
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }

  /** Serves every ready event now; returns how many were handled. */
  drain(): number {
    let n = 0;
    while (!this.#stopped) {
      const ev = asPtr(this.#lib.rd_kafka_queue_poll(this.#queue, 0));
      if (!ev) break;
      n++;
      if (!this.#handle(ev)) break;
      if (!this.#canDrain()) break;
    }
    return n;
  }

  /** Resolves on the next wakeup from librdkafka, or after ms. Never rejects. */
  wait(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#waiters.add(done);
    });
  }

  /** Disables the io event before closing the pipe, so librdkafka never writes to a closed (or reused) fd. */
  stop(): void {
    if (this.#stopped) return;
    this.#lib.rd_kafka_queue_io_event_enable(this.#queue, -1, null, 0);
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const w of this.#waiters) w();
    this.#waiters.clear();
    const reader = this.#reader;
    this.#reader = undefined;
    const libc = loadLibc();
    const [rfd, wfd] = [this.#fds[0]!, this.#fds[1]!];
    libc.close(wfd);
    void (reader ? reader.cancel().catch(() => undefined) : Promise.resolve()).finally(() => libc.close(rfd));
  }
}
