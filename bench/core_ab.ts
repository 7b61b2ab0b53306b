// The core's hot waits, timed against any checkout of aio: run it once per
// tree, in separate processes (so neither tree's JIT and GC state touches
// the other's), and compare the medians. Used to check that the 2026-12
// reshaping (one wait primitive) kept locks, queues, events, timeouts and
// task awaits within 10% of what they cost before.
//
//   git worktree add /tmp/before <commit>
//   deno run -A bench/core_ab.ts /tmp/before   # the tree before
//   deno run -A bench/core_ab.ts .             # this tree
//
// Prints one line: each case's median of 15 runs, in ms.

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.length === 0) {
    console.log("usage: deno run -A bench/core_ab.ts CHECKOUT_DIR");
    Deno.exit(Deno.args.length === 0 ? 2 : 0);
  }
  const root = new URL(`${Deno.realPathSync(Deno.args[0])}/`, "file:///");
  // deno-lint-ignore no-explicit-any
  const m: any = await import(new URL("mod.ts", root).href);
  const cases: Record<string, () => Promise<unknown>> = {
    "lock ping-pong 20k": () =>
      m.run(async () => {
        const lock = new m.Lock();
        await m.gather(
          ...[0, 1].map(() => async () => {
            for (let i = 0; i < 10_000; i++) {
              await lock.acquire();
              lock.release();
            }
          }),
        );
      }),
    "queue put/get 50k": () =>
      m.run(async () => {
        const q = new m.Queue({ maxsize: 16 });
        await m.gather(async () => {
          for (let i = 0; i < 50_000; i++) await q.put(i);
        }, async () => {
          for (let i = 0; i < 50_000; i++) await q.get();
        });
      }),
    "event wait 200k": () =>
      m.run(async () => {
        for (let i = 0; i < 200_000; i++) {
          const event = new m.Event();
          const waiting = event.wait();
          event.set();
          await waiting;
        }
      }),
    "timeout+sleep 20k": () =>
      m.run(() =>
        // deno-lint-ignore no-explicit-any
        m.taskGroup((tg: any) => {
          for (let i = 0; i < 20_000; i++) {
            tg.createTask(() => m.timeout(60_000, () => m.sleep(1)));
          }
        })
      ),
    "spawn+join 100k": () =>
      m.run(() =>
        // deno-lint-ignore no-explicit-any
        m.taskGroup((tg: any) => {
          for (let i = 0; i < 100_000; i++) {
            tg.createTask(async () => {
              await null;
            });
          }
        })
      ),
    "await task 20k": () =>
      m.run(async () => {
        for (let i = 0; i < 20_000; i++) {
          // deno-lint-ignore require-await
          await m.createTask(async () => i);
        }
      }),
  };
  const out: string[] = [];
  for (const [name, fn] of Object.entries(cases)) {
    const times: number[] = [];
    for (let r = 0; r < 15; r++) {
      const start = performance.now();
      await fn();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    out.push(`${name}: ${times[7].toFixed(1)} ms`);
  }
  console.log(out.join(" | "));
}
