/**
 * The TCP echo client for `scripts/echo_server.ts`: connects, sends a
 * message, prints what it sends and what comes back, and closes.
 *
 * Mirrors the asyncio streams client (`tcp_echo_client`):
 * `reader, writer = await asyncio.open_connection('127.0.0.1', 8888)`,
 * `writer.write(message.encode())`, `data = await reader.read(100)`,
 * `writer.close()`, `await writer.wait_closed()`.
 *
 * Run: deno run --allow-net=127.0.0.1 scripts/echo_client.ts [--host 127.0.0.1] [--port 8888] [--message "Hello World!"]
 * (start scripts/echo_server.ts first).
 *
 * @module
 */

import { openConnection, runMain } from "@seed/aio";
import { parseArgs } from "@std/cli/parse-args";

async function tcpEchoClient(
  message: string,
  hostname: string,
  port: number,
): Promise<void> {
  const { reader, writer } = await openConnection({ hostname, port });

  console.log(`Send: ${message}`);
  writer.write(message);
  await writer.drain();

  const data = await reader.read(100);
  console.log(`Received: ${new TextDecoder().decode(data)}`);

  console.log("Close the connection");
  writer.close();
  await writer.waitClosed();
}

async function main(args: string[]): Promise<void> {
  const flags = parseArgs(args, {
    string: ["host", "port", "message"],
    default: { host: "127.0.0.1", port: "8888", message: "Hello World!" },
  });
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`--port must be from 1 to 65535, got ${flags.port}`);
  }
  await tcpEchoClient(flags.message, flags.host, port);
}

if (import.meta.main) {
  await runMain(() => main(Deno.args));
}
