/**
 * `openConnection({ hostname, port })`: connect over TCP and get a
 * `StreamReader` and a `StreamWriter`. Mirrors `asyncio.open_connection`.
 *
 * @module
 */

import { isCancelled } from "../errors.ts";
import { currentScope, type ScopeLoop } from "../_core/_scope.ts";
import { waitPromise } from "../_core/_trap.ts";
import { show } from "../_core/_checks.ts";
import { EventLoop } from "../event_loop.ts";
import { checkSize, DEFAULT_LIMIT, StreamReader } from "./stream_reader.ts";
import { DEFAULT_HIGH_WATER_MARK, StreamWriter } from "./stream_writer.ts";

/** Options for {@linkcode openConnection}. */
export interface OpenConnectionOptions {
  /** The host to connect to; default `"127.0.0.1"`. */
  hostname?: string;
  /** The port to connect to. */
  port: number;
  /** The reader's `limit` for lines and `readuntil` (default 64 KiB). */
  limit?: number;
  /** Queued bytes above which `drain()` waits (default 64 KiB). */
  highWaterMark?: number;
}

/**
 * The two halves of a connection, disposable with `await using` (which
 * closes the writer and waits for it).
 */
export interface StreamConnection {
  /** Reads from the connection. */
  readonly reader: StreamReader;
  /** Writes to the connection. */
  readonly writer: StreamWriter;
  /** Closes the connection and waits until it is closed. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Opens a TCP connection and returns its reader and writer. A
 * cancellation point: cancelled while connecting, the attempt is abandoned
 * and nothing stays open. Inside `run()`, a connection still open when
 * `run()` ends is closed then.
 *
 * Mirrors `asyncio.open_connection(host, port)`.
 *
 * @param options `hostname` (default `"127.0.0.1"`), `port`, `limit`, `highWaterMark`.
 * @returns `{ reader, writer }`, also `await using`-disposable.
 * @throws {TypeError} If an option has the wrong type.
 * @throws {RangeError} If `port` is not an integer from 1 to 65535.
 * @throws {Deno.errors.ConnectionRefused} Or another error from `Deno.connect`.
 * @throws {CancelledError} If cancelled while connecting.
 *
 * @example
 * ```ts
 * import { openConnection, run, startServer } from "@seed/aio";
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     writer.write(await reader.read(100));
 *     writer.close();
 *   }, { port: 0 });
 *   await using conn = await openConnection({ port: server.addr.port });
 *   conn.writer.write("ping");
 *   console.log(new TextDecoder().decode(await conn.reader.read())); // "ping"
 * });
 * ```
 */
export async function openConnection(
  options: OpenConnectionOptions,
): Promise<StreamConnection> {
  const what = "openConnection()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `openConnection(): options must be an object, got ${show(options)}`,
    );
  }
  const hostname = options.hostname ?? "127.0.0.1";
  if (typeof hostname !== "string") {
    throw new TypeError(
      `openConnection(): hostname must be a string, got ${show(hostname)}`,
    );
  }
  const port = checkPort(options.port, what, false);
  const limit = checkSize(options.limit, DEFAULT_LIMIT, what, "limit");
  const highWaterMark = checkSize(
    options.highWaterMark,
    DEFAULT_HIGH_WATER_MARK,
    what,
    "highWaterMark",
  );
  const scope = currentScope();
  if (scope !== undefined && scope.cancelled) throw scope.deliver();
  const controller = new AbortController();
  const connecting = Deno.connect({
    hostname,
    port,
    transport: "tcp",
    signal: controller.signal,
  });
  let conn: Deno.TcpConn;
  try {
    conn = await waitPromise(
      connecting,
      scope,
      "stream",
      () => controller.abort(),
    );
  } catch (error) {
    if (isCancelled(error)) {
      // Wait for the abandoned attempt, so no operation or socket is left.
      await connecting.then((late) => late.close(), () => {});
    }
    throw error;
  }
  const reader = new StreamReader({ limit });
  const writer = new StreamWriter(conn, reader, highWaterMark);
  reader._attach(conn, undefined);
  trackInLoop(scope?.loop, writer);
  return {
    reader,
    writer,
    [Symbol.asyncDispose]: () => writer[Symbol.asyncDispose](),
  };
}

/** @internal Validates a port number (0 allowed only for listening). */
export function checkPort(
  port: unknown,
  what: string,
  zeroOk: boolean,
): number {
  if (typeof port !== "number" || Number.isNaN(port)) {
    throw new TypeError(`${what}: port must be a number, got ${show(port)}`);
  }
  if (!Number.isInteger(port) || port < (zeroOk ? 0 : 1) || port > 65535) {
    throw new RangeError(
      `${what}: port must be an integer from ${
        zeroOk ? 0 : 1
      } to 65535, got ${port}`,
    );
  }
  return port;
}

// Client connections still open when their run() ends are closed then, so
// that a run leaves no socket behind (the server side does the same for
// its handlers' connections).
const open = new WeakMap<EventLoop, Set<StreamWriter>>();

function trackInLoop(loop: ScopeLoop | undefined, writer: StreamWriter): void {
  if (!(loop instanceof EventLoop) || loop.closed) return;
  let writers = open.get(loop);
  if (writers === undefined) {
    const set = new Set<StreamWriter>();
    writers = set;
    open.set(loop, set);
    loop._addCleanup(async () => {
      const closing = [...set].map((w) => {
        w._abort();
        return w._closed;
      });
      set.clear();
      await Promise.all(closing);
    });
  }
  writers.add(writer);
  writer._onClosed(() => writers.delete(writer));
}
