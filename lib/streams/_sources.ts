// Adapters that let a StreamReader read from, and a StreamWriter write to,
// something other than a socket: Web streams (ReadableStream and
// WritableStream of bytes) and anything with Deno's read(p)/write(p).

import { show } from "../_core/_checks.ts";

/** @internal Where a reader gets its bytes from (a `Deno.Conn` is one). */
export interface ReadSource {
  read(p: Uint8Array): Promise<number | null>;
}

/** @internal Where a writer sends its bytes (a `Deno.Conn` is one). */
export interface WriteSink {
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
}

/** Reads a `ReadableStream` of bytes through Deno's `read(p)` shape. */
class WebReadSource implements ReadSource {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #rest: Uint8Array | undefined;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async read(p: Uint8Array): Promise<number | null> {
    let chunk = this.#rest;
    this.#rest = undefined;
    while (chunk === undefined || chunk.length === 0) {
      const { done, value } = await this.#reader.read();
      if (done) {
        this.#reader.releaseLock();
        return null;
      }
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(
          `StreamReader: the stream gave a chunk that is not a Uint8Array: ${
            show(value)
          }`,
        );
      }
      chunk = value;
    }
    if (chunk.length > p.length) {
      this.#rest = chunk.subarray(p.length);
      chunk = chunk.subarray(0, p.length);
    }
    p.set(chunk);
    return chunk.length;
  }
}

/** Writes to a `WritableStream` of bytes through Deno's `write(p)` shape. */
class WebWriteSink implements WriteSink {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #closing: Promise<void> | undefined;

  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  async write(p: Uint8Array): Promise<number> {
    // A copy: the writer reuses its buffer once this settles, and a sink
    // may keep the chunk.
    await this.#writer.write(p.slice());
    return p.length;
  }

  closeWrite(): Promise<void> {
    return this.#closing ??= this.#writer.close();
  }

  close(): void {
    // Closing is asynchronous for a Web stream; its failure (a stream
    // errored meanwhile) has nobody left to tell.
    this.closeWrite().catch(() => {});
  }

  /** Drops what the stream still holds (the writer was aborted). */
  abort(): void {
    if (this.#closing !== undefined) return;
    this.#closing = this.#writer.abort();
  }
}

/** @internal Whether `value` is a `ReadableStream`. */
export function isReadableStream(
  value: unknown,
): value is ReadableStream<Uint8Array> {
  return value instanceof ReadableStream;
}

/** @internal A read source for `StreamReader.from()`. */
export function readSourceOf(source: unknown, what: string): ReadSource {
  if (isReadableStream(source)) {
    if (source.locked) {
      throw new TypeError(`${what}: the ReadableStream is locked`);
    }
    return new WebReadSource(source);
  }
  if (
    source !== null && typeof source === "object" &&
    typeof (source as ReadSource).read === "function"
  ) {
    return source as ReadSource;
  }
  throw new TypeError(
    `${what}: expected a ReadableStream or a Deno.Conn, got ${show(source)}`,
  );
}

/** @internal A write sink for `StreamWriter.from()`. */
export function writeSinkOf(sink: unknown, what: string): WriteSink {
  if (sink instanceof WritableStream) {
    if (sink.locked) {
      throw new TypeError(`${what}: the WritableStream is locked`);
    }
    return new WebWriteSink(sink);
  }
  if (
    sink !== null && typeof sink === "object" &&
    typeof (sink as WriteSink).write === "function" &&
    typeof (sink as WriteSink).close === "function"
  ) {
    return sink as WriteSink;
  }
  throw new TypeError(
    `${what}: expected a WritableStream or a Deno.Conn, got ${show(sink)}`,
  );
}

/** @internal Settles once a Web stream sink has closed (undefined for a socket). */
export function sinkClosed(sink: WriteSink): Promise<void> | undefined {
  if (!(sink instanceof WebWriteSink)) return undefined;
  return sink.closeWrite().catch(() => {});
}

/** @internal Aborts a Web stream sink; false for a socket (close it instead). */
export function abortSink(sink: WriteSink): boolean {
  if (!(sink instanceof WebWriteSink)) return false;
  sink.abort();
  return true;
}
