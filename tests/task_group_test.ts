import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  checkpoint,
  createTask,
  InvalidStateError,
  isCancelled,
  run,
  sleep,
  type Task,
  TaskGroup,
  taskGroup,
  TaskGroupError,
  timeout,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred } from "./_helpers.ts";

Deno.test("`taskGroup` waits for every child and returns the body's value", async () => {
  const finished: number[] = [];
  const value = await taskGroup((tg) => {
    for (const ms of [3, 1, 2]) {
      tg.createTask(async () => {
        await sleep(ms);
        finished.push(ms);
      });
    }
    return "body";
  });
  assertEquals(value, "body");
  assertEquals(finished.sort(), [1, 2, 3]);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`taskGroup` children can be awaited from the body for their results", async () => {
  const results = await taskGroup(async (tg) => {
    const a = tg.createTask(() => sleep(2, "a"));
    const b = tg.createTask(() => sleep(1, "b"));
    return [await a, await b];
  });
  assertEquals(results, ["a", "b"]);
});

Deno.test("`taskGroup`: a failing child cancels its siblings and the body, then throws TaskGroupError", async () => {
  const events: string[] = [];
  const boom = new Error("boom");
  const error = await caught(() =>
    taskGroup(async (tg) => {
      tg.createTask(async () => {
        try {
          await sleep(10_000);
        } catch (e) {
          events.push(`sibling ${(e as Error).name}`);
          throw e;
        } finally {
          // A slow unwind: the group must still wait for it.
          await Promise.resolve();
          events.push("sibling settled");
        }
      });
      tg.createTask(async () => {
        await sleep(1);
        throw boom;
      });
      try {
        await sleep(10_000);
      } catch (e) {
        events.push(`body ${(e as Error).name}`);
        throw e;
      }
    })
  );
  assertInstanceOf(error, TaskGroupError);
  assertEquals(error.errors.length, 1);
  assertStrictEquals(error.errors[0], boom);
  assert(events.includes("sibling CancelledError"));
  assert(events.includes("body CancelledError"));
  assert(events.includes("sibling settled"));
  assertEquals(pendingTimers(), 0);
});

Deno.test("`TaskGroupError` holds every non-cancellation error, in order", async () => {
  const first = new Error("first");
  const second = new Error("second while unwinding");
  const error = await caught(() =>
    taskGroup((tg) => {
      tg.createTask(async () => {
        try {
          await sleep(10_000);
        } catch {
          throw second;
        }
      });
      tg.createTask(async () => {
        await sleep(1);
        throw first;
      });
    })
  );
  assertInstanceOf(error, TaskGroupError);
  assertInstanceOf(error, AggregateError);
  assertEquals(error.errors, [first, second]);
  assertEquals(error.name, "TaskGroupError");
});

Deno.test("`taskGroup`: the body's own error cancels the children and is reported in TaskGroupError", async () => {
  const bodyError = new TypeError("body failed");
  let childCancelled = false;
  const error = await caught(() =>
    taskGroup(async (tg) => {
      tg.createTask(async () => {
        try {
          await sleep(10_000);
        } catch (e) {
          childCancelled = e instanceof CancelledError;
          throw e;
        }
      });
      await checkpoint();
      throw bodyError;
    })
  );
  assertInstanceOf(error, TaskGroupError);
  assertEquals(error.errors, [bodyError]);
  assert(childCancelled);
});

Deno.test("`taskGroup`: cancelling the enclosing task cancels the children and rethrows CancelledError", async () => {
  await run(async () => {
    const childrenStarted = deferred();
    const cancelledChildren: string[] = [];
    const outer = createTask(() =>
      taskGroup(async (tg) => {
        for (const name of ["a", "b"]) {
          tg.createTask(async () => {
            try {
              if (name === "b") childrenStarted.resolve();
              await sleep(10_000);
            } catch (e) {
              if (e instanceof CancelledError) cancelledChildren.push(name);
              throw e;
            }
          });
        }
        await sleep(10_000);
      })
    );
    await childrenStarted.promise;
    outer.cancel("shutdown");
    const error = await caught(() => outer);
    assertInstanceOf(error, CancelledError);
    assertFalse(error instanceof TaskGroupError);
    assertEquals(error.reason, "shutdown");
    assertEquals(cancelledChildren.sort(), ["a", "b"]);
    assert(outer.cancelled());
  });
});

Deno.test("`taskGroup`: child errors win over the parent's cancellation", async () => {
  await run(async () => {
    const started = deferred();
    const boom = new Error("cleanup failed");
    const outer = createTask(() =>
      taskGroup(async (tg) => {
        tg.createTask(async () => {
          try {
            started.resolve();
            await sleep(10_000);
          } catch {
            // Fails while being cancelled.
            throw boom;
          }
        });
        await sleep(10_000);
      })
    );
    await started.promise;
    outer.cancel();
    const error = await caught(() => outer);
    assertInstanceOf(error, TaskGroupError);
    assertEquals(error.errors, [boom]);
  });
});

Deno.test("`TaskGroup.createTask` on a finished group throws InvalidStateError", async () => {
  let saved: TaskGroup | undefined;
  await taskGroup((tg) => {
    saved = tg;
  });
  assertThrows(
    () => saved!.createTask(() => 1),
    InvalidStateError,
    "finished",
  );
});

Deno.test("`TaskGroup.createTask` on a group aborting after a failure throws InvalidStateError", async () => {
  let refused: unknown;
  const error = await caught(() =>
    taskGroup(async (tg) => {
      const failing = tg.createTask(() => {
        throw new Error("boom");
      });
      await caught(() => failing);
      try {
        tg.createTask(() => "late");
      } catch (e) {
        refused = e;
      }
    })
  );
  assertInstanceOf(error, TaskGroupError);
  assertInstanceOf(refused, InvalidStateError);
});

Deno.test("`TaskGroup.cancel` cancels children and body with the reason; the group ends normally", async () => {
  const reasons: unknown[] = [];
  let bodyReachedEnd = false;
  const value = await taskGroup(async (tg) => {
    for (let i = 0; i < 2; i++) {
      tg.createTask(async () => {
        try {
          await sleep(10_000);
        } catch (e) {
          reasons.push((e as CancelledError).reason);
          throw e;
        }
      });
    }
    await checkpoint();
    assertFalse(tg.cancelled);
    tg.cancel("done early");
    assert(tg.cancelled);
    assert(tg.signal.aborted);
    await sleep(10_000);
    bodyReachedEnd = true;
    return "unreachable";
  });
  assertEquals(value, undefined);
  assertFalse(bodyReachedEnd);
  assertEquals(reasons, ["done early", "done early"]);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`TaskGroup.cancel` from a child ends the group normally", async () => {
  const value = await taskGroup((tg) => {
    tg.createTask(() => sleep(10_000));
    tg.createTask(async () => {
      await sleep(1);
      tg.cancel();
    });
    return "body value";
  });
  // The body had returned before the cancel, so its value stands.
  assertEquals(value, "body value");
});

Deno.test("`TaskGroup.start` returns the value passed to started() while the child runs on", async () => {
  const events: string[] = [];
  await taskGroup(async (tg) => {
    const port = await tg.start<number>(async (started, signal) => {
      assertInstanceOf(signal, AbortSignal);
      events.push("listening");
      started(8080);
      await sleep(2);
      events.push("served");
    });
    events.push(`started on ${port}`);
    assertEquals(port, 8080);
  });
  assertEquals(events, ["listening", "started on 8080", "served"]);
});

Deno.test("`TaskGroup.start` throws the child's error if it fails before started(), without failing the group", async () => {
  const boom = new Error("bind failed");
  const value = await taskGroup(async (tg) => {
    const error = await caught(() =>
      tg.start(() => {
        throw boom;
      })
    );
    assertStrictEquals(error, boom);
    return "group ok";
  });
  assertEquals(value, "group ok");
});

Deno.test("`TaskGroup.start` throws InvalidStateError when the child returns without calling started()", async () => {
  await taskGroup(async (tg) => {
    const error = await caught(() => tg.start(() => "forgot"));
    assertInstanceOf(error, InvalidStateError);
  });
});

Deno.test("`TaskGroup.start`: a failure after started() fails the group", async () => {
  const boom = new Error("later");
  const error = await caught(() =>
    taskGroup(async (tg) => {
      await tg.start(async (started) => {
        started(undefined);
        await sleep(1);
        throw boom;
      });
      await sleep(10_000);
    })
  );
  assertInstanceOf(error, TaskGroupError);
  assertEquals(error.errors, [boom]);
});

Deno.test("`TaskGroup.start`: calling started() twice throws InvalidStateError in the child", async () => {
  let second: unknown;
  await taskGroup(async (tg) => {
    await tg.start<number>((started) => {
      started(1);
      try {
        started(2);
      } catch (e) {
        second = e;
      }
    });
  });
  assertInstanceOf(second, InvalidStateError);
});

Deno.test("`TaskGroup.start`: cancelling the caller before started() cancels the child", async () => {
  await run(async () => {
    let child: Task<unknown> | undefined;
    const running = deferred();
    let childCancelled = false;
    const outer = createTask(() =>
      taskGroup(async (tg) => {
        await tg.start(async () => {
          try {
            running.resolve();
            await sleep(10_000);
          } catch (e) {
            childCancelled = e instanceof CancelledError;
            throw e;
          }
        });
      })
    );
    await running.promise;
    outer.cancel();
    assertInstanceOf(await caught(() => outer), CancelledError);
    assert(childCancelled);
    assertEquals(child, undefined);
  });
});

Deno.test("`taskGroup({ supervise: true })`: children fail without cancelling siblings; all failures surface", async () => {
  const a = new Error("a");
  const b = new Error("b");
  let siblingFinished = false;
  let bodyFinished = false;
  const error = await caught(() =>
    taskGroup({ supervise: true }, async (tg) => {
      const first = tg.createTask(async () => {
        await sleep(1);
        throw a;
      });
      const second = tg.createTask(async () => {
        await caught(() => first);
        await sleep(1);
        throw b;
      });
      tg.createTask(async () => {
        await caught(() => second);
        await sleep(1);
        siblingFinished = true;
      });
      await caught(() => second);
      await sleep(1);
      // Still allowed to spawn: a failure does not shut a supervisor down.
      tg.createTask(() => {});
      bodyFinished = true;
    })
  );
  assertInstanceOf(error, TaskGroupError);
  assertEquals(error.errors, [a, b]);
  assert(siblingFinished);
  assert(bodyFinished);
});

Deno.test("`taskGroup({ supervise: true })` with no failures returns the body's value", async () => {
  const value = await taskGroup({ supervise: true, name: "sup" }, (tg) => {
    tg.createTask(() => sleep(1));
    return 5;
  });
  assertEquals(value, 5);
});

Deno.test("`TaskGroup` with `await using` waits for its children at the end of the block", async () => {
  await run(async () => {
    const finished: string[] = [];
    {
      await using tg = new TaskGroup();
      tg.createTask(async () => {
        await sleep(2);
        finished.push("a");
      });
      tg.createTask(async () => {
        await sleep(1);
        finished.push("b");
      });
    }
    assertEquals(finished.sort(), ["a", "b"]);
  });
});

Deno.test("`TaskGroup` with `await using`: a failing child surfaces as TaskGroupError at the block's end", async () => {
  await run(async () => {
    const boom = new Error("boom");
    let siblingCancelled = false;
    const error = await caught(async () => {
      await using tg = new TaskGroup();
      tg.createTask(async () => {
        try {
          await sleep(10_000);
        } catch (e) {
          siblingCancelled = e instanceof CancelledError;
          throw e;
        }
      });
      tg.createTask(() => {
        throw boom;
      });
    });
    assertInstanceOf(error, TaskGroupError);
    assertEquals(error.errors, [boom]);
    assert(siblingCancelled);
  });
});

Deno.test("`TaskGroup` with `await using` waits for its children but not for plain createTask tasks", async () => {
  await run(async () => {
    let childDone = false;
    let plain: Task<unknown> | undefined;
    {
      await using tg = new TaskGroup();
      tg.createTask(async () => {
        await sleep(2);
        childDone = true;
      });
      // The block runs in the surrounding scope: this belongs to the run root.
      plain = createTask(() => sleep(10_000));
    }
    assert(childDone);
    assertFalse(plain.done());
    plain.cancel();
  });
});

Deno.test("`TaskGroup` with `await using` restores the outer scope after the block", async () => {
  await run(async () => {
    let groupTask: Task<unknown> | undefined;
    {
      await using tg = new TaskGroup();
      groupTask = tg.createTask(() => sleep(1));
    }
    assert(groupTask.done());
    // A task made after the block belongs to the run root again: the
    // finished group must not be picked.
    const after = createTask(() => sleep(1, "after"));
    assertEquals(await after, "after");
  });
});

Deno.test("nested task groups: an inner failure propagates as a nested TaskGroupError", async () => {
  const boom = new Error("deep");
  const error = await caught(() =>
    taskGroup((outer) => {
      outer.createTask(() =>
        taskGroup((inner) => {
          inner.createTask(() => {
            throw boom;
          });
        })
      );
      outer.createTask(() => sleep(10_000));
    })
  );
  assertInstanceOf(error, TaskGroupError);
  assertEquals(error.errors.length, 1);
  const nested = error.errors[0];
  assertInstanceOf(nested, TaskGroupError);
  assertEquals(nested.errors, [boom]);
  assertEquals(pendingTimers(), 0);
});

Deno.test("a child cancelled on its own does not fail the group", async () => {
  const value = await taskGroup(async (tg) => {
    const victim = tg.createTask(() => sleep(10_000));
    const other = tg.createTask(() => sleep(1, "other"));
    await checkpoint();
    victim.cancel();
    return await other;
  });
  assertEquals(value, "other");
});

Deno.test("`taskGroup` and `TaskGroup` reject bad input with TypeError and leave nothing running", async () => {
  for (const bad of [undefined, null, 1, "x"]) {
    await assertRejects(
      () => taskGroup(bad as unknown as () => void),
      TypeError,
      "function",
    );
  }
  await assertRejects(
    () => taskGroup({}, 5 as unknown as () => void),
    TypeError,
    "function",
  );
  await assertRejects(
    () => taskGroup(7 as unknown as object, () => {}),
    TypeError,
  );
  assertThrows(() => new TaskGroup(5 as unknown as object), TypeError);
  await taskGroup(async (tg) => {
    assertThrows(
      () => tg.createTask(null as unknown as () => void),
      TypeError,
      "function",
    );
    assertThrows(
      () => tg.createTask(() => 1, { name: 5 as unknown as string }),
      TypeError,
    );
    await assertRejects(
      () => tg.start(42 as unknown as () => void),
      TypeError,
      "function",
    );
  });
  assertEquals(pendingTimers(), 0);
});

Deno.test("`taskGroup` releases every timer and signal listener on exit", async () => {
  await run(async () => {
    const error = await caught(() =>
      taskGroup((tg) => {
        for (let i = 0; i < 50; i++) {
          tg.createTask(async (signal) => {
            signal.addEventListener("abort", () => {});
            await sleep(10_000 + i);
          });
        }
        tg.createTask(async () => {
          await sleep(1);
          throw new Error("stop all");
        });
      })
    );
    assertInstanceOf(error, TaskGroupError);
    assertEquals(pendingTimers(), 0);
  });
});

Deno.test("`taskGroup`: children created just before the body fails never run their bodies", async () => {
  let ran = false;
  const boom = new Error("body failed");
  const error = await caught(() =>
    taskGroup((tg) => {
      tg.createTask(() => {
        ran = true;
      });
      throw boom;
    })
  );
  assertInstanceOf(error, TaskGroupError);
  assertEquals(error.errors, [boom]);
  assertFalse(ran);
});

Deno.test("`TaskGroup` with `await using`: a child's failure cancels its siblings and is thrown as TaskGroupError at the end of the block", async () => {
  // The block is not the group's body (JavaScript gives the disposer no
  // callback to run it in), so its own awaits go on; the siblings stop.
  await run(async () => {
    const boom = new Error("child failed");
    const failed = deferred();
    let siblingCancelled = false;
    const error = await caught(async () => {
      await using tg = new TaskGroup();
      tg.createTask(async () => {
        try {
          await sleep(10_000);
        } catch (e) {
          siblingCancelled = isCancelled(e);
          throw e;
        }
      });
      tg.createTask(async () => {
        await sleep(1);
        failed.resolve();
        throw boom;
      });
      await failed.promise;
    });
    assertInstanceOf(error, TaskGroupError);
    assertEquals(error.errors, [boom]);
    assert(siblingCancelled);
  });
});

// An ambient (enterWith-style) group scope would leak into the caller's
// synchronous continuation when the helper suspends inside the block, making
// b()'s group a child of a()'s.
Deno.test("`TaskGroup` with `await using` in concurrent helpers: one group's failure does not cancel the other", async () => {
  await run(async () => {
    const boom = new Error("a failed");
    async function a(): Promise<void> {
      await using tg = new TaskGroup();
      tg.createTask(async () => {
        await sleep(1);
        throw boom;
      });
      await sleep(10_000);
    }
    async function b(): Promise<string> {
      await using tg = new TaskGroup();
      tg.createTask(() => sleep(5));
      await sleep(5);
      return "b finished";
    }
    const [ra, rb] = await Promise.allSettled([a(), b()]);
    assertEquals(ra.status, "rejected");
    assertEquals(rb, { status: "fulfilled", value: "b finished" });
  });
});

// Same leak, simplest form: the caller's plain createTask() must not land in
// the helper's group.
Deno.test("`TaskGroup` with `await using` does not become the current scope of the helper's caller", async () => {
  await run(async () => {
    const gate = deferred();
    async function helper(): Promise<void> {
      await using _tg = new TaskGroup();
      await gate.promise;
    }
    const pending = helper();
    const task = createTask(() => sleep(10_000));
    gate.resolve();
    await pending;
    // The task belongs to the run root: the helper's group did not wait
    // for it, so it is still running.
    assertFalse(task.done());
    task.cancel();
  });
});

Deno.test("`TaskGroup.start` also takes Trio's `task_status.started(value)` spelling", async () => {
  const value = await taskGroup(async (tg) => {
    const port = await tg.start<number>(async (status) => {
      assert(status.signal instanceof AbortSignal);
      status.started(8080);
      await sleep(1);
    });
    return port;
  });
  assertEquals(value, 8080);
});

Deno.test("`TaskGroup.start` throws the error a starting child raises while a timeout cancels it", async () => {
  // The child's `finally` throws during the unwinding: that error must reach
  // start()'s caller (it wins over the cancellation), not vanish.
  const cleanup = new Error("cleanup failed");
  const errors: unknown[] = [];
  await run(async () => {
    const error = await caught(() =>
      taskGroup((tg) =>
        timeout(10, () =>
          tg.start(async () => {
            try {
              await sleep(10_000);
            } finally {
              // deno-lint-ignore no-unsafe-finally
              throw cleanup;
            }
          }))
      )
    );
    assertInstanceOf(error, TaskGroupError);
    errors.push(...(error as TaskGroupError).errors);
  }, { onUnobservedError: (e) => errors.push(e) });
  assertEquals(errors, [cleanup]);
});

Deno.test("`TaskGroup.start` throws a starting child's unwinding error when a sibling fails", async () => {
  const boom = new Error("sibling failed");
  const cleanup = new Error("cleanup failed");
  const seen: unknown[] = [];
  await run(async () => {
    const error = await caught(() =>
      taskGroup(async (tg) => {
        tg.createTask(async () => {
          await sleep(5);
          throw boom;
        });
        await tg.start(async () => {
          try {
            await sleep(10_000);
          } finally {
            // deno-lint-ignore no-unsafe-finally
            throw cleanup;
          }
        });
      })
    );
    assertInstanceOf(error, TaskGroupError);
    seen.push(...(error as TaskGroupError).errors);
  }, { onUnobservedError: (e) => seen.push(e) });
  // Each error exactly once: the sibling's, and the starting child's (which
  // start() threw into the body, so the group holds it as the body's).
  assertEquals(seen.length, 2);
  assert(seen.includes(boom));
  assert(seen.includes(cleanup));
});

Deno.test("`taskGroup()`: children created in a body that throws before any await never run", async () => {
  let ran = 0;
  const boom = new Error("early");
  for (
    const body of [
      (tg: TaskGroup) => {
        tg.createTask(() => void ran++);
        throw boom;
      },
      // deno-lint-ignore require-await
      async (tg: TaskGroup) => {
        tg.createTask(() => void ran++);
        tg.createTask(async () => {
          ran++;
          await sleep(1);
        });
        throw boom;
      },
    ]
  ) {
    const error = await caught(() => run(() => taskGroup(body)));
    assertInstanceOf(error, TaskGroupError);
    assertEquals((error as TaskGroupError).errors, [boom]);
  }
  assertEquals(ran, 0);
});

Deno.test("`taskGroup()`: children of a body that fails after an await did start", async () => {
  let ran = 0;
  const error = await caught(() =>
    run(() =>
      taskGroup(async (tg) => {
        tg.createTask(() => void ran++);
        await sleep(1);
        throw new Error("late");
      })
    )
  );
  assertInstanceOf(error, Error);
  assertEquals(ran, 1);
});

Deno.test("`taskGroup()` and `TaskGroup` reject bad options before anything starts", () => {
  assertThrows(
    () =>
      new TaskGroup({ supervise: "yes" } as unknown as { supervise: boolean }),
    TypeError,
    "supervise",
  );
  assertThrows(
    () =>
      new TaskGroup({ supervize: true } as unknown as { supervise: boolean }),
    TypeError,
    "did you mean supervise?",
  );
});

Deno.test("`taskGroup(fnA, fnB)` is a TypeError, not a silently ignored body", async () => {
  let ran = false;
  const body = () => {
    ran = true;
  };
  await assertRejects(
    () => (taskGroup as (...args: unknown[]) => Promise<unknown>)(body, body),
    TypeError,
  );
  await assertRejects(
    () =>
      (taskGroup as (...args: unknown[]) => Promise<unknown>)(
        { supervise: "yes" },
        body,
      ),
    TypeError,
  );
  assertFalse(ran);
});

Deno.test("`taskGroup()` holds a child's error once when the body rethrows it", async () => {
  const boom = new Error("boom");
  const error = await caught(() =>
    run(() =>
      taskGroup(async (tg) => {
        const child = tg.createTask(async () => {
          await sleep(1);
          throw boom;
        });
        await child; // the body rethrows the child's error
      })
    )
  );
  assertInstanceOf(error, TaskGroupError);
  assertEquals((error as TaskGroupError).errors, [boom]);
});
