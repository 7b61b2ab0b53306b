// Contended producer/consumer throughput of aio's Queue side by side with
// CPython's asyncio.Queue (same shapes, python3 in the same run) and with a
// raw array-backed bounded queue (no cancellation, no fairness guarantees
// beyond FIFO arrays: the floor a promise-based queue can reach), plus
// uncontended Lock and Queue operations against CPython. Prints ratios
// against the issue's target: aio at least 10x CPython's throughput.
//
// Run: deno run -A bench/queue_peer.ts [--quick]     (python3 optional)

import { fileURLToPath } from "node:url";
import { Lock, Queue, run, taskGroup } from "../mod.ts";

const quick = Deno.args.includes("--quick");
const ITEMS = quick ? 20_000 : 200_000;
const REPS = quick ? 1 : 5;
/** [producers, consumers, maxsize] */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [4, 4, 100],
  [16, 16, 10],
  [100, 100, 1_000],
];
const TARGET = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A bounded FIFO queue on plain arrays of items, getters and putters. */
class RawQueue<T> {
  #items: T[] = [];
  #getters: ((item: T) => void)[] = [];
  #putters: (() => void)[] = [];
  #maxsize: number;
  constructor(maxsize: number) {
    this.#maxsize = maxsize;
  }
  async put(item: T): Promise<void> {
    while (this.#maxsize > 0 && this.#items.length >= this.#maxsize) {
      await new Promise<void>((resolve) => this.#putters.push(resolve));
    }
    const getter = this.#getters.shift();
    if (getter !== undefined) getter(item);
    else this.#items.push(item);
  }
  get(): Promise<T> {
    if (this.#items.length > 0) {
      const item = this.#items.shift()!;
      this.#putters.shift()?.();
      return Promise.resolve(item);
    }
    return new Promise((resolve) => this.#getters.push(resolve));
  }
}

interface AsyncQueue {
  put(item: number): Promise<void>;
  get(): Promise<number>;
}

/** Moves `items` items from producers to consumers; returns the ms taken. */
async function shape(
  makeQueue: (maxsize: number) => AsyncQueue,
  [producers, consumers, maxsize]: [number, number, number],
  items: number,
): Promise<number> {
  const queue = makeQueue(maxsize);
  const per = Math.floor(items / producers);
  let finished = 0;
  let total = 0;
  const start = performance.now();
  await taskGroup((tg) => {
    for (let p = 0; p < producers; p++) {
      tg.createTask(async () => {
        for (let i = 0; i < per; i++) await queue.put(i);
        if (++finished === producers) {
          for (let c = 0; c < consumers; c++) await queue.put(-1);
        }
      });
    }
    for (let c = 0; c < consumers; c++) {
      tg.createTask(async () => {
        for (;;) {
          const item = await queue.get();
          if (item < 0) return;
          total += item;
        }
      });
    }
  });
  const elapsed = performance.now() - start;
  if (total !== producers * (per * (per - 1) / 2)) {
    throw new Error(`lost items: total ${total}`);
  }
  return elapsed;
}

async function lockNs(n: number): Promise<number> {
  const lock = new Lock();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    lock.release();
  }
  return (performance.now() - start) * 1e6 / n;
}

async function queueNs(n: number): Promise<number> {
  const queue = new Queue<number>();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    await queue.put(i);
    await queue.get();
  }
  return (performance.now() - start) * 1e6 / n;
}

interface PythonResult {
  shapes: Record<string, number>;
  lock_ns: number;
  queue_ns: number;
}

async function python(): Promise<PythonResult | undefined> {
  const script = fileURLToPath(new URL("./queue_peer.py", import.meta.url));
  try {
    const output = await new Deno.Command("python3", {
      args: [script, String(ITEMS), String(REPS), JSON.stringify(SHAPES)],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!output.success) return undefined;
    return JSON.parse(new TextDecoder().decode(output.stdout));
  } catch {
    return undefined; // no python3
  }
}

const label = ([p, c, m]: [number, number, number]): string => `${p}x${c}/${m}`;
const rate = (ms: number): string =>
  `${Math.round(ITEMS / ms * 1000).toLocaleString("en-US")}/s`;

const results = await run(async () => {
  const rows: { shape: string; aio: number; raw: number }[] = [];
  for (const s of SHAPES) {
    const aio: number[] = [];
    const raw: number[] = [];
    // Alternate the contenders so that GC and JIT state hit both alike.
    for (let rep = 0; rep < REPS; rep++) {
      aio.push(await shape((m) => new Queue<number>(m), s, ITEMS));
      raw.push(await shape((m) => new RawQueue<number>(m), s, ITEMS));
    }
    rows.push({ shape: label(s), aio: median(aio), raw: median(raw) });
  }
  const lock: number[] = [];
  const queue: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    lock.push(await lockNs(ITEMS));
    queue.push(await queueNs(ITEMS));
  }
  return { rows, lockNs: median(lock), queueNs: median(queue) };
});
const py = await python();

console.log(
  `Producer/consumer throughput, ${ITEMS.toLocaleString("en-US")} items, ` +
    `median of ${REPS} (shape = producers x consumers / maxsize)`,
);
console.log(
  "| shape | aio Queue | raw array queue | CPython asyncio.Queue | aio / CPython |",
);
console.log("|---|---|---|---|---|");
let worst = Infinity;
for (const row of results.rows) {
  const pyMs = py?.shapes[row.shape];
  const ratio = pyMs === undefined ? undefined : pyMs / row.aio;
  if (ratio !== undefined) worst = Math.min(worst, ratio);
  console.log(
    `| ${row.shape} | ${rate(row.aio)} | ${rate(row.raw)} | ${
      pyMs === undefined ? "n/a" : rate(pyMs)
    } | ${ratio === undefined ? "n/a" : `${ratio.toFixed(1)}x`} |`,
  );
}
console.log("");
console.log("Uncontended, per operation");
console.log("| operation | aio | CPython | aio / CPython |");
console.log("|---|---|---|---|");
for (
  const [name, ours, theirs] of [
    ["Lock acquire + release", results.lockNs, py?.lock_ns],
    ["Queue put + get", results.queueNs, py?.queue_ns],
  ] as [string, number, number | undefined][]
) {
  console.log(
    `| ${name} | ${ours.toFixed(0)} ns | ${
      theirs === undefined ? "n/a" : `${theirs.toFixed(0)} ns`
    } | ${theirs === undefined ? "n/a" : `${(theirs / ours).toFixed(1)}x`} |`,
  );
}
if (py === undefined) {
  console.log("\npython3 not available: CPython columns skipped");
} else {
  console.log(
    `\ntarget: aio >= ${TARGET}x CPython's contended throughput: ${
      worst >= TARGET ? "met" : "NOT met"
    } (worst shape ${worst.toFixed(1)}x)`,
  );
}
