// A child's pipes as aio streams: its stdout/stderr (Web ReadableStreams)
// behind a StreamReader, its stdin (a WritableStream) behind a
// StreamWriter. Like `StreamReader.from(readable)` /
// `StreamWriter.from(writable)`, with what a child's pipes also need: when
// the run ends, a pipe nobody read to its end is cancelled, and stdin is
// aborted rather than closed (a close would wait on a child that may never
// read), so that no resource outlives the run.

import { StreamReader } from "../streams/stream_reader.ts";
import { StreamWriter } from "../streams/stream_writer.ts";

/** Reads a byte stream through a socket's `read(p)` shape. */
export class PipeSource {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #rest: Uint8Array | undefined;
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async read(p: Uint8Array): Promise<number | null> {
    let chunk = this.#rest;
    this.#rest = undefined;
    while (chunk === undefined || chunk.length === 0) {
      if (this.#done) return null;
      const { done, value } = await this.#reader.read();
      if (done) {
        this.#done = true;
        return null;
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

  /** Releases the pipe (a read in flight ends as the end of the stream). */
  close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#reader.cancel().catch(() => {});
  }
}

/** Writes a byte stream through a socket's `write(p)` shape. */
class PipeSink {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #closed = false;

  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  async write(p: Uint8Array): Promise<number> {
    await this.#writer.write(p);
    return p.length;
  }

  closeWrite(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#writer.close().catch(() => {});
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // The writer calls this once nothing is in flight (or to drop what is):
    // aborting releases the pipe without waiting on the child.
    this.#writer.abort().catch(() => {});
  }

  get remoteAddr(): Deno.Addr {
    throw new TypeError("a pipe has no address");
  }

  get localAddr(): Deno.Addr {
    throw new TypeError("a pipe has no address");
  }
}

/** A StreamReader over a child's output pipe, and how to release it. */
export function pipeReader(
  stream: ReadableStream<Uint8Array>,
  limit: number | undefined,
): { reader: StreamReader; source: PipeSource } {
  const reader = new StreamReader(limit === undefined ? undefined : { limit });
  reader._waitKind = "process";
  const source = new PipeSource(stream);
  reader._attach(source, undefined);
  return { reader, source };
}

/** A StreamWriter over a child's stdin pipe. */
export function pipeWriter(stream: WritableStream<Uint8Array>): StreamWriter {
  return new StreamWriter(new PipeSink(stream), undefined, undefined);
}
