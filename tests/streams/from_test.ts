// `StreamReader.from()` and `StreamWriter.from()`: the asyncio reads and
// back-pressured writes over any Web stream and over a bare `Deno.Conn`.

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  IncompleteReadError,
  LimitOverrunError,
  moveOnAfter,
  run,
  StreamReader,
  StreamWriter,
} from "@seed/aio";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A readable stream that yields `chunks` one by one. */
function chunked(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i === chunks.length) {
        controller.close();
        return;
      }
      const chunk = chunks[i++];
      controller.enqueue(typeof chunk === "string" ? enc.encode(chunk) : chunk);
    },
  });
}

Deno.test("`StreamReader.from(readable)` gives readline, readexactly, readuntil across chunk borders", async () => {
  const reader = StreamReader.from(
    chunked([
      "GET / HT",
      "TP/1.1\r\nHost: x\r",
      "\n\r\n",
      "0123",
      "456789tail",
    ]),
  );
  assertEquals(
    dec.decode(await reader.readuntil("\r\n")),
    "GET / HTTP/1.1\r\n",
  );
  assertEquals(dec.decode(await reader.readline()), "Host: x\r\n");
  assertEquals(dec.decode(await reader.readexactly(2)), "\r\n");
  assertEquals(dec.decode(await reader.readexactly(10)), "0123456789");
  const error = await assertRejects(
    () => reader.readexactly(10),
    IncompleteReadError,
  );
  assertEquals(dec.decode(error.partial), "tail");
  assert(reader.atEof());
});

Deno.test("`StreamReader.from(readable)` iterates lines of a fetch-style body and honours the limit", async () => {
  const body = new Response("alpha\nbeta\ngamma").body!;
  const lines: string[] = [];
  for await (const line of StreamReader.from(body)) {
    lines.push(dec.decode(line));
  }
  assertEquals(lines, ["alpha\n", "beta\n", "gamma"]);

  const limited = StreamReader.from(chunked(["x".repeat(100), "\nok\n"]), {
    limit: 10,
  });
  await assertRejects(() => limited.readline(), LimitOverrunError);
  // The rest of the overlong line ends at its separator (asyncio's rule).
  assertEquals(dec.decode(await limited.readline()), "\n");
  assertEquals(dec.decode(await limited.readline()), "ok\n");
});

Deno.test("`StreamReader.from(readable)`: one big chunk served through small readInto calls, in order", async () => {
  const data = new Uint8Array(100_000).map((_, i) => i % 251);
  const reader = StreamReader.from(chunked([data]));
  const into = new Uint8Array(4096);
  const got = new Uint8Array(data.length);
  let at = 0;
  while (true) {
    const n = await reader.readInto(into);
    if (n === 0) break;
    got.set(into.subarray(0, n), at);
    at += n;
  }
  assertEquals(at, data.length);
  assert(got.every((byte, i) => byte === data[i]), "the bytes, in order");
});

Deno.test("`StreamReader.from(readable)`: a stream error reaches the read after the buffered bytes", async () => {
  let pulls = 0;
  const failing = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulls++ === 0) controller.enqueue(enc.encode("first\n"));
      else controller.error(new Error("disk on fire"));
    },
  });
  const reader = StreamReader.from(failing);
  assertEquals(dec.decode(await reader.readline()), "first\n");
  await assertRejects(() => reader.readline(), Error, "disk on fire");
});

Deno.test("`StreamReader.from` reads are cancellation points that lose nothing", async () => {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const reader = StreamReader.from(readable);
  const writer = StreamWriter.from(writable);
  await run(async () => {
    assertEquals(await moveOnAfter(20, () => reader.readline()), undefined);
    writer.write("late\n");
    assertEquals(dec.decode(await reader.readline()), "late\n");
    writer.close();
    await writer.waitClosed();
    assertEquals((await reader.read()).length, 0);
  });
});

Deno.test("`StreamWriter.from(writable)`: writes in order, drain holds back a slow sink, close closes it", async () => {
  const received: Uint8Array[] = [];
  const gate = Promise.withResolvers<void>();
  let closed = false;
  const sink = new WritableStream<Uint8Array>({
    async write(chunk) {
      await gate.promise; // the sink is slow until the gate opens
      received.push(chunk);
    },
    close() {
      closed = true;
    },
  });
  const writer = StreamWriter.from(sink, { highWaterMark: 1024 });
  assertEquals(writer.highWaterMark, 1024);
  await run(async () => {
    writer.write("a".repeat(600));
    writer.write("b".repeat(600));
    let drained = false;
    const draining = writer.drain().then(() => drained = true);
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(drained, false, "drain waits while the sink is stuck");
    gate.resolve();
    await draining;
    writer.write("end");
    writer.close();
    await writer.waitClosed();
  });
  assert(closed, "the sink was closed");
  assertEquals(
    dec.decode(new Uint8Array(received.flatMap((c) => [...c]))),
    "a".repeat(600) + "b".repeat(600) + "end",
  );
  // Each chunk is the sink's own: the writer reuses its buffers.
  assertEquals(new Set(received.map((c) => c.buffer)).size, received.length);
});

Deno.test("`StreamWriter.from(writable)`: a sink error reaches drain; a cancelled drain gives up its place", async () => {
  const failing = new WritableStream<Uint8Array>({
    write() {
      throw new Error("sink refused");
    },
  });
  const writer = StreamWriter.from(failing);
  writer.write("x");
  await new Promise((r) => setTimeout(r, 10));
  await assertRejects(() => writer.drain(), Error, "sink refused");
  writer.close();
  await writer.waitClosed();

  const stuck = StreamWriter.from(
    new WritableStream<Uint8Array>({ write: () => new Promise(() => {}) }),
    { highWaterMark: 8 },
  );
  await run(async () => {
    stuck.write("more than eight bytes");
    stuck.write("and again");
    const error = await moveOnAfter(20, async () => {
      await stuck.drain();
      return "drained";
    });
    assertEquals(error, undefined);
    // Cancelled, the drain let go of its place: a second one waits too.
    const second = await moveOnAfter(10, () => stuck.drain());
    assertEquals(second, undefined);
  });
});

Deno.test("`StreamReader.from(conn)` and `StreamWriter.from(conn)` over a bare Deno.Conn", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.addr.port,
  });
  const server = await accepting;
  listener.close();
  const reader = StreamReader.from(server);
  const writer = StreamWriter.from(client);
  writer.write("over a conn\nsecond\n");
  await writer.drain();
  assertEquals(dec.decode(await reader.readline()), "over a conn\n");
  assertEquals(dec.decode(await reader.readexactly(7)), "second\n");
  writer.close();
  await writer.waitClosed();
  assertEquals((await reader.read()).length, 0);
  server.close();
});

Deno.test("`StreamReader.from` and `StreamWriter.from` reject what they cannot read or write", () => {
  assertThrows(() => StreamReader.from("text" as never), TypeError);
  assertThrows(() => StreamReader.from({} as never), TypeError);
  const body = new Response("x").body!;
  const held = body.getReader();
  assertThrows(() => StreamReader.from(body), TypeError, "locked");
  held.releaseLock();
  assertThrows(() => StreamWriter.from(42 as never), TypeError);
  assertThrows(
    () => StreamWriter.from(new WritableStream(), { highWaterMark: 0 }),
    RangeError,
  );
});
