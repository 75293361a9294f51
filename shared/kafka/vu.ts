import { ptr, type Pointer } from 'bun:ffi';
import { MSG_F_COPY, VTYPE, VU_SIZE } from './ffi.ts';

export type Bytes = Uint8Array | string;
export type Headers = Record<string, Bytes> | ReadonlyArray<readonly [string, Bytes]>;

export interface OutgoingMessage {
  topic: string;
  /** null produces a tombstone (no value), as for log compaction deletes. */
  value: Bytes | null;
  key?: Bytes | null;
  headers?: Headers;
  partition?: number;
  /** Milliseconds since the epoch; librdkafka stamps the send time when omitted. */
  timestamp?: number | Date;
}

/** rd_kafka_header_add(list, name, name_size, value, value_size): 0 when added. */
export type HeaderAdd = (list: Pointer, name: number, nameLength: number, value: number, valueLength: number) => number;

const ARENA_SIZE = 1 << 20;
const MAX_VUS = 64;
const TWO32 = 2 ** 32;
/** Strings up to this many UTF-16 units are copied by hand when ASCII; longer ones go through encodeInto. */
const SHORT = 64;
const encoder = new TextEncoder();

/**
 * Fills an rd_kafka_vu_t array for rd_kafka_produceva (variadic rd_kafka_producev cannot be called through FFI).
 * Small values are copied into one long-lived arena whose address is taken once; librdkafka copies them again during
 * the call (RD_KAFKA_MSG_F_COPY, always: JS memory may move or be reused once the call returns).
 */
export class VuWriter {
  readonly vus = new Uint8Array(VU_SIZE * MAX_VUS);
  readonly #dv = new DataView(this.vus.buffer);
  readonly #arena = new Uint8Array(ARENA_SIZE);
  readonly #arenaPtr: number = ptr(this.#arena);
  /** The arena as encodeInto's target when a string starts it (a message's value always does): no view per call. */
  readonly #head = this.#arena.subarray(0, ARENA_SIZE - 1);
  /** Keeps fallback (large) buffers reachable until the produce call returns. */
  readonly #keep: Uint8Array[] = [];
  #n = 0;
  #off = 0;
  #len = 0;

  begin(rkt: number, opaque: number, partition: number | undefined): void {
    this.#n = 0;
    this.#off = 0;
    this.#keep.length = 0;
    this.#ptr(VTYPE.RKT, rkt);
    this.#ptr(VTYPE.OPAQUE, opaque);
    this.#i32(VTYPE.MSGFLAGS, MSG_F_COPY);
    if (partition !== undefined) this.#i32(VTYPE.PARTITION, partition);
  }

  get count(): number {
    return this.#n;
  }

  value(v: Bytes | null): void {
    this.#mem(VTYPE.VALUE, v);
  }

  key(k: Bytes | null | undefined): void {
    if (k !== undefined && k !== null) this.#mem(VTYPE.KEY, k);
  }

  timestamp(ts: number | Date): void {
    const ms = typeof ts === 'number' ? ts : ts.getTime();
    // Two 32-bit halves: an int64 through setBigInt64 made a BigInt per message.
    this.#set64(this.#next(VTYPE.TIMESTAMP), Math.trunc(ms));
  }

  /**
   * Copies each header into the arena and hands it to `add` (rd_kafka_header_add, which copies it into `list`); the
   * list then goes in as one VTYPE_HEADERS entry, which stays the caller's if the produce call fails (Producer#send).
   */
  headers(h: Headers, list: Pointer, add: HeaderAdd): void {
    const pairs = Array.isArray(h) ? (h as ReadonlyArray<readonly [string, Bytes]>) : Object.entries(h);
    for (const [name, val] of pairs) {
      const namePtr = this.#bytes(name, false);
      const nameLen = this.#len;
      const valPtr = this.#bytes(val, false);
      const err = add(list, namePtr, nameLen, valPtr, this.#len);
      if (err !== 0) throw new RangeError(`header ${JSON.stringify(name)} refused (error ${err})`);
    }
    this.#ptr(VTYPE.HEADERS, list);
  }

  #next(vtype: number): number {
    const at = this.#n++ * VU_SIZE;
    this.#dv.setInt32(at, vtype, true);
    return at + 8;
  }

  /** A little-endian 64-bit field from a safe integer (pointer, size, timestamp); setUint32 wraps a negative half
   * modulo 2^32, which is its two's complement. */
  #set64(at: number, p: number): void {
    this.#dv.setUint32(at, p % TWO32, true);
    this.#dv.setUint32(at + 4, Math.floor(p / TWO32), true);
  }

  #ptr(vtype: number, p: number): void {
    this.#set64(this.#next(vtype), p);
  }

  #i32(vtype: number, v: number): void {
    this.#dv.setInt32(this.#next(vtype), v, true);
  }

  #mem(vtype: number, v: Bytes | null): void {
    const at = this.#next(vtype);
    if (v === null) {
      this.#set64(at, 0);
      this.#set64(at + 8, 0);
      return;
    }
    this.#set64(at, this.#bytes(v, false));
    this.#set64(at + 8, this.#len);
  }

  /**
   * Returns the address and leaves the byteLength in #len (no tuple per call: the edge writes four or five of these
   * per event). The address is non-null even for empty values (empty is not null in Kafka).
   */
  #bytes(v: Bytes, nul: boolean): number {
    const room = ARENA_SIZE - this.#off;
    if (typeof v === 'string') {
      if (v.length * 3 + 1 <= room) return this.#claim(v.length <= SHORT && this.#ascii(v) ? v.length : this.#utf8(v), nul);
      v = encoder.encode(v);
    }
    if (v.byteLength + 1 <= room) {
      this.#arena.set(v, this.#off);
      return this.#claim(v.byteLength, nul);
    }
    const copy = nul ? new Uint8Array(v.byteLength + 1) : v.byteLength === 0 ? new Uint8Array(1) : v;
    if (copy !== v) copy.set(v);
    this.#keep.push(copy);
    this.#len = v.byteLength;
    return ptr(copy);
  }

  /** Copies a short string if it is all ASCII (keys, ids, header names and values); false leaves it to #utf8. */
  #ascii(v: string): boolean {
    const arena = this.#arena;
    const off = this.#off;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c > 0x7f) return false;
      arena[off + i] = c;
    }
    return true;
  }

  #utf8(v: string): number {
    return encoder.encodeInto(v, this.#off === 0 ? this.#head : this.#arena.subarray(this.#off, ARENA_SIZE - 1)).written;
  }

  #claim(len: number, nul: boolean): number {
    const start = this.#off;
    if (nul) this.#arena[start + len] = 0;
    this.#off += len + 1;
    this.#len = len;
    return this.#arenaPtr + start;
  }
}
