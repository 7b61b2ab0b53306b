// serve(): each request a task in the server's scope, over real sockets
// (fetch to 127.0.0.1): cancellation from the client and from the scope,
// graceful shutdown, errors reported once, back-pressure, options.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  currentTask,
  Event,
  getRunningLoop,
  HttpServer,
  run,
  serve,
  sleep,
  Task,
  taskGroup,
  timeout,
  TimeoutError,
} from "@seed/aio";
import { serve as serveFromEntry } from "@seed/aio/http";
import { deferred, selfSignedCert } from "../_helpers.ts";

function url(server: HttpServer, path = "/"): string {
  return `http://127.0.0.1:${server.addr.port}${path}`;
}

async function get(
  server: HttpServer,
  path = "/",
  init?: RequestInit,
): Promise<[number, string]> {
  const response = await fetch(url(server, path), init);
  return [response.status, await response.text()];
}

Deno.test("`serve()` runs each request as a task in the server's scope", async () => {
  const seen: unknown[] = [];
  await run(async () => {
    const server = serve(async (request, info) => {
      const task = currentTask();
      seen.push(task);
      await sleep(1);
      return new Response(
        `${new URL(request.url).pathname} from ${info.remoteAddr.hostname}`,
      );
    }, { port: 0 });
    assertInstanceOf(server, HttpServer);
    assertEquals(server.addr.hostname, "127.0.0.1");
    assert(server.addr.port > 0);
    assert(server.isServing());
    assertEquals(await get(server, "/a"), [200, "/a from 127.0.0.1"]);
    assertEquals(await get(server, "/b"), [200, "/b from 127.0.0.1"]);
    await server.shutdown();
    assert(!server.isServing());
    assertEquals(server.activeRequests, 0);
  });
  assertEquals(seen.length, 2);
  for (const task of seen) assertInstanceOf(task, Task);
  assert(seen[0] !== seen[1]);
  assertEquals(serveFromEntry, serve);
});

Deno.test("`serve()` cancels a handler sleeping 10 s when the server's scope ends", async () => {
  let inside: unknown;
  let caught: unknown;
  const started = deferred();
  const began = performance.now();
  let answer: [number, string] | undefined;
  await run(async () => {
    await taskGroup(async (tg) => {
      const server = serve(async () => {
        inside = currentTask();
        started.resolve();
        try {
          await sleep(10_000);
        } catch (error) {
          caught = error;
          throw error;
        }
        return new Response("late");
      }, { port: 0, gracePeriodMs: 50 });
      const reply = tg.createTask(() => get(server));
      await started.promise;
      // The handler is running: ending the group's scope ends the server.
      tg.createTask(async () => {
        answer = await reply;
      });
      await sleep(1);
      tg.cancel("scope ends");
    }).catch((error) => {
      if (!(error instanceof CancelledError)) throw error;
    });
  });
  assertInstanceOf(inside, Task);
  assertInstanceOf(caught, CancelledError);
  assert(performance.now() - began < 5_000, "the 10 s sleep was cut short");
  // The client task was cancelled with the group; the handler settled first.
  assertEquals(answer, undefined);
});

Deno.test("`serve()` answers 503 for a handler cancelled when run() ends, and run waits for it", async () => {
  let caught: unknown;
  let reply: Promise<[number, string]> | undefined;
  const settled: string[] = [];
  await run(async () => {
    const started = new Event();
    const server = serve(async () => {
      started.set();
      try {
        await sleep(10_000);
      } catch (error) {
        caught = error;
        throw error;
      } finally {
        settled.push("handler");
      }
      return new Response("late");
    }, { port: 0, gracePeriodMs: 20 });
    // The client runs outside aio, so that run() ending does not cancel it.
    reply = get(server);
    await started.wait();
    // main returns: run() shuts the server down and waits for the handler.
  });
  assertEquals(settled, ["handler"]);
  assertInstanceOf(caught, CancelledError);
  assertEquals(await reply, [503, "Service Unavailable"]);
});

Deno.test("`serve()` with `await using` shuts down at the end of the block", async () => {
  let caught: unknown;
  await run(async () => {
    const started = new Event();
    let reply: Promise<[number, string]>;
    {
      await using server = serve(async () => {
        assertInstanceOf(currentTask(), Task);
        started.set();
        try {
          await sleep(10_000);
        } catch (error) {
          caught = error;
          throw error;
        }
        return new Response("late");
      }, { port: 0, gracePeriodMs: 0 });
      reply = get(server);
      await started.wait();
    }
    assertInstanceOf(caught, CancelledError);
    assertEquals(await reply, [503, "Service Unavailable"]);
  });
});

Deno.test("`serve()` cancels the handler of a client that went away", async () => {
  let caught: unknown;
  await run(async () => {
    const started = new Event();
    const ended = new Event();
    const server = serve(async (request) => {
      if (request.url.endsWith("/quick")) return new Response("quick");
      started.set();
      try {
        await sleep(10_000);
        return new Response("late");
      } catch (error) {
        caught = error;
        throw error;
      } finally {
        ended.set();
      }
    }, { port: 0 });
    const controller = new AbortController();
    const reply = fetch(url(server), { signal: controller.signal });
    await started.wait();
    assertEquals(server.activeRequests, 1);
    controller.abort();
    await assertRejects(() => reply);
    await timeout(5_000, () => ended.wait());
    assertInstanceOf(caught, CancelledError);
    assertEquals((caught as CancelledError).reason, "client went away");
    // The server serves on.
    assertEquals(await get(server, "/quick"), [200, "quick"]);
    await server.shutdown();
  });
});

Deno.test("`serve()` lets handlers finish within the grace period", async () => {
  await run(async () => {
    const started = new Event();
    const server = serve(async () => {
      started.set();
      await sleep(50);
      return new Response("finished");
    }, { port: 0, gracePeriodMs: 5_000 });
    const reply = get(server);
    await started.wait();
    const began = performance.now();
    await server.shutdown();
    assert(performance.now() - began < 4_000, "did not wait out the grace");
    assertEquals(await reply, [200, "finished"]);
    // No longer accepting.
    await assertRejects(() => fetch(url(server)));
  });
});

Deno.test("`serve()` answers 500 for a throwing handler and reports the error once", async () => {
  const reports: [unknown, string][] = [];
  const boom = new Error("boom");
  await run(async () => {
    getRunningLoop().setExceptionHandler((error, context) => {
      reports.push([error, context.message]);
    });
    const server = serve((request) => {
      if (request.url.endsWith("/boom")) throw boom;
      if (request.url.endsWith("/nothing")) {
        return "not a response" as unknown as Response;
      }
      return new Response("ok");
    }, { port: 0 });
    assertEquals(await get(server, "/boom"), [500, "Internal Server Error"]);
    assertEquals(await get(server, "/nothing"), [500, "Internal Server Error"]);
    assertEquals(await get(server, "/fine"), [200, "ok"]);
    await server.shutdown();
  });
  assertEquals(reports.length, 2);
  assertEquals(reports[0], [boom, "Exception in HTTP handler for GET /boom"]);
  assertInstanceOf(reports[1][0], TypeError);
  assert(String(reports[1][0]).includes("must return a Response"));
});

Deno.test("`serve()` sends onError's response, and reports onError's own failure once", async () => {
  const reports: [unknown, string][] = [];
  const handled: unknown[] = [];
  await run(async () => {
    getRunningLoop().setExceptionHandler((error, context) => {
      reports.push([error, context.message]);
    });
    const server = serve((request) => {
      throw new Error(new URL(request.url).pathname);
    }, {
      port: 0,
      onError: async (error) => {
        handled.push(error);
        await sleep(1); // onError runs in the request's task
        assertInstanceOf(currentTask(), Task);
        if (String(error).includes("/bad")) throw new Error("onError failed");
        return new Response(`sorry: ${(error as Error).message}`, {
          status: 418,
        });
      },
    });
    assertEquals(await get(server, "/x"), [418, "sorry: /x"]);
    assertEquals(await get(server, "/bad"), [500, "Internal Server Error"]);
    await server.shutdown();
  });
  assertEquals(handled.length, 2);
  assertEquals(reports.length, 1);
  assertEquals((reports[0][0] as Error).message, "onError failed");
  assert(reports[0][1].startsWith("Exception in serve() onError for GET /bad"));
});

Deno.test("`serve()` runs at most maxConcurrent handlers; a queued request's client can leave", async () => {
  let active = 0;
  let peak = 0;
  let ran = 0;
  await run(async () => {
    const release = new Event();
    const twoIn = new Event();
    const server = serve(async (request) => {
      ran++;
      peak = Math.max(peak, ++active);
      if (active === 2) twoIn.set();
      try {
        if (!request.url.endsWith("/quick")) await release.wait();
        return new Response("done");
      } finally {
        active--;
      }
    }, { port: 0, maxConcurrent: 2 });
    const replies = [get(server, "/1"), get(server, "/2")];
    await twoIn.wait();
    // A third request waits for a slot; its client gives up.
    const controller = new AbortController();
    const gone = fetch(url(server, "/3"), { signal: controller.signal });
    const queued = [get(server, "/4"), get(server, "/5")];
    while (server.activeRequests < 5) await sleep(5);
    assertEquals(ran, 2);
    controller.abort();
    await assertRejects(() => gone);
    while (server.activeRequests > 4) await sleep(5);
    assertEquals(ran, 2);
    release.set();
    for (const reply of [...replies, ...queued]) {
      assertEquals(await reply, [200, "done"]);
    }
    await server.shutdown();
  });
  assertEquals(peak, 2);
  assertEquals(ran, 4);
});

Deno.test("`serve()` shuts down when its signal aborts", async () => {
  await run(async () => {
    const controller = new AbortController();
    const server = serve(() => new Response("ok"), {
      port: 0,
      signal: controller.signal,
    });
    assertEquals(await get(server), [200, "ok"]);
    controller.abort();
    await server.finished;
    assert(!server.isServing());
    await assertRejects(() => fetch(url(server)));
  });
});

Deno.test("`server.finished` is a cancellation point while the server serves", async () => {
  await run(async () => {
    const server = serve(() => new Response("ok"), { port: 0 });
    await assertRejects(
      () => timeout(20, async () => await server.finished),
      TimeoutError,
    );
    assert(server.isServing());
    assertEquals(await get(server), [200, "ok"]);
    await server.shutdown();
    await server.closed;
  });
});

Deno.test("`serve()` calls onListen with the address", async () => {
  const heard: Deno.NetAddr[] = [];
  await run(async () => {
    const server = serve(() => new Response("ok"), {
      port: 0,
      onListen: (addr) => heard.push(addr),
    });
    assertEquals(heard, [server.addr]);
    await server.shutdown();
  });
});

Deno.test("`serve()` checks its arguments before listening", () => {
  const handler = (): Response => new Response("x");
  assertThrows(
    () => serve("nope" as unknown as () => Response),
    TypeError,
    "expected a function",
  );
  assertThrows(
    () => serve(handler, { gracePeriod: 5 } as never),
    TypeError,
    "did you mean gracePeriodMs?",
  );
  assertThrows(
    () => serve(handler, { port: "80" } as never),
    TypeError,
    "option port must be a number",
  );
  assertThrows(() => serve(handler, { port: 70000 }), RangeError, "port");
  assertThrows(
    () => serve(handler, { maxConcurrent: 0 }),
    RangeError,
    "maxConcurrent",
  );
  assertThrows(
    () => serve(handler, { signal: {} as AbortSignal }),
    TypeError,
    "must be an AbortSignal",
  );
  assertThrows(
    () => serve(handler, { tls: { cert: "x" } as never }),
    TypeError,
    "cert and key",
  );
  assertThrows(
    () => serve(handler, { gracePeriodMs: NaN }),
    TypeError,
    "gracePeriodMs",
  );
});

Deno.test("`serve()` in a cancelled scope throws CancelledError without listening", async () => {
  await run(async () => {
    let thrown: unknown;
    await taskGroup((tg) => {
      tg.cancel();
      try {
        serve(() => new Response("x"), { port: 0 });
      } catch (error) {
        thrown = error;
      }
    });
    assertInstanceOf(thrown, CancelledError);
  });
});

Deno.test("`serve()` serves HTTPS with tls: { cert, key }", async () => {
  const { cert, key } = await selfSignedCert();
  const client = Deno.createHttpClient({ caCerts: [cert] });
  try {
    await run(async () => {
      await using server = serve(
        () => new Response(`secure ${currentTask()?.name}`),
        { port: 0, tls: { cert, key } },
      );
      const response = await fetch(
        `https://localhost:${server.addr.port}/`,
        { client },
      );
      assertEquals(await response.text(), "secure request");
    });
  } finally {
    client.close();
  }
});

Deno.test("`serve()` in a group body that fails before its first await closes at once", async () => {
  const boom = new Error("body failed");
  let thrown: unknown;
  await run(async () => {
    try {
      await taskGroup(() => {
        serve(() => new Response("never"), { port: 0 });
        throw boom;
      });
    } catch (error) {
      thrown = error;
    }
  });
  // The group reports the body's error; the listener is gone (sanitizers).
  assert(
    thrown === boom ||
      (thrown instanceof AggregateError && thrown.errors.includes(boom)),
  );
});
