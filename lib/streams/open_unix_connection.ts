/**
 * `openUnixConnection({ path })`: connect to a Unix domain socket and get a
 * `StreamReader` and a `StreamWriter`. Mirrors
 * `asyncio.open_unix_connection`.
 *
 * @module
 */

import { currentScope } from "../_core/_scope.ts";
import { waitPromise } from "../_core/_trap.ts";
import { checkOptions, show } from "../_core/_checks.ts";
import { checkSize } from "./_stream_common.ts";
import { DEFAULT_LIMIT } from "./stream_reader.ts";
import { DEFAULT_HIGH_WATER_MARK } from "./stream_writer.ts";
import { connectionOf, type StreamConnection } from "./open_connection.ts";

/** Options for {@linkcode openUnixConnection}. */
export interface OpenUnixConnectionOptions {
  /** The path of the socket file. */
  path: string;
  /** The reader's `limit` for lines and `readuntil` (default 64 KiB). */
  limit?: number;
  /** Queued bytes above which `drain()` waits (default 64 KiB). */
  highWaterMark?: number;
}

const OPTIONS = {
  path: "string",
  limit: "number",
  highWaterMark: "number",
} as const;

/**
 * Connects to the Unix domain socket at `path` and returns its reader and
 * writer, as `openConnection` does for TCP. A cancellation point. Inside
 * `run()`, a connection still open when `run()` ends is closed then.
 *
 * Mirrors `asyncio.open_unix_connection(path)`.
 *
 * @param options `path`, `limit`, `highWaterMark`.
 * @returns `{ reader, writer }`, also `await using`-disposable.
 * @throws {TypeError} If `path` is not a non-empty string or an option has the wrong type.
 * @throws {Deno.errors.NotFound} Or another error from `Deno.connect` (nobody listens: `ConnectionRefused`).
 * @throws {CancelledError} If cancelled while connecting.
 *
 * @example
 * ```ts
 * import { openUnixConnection, run, startUnixServer } from "@seed/aio";
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/echo.sock`;
 * await run(async () => {
 *   await using _server = await startUnixServer(async (reader, writer) => {
 *     writer.write(await reader.readline());
 *   }, { path });
 *   await using conn = await openUnixConnection({ path });
 *   conn.writer.write("over a Unix socket\n");
 *   console.log(new TextDecoder().decode(await conn.reader.readline()));
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openUnixConnection(
  options: OpenUnixConnectionOptions,
): Promise<StreamConnection> {
  const what = "openUnixConnection()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `${what}: options must be an object, got ${show(options)}`,
    );
  }
  checkOptions(options, OPTIONS, what);
  const path = options.path;
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `${what}: path must be a non-empty string, got ${show(path)}`,
    );
  }
  const limit = checkSize(options.limit, DEFAULT_LIMIT, what, "limit");
  const highWaterMark = checkSize(
    options.highWaterMark,
    DEFAULT_HIGH_WATER_MARK,
    what,
    "highWaterMark",
  );
  const scope = currentScope();
  if (scope !== undefined && scope.cancelled) throw scope.deliver();
  const connecting = Deno.connect({ transport: "unix", path });
  let cancelled = false;
  let conn: Deno.UnixConn;
  try {
    conn = await waitPromise(connecting, scope, "stream", () => {
      cancelled = true;
    });
  } catch (error) {
    // A Unix connect cannot be aborted, but it is quick: let it settle and
    // close what it opened, so nothing stays open.
    if (cancelled) await connecting.then((late) => late.close(), () => {});
    throw error;
  }
  return connectionOf(conn, limit, highWaterMark, scope?.loop);
}
