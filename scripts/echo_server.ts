/**
 * The TCP echo server of the asyncio documents, on aio's streams: each
 * connection's handler reads up to 100 bytes, prints
 * `Received <message> from ('127.0.0.1', 54321)`, echoes them back and
 * closes. Every handler is a task in the server's scope; Ctrl-C closes the
 * server gracefully (handlers get a grace period, then are cancelled).
 *
 * Mirrors the asyncio document's streams example: `handle_client(reader,
 * writer)` with `reader.read(100)`, `writer.get_extra_info('peername')`,
 * `writer.write`, `await writer.drain()`, `writer.close()`, served by
 * `asyncio.start_server(handle_client, '127.0.0.1', 8888)` and
 * `serve_forever()`.
 *
 * A second mode echoes continuously on each connection, for load tests:
 * `--mode chunk` (whatever arrives goes back) or `--mode line` (line by
 * line).
 *
 * Run: deno run --allow-net=127.0.0.1 scripts/echo_server.ts [--host 127.0.0.1] [--port 8888] [--mode once|chunk|line]
 * Then, in another terminal: deno run --allow-net=127.0.0.1 scripts/echo_client.ts
 * It prints `Serving on 127.0.0.1:8888` once ready (`--port 0` picks a free
 * port and prints the real one).
 *
 * @module
 */

import {
  runMain,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "@seed/aio";
import { scriptArgs, type ScriptInfo } from "./_speed.ts";

const decoder = new TextDecoder();

/** The asyncio example's handler: one message, echoed, then close. */
async function handleClient(
  reader: StreamReader,
  writer: StreamWriter,
): Promise<void> {
  const data = await reader.read(100);
  const message = decoder.decode(data);
  const addr = writer.getExtraInfo("peername");

  console.log(`Received ${message} from ${addr}`);

  writer.write(data);
  await writer.drain();
  writer.close();
}

/**
 * Echoes every chunk until the client closes (for load tests). One buffer
 * per connection takes every read: `readInto` allocates nothing per chunk,
 * where `read(n)` returns a fresh array each time, and `write` copies, so
 * the buffer can take the next read at once.
 */
export async function echoChunks(
  reader: StreamReader,
  writer: StreamWriter,
): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  try {
    let n: number;
    while ((n = await reader.readInto(buffer)) > 0) {
      writer.write(buffer.subarray(0, n));
      await writer.drain();
    }
  } catch (error) {
    if (!isDisconnect(error)) throw error;
  }
}

/** Echoes line by line until the client closes (for load tests). */
export async function echoLines(
  reader: StreamReader,
  writer: StreamWriter,
): Promise<void> {
  try {
    for await (const line of reader) {
      writer.write(line);
      await writer.drain();
    }
  } catch (error) {
    if (!isDisconnect(error)) throw error;
  }
}

// A client that goes away mid-stream is routine under load, not a failure.
function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted;
}

const handlers = { once: handleClient, chunk: echoChunks, line: echoLines };

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/echo_server.ts",
  shows: `The TCP echo server of the asyncio documents (handle_client): each
connection's handler reads up to 100 bytes, prints "Received <message> from
('127.0.0.1', 54321)", echoes them back and closes. Every handler is a task
in the server's scope. Prints "Serving on HOST:PORT" once ready; Ctrl-C
(SIGINT) or SIGTERM closes it gracefully, exit code 130.
Mirrors asyncio.start_server(handle_client, '127.0.0.1', 8888) and
serve_forever(). Try it with scripts/echo_client.ts.`,
  permissions: ["--allow-net=127.0.0.1"],
  flags: {
    "--host HOST": "address to listen on (default 127.0.0.1)",
    "--port PORT": "port (default 8888; 0 picks a free one and prints it)",
    "--mode MODE":
      "once (the document's handler, default), chunk or line (echo continuously, for load tests)",
  },
  sleeps: false,
};

async function serve(
  values: Record<string, string | undefined>,
): Promise<void> {
  const flags = {
    host: values.host ?? "127.0.0.1",
    port: values.port ?? "8888",
    mode: values.mode ?? "once",
  };
  const port = Number(flags.port);
  const mode = flags.mode as keyof typeof handlers;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`--port must be from 0 to 65535, got ${flags.port}`);
  }
  if (!Object.hasOwn(handlers, mode)) {
    throw new TypeError(`--mode must be once, chunk or line, got ${mode}`);
  }
  const server = await startServer(handlers[mode], {
    hostname: flags.host,
    port,
  });
  console.log(`Serving on ${server.addr.hostname}:${server.addr.port}`);
  await server.serveForever();
}

/**
 * Runs the server with command-line flags (`--host`, `--port`, `--mode`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  return await runMain(() => serve(parsed.values));
}

if (import.meta.main) await cli(Deno.args);
