// Nothing crashes the process on peer input: sizes taken from a peer
// (`readexactly(n)`, line lengths) fail as rejected promises with a clear
// error, reserve no memory before the data arrives, and leave the reader
// usable. The server runs in a subprocess (_peer_sizes_child.ts), since a
// wrong implementation kills the process that runs it.

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { fileURLToPath } from "node:url";
import { IncompleteReadError, StreamReader } from "@seed/aio";
import { denoFlags } from "../_helpers.ts";

interface Sized {
  n: number;
  peek: string;
  outcome: string;
  grownMiB: number;
  next: string;
}

const child = fileURLToPath(new URL("./_peer_sizes_child.ts", import.meta.url));

async function runChild(): Promise<{ lines: string[]; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoFlags(), "--allow-net=127.0.0.1", child],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stderr = dec.decode(output.stderr);
  assertEquals(output.code, 0, `the child failed:\n${stderr}`);
  return { lines: dec.decode(output.stdout).trim().split("\n"), stderr };
}

Deno.test("`StreamReader.readexactly(n)` with sizes from a peer: rejections, no reservation, a usable reader", async () => {
  const { lines, stderr } = await runChild();
  assertEquals(
    lines.filter((l) => l.startsWith("unhandled")),
    [],
    "no orphaned promise rejects later",
  );
  assertEquals(stderr, "", "no handler error reached the server");
  assertEquals(lines.at(-1), "done");
  const [huge, big, negative] = lines.slice(0, 3).map((l) =>
    JSON.parse(l) as Sized
  );

  // 2**36: a rejection at once, with a clear message; nothing allocated;
  // the reader then reads the next line.
  assertEquals(huge.n, 2 ** 36);
  assertMatch(
    huge.peek,
    /^RangeError: StreamReader\.readexactly\(\): n must be at most/,
  );
  assertEquals(huge.grownMiB, 0);
  assertEquals(huge.next, "still here\n");

  // 2**30 with 1 MiB sent: still waiting after 200 ms, and the buffer grew
  // with the bytes (a few MiB), not by the 1 GiB announced; the end of the
  // stream is an IncompleteReadError to the handler, nothing else.
  assertEquals(big.peek, "waiting");
  assert(big.grownMiB < 8, `grew ${big.grownMiB} MiB for 1 MiB of data`);
  assertMatch(big.outcome, /^IncompleteReadError: 1048576 bytes read/);
  assertEquals(big.next, "");

  assertMatch(negative.outcome, /^RangeError: .*must not be negative/);
  assertEquals(negative.next, "after negative\n");
});

Deno.test("`StreamReader.readline` past the limit with a peer's long line: LimitOverrunError, bounded buffer, then the next line", async () => {
  const { lines } = await runChild();
  const { results, maxBufferedMiB } = JSON.parse(lines[3]) as {
    results: string[];
    maxBufferedMiB: number;
  };
  assertEquals(results.at(-1), "short\n");
  for (const result of results.slice(0, -1)) {
    assert(
      result === "LimitOverrunError" || result.startsWith("fragment of"),
      `unexpected outcome ${result}`,
    );
  }
  assertEquals(results[0], "LimitOverrunError");
  assert(
    maxBufferedMiB <= 2,
    `buffered ${maxBufferedMiB} MiB with a 1 MiB limit`,
  );
});

Deno.test("`StreamReader.readexactly(n)`: a peer that trickles bytes cannot make the buffer grow ahead of them", async () => {
  let sent = 0;
  let largest = 0;
  // A source that gives one byte per read, 1,000 times, then the end.
  const trickle = {
    read(p: Uint8Array): Promise<number | null> {
      largest = Math.max(largest, p.buffer.byteLength);
      if (sent === 1000) return Promise.resolve(null);
      p[0] = sent++ & 0xff;
      return Promise.resolve(1);
    },
  };
  const reader = StreamReader.from(trickle as unknown as Deno.Conn);
  const error = await assertRejects(
    () => reader.readexactly(2 ** 30),
    IncompleteReadError,
  );
  assertEquals(error.partial.length, 1000);
  assertEquals(error.partial[999], 999 & 0xff);
  assert(
    largest <= 16 * 1024,
    `offered a ${largest}-byte buffer for 1000 bytes`,
  );
});
