/**
 * `openConnection({ hostname, port, tls })`: connect over TCP (or TLS) and
 * get a `StreamReader` and a `StreamWriter`. Mirrors
 * `asyncio.open_connection`.
 *
 * @module
 */

import { isCancelled } from "../errors.ts";
import { currentScope, type ScopeLoop } from "../_core/_scope.ts";
import { waitPromise } from "../_core/_trap.ts";
import { checkOptions, show } from "../_core/_checks.ts";
import { EventLoop } from "../event_loop.ts";
import { checkSize } from "./_stream_common.ts";
import { DEFAULT_LIMIT, StreamReader } from "./stream_reader.ts";
import { DEFAULT_HIGH_WATER_MARK, StreamWriter } from "./stream_writer.ts";

/** TLS settings of {@linkcode openConnection}. */
export interface ClientTlsOptions {
  /**
   * PEM certificates to trust in addition to the system's roots (a
   * self-signed server's certificate, a private CA).
   */
  caCerts?: string[];
  /**
   * The name the server's certificate must carry (and the SNI sent);
   * default the `hostname` connected to.
   */
  hostname?: string;
}

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
  /**
   * Speak TLS: `true` to verify the server against the system's roots, or
   * `{ caCerts, hostname }`. Default: plain TCP.
   */
  tls?: boolean | ClientTlsOptions;
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
 * Opens a TCP connection and returns its reader and writer. With `tls`,
 * the connection speaks TLS and the handshake (certificate checks
 * included) is done before it returns. A cancellation point: cancelled
 * while connecting, the attempt is abandoned and nothing stays open.
 * Inside `run()`, a connection still open when `run()` ends is closed then.
 *
 * Mirrors `asyncio.open_connection(host, port, ssl=…)`.
 *
 * @param options `hostname` (default `"127.0.0.1"`), `port`, `limit`, `highWaterMark`, `tls`.
 * @returns `{ reader, writer }`, also `await using`-disposable.
 * @throws {TypeError} If an option has the wrong type.
 * @throws {RangeError} If `port` is not an integer from 1 to 65535.
 * @throws {Deno.errors.ConnectionRefused} Or another error from `Deno.connect`.
 * @throws {Error} From the TLS handshake (an untrusted certificate, a wrong name).
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
      `${what}: options must be an object, got ${show(options)}`,
    );
  }
  checkOptions(options, OPTIONS, what);
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
  const tls = checkClientTls(options.tls, what);
  const scope = currentScope();
  if (scope !== undefined && scope.cancelled) throw scope.deliver();
  const controller = new AbortController();
  const connecting = Deno.connect({
    hostname,
    port,
    transport: "tcp",
    signal: controller.signal,
  });
  let conn: Deno.TcpConn | Deno.TlsConn;
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
  if (tls !== undefined) {
    conn = await handshake(conn, {
      hostname: tls.hostname ?? hostname,
      ...(tls.caCerts === undefined ? {} : { caCerts: tls.caCerts }),
    }, scope);
  }
  return connectionOf(conn, limit, highWaterMark, scope?.loop);
}

/** @internal The reader and writer of a fresh client connection. */
export function connectionOf(
  conn: Deno.Conn,
  limit: number,
  highWaterMark: number,
  loop: ScopeLoop | undefined,
): StreamConnection {
  const reader = new StreamReader({ limit });
  const writer = new StreamWriter(conn, reader, highWaterMark);
  reader._attach(conn, undefined);
  trackInLoop(loop, writer);
  return {
    reader,
    writer,
    [Symbol.asyncDispose]: () => writer[Symbol.asyncDispose](),
  };
}

const OPTIONS = {
  // A `Deno.NetAddr` (`server.addr`) passes as options.
  transport: (value: unknown) =>
    value === "tcp" ? undefined : 'must be "tcp" (use openUnixConnection)',
  hostname: "string",
  port: "number",
  limit: "number",
  highWaterMark: "number",
  tls: (value: unknown) =>
    typeof value === "boolean" || (typeof value === "object" && value !== null)
      ? undefined
      : "must be a boolean or an object",
} as const;

function checkClientTls(
  tls: unknown,
  what: string,
): ClientTlsOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  if (tls === null || typeof tls !== "object") {
    throw new TypeError(
      `${what}: tls must be a boolean or an object, got ${show(tls)}`,
    );
  }
  const { caCerts, hostname } = tls as ClientTlsOptions;
  for (const key of Object.keys(tls)) {
    if (key !== "caCerts" && key !== "hostname") {
      throw new TypeError(
        `${what}: unknown option tls.${key} (known: caCerts, hostname)`,
      );
    }
  }
  if (
    caCerts !== undefined &&
    (!Array.isArray(caCerts) || caCerts.some((c) => typeof c !== "string"))
  ) {
    throw new TypeError(
      `${what}: tls.caCerts must be an array of PEM strings, got ${
        show(caCerts)
      }`,
    );
  }
  if (hostname !== undefined && typeof hostname !== "string") {
    throw new TypeError(
      `${what}: tls.hostname must be a string, got ${show(hostname)}`,
    );
  }
  return { caCerts, hostname };
}

// Upgrades a fresh TCP connection to TLS and completes the handshake, as a
// cancellation point; on failure or cancellation the socket is closed.
async function handshake(
  tcp: Deno.TcpConn,
  options: Deno.StartTlsOptions,
  scope: ReturnType<typeof currentScope>,
): Promise<Deno.TlsConn> {
  let conn: Deno.TlsConn | undefined;
  const upgrading = Deno.startTls(tcp, options).then(async (tls) => {
    conn = tls;
    await tls.handshake();
    return tls;
  });
  try {
    return await waitPromise(upgrading, scope, "stream", () => {
      try {
        (conn ?? tcp).close();
      } catch {
        // Closed already.
      }
    });
  } catch (error) {
    // Let the abandoned handshake settle, so no operation is left pending.
    await upgrading.then(() => {}, () => {});
    try {
      (conn ?? tcp).close();
    } catch {
      // Closed by the cancellation.
    }
    throw error;
  }
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
