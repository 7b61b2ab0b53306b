// The growable byte buffer under a StreamReader: bytes in [start, end) of
// `buf` are buffered and not read yet. It grows by doubling only as bytes
// arrive (never ahead of them: a size a peer announces reserves nothing),
// compacts in place when that makes room, and gives back a buffer grown
// for one large chunk once it is empty.
//
// Fields are plain (this file is private) so that the reader's hot path
// reads them without a call.

/** The size of a buffer's first allocation. */
export const INITIAL_CAPACITY = 16 * 1024;
/** An empty buffer gives back an allocation larger than this. */
const KEEP_LIMIT = INITIAL_CAPACITY * 4;

const EMPTY = new Uint8Array(0);

/** @internal A growable FIFO of bytes. */
export class ByteBuffer {
  /** The storage; `EMPTY` until the first byte. */
  buf: Uint8Array = EMPTY;
  /** Where the unread bytes start. */
  start = 0;
  /** Where the unread bytes end (where the next bytes go). */
  end = 0;

  /** How many bytes are buffered. */
  get size(): number {
    return this.end - this.start;
  }

  /** Free space after `end`. */
  get free(): number {
    return this.buf.length - this.end;
  }

  /**
   * Makes room for at least `need` more bytes after `end`, compacting or
   * growing (to the next power-of-two multiple of the capacity).
   * @throws {RangeError} If the memory cannot be allocated (nothing changes then).
   */
  reserve(need: number): void {
    const buf = this.buf;
    if (buf.length - this.end >= need) return;
    const used = this.end - this.start;
    if (buf.length === 0) {
      this.buf = allocate(Math.max(INITIAL_CAPACITY, need));
      this.start = this.end = 0;
      return;
    }
    if (used + need <= buf.length) {
      buf.copyWithin(0, this.start, this.end);
    } else {
      let capacity = buf.length * 2;
      while (capacity < used + need) capacity *= 2;
      const grown = allocate(capacity);
      grown.set(buf.subarray(this.start, this.end));
      this.buf = grown;
    }
    this.start = 0;
    this.end = used;
  }

  /**
   * Appends a copy of `bytes`.
   * @throws {RangeError} If the memory cannot be allocated.
   */
  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** Consumes `n` (at most `size`) bytes into a fresh copy. */
  take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const start = this.start;
    const chunk = this.buf.slice(start, start + n);
    this.start = start + n;
    return chunk;
  }

  /** Consumes as many bytes as fit into `into` (from index 0); returns how many. */
  takeInto(into: Uint8Array): number {
    const available = this.end - this.start;
    const n = available < into.length ? available : into.length;
    const start = this.start;
    into.set(this.buf.subarray(start, start + n));
    this.start = start + n;
    return n;
  }

  /** Drops `n` (at most `size`) buffered bytes. */
  skip(n: number): void {
    this.start += n;
  }

  /** The byte `i` bytes after `start`. */
  at(i: number): number {
    return this.buf[this.start + i];
  }

  /** The index (relative to `start`) of `sep` at or after `offset`, or -1. */
  find(sep: Uint8Array, offset: number): number {
    const buf = this.buf;
    const start = this.start;
    const end = this.end;
    const first = sep[0];
    let i = buf.indexOf(first, start + offset);
    while (i >= 0 && i + sep.length <= end) {
      let k = 1;
      while (k < sep.length && buf[i + k] === sep[k]) k++;
      if (k === sep.length) return i - start;
      i = buf.indexOf(first, i + 1);
    }
    return -1;
  }

  /**
   * If empty, rewinds to the start and gives back an allocation grown for
   * a large chunk. Must not be called while something writes into `buf`.
   */
  compactIfEmpty(): void {
    if (this.start !== this.end) return;
    this.start = this.end = 0;
    if (this.buf.length > KEEP_LIMIT) this.buf = EMPTY;
  }

  /** Doubles an empty buffer (up to `max`): the last fill took all it was offered. */
  widen(max: number): void {
    const length = this.buf.length;
    if (this.start === this.end && length > 0 && length < max) {
      this.buf = allocate(length * 2);
      this.start = this.end = 0;
    }
  }
}

// A Uint8Array of `size` bytes, or a RangeError that says what was asked.
function allocate(size: number): Uint8Array {
  try {
    return new Uint8Array(size);
  } catch (error) {
    throw new RangeError(
      `Cannot grow the read buffer to ${size} bytes: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}
