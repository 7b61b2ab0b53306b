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
import { deferred } from "./_helpers.ts";

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
