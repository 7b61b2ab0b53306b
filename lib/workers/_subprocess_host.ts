// The entry script of SubprocessExecutor's processes: the worker host's
// protocol (lib/_worker_host.ts) over stdin and stdout instead of
// postMessage. Frames are a 4-byte little-endian length and a V8
// serialisation (`node:v8`, the structured-clone format). stdout is the
// channel, so console output is sent to stderr; stdin closing (the parent
// went away) ends the process.

import { deserialize, serialize } from "node:v8";
import { type HostScope, install } from "./_worker_host.ts";

const exit = Deno.exit;

function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    offset += Deno.stdout.writeSync(bytes.subarray(offset));
  }
}

function send(message: unknown): void {
  const body = serialize(message);
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length, true);
  frame.set(body, 4);
  writeAll(frame);
}

const scope: HostScope = {
  postMessage: (message) => send(message),
  close: () => exit(0),
  onmessage: null,
  addEventListener: (type, listener) =>
    globalThis.addEventListener(type, listener as (event: Event) => void),
};

async function serve(): Promise<void> {
  let pending = new Uint8Array(0);
  for await (const chunk of Deno.stdin.readable) {
    const joined = new Uint8Array(pending.length + chunk.length);
    joined.set(pending);
    joined.set(chunk, pending.length);
    let offset = 0;
    while (joined.length - offset >= 4) {
      const view = new DataView(joined.buffer, joined.byteOffset + offset, 4);
      const length = view.getUint32(0, true);
      if (joined.length - offset - 4 < length) break;
      const body = joined.subarray(offset + 4, offset + 4 + length);
      offset += 4 + length;
      const data = deserialize(body);
      scope.onmessage?.({ data } as MessageEvent);
    }
    pending = joined.slice(offset);
  }
  exit(0);
}

if (import.meta.main) {
  // stdout carries the protocol: keep user output off it.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  console.dir = console.error;
  console.table = console.error;
  install(scope);
  await serve();
}
