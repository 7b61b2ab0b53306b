// The shutdown notice (asyncio 3.13): `server.closing`, an AbortSignal
// handlers can watch, `server.closeClients()` (reads end, a goodbye can
// still be written) and `server.abortClients()` (connections cut at once).
// Each server has a grace period of a minute: a test that finishes at all
// shows the handlers left early instead of sitting it out.

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import {
  InvalidStateError,
  openConnection,
  run,
  sleep,
  startServer,
  type StreamReader,
} from "@seed/aio";
import { deferred } from "../_helpers.ts";

const dec = new TextDecoder();
const GRACE = 60_000;

// Fails the test (rather than hanging it for the grace period) if
// `promise` takes more than 10 s.
async function soon<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took over 10 s`)),
      10_000,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function line(reader: StreamReader): Promise<string> {
  return dec.decode(await reader.readline());
}

Deno.test("`server.closing` aborts on close(); a handler watching it says goodbye and leaves at once", async () => {
  await run(async () => {
    const started = deferred();
    const server = await startServer(async (_reader, writer) => {
      started.resolve();
      while (!server.closing.aborted) {
        writer.write("tick\n");
        await sleep(5);
      }
      writer.write(`goodbye (${server.closing.reason})\n`);
    }, { port: 0, gracePeriodMs: GRACE });
    assertEquals(server.closing.aborted, false);
    const { reader, writer } = await openConnection(server.addr);
    await started.promise;
    assertEquals(await line(reader), "tick\n");
    server.close();
    assert(server.closing.aborted);
    let last = "";
    for await (const l of reader) last = dec.decode(l);
    assertEquals(last, "goodbye (server closing)\n");
    await soon(server.closed, "server.closed");
    writer.close();
  });
});

Deno.test("`server.closeClients()` ends a handler's `for await` over lines; its goodbye still arrives", async () => {
  await run(async () => {
    const served = deferred();
    const server = await startServer(async (reader, writer) => {
      served.resolve();
      for await (const l of reader) writer.write(l);
      writer.write("goodbye\n");
    }, { port: 0, gracePeriodMs: GRACE });
    const { reader, writer } = await openConnection(server.addr);
    writer.write("echo me\n");
    assertEquals(await line(reader), "echo me\n");
    await served.promise;
    server.close();
    server.closeClients();
    assertEquals(await line(reader), "goodbye\n");
    assertEquals((await reader.read()).length, 0);
    await soon(server.closed, "server.closed");
    assertEquals(server.activeConnections, 0);
    writer.close();
  });
});

Deno.test("`server.closing` with closeClients() as its listener: run's end lets handlers leave at once", async () => {
  const goodbyes: string[] = [];
  let client: Promise<string> | undefined;
  await soon(
    run(async () => {
      const server = await startServer(async (reader, writer) => {
        for await (const l of reader) writer.write(l);
        writer.write("goodbye\n");
        goodbyes.push("sent");
      }, { port: 0, gracePeriodMs: GRACE });
      server.closing.addEventListener("abort", () => server.closeClients());
      // A raw socket, outside aio (run's end would close an aio client).
      const conn = await Deno.connect({ port: server.addr.port });
      await conn.write(new TextEncoder().encode("hi\n"));
      const echo = new Uint8Array(3);
      assertEquals(await conn.read(echo), 3);
      assertEquals(dec.decode(echo), "hi\n");
      // Reads to the end of the stream, after main returned: run's end
      // closes the server, whose handler would otherwise wait a minute.
      client = new Response(conn.readable).text();
    }),
    "run()",
  );
  assertEquals(goodbyes, ["sent"]);
  assertEquals(await soon(client!, "the client's read"), "goodbye\n");
});

Deno.test("`server.abortClients()` cuts every connection: reads end, writes fail, nothing queued is sent", async () => {
  await run(async () => {
    const outcome = deferred<unknown>();
    const reading = deferred();
    const server = await startServer(async (reader, writer) => {
      reading.resolve();
      const rest = await reader.read();
      try {
        writer.write("too late\n");
        outcome.resolve(`wrote after ${rest.length} bytes`);
      } catch (error) {
        outcome.resolve(error);
      }
    }, { port: 0, gracePeriodMs: GRACE });
    const { reader, writer } = await openConnection(server.addr);
    await reading.promise;
    server.abortClients();
    assertInstanceOf(await outcome.promise, InvalidStateError);
    // The client sees the end (or a reset), never the late write.
    const end = await reader.read().catch(() => new Uint8Array(0));
    assertEquals(end.length, 0);
    assert(server.isServing(), "abortClients() does not stop accepting");
    // New connections are still served.
    const second = await openConnection(server.addr);
    second.writer.close();
    await second.writer.waitClosed();
    server.close();
    await soon(server.closed, "server.closed");
    writer.close();
  });
});

Deno.test("`server.closeClients()` lets the handler read what was already buffered first", async () => {
  await run(async () => {
    const got: string[] = [];
    const firstLine = deferred<number>();
    const ended = deferred();
    const server = await startServer(async (reader, writer) => {
      // Both lines came in one segment: the second is buffered by now.
      got.push(await line(reader));
      firstLine.resolve(reader.bufferedAmount);
      await ended.promise;
      for await (const l of reader) got.push(dec.decode(l));
      writer.write(`${got.length}\n`);
    }, { port: 0, gracePeriodMs: GRACE });
    const { reader, writer } = await openConnection(server.addr);
    writer.write("a\nb\n");
    await writer.drain();
    assertEquals(await firstLine.promise, 2);
    server.closeClients();
    ended.resolve();
    assertEquals(await line(reader), "2\n");
    assertEquals(got, ["a\n", "b\n"]);
    writer.close();
    server.close();
    await soon(server.closed, "server.closed");
  });
});
