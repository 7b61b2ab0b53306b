// The worker side of WorkerPool: the entry module every pool worker loads
// (`new Worker(new URL("./_worker_host.ts", import.meta.url), { type:
// "module" })`, so it resolves inside a published package too). It runs one
// call at a time: imports the named module (cached) or compiles the function
// source sent by toThread (cached), calls it, and posts back the value or the
// error, serialised (lib/workers/_errors_wire.ts) so that the pool can
// rebuild it with its name, message and the stack from this side.
//
// Errors that escape a call (a timer throwing, an unhandled rejection) and
// `Deno.exit()`/`close()` are reported before they take the worker down,
// with the number of the call they came from. Timers are wrapped: each
// remembers the call that started it, and its throw is caught knowing it.
// From the second call on, each call also runs in an async context
// (node:async_hooks) holding its number, which promise callbacks and
// microtasks inherit; it is loaded once the first call has replied, so
// that it never delays a worker's first answer (loading Node's layer costs
// a worker several milliseconds). Until then, and for code no context
// reaches, the owner is the call whose message or timer ran last. The pool
// fails the call in progress only for its own error; one left over from an
// earlier call (or from no call) is reported to the loop and the worker
// retired, and the call in progress goes on.
//
// The protocol is lean because a round trip should cost little more than
// a raw postMessage: a worker runs one call at a time, so replies need no
// ids, and a call to the same function as the previous one on this worker
// is sent as its bare arguments array (a single scalar argument, bare).
// Replies: a scalar result bare, another in `[value]`, and an object
// (`error`, `crash`, `exit`) for everything else.
//
// This file imports only the error wire format (and node:async_hooks
// later, dynamically): it is the whole worker runtime.

import type { AsyncLocalStorage } from "node:async_hooks";
import { type SerializedError, serializeError } from "./_errors_wire.ts";

export type { SerializedError };

/**
 * A call to a new function on this worker (a plain object, never an
 * array): a module export, or a function's source. A call to the same
 * function as the previous one is sent as the arguments array alone.
 */
export interface CallMessage {
  /**
   * The pool's number for the module or source: its text is sent only the
   * first time a worker sees it (-1: not numbered, always sent).
   */
  target: number;
  /** The module's absolute URL, or the function's source, when new here. */
  text: string | undefined;
  /** The export to call; undefined for a function source (`toThread`). */
  name: string | undefined;
  args: unknown[];
}

/**
 * Sent once to a new Web Worker, before any call: a shared flag the host
 * sets to 1 while a call's synchronous code runs, so that the pool can tell
 * whether a terminated worker's thread may still be running (terminate()
 * does not stop a JavaScript loop).
 */
export interface InitMessage {
  running: Int32Array;
}

/** A value sent bare: not an object (so never mistaken for a message). */
export type Scalar = string | number | bigint | boolean | undefined;

/**
 * What the worker posts back: a scalar result bare, any other in
 * `[value]`; `error` when the call threw; `crash` when an error escaped
 * (`call`: the number of the call it came from, counting from 1 in the
 * order this worker received them; 0 for none); `exit` just before the
 * worker stops itself.
 */
export type ReplyMessage =
  | Scalar
  | [unknown]
  | { error: SerializedError }
  | { crash: SerializedError; call: number }
  | { exit: string };

/** The side of the channel the host talks to: a worker's global scope. */
export interface HostScope {
  postMessage(message: unknown, options?: { transfer?: Transferable[] }): void;
  close(): void;
  onmessage:
    | ((
      event: MessageEvent<CallMessage | InitMessage | unknown[] | Scalar>,
    ) => void)
    | null;
  addEventListener(
    type: "error" | "unhandledrejection",
    listener: (event: Event & { error?: unknown; reason?: unknown }) => void,
  ): void;
}

type Callable = (...args: unknown[]) => unknown;

/** Texts (module URLs, sources) by the pool's number for them. */
const texts = new Map<number, string>();
/** Imported modules by number (only once imported successfully). */
const modules = new Map<number, Record<string, unknown>>();
/** Compiled sources by number. */
const compiled = new Map<number, Callable>();

function compile(source: string): Callable {
  let fn: unknown;
  try {
    fn = new Function(`"use strict"; return (${source}\n);`)();
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // Method shorthand (`name(a) { ... }`) is not an expression on its own
    // but is valid inside an object literal.
    try {
      const holder = new Function(`"use strict"; return ({${source}\n});`)();
      const descriptors = Object.values(
        Object.getOwnPropertyDescriptors(holder),
      );
      fn = descriptors[0]?.value;
    } catch {
      throw new TypeError(
        `The function sent to the worker could not be compiled from its source text (class methods using private #names cannot travel): ${error.message}`,
        { cause: error },
      );
    }
  }
  if (typeof fn !== "function") {
    throw new TypeError("The source sent to the worker is not a function");
  }
  return fn as Callable;
}

function pick(
  module: Record<string, unknown>,
  url: string,
  name: string,
): Callable {
  const fn = module[name];
  if (typeof fn !== "function") {
    throw new TypeError(
      `Module ${url} has no exported function ${JSON.stringify(name)}`,
    );
  }
  return fn as Callable;
}

function target(message: CallMessage): Callable | Promise<Callable> {
  const { target: id, name } = message;
  let text = message.text;
  if (text === undefined) text = texts.get(id)!;
  else if (id !== -1) texts.set(id, text);
  if (name === undefined) {
    let fn = compiled.get(id);
    if (fn === undefined) {
      fn = compile(text);
      if (id !== -1) compiled.set(id, fn);
    }
    return fn;
  }
  const module = modules.get(id);
  if (module !== undefined) return pick(module, text, name);
  const url = text;
  return import(url).then((loaded: Record<string, unknown>) => {
    if (id !== -1) modules.set(id, loaded);
    return pick(loaded, url, name);
  });
}

let host = globalThis as unknown as HostScope;

/** The function the previous call named, and what it resolved to. */
let current: CallMessage | undefined;
let currentFn: Callable | undefined;
/** The number of the latest call (1 for the first). */
let calls = 0;
/**
 * Each call's number, inherited by the timers and promises it starts;
 * loaded after the first call replied (see loadContext).
 */
let context: AsyncLocalStorage<number> | undefined;
let contextLoading = false;
/** The call whose message or timer ran last (the fallback owner). */
let active = 0;
/** See InitMessage (Web Workers only). */
let running: Int32Array | undefined;

function post(message: ReplyMessage): void {
  try {
    host.postMessage(message);
  } catch (error) {
    // The value could not be cloned (a function, a class instance with
    // private state...): say so instead of leaving the call hanging.
    host.postMessage({
      error: serializeError(
        new TypeError(
          `Cannot send the result back from the worker: ${
            error instanceof Error ? error.message : String(error)
          }`,
        ),
      ),
    });
  }
}

function succeed(value: unknown): void {
  // A scalar goes bare; anything else in a one-element array, so that it
  // cannot be mistaken for the objects that report errors.
  post(
    value === null || typeof value === "object" || typeof value === "function"
      ? [value]
      : value as ReplyMessage,
  );
  if (!contextLoading) loadContext();
}

function fail(error: unknown): void {
  post({ error: serializeError(error) });
  if (!contextLoading) loadContext();
}

/** Loads the async context, off the path of the first call. */
function loadContext(): void {
  contextLoading = true;
  import("node:async_hooks").then(
    (hooks) => {
      context = new hooks.AsyncLocalStorage<number>();
    },
    () => {
      // Without it, the fallback owner serves.
    },
  );
}

/** The call the running code belongs to (0: none known). */
function owner(): number {
  return context?.getStore() ?? active;
}

function receive(data: CallMessage | InitMessage | unknown[] | Scalar): void {
  if (
    data !== null && typeof data === "object" && !Array.isArray(data) &&
    "running" in data
  ) {
    running = data.running;
    return;
  }
  calls++;
  active = calls;
  if (context === undefined) call(data);
  else context.run(calls, call, data);
}

/**
 * Calls the function, with the shared flag up while its synchronous code
 * runs (right away, or once its module is imported).
 */
function invoke(fn: Callable, args: unknown[]): unknown {
  if (running === undefined) return fn(...args);
  Atomics.store(running, 0, 1);
  try {
    return fn(...args);
  } finally {
    Atomics.store(running, 0, 0);
  }
}

function call(data: CallMessage | unknown[] | Scalar): void {
  let args: unknown[];
  if (data === null || typeof data !== "object") {
    args = [data];
  } else if (Array.isArray(data)) {
    args = data;
  } else {
    current = data;
    currentFn = undefined;
    args = data.args;
    data.args = []; // not kept alive by `current`
  }
  try {
    let result: unknown;
    if (currentFn !== undefined) {
      result = invoke(currentFn, args);
    } else {
      const fn = target(current!);
      if (typeof fn === "function") {
        currentFn = fn;
        result = invoke(fn, args);
      } else {
        result = fn.then((f) => {
          currentFn = f;
          return invoke(f, args);
        });
      }
    }
    if (result !== null && typeof result === "object" && "then" in result) {
      Promise.resolve(result).then(succeed, fail);
    } else {
      succeed(result);
    }
  } catch (error) {
    fail(error);
  }
}

/** An error escaped: tell the pool, with the call it came from. */
function escaped(error: unknown, from: number): void {
  post({ crash: serializeError(error), call: from });
}

type TimerFunction = (
  handler: unknown,
  delay?: number,
  ...args: unknown[]
) => number;

/**
 * Wraps a timer function so that a throwing callback is caught where the
 * call that started the timer is still known (the error event of a timer
 * comes without it).
 */
function guardTimers(name: "setTimeout" | "setInterval"): void {
  const target = globalThis as unknown as Record<string, TimerFunction>;
  const original = target[name];
  if (typeof original !== "function") return;
  target[name] = function (handler, delay, ...args) {
    if (typeof handler !== "function") {
      return original.call(globalThis, handler, delay, ...args);
    }
    const fn = handler as (...args: unknown[]) => unknown;
    const mine = owner();
    return original.call(
      globalThis,
      function (this: unknown, ...args: unknown[]) {
        // Left set after the callback: the microtasks and the rejections
        // it causes are handled before the next message or timer.
        active = mine;
        try {
          return fn.apply(this, args);
        } catch (error) {
          escaped(error, mine);
        }
      },
      delay,
      ...args,
    );
  };
}

/**
 * Serves calls on `scope`: the worker's global scope, or a stand-in with
 * the same shape (the subprocess host, over stdin/stdout).
 */
export function install(scope: HostScope): void {
  host = scope;
  host.onmessage = (event) => receive(event.data);
  // Keep the worker alive through stray errors, but tell the pool which
  // call they came from: the pool fails that call if it is still running,
  // and retires the worker.
  guardTimers("setTimeout");
  guardTimers("setInterval");
  host.addEventListener("error", (event) => {
    event.preventDefault();
    escaped(event.error ?? new Error(String(event)), owner());
  });
  host.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    escaped(event.reason, owner());
  });
  // A worker that leaves gives no sign to its parent: announce it first.
  const close = host.close;
  host.close = () => {
    post({ exit: "close()" });
    close.call(host);
  };
  const exit = Deno.exit;
  Deno.exit = ((code?: number) => {
    post({ exit: `Deno.exit(${code ?? ""})` });
    return exit(code);
  }) as typeof Deno.exit;
}

// Only inside a worker (importing this file elsewhere must do nothing).
if (
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
    "undefined" &&
  globalThis instanceof
    (globalThis as unknown as { WorkerGlobalScope: typeof Object })
      .WorkerGlobalScope
) {
  install(globalThis as unknown as HostScope);
}
