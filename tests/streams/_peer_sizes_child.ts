// Run by peer_sizes_test.ts in a subprocess (a wrong implementation crashes
// the process): a server whose handler takes sizes from its peer, and a
// client that sends hostile ones. Prints one JSON line per case, then
// "done"; an unhandled rejection prints "unhandled ..." and fails the run.

import {
  openConnection,
  run,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../../mod.ts";

globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  console.log(`unhandled ${String(event.reason)}`);
});

const dec = new TextDecoder();
const MiB = 2 ** 20;

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

// Reads an 8-byte big-endian float64 size, then readexactly(size); reports
// how that went, then proves the reader is still usable with a line.
async function sized(reader: StreamReader, writer: StreamWriter) {
  const header = await reader.readexactly(8);
  const n = new DataView(header.buffer).getFloat64(0);
  const before = Deno.memoryUsage().external;
  const reading = reader.readexactly(n);
  // Let bytes arrive before measuring what the read reserved.
  const peek = await Promise.race([
    reading.then(() => "done", (e) => describe(e)),
    new Promise<string>((r) => setTimeout(() => r("waiting"), 200)),
  ]);
  const grownMiB = (Deno.memoryUsage().external - before) / MiB;
  let outcome: string;
  try {
    const data = await reading;
    outcome = `read ${data.length}`;
  } catch (error) {
    outcome = describe(error);
  }
  let next = "";
  try {
    next = dec.decode(await reader.readline());
  } catch (error) {
    next = describe(error);
  }
  writer.write(JSON.stringify({ n, peek, outcome, grownMiB, next }) + "\n");
}

// Reads lines (at most 10) until "short\n"; reports each outcome and the
// most the reader ever buffered.
async function lines(reader: StreamReader, writer: StreamWriter) {
  const results: string[] = [];
  let maxBufferedMiB = 0;
  for (let i = 0; i < 10 && results.at(-1) !== "short\n"; i++) {
    try {
      const line = dec.decode(await reader.readline());
      results.push(line.length > 20 ? `fragment of ${line.length}` : line);
    } catch (error) {
      results.push(error instanceof Error ? error.name : String(error));
    }
    maxBufferedMiB = Math.max(maxBufferedMiB, reader.bufferedAmount / MiB);
  }
  writer.write(JSON.stringify({ results, maxBufferedMiB }) + "\n");
}

async function exchange(
  port: number,
  send: (writer: StreamWriter) => Promise<void>,
): Promise<string> {
  const { reader, writer } = await openConnection({ port });
  await send(writer);
  const answer = dec.decode(await reader.readline()).trim();
  writer.close();
  await writer.waitClosed();
  return answer;
}

function header(n: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, n);
  return bytes;
}

await run(async () => {
  const sizedServer = await startServer(sized, { port: 0 });
  const lineServer = await startServer(lines, { port: 0, limit: 1024 * 1024 });
  const port = sizedServer.addr.port;

  // 1. A count no reader can return: a rejection at once; usable after.
  console.log(
    await exchange(port, async (writer) => {
      writer.write(header(2 ** 36));
      writer.write("still here\n");
      await writer.drain();
    }),
  );

  // 2. A count of 1 GiB with 1 MiB sent, then the line and the end:
  //    nothing reserved up front.
  console.log(
    await exchange(port, async (writer) => {
      writer.write(header(2 ** 30));
      writer.write(new Uint8Array(MiB));
      await writer.drain();
      await new Promise((r) => setTimeout(r, 300));
      writer.writeEof();
    }),
  );

  // 3. Not an integer, negative: rejections, and the reader goes on.
  console.log(
    await exchange(port, async (writer) => {
      writer.write(header(-1));
      writer.write("after negative\n");
      await writer.drain();
    }),
  );

  // 4. A 3 MiB line against a 1 MiB limit, then a short one.
  console.log(
    await exchange(lineServer.addr.port, async (writer) => {
      writer.write(new Uint8Array(3 * MiB).fill(0x61));
      writer.write("\nshort\n");
      await writer.drain();
    }),
  );

  sizedServer.close();
  lineServer.close();
});
await new Promise((r) => setTimeout(r, 100));
console.log("done");
