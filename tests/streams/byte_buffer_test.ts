// The reader's private byte buffer on its own: growth only as bytes come,
// compaction, copies, separator search, and a clear error when memory
// cannot be had.

import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  ByteBuffer,
  INITIAL_CAPACITY,
} from "../../lib/streams/_byte_buffer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("`ByteBuffer` holds nothing until the first bytes, then its first capacity", () => {
  const bytes = new ByteBuffer();
  assertEquals(bytes.buf.length, 0);
  assertEquals(bytes.size, 0);
  bytes.append(enc.encode("abc"));
  assertEquals(bytes.buf.length, INITIAL_CAPACITY);
  assertEquals(bytes.size, 3);
  assertEquals(dec.decode(bytes.take(2)), "ab");
  assertEquals(bytes.size, 1);
});

Deno.test("`ByteBuffer.take` returns a copy the next bytes never overwrite", () => {
  const bytes = new ByteBuffer();
  bytes.append(enc.encode("first"));
  const chunk = bytes.take(5);
  bytes.compactIfEmpty();
  bytes.append(enc.encode("XXXXX"));
  assertEquals(dec.decode(chunk), "first");
  assertEquals(chunk.buffer === bytes.buf.buffer, false);
});

Deno.test("`ByteBuffer.reserve` compacts in place when the free space suffices", () => {
  const bytes = new ByteBuffer();
  bytes.append(new Uint8Array(INITIAL_CAPACITY - 10).fill(1));
  bytes.take(INITIAL_CAPACITY - 20); // 10 bytes left, near the end
  const before = bytes.buf;
  bytes.reserve(100);
  assertEquals(bytes.buf, before); // same allocation
  assertEquals(bytes.start, 0);
  assertEquals(bytes.size, 10);
  assert(bytes.free >= 100);
});

Deno.test("`ByteBuffer.reserve` doubles (to a power-of-two multiple) when full", () => {
  const bytes = new ByteBuffer();
  bytes.append(new Uint8Array(INITIAL_CAPACITY).fill(7));
  bytes.reserve(1);
  assertEquals(bytes.buf.length, INITIAL_CAPACITY * 2);
  bytes.reserve(INITIAL_CAPACITY * 3);
  assertEquals(bytes.buf.length, INITIAL_CAPACITY * 4);
  assertEquals(bytes.size, INITIAL_CAPACITY);
  assert(bytes.take(INITIAL_CAPACITY).every((b) => b === 7));
});

Deno.test("`ByteBuffer.reserve` that cannot allocate throws a clear RangeError and changes nothing", () => {
  const bytes = new ByteBuffer();
  bytes.append(enc.encode("kept"));
  const before = bytes.buf;
  const error = assertThrows(
    () => bytes.reserve(2 ** 53),
    RangeError,
    "Cannot grow the read buffer",
  );
  assert(/to \d+ bytes: /.test(error.message), error.message);
  assertEquals(bytes.buf, before);
  assertEquals(dec.decode(bytes.take(4)), "kept");
});

Deno.test("`ByteBuffer.find` finds a separator from an offset, relative to start", () => {
  const bytes = new ByteBuffer();
  bytes.append(enc.encode("xxab\r\ncd\r\n"));
  bytes.skip(2);
  assertEquals(bytes.find(enc.encode("\r\n"), 0), 2);
  assertEquals(bytes.find(enc.encode("\r\n"), 3), 6);
  assertEquals(bytes.find(enc.encode("\r\r"), 0), -1);
  assertEquals(bytes.at(0), 0x61);
});

Deno.test("`ByteBuffer.takeInto` copies as much as fits", () => {
  const bytes = new ByteBuffer();
  bytes.append(enc.encode("hello"));
  const into = new Uint8Array(3);
  assertEquals(bytes.takeInto(into), 3);
  assertEquals(dec.decode(into), "hel");
  assertEquals(bytes.takeInto(into), 2);
  assertEquals(dec.decode(into.subarray(0, 2)), "lo");
  assertEquals(bytes.takeInto(into), 0);
});

Deno.test("`ByteBuffer.compactIfEmpty` gives back a buffer grown for one large chunk", () => {
  const bytes = new ByteBuffer();
  bytes.append(new Uint8Array(INITIAL_CAPACITY * 8));
  assert(bytes.buf.length >= INITIAL_CAPACITY * 8);
  bytes.take(INITIAL_CAPACITY * 4);
  bytes.compactIfEmpty(); // not empty yet: kept
  assert(bytes.buf.length >= INITIAL_CAPACITY * 8);
  bytes.take(bytes.size);
  bytes.compactIfEmpty();
  assertEquals(bytes.buf.length, 0);
  // A small buffer is kept for the next bytes.
  bytes.append(enc.encode("a"));
  bytes.take(1);
  bytes.compactIfEmpty();
  assertEquals(bytes.buf.length, INITIAL_CAPACITY);
  assertEquals(bytes.start, 0);
});

Deno.test("`ByteBuffer.widen` doubles only an empty buffer, up to a bound", () => {
  const bytes = new ByteBuffer();
  bytes.append(enc.encode("a"));
  bytes.widen(INITIAL_CAPACITY * 4);
  assertEquals(bytes.buf.length, INITIAL_CAPACITY); // not empty
  bytes.take(1);
  bytes.widen(INITIAL_CAPACITY * 4);
  assertEquals(bytes.buf.length, INITIAL_CAPACITY * 2);
  bytes.widen(INITIAL_CAPACITY * 2);
  assertEquals(bytes.buf.length, INITIAL_CAPACITY * 2); // at the bound
});
