/**
 * Streams: `openConnection` and `startServer` (TCP, TLS),
 * `openUnixConnection` and `startUnixServer` (Unix domain sockets),
 * `StreamReader` and `StreamWriter` (also over any Web stream, with
 * `from()`), `IncompleteReadError`, `LimitOverrunError`.
 *
 * Also re-exported from `@seed/aio`.
 *
 * @example
 * ```ts
 * import { run } from "@seed/aio";
 * import { openConnection, startServer } from "@seed/aio/streams";
 *
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     writer.write(await reader.readline());
 *     await writer.drain();
 *     writer.close();
 *   }, { hostname: "127.0.0.1", port: 0 });
 *   const { reader, writer } = await openConnection(server.addr);
 *   writer.write("ping\n");
 *   console.log(new TextDecoder().decode(await reader.readline())); // "ping\n"
 *   writer.close();
 * });
 * ```
 *
 * @module
 */

export {
  type ClientTlsOptions,
  openConnection,
  type OpenConnectionOptions,
  type StreamConnection,
} from "./open_connection.ts";
export {
  openUnixConnection,
  type OpenUnixConnectionOptions,
} from "./open_unix_connection.ts";
export {
  type BaseServerOptions,
  type ConnectionHandler,
  Server,
  type ServerErrorContext,
  type ServerOptions,
  type ServerTlsOptions,
  startServer,
} from "./start_server.ts";
export {
  startUnixServer,
  type UnixServerOptions,
} from "./start_unix_server.ts";
export { IncompleteReadError, LimitOverrunError } from "./stream_errors.ts";
export { StreamReader, type StreamReaderOptions } from "./stream_reader.ts";
export {
  type SocketAddress,
  StreamWriter,
  type StreamWriterOptions,
} from "./stream_writer.ts";
