/**
 * `startUnixServer(handler, { path })`: a structured server on a Unix
 * domain socket. Mirrors `asyncio.start_unix_server`.
 *
 * @module
 */

import { show } from "../_core/_checks.ts";
import { currentScope } from "../_core/_scope.ts";
import { waitPromise } from "../_core/_trap.ts";
import {
  type BaseServerOptions,
  checkCanStart,
  type ConnectionHandler,
  Server,
  serverSettings,
} from "./start_server.ts";

/** Options for {@linkcode startUnixServer}. */
export interface UnixServerOptions extends BaseServerOptions {
  /**
   * The path of the socket file. A stale socket file left there by a
   * server that is gone is removed first; a live one (something accepts
   * connections on it) or any other kind of file is an `AddrInUse` error.
   * The file is removed again when the server closes.
   */
  path: string;
}

const OPTIONS = {
  path: "string",
  maxConnections: "number",
  idleTimeoutMs: "number",
  gracePeriodMs: "number",
  limit: "number",
  highWaterMark: "number",
  onError: "function",
} as const;

/**
 * Starts a server on the Unix domain socket `path` that runs
 * `handler(reader, writer)` as a task for every connection, as
 * `startServer` does for TCP (same scope rules, `close()`,
 * `closeClients()`, `closing`, grace period). `server.addr.path` is the
 * path. Only a stale socket file is replaced, never a live socket or
 * another file; the socket file is removed once the server is closed.
 *
 * Mirrors `asyncio.start_unix_server(client_connected_cb, path)` (with
 * Python 3.13's `cleanup_socket=True`).
 *
 * @param handler Runs once per connection.
 * @param options `path`, `maxConnections`, `idleTimeoutMs`, `gracePeriodMs`, `limit`, `highWaterMark`, `onError`.
 * @returns The running server.
 * @throws {TypeError} If `handler` is not a function or an option has the wrong type.
 * @throws {Deno.errors.AddrInUse} If `path` is a live socket or not a socket.
 * @throws {InvalidStateError} If the enclosing task group is shutting down.
 *
 * @example
 * ```ts
 * import { openUnixConnection, run, startUnixServer } from "@seed/aio";
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/hello.sock`;
 * await run(async () => {
 *   await using server = await startUnixServer((_reader, writer) => {
 *     writer.write("hello from a Unix socket\n");
 *   }, { path });
 *   console.log(server.addr.path === path); // true
 *   await using conn = await openUnixConnection({ path });
 *   console.log(new TextDecoder().decode(await conn.reader.readline()));
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startUnixServer(
  handler: ConnectionHandler,
  options: UnixServerOptions,
): Promise<Server<Deno.UnixAddr>> {
  const what = "startUnixServer()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `${what}: options must be an object, got ${show(options)}`,
    );
  }
  const settings = serverSettings(handler, options, OPTIONS, what);
  const path = options.path;
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `${what}: path must be a non-empty string, got ${show(path)}`,
    );
  }
  checkCanStart();
  await removeStaleSocket(path, what);
  checkCanStart();
  const listener = Deno.listen({ transport: "unix", path });
  // Remove the socket file on close, unless another server replaced it.
  let ino: number | null = null;
  try {
    ino = Deno.lstatSync(path).ino;
  } catch {
    // Gone already.
  }
  settings.cleanup = () => {
    try {
      const now = Deno.lstatSync(path);
      if (now.isSocket && now.ino === ino) Deno.removeSync(path);
    } catch {
      // Removed by someone else: nothing to clean up.
    }
  };
  const server = new Server(listener, handler, settings);
  server._start();
  return server;
}

// Removes the socket file at `path` if it is stale: a socket nobody
// accepts connections on. A live socket, or a file of another kind, is
// left alone and is an AddrInUse error.
async function removeStaleSocket(path: string, what: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isSocket) {
    throw new Deno.errors.AddrInUse(
      `${what}: ${path} exists and is not a socket; not removing it`,
    );
  }
  const probe = Deno.connect({ transport: "unix", path });
  let live: Deno.UnixConn | undefined;
  try {
    live = await waitPromise(probe, currentScope(), "stream");
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionRefused)) {
      if (!(error instanceof Deno.errors.NotFound)) {
        await probe.then((late) => late.close(), () => {});
        throw error;
      }
      return; // Removed meanwhile.
    }
  }
  if (live !== undefined) {
    live.close();
    throw new Deno.errors.AddrInUse(
      `${what}: a server is listening on ${path}`,
    );
  }
  await Deno.remove(path);
}
