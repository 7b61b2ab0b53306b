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
import { scriptArgs, type ScriptInfo } from "./_speed.ts";

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

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/echo_client.ts",
  shows:
    `The TCP echo client of the asyncio documents (tcp_echo_client): connects
to scripts/echo_server.ts, sends a message, prints "Send: ...", what comes
back ("Received: ...") and "Close the connection".
Mirrors asyncio.open_connection('127.0.0.1', 8888), writer.write(),
reader.read(100), writer.close(), writer.wait_closed().`,
  permissions: ["--allow-net=127.0.0.1"],
  flags: {
    "--host HOST": "the server's address (default 127.0.0.1)",
    "--port PORT": "the server's port (default 8888)",
    "--message TEXT": 'what to send (default "Hello World!")',
  },
  sleeps: false,
};

async function main(values: Record<string, string | undefined>): Promise<void> {
  const flags = {
    host: values.host ?? "127.0.0.1",
    port: values.port ?? "8888",
    message: values.message ?? "Hello World!",
  };
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`--port must be from 1 to 65535, got ${flags.port}`);
  }
  await tcpEchoClient(flags.message, flags.host, port);
}

/**
 * Runs the client with command-line flags (`--host`, `--port`, `--message`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  return await runMain(() => main(parsed.values));
}

if (import.meta.main) await cli(Deno.args);
