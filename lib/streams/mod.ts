/**
 * TCP streams: openConnection, startServer, StreamReader, StreamWriter.
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
  openConnection,
  type OpenConnectionOptions,
  type StreamConnection,
} from "./open_connection.ts";
export {
  type ConnectionHandler,
  Server,
  type ServerErrorContext,
  type ServerOptions,
  startServer,
} from "./start_server.ts";
export {
  IncompleteReadError,
  LimitOverrunError,
  StreamReader,
  type StreamReaderOptions,
} from "./stream_reader.ts";
export { type SocketAddress, StreamWriter } from "./stream_writer.ts";
