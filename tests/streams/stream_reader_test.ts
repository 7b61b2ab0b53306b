// StreamReader on its own (fed with feedData/feedEof) and on a socket:
// the asyncio read family, limits, end of stream, cancellation without
// data loss, and bad input.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import fc from "fast-check";
import {
  CancelledError,
  createTask,
  IncompleteReadError,
  InvalidStateError,
  LimitOverrunError,
  moveOnAfter,
  openConnection,
  run,
  startServer,
  StreamReader,
} from "@seed/aio";
import { deferred } from "../_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const text = (bytes: Uint8Array): string => dec.decode(bytes);

function fed(data: string, eof = true, limit?: number): StreamReader {
  const reader = new StreamReader(limit === undefined ? undefined : { limit });
  reader.feedData(data);
  if (eof) reader.feedEof();
  return reader;
}

Deno.test("`StreamReader.read(n)` returns what is buffered, at most n bytes", async () => {
  const reader = fed("hello world", false);
  assertEquals(text(await reader.read(5)), "hello");
  assertEquals(text(await reader.read(100)), " world");
  // Nothing buffered: the next read waits for the next chunk.
  const next = reader.read(100);
  reader.feedData("!");
  assertEquals(text(await next), "!");
  assertEquals((await reader.read(0)).length, 0);
});

Deno.test("`StreamReader.read()` without n reads until the end of the stream", async () => {
  const reader = new StreamReader();
  const all = reader.read();
  reader.feedData("a");
  reader.feedData("b");
  reader.feedEof();
  assertEquals(text(await all), "ab");
  assertEquals((await reader.read()).length, 0);
  assert(reader.atEof());
});

Deno.test("`StreamReader.read` returns empty chunks once the stream ended", async () => {
  const reader = fed("x");
  assert(!reader.atEof());
  assertEquals(text(await reader.read(10)), "x");
  assert(reader.atEof());
  assertEquals((await reader.read(10)).length, 0);
  assertEquals((await reader.read(10)).length, 0);
});

Deno.test("`StreamReader.readexactly` waits for n bytes across chunks", async () => {
  const reader = new StreamReader();
  const exactly = reader.readexactly(6);
  reader.feedData("ab");
  reader.feedData("cd");
  reader.feedData("efgh");
  assertEquals(text(await exactly), "abcdef");
  assertEquals(text(await reader.readexactly(2)), "gh");
  assertEquals((await reader.readexactly(0)).length, 0);
});

Deno.test("`StreamReader.readexactly` throws IncompleteReadError with the partial bytes", async () => {
  const reader = fed("abc");
  const error = await assertRejects(
    () => reader.readexactly(5),
    IncompleteReadError,
  );
  assertEquals(text(error.partial), "abc");
  assertEquals(error.expected, 5);
  assert(reader.atEof());
});

Deno.test("`StreamReader.readuntil` finds a multi-byte separator split across chunks", async () => {
  const reader = new StreamReader();
  const until = reader.readuntil("\r\n");
  reader.feedData("GET / HTTP/1.1\r");
  reader.feedData("\nHost: x\r\n");
  assertEquals(text(await until), "GET / HTTP/1.1\r\n");
  assertEquals(text(await reader.readuntil(enc.encode("\r\n"))), "Host: x\r\n");
});

Deno.test("`StreamReader.readuntil` at the end of the stream throws IncompleteReadError(partial)", async () => {
  const reader = fed("no separator");
  const error = await assertRejects(
    () => reader.readuntil("\n"),
    IncompleteReadError,
  );
  assertEquals(text(error.partial), "no separator");
  assertEquals(error.expected, null);
});

Deno.test("`StreamReader.readuntil` beyond the limit throws LimitOverrunError and keeps the data", async () => {
  const reader = fed("0123456789\nrest\n", true, 4);
  const error = await assertRejects(
    () => reader.readuntil("\n"),
    LimitOverrunError,
  );
  assertEquals(error.consumed, 10);
  // Left in the buffer: the caller can take it off by hand.
  assertEquals(text(await reader.readexactly(11)), "0123456789\n");
  assertEquals(text(await reader.readuntil("\n")), "rest\n");
});

Deno.test("`StreamReader.readuntil` without a separator stops buffering at the limit", async () => {
  const reader = new StreamReader({ limit: 8 });
  const until = reader.readuntil("\n");
  reader.feedData("abcd");
  reader.feedData("efghijkl");
  const error = await assertRejects(() => until, LimitOverrunError);
  assert(error.consumed > 8);
  assertEquals(reader.bufferedAmount, 12);
});

Deno.test("`StreamReader.readline` drops an overlong line and goes on with the next", async () => {
  const reader = fed(`${"x".repeat(100)}\nshort\n`, true, 10);
  await assertRejects(() => reader.readline(), LimitOverrunError);
  assertEquals(text(await reader.readline()), "short\n");
  assertEquals((await reader.readline()).length, 0);
});

Deno.test("`StreamReader.readline` returns the unterminated last line, then empty lines", async () => {
  const reader = fed("one\ntwo");
  assertEquals(text(await reader.readline()), "one\n");
  assertEquals(text(await reader.readline()), "two");
  assertEquals((await reader.readline()).length, 0);
});

Deno.test("`StreamReader` iterates over lines until the end of the stream", async () => {
  const reader = new StreamReader();
  reader.feedData("a\nbb\n");
  reader.feedData("ccc");
  reader.feedEof();
  const lines: string[] = [];
  for await (const line of reader) lines.push(text(line));
  assertEquals(lines, ["a\n", "bb\n", "ccc"]);
});

Deno.test("`StreamReader` returns copies: a chunk stays intact after later reads", async () => {
  const reader = new StreamReader();
  reader.feedData("aaaa");
  const first = await reader.read(4);
  reader.feedData("bbbb");
  const second = await reader.read(4);
  assertEquals(text(first), "aaaa");
  first[0] = 0x7a;
  assertEquals(text(second), "bbbb");
  // feedData copies as well.
  const data = enc.encode("cc");
  reader.feedData(data);
  data[0] = 0x7a;
  assertEquals(text(await reader.read(2)), "cc");
});

Deno.test("`StreamReader`: any chunking of a stream gives the same lines", () => {
  return fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom("a", "b", "\n", "é"), { maxLength: 60 }),
      fc.array(fc.nat(8), { maxLength: 20 }),
      async (chars, cuts) => {
        const bytes = enc.encode(chars.join(""));
        const reader = new StreamReader();
        let at = 0;
        for (const cut of cuts) {
          reader.feedData(bytes.subarray(at, Math.min(bytes.length, at + cut)));
          at = Math.min(bytes.length, at + cut);
        }
        reader.feedData(bytes.subarray(at));
        reader.feedEof();
        const lines: Uint8Array[] = [];
        for await (const line of reader) lines.push(line);
        const joined = lines.flatMap((line) => [...line]);
        assertEquals(joined, [...bytes]);
        for (const line of lines.slice(0, -1)) {
          assertEquals(line.at(-1), 0x0a);
          assertEquals(line.indexOf(0x0a), line.length - 1);
        }
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("`StreamReader` read is a cancellation point that loses no data", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const result = await moveOnAfter(5, () => reader.readexactly(4));
    assertEquals(result, undefined);
    reader.feedData("data");
    assertEquals(text(await reader.readexactly(4)), "data");
  });
});

Deno.test("`StreamReader` refuses a second read while one is waiting", async () => {
  const reader = new StreamReader();
  const first = reader.read(1);
  await assertRejects(() => reader.read(1), InvalidStateError);
  reader.feedData("x");
  assertEquals(text(await first), "x");
});

Deno.test("`StreamReader` bad input throws clear typed errors", async () => {
  const reader = new StreamReader();
  await assertRejects(() => reader.read("10" as unknown as number), TypeError);
  await assertRejects(() => reader.read(1.5), TypeError);
  await assertRejects(() => reader.readexactly(-1), RangeError);
  await assertRejects(
    () => reader.readexactly(undefined as unknown as number),
    TypeError,
  );
  await assertRejects(() => reader.readuntil(""), RangeError);
  await assertRejects(
    () => reader.readuntil(42 as unknown as string),
    TypeError,
  );
  assertThrows(() => new StreamReader({ limit: 0 }), RangeError);
  assertThrows(() => new StreamReader({ limit: NaN }), TypeError);
  assertThrows(
    () => new StreamReader("big" as unknown as { limit: number }),
    TypeError,
  );
  assertThrows(() => reader.feedData(42 as unknown as string), TypeError);
  reader.feedEof();
  assertThrows(() => reader.feedData("late"), InvalidStateError);
});

Deno.test("`StreamReader` on a socket: cancelling a read keeps the stream usable", async () => {
  await run(async () => {
    const go = deferred();
    await using server = await startServer(async (_reader, writer) => {
      await go.promise;
      writer.write("late\n");
    }, { port: 0 });
    const { reader, writer } = await openConnection(server.addr);
    assertEquals(await moveOnAfter(10, () => reader.readline()), undefined);
    go.resolve();
    // The socket read that was under way completes into the buffer.
    assertEquals(text(await reader.readline()), "late\n");
    assertEquals((await reader.read()).length, 0);
    writer.close();
    await writer.waitClosed();
  });
});

Deno.test("`StreamReader` on a socket: a cancelled task's read throws CancelledError", async () => {
  await run(async () => {
    await using server = await startServer(async (reader) => {
      await reader.read();
    }, { port: 0, gracePeriodMs: 0 });
    await using conn = await openConnection(server.addr);
    const reading = deferred();
    let seen: unknown;
    const task = createTask(async () => {
      const read = conn.reader.read(10);
      reading.resolve();
      try {
        await read;
      } catch (error) {
        seen = error;
        throw error;
      }
    });
    await reading.promise;
    task.cancel();
    await assertRejects(() => task.then(), CancelledError);
    assertInstanceOf(seen, CancelledError);
  });
});

Deno.test("`StreamReader.readInto` fills the caller's buffer from what is buffered", async () => {
  const reader = fed("hello world");
  const buffer = new Uint8Array(5).fill(0x2e);
  assertEquals(await reader.readInto(buffer), 5);
  assertEquals(text(buffer), "hello");
  assertEquals(await reader.readInto(buffer.subarray(0, 3)), 3);
  assertEquals(text(buffer), " wolo");
  assertEquals(await reader.readInto(buffer), 3);
  assertEquals(text(buffer.subarray(0, 3)), "rld");
  // The end of the stream is 0, every time.
  assertEquals(await reader.readInto(buffer), 0);
  assertEquals(await reader.readInto(buffer), 0);
});

Deno.test("`StreamReader.readInto` waits for the next chunk and mixes with readline", async () => {
  const reader = new StreamReader();
  const buffer = new Uint8Array(16);
  const reading = reader.readInto(buffer);
  reader.feedData("ab\ncd");
  assertEquals(await reading, 5);
  assertEquals(text(buffer.subarray(0, 5)), "ab\ncd");
  reader.feedData("line\nrest");
  assertEquals(text(await reader.readline()), "line\n");
  assertEquals(await reader.readInto(buffer), 4);
  assertEquals(text(buffer.subarray(0, 4)), "rest");
});

Deno.test("`StreamReader.readInto` with an empty buffer returns 0 without consuming", async () => {
  const reader = fed("xyz", false);
  assertEquals(await reader.readInto(new Uint8Array(0)), 0);
  assertEquals(reader.bufferedAmount, 3);
});

Deno.test("`StreamReader.readInto` is a cancellation point that loses no data", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const buffer = new Uint8Array(8);
    assertEquals(
      await moveOnAfter(5, () => reader.readInto(buffer)),
      undefined,
    );
    // The cancelled read let go of the buffer: nothing is written into it.
    reader.feedData("data");
    assertEquals(buffer, new Uint8Array(8));
    assertEquals(await reader.readInto(buffer), 4);
    assertEquals(text(buffer.subarray(0, 4)), "data");
  });
});

Deno.test("`StreamReader.readInto` rejects bad buffers with TypeError and reads nothing", async () => {
  const reader = fed("abc", false);
  for (const bad of [undefined, null, "abc", [1, 2], new Uint16Array(4), 3]) {
    await assertRejects(
      () => reader.readInto(bad as unknown as Uint8Array),
      TypeError,
      "buffer must be a Uint8Array",
    );
  }
  assertEquals(reader.bufferedAmount, 3);
  assertEquals(await reader.readInto(new Uint8Array(3)), 3);
  const waiting = reader.readInto(new Uint8Array(1));
  await assertRejects(
    () => reader.readInto(new Uint8Array(1)),
    InvalidStateError,
  );
  reader.feedData("d");
  assertEquals(await waiting, 1);
});

Deno.test("`StreamReader.readInto` on a socket: a small buffer echoes a stream in order", async () => {
  await run(async () => {
    await using server = await startServer(async (reader, writer) => {
      const buffer = new Uint8Array(4);
      let n: number;
      // Echo in small pieces, so that one socket read is spread over
      // several readInto calls.
      while ((n = await reader.readInto(buffer)) > 0) {
        writer.write(buffer.subarray(0, n));
        await writer.drain();
      }
      writer.close();
    }, { port: 0 });
    const { reader, writer } = await openConnection(server.addr);
    const payload = enc.encode("x".repeat(1000) + "end");
    writer.write(payload);
    writer.writeEof();
    assertEquals(await reader.read(), payload);
    writer.close();
    await writer.waitClosed();
  });
});

Deno.test("`StreamReader` on a socket: large messages arrive whole through a grown buffer", async () => {
  // A read that fills its buffer makes the next one larger; the bytes must
  // come out in order whatever the buffer does underneath.
  const message = new Uint8Array(48 * 1024);
  for (let i = 0; i < message.length; i++) message[i] = (i * 31 + 7) & 0xff;
  await run(async () => {
    await using server = await startServer(async (reader, writer) => {
      for (let round = 0; round < 5; round++) {
        // Plain reads, so that each one is offered the whole free buffer.
        let got = 0;
        while (got < message.length) {
          const chunk = await reader.read(message.length - got);
          if (chunk.length === 0) return;
          writer.write(chunk);
          got += chunk.length;
        }
        await writer.drain();
      }
      writer.close();
    }, { port: 0 });
    const { reader, writer } = await openConnection(server.addr);
    for (let round = 0; round < 5; round++) {
      writer.write(message);
      const back = await reader.readexactly(message.length);
      assert(back.every((byte, i) => byte === message[i]), `round ${round}`);
    }
    assertEquals((await reader.read()).length, 0);
    writer.close();
    await writer.waitClosed();
  });
});

/** A server whose handler writes `message` once `go` resolves. */
async function lateSender(
  go: Promise<void>,
  message: string,
): Promise<AsyncDisposable & { addr: { hostname: string; port: number } }> {
  return await startServer(async (_reader, writer) => {
    await go;
    writer.write(message);
    await writer.drain();
  }, { port: 0 });
}

Deno.test("`StreamReader.readInto` on a socket: a cancelled read's bytes go to the next read", async () => {
  // A large buffer is read into directly; the socket read outlives the
  // cancelled readInto, and what it brings must not be lost.
  await run(async () => {
    const go = deferred();
    await using server = await lateSender(go.promise, "late bytes");
    const { reader, writer } = await openConnection(server.addr);
    const first = new Uint8Array(4096);
    assertEquals(
      await moveOnAfter(10, () => reader.readInto(first)),
      undefined,
    );
    go.resolve();
    // Another read, with another buffer: it gets the bytes, in order.
    const second = new Uint8Array(4096);
    assertEquals(await reader.readInto(second), 10);
    assertEquals(text(second.subarray(0, 10)), "late bytes");
    writer.close();
    await writer.waitClosed();
  });
});

Deno.test("`StreamReader.readInto` on a socket: retrying with the same buffer takes the bytes in place", async () => {
  await run(async () => {
    const go = deferred();
    await using server = await lateSender(go.promise, "retried\n");
    const { reader, writer } = await openConnection(server.addr);
    const buffer = new Uint8Array(2048);
    assertEquals(
      await moveOnAfter(10, () => reader.readInto(buffer)),
      undefined,
    );
    go.resolve();
    const n = await reader.readInto(buffer);
    assertEquals(text(buffer.subarray(0, n)), "retried\n");
    writer.close();
    await writer.waitClosed();
  });
});

Deno.test("`StreamReader.readline` after a cancelled readInto gets the late bytes", async () => {
  await run(async () => {
    const go = deferred();
    await using server = await lateSender(go.promise, "one\ntwo\n");
    const { reader, writer } = await openConnection(server.addr);
    assertEquals(
      await moveOnAfter(10, () => reader.readInto(new Uint8Array(8192))),
      undefined,
    );
    go.resolve();
    assertEquals(text(await reader.readline()), "one\n");
    assertEquals(text(await reader.readline()), "two\n");
    writer.close();
    await writer.waitClosed();
  });
});
