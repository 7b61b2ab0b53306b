// Uncontended costs of the synchronization primitives and queues against
// raw array-backed baselines (the least a promise-based lock or queue can
// do). Each iteration runs BATCH operations inside one `run()`, so that the
// ambient scope lookup every aio wait does is paid as in real code; the
// `run()` line shows what the batch pays once for entering the loop.
// Per-operation cost = time per iteration / BATCH.
//
// Run: deno bench -A bench/sync_bench.ts

import {
  Event,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  run,
  Semaphore,
} from "../mod.ts";

const BATCH = 10_000;

/** The least a promise-based mutex can be: a flag and an array of waiters. */
class RawMutex {
  #locked = false;
  #waiters: (() => void)[] = [];
  acquire(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.#locked = false;
  }
}

/** The least an async queue can be: an array of items, one of getters. */
class RawQueue<T> {
  #items: T[] = [];
  #getters: ((item: T) => void)[] = [];
  put(item: T): Promise<void> {
    const getter = this.#getters.shift();
    if (getter !== undefined) getter(item);
    else this.#items.push(item);
    return Promise.resolve();
  }
  get(): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    return new Promise((resolve) => this.#getters.push(resolve));
  }
}

Deno.bench("run() with an empty body (paid once per batch)", {
  group: "overhead",
}, async () => {
  await run(() => {});
});

Deno.bench("raw mutex acquire/release", {
  group: "lock",
  baseline: true,
}, async () => {
  await run(async () => {
    const mutex = new RawMutex();
    for (let i = 0; i < BATCH; i++) {
      await mutex.acquire();
      mutex.release();
    }
  });
});

Deno.bench("Lock acquire/release", { group: "lock" }, async () => {
  await run(async () => {
    const lock = new Lock();
    for (let i = 0; i < BATCH; i++) {
      await lock.acquire();
      lock.release();
    }
  });
});

Deno.bench("Lock await using lock()", { group: "lock" }, async () => {
  await run(async () => {
    const lock = new Lock();
    for (let i = 0; i < BATCH; i++) {
      await using _ = await lock.lock();
    }
  });
});

Deno.bench("Semaphore acquire/release", { group: "lock" }, async () => {
  await run(async () => {
    const sem = new Semaphore(4);
    for (let i = 0; i < BATCH; i++) {
      await sem.acquire();
      sem.release();
    }
  });
});

Deno.bench("Event wait (set)", { group: "lock" }, async () => {
  await run(async () => {
    const event = new Event();
    event.set();
    for (let i = 0; i < BATCH; i++) await event.wait();
  });
});

Deno.bench("raw array queue put/get", {
  group: "queue",
  baseline: true,
}, async () => {
  await run(async () => {
    const queue = new RawQueue<number>();
    for (let i = 0; i < BATCH; i++) {
      await queue.put(i);
      await queue.get();
    }
  });
});

Deno.bench("Queue put/get", { group: "queue" }, async () => {
  await run(async () => {
    const queue = new Queue<number>();
    for (let i = 0; i < BATCH; i++) {
      await queue.put(i);
      await queue.get();
    }
  });
});

Deno.bench("Queue putNowait/getNowait", { group: "queue" }, async () => {
  await run(() => {
    const queue = new Queue<number>();
    for (let i = 0; i < BATCH; i++) {
      queue.putNowait(i);
      queue.getNowait();
    }
  });
});

Deno.bench("LifoQueue put/get", { group: "queue" }, async () => {
  await run(async () => {
    const queue = new LifoQueue<number>();
    for (let i = 0; i < BATCH; i++) {
      await queue.put(i);
      await queue.get();
    }
  });
});

Deno.bench(
  "PriorityQueue put/get (64 queued)",
  { group: "queue" },
  async () => {
    await run(async () => {
      const queue = new PriorityQueue<number>();
      for (let i = 0; i < 64; i++) queue.putNowait(i * 7919 % 64);
      for (let i = 0; i < BATCH; i++) {
        await queue.put(i * 7919 % 1000);
        await queue.get();
      }
    });
  },
);
