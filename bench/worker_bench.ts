// `deno bench bench/worker_bench.ts`: one worker round trip through the
// pool against a raw Worker + postMessage echo (the baseline), and a batch
// of tiny calls. bench/worker_peer.ts prints the same side by side with
// ratios and CPython's executors.

import { WorkerPool } from "../mod.ts";

const moduleUrl = `data:text/javascript,${
  encodeURIComponent("export function echo(x) { return x; }")
}`;
const rawUrl = `data:text/javascript,${
  encodeURIComponent("onmessage = (e) => postMessage(e.data);")
}`;

const raw = new Worker(rawUrl, { type: "module" });
let waiting: ((value: unknown) => void) | undefined;
raw.onmessage = (event) => waiting!(event.data);
function rawCall(value: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    waiting = resolve;
    raw.postMessage(value);
  });
}

// Live workers would keep the bench process alive: everything is stopped
// on unload (and the pools stop idle workers after a second anyway).
const pool = new WorkerPool({ size: 1, idleTimeoutMs: 1000 });
const pool2 = new WorkerPool({ size: 2, idleTimeoutMs: 1000 });
const echo = (x: number): number => x;

Deno.bench("raw Worker postMessage round trip", {
  group: "round trip",
  baseline: true,
}, async () => {
  await rawCall(1);
});

Deno.bench("pool.run round trip", { group: "round trip" }, async () => {
  await pool.run(moduleUrl, "echo", [1]);
});

Deno.bench("pool.submit round trip", { group: "round trip" }, async () => {
  await pool.submit(echo, 1);
});

Deno.bench("raw: 1000 tiny calls, 1 in flight", {
  group: "1000 tiny calls",
  baseline: true,
}, async () => {
  for (let i = 0; i < 1000; i++) await rawCall(i);
});

Deno.bench("pool.run: 1000 tiny calls at once, 2 workers", {
  group: "1000 tiny calls",
}, async () => {
  const calls = [];
  for (let i = 0; i < 1000; i++) calls.push(pool2.run(moduleUrl, "echo", [i]));
  await Promise.all(calls);
});

addEventListener("unload", () => {
  raw.terminate();
  pool.terminate();
  pool2.terminate();
});
