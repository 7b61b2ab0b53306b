// The worker side of WorkerPool: the entry module every pool worker loads
// (`new Worker(new URL("./_worker_host.ts", import.meta.url), { type:
// "module" })`, so it resolves inside a published package too). It runs one
// call at a time: imports the named module (cached) or compiles the function
// source sent by toThread (cached), calls it, and posts back the value or the
// error, serialised so that the pool can rebuild it with its name, message
// and the stack from this side. Errors that escape a call (a stray timer
// throwing, an unhandled rejection) and `Deno.exit()`/`close()` are reported
// before they take the worker down, so the pool fails the call in progress
// instead of waiting for a reply that never comes.
//
// The protocol is lean because a round trip should cost little more than
// a raw postMessage: a worker runs one call at a time, so replies need no
// ids, and a call to the same function as the previous one on this worker
// is sent as its bare arguments array (a single scalar argument, bare).
// Replies: a scalar result bare, another in `[value]`, and an object
// (`error`, `crash`, `exit`) for everything else.
//
// This file must import nothing: it is the whole worker runtime.

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

/** An error as it crosses the boundary. */
export interface SerializedError {
  /** False when the thrown value was not an Error (then `value` holds it). */
  isError: boolean;
  name: string;
  message: string;
  stack: string | undefined;
  /** The constructor's name, to rebuild built-in classes. */
  ctor: string;
  /** Own enumerable properties that could be cloned (`code`, ...). */
  props: Record<string, unknown> | undefined;
  cause: SerializedError | undefined;
  errors: SerializedError[] | undefined;
  value: unknown;
}

/** A value sent bare: not an object (so never mistaken for a message). */
export type Scalar = string | number | bigint | boolean | undefined;

/**
 * What the worker posts back: a scalar result bare, any other in
 * `[value]`; `error` when the call threw; `crash` when an error escaped
 * (`busy`: while a call was running); `exit` just before the worker stops
 * itself.
 */
export type ReplyMessage =
  | Scalar
  | [unknown]
  | { error: SerializedError }
  | { crash: SerializedError; busy: boolean }
  | { exit: string };

/** The side of the channel the host talks to: a worker's global scope. */
export interface HostScope {
  postMessage(message: unknown, options?: { transfer?: Transferable[] }): void;
  close(): void;
  onmessage:
    | ((event: MessageEvent<CallMessage | unknown[] | Scalar>) => void)
    | null;
  addEventListener(
    type: "error" | "unhandledrejection",
    listener: (event: Event & { error?: unknown; reason?: unknown }) => void,
  ): void;
}

type Callable = (...args: unknown[]) => unknown;

/** Serialises what a call threw (depth-limited for causes). */
export function serializeError(thrown: unknown, depth = 0): SerializedError {
  if (!(thrown instanceof Error)) {
    let value: unknown = undefined;
    try {
      value = structuredClone(thrown);
    } catch {
      value = String(thrown);
    }
    return {
      isError: false,
      name: "Error",
      message: String(thrown),
      stack: undefined,
      ctor: "",
      props: undefined,
      cause: undefined,
      errors: undefined,
      value,
    };
  }
  let props: Record<string, unknown> | undefined;
  for (const key of Object.keys(thrown)) {
    if (key === "name" || key === "message" || key === "stack") continue;
    if (key === "cause" || key === "errors") continue;
    try {
      const value = structuredClone(
        (thrown as unknown as Record<string, unknown>)[key],
      );
      (props ??= {})[key] = value;
    } catch {
      // Not cloneable (a function, a socket): left behind.
    }
  }
  const hasCause = depth < 8 && "cause" in thrown && thrown.cause !== undefined;
  return {
    isError: true,
    name: String(thrown.name),
    message: String(thrown.message),
    stack: typeof thrown.stack === "string" ? thrown.stack : undefined,
    ctor: thrown.constructor?.name ?? "Error",
    props,
    cause: hasCause ? serializeError(thrown.cause, depth + 1) : undefined,
    errors: depth < 8 && thrown instanceof AggregateError
      ? thrown.errors.map((e) => serializeError(e, depth + 1))
      : undefined,
    value: undefined,
  };
}

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
let busy = false;

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
  busy = false;
  // A scalar goes bare; anything else in a one-element array, so that it
  // cannot be mistaken for the objects that report errors.
  post(
    value === null || typeof value === "object" || typeof value === "function"
      ? [value]
      : value as ReplyMessage,
  );
}

function fail(error: unknown): void {
  busy = false;
  post({ error: serializeError(error) });
}

function call(data: CallMessage | unknown[] | Scalar): void {
  busy = true;
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
      result = currentFn(...args);
    } else {
      const fn = target(current!);
      if (typeof fn === "function") {
        currentFn = fn;
        result = fn(...args);
      } else {
        result = fn.then((f) => {
          currentFn = f;
          return f(...args);
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

/**
 * Serves calls on `scope`: the worker's global scope, or a stand-in with
 * the same shape (the subprocess host, over stdin/stdout).
 */
export function install(scope: HostScope): void {
  host = scope;
  host.onmessage = (event) => call(event.data);
  // Keep the worker alive through stray errors, but tell the pool: the
  // call in progress (if any) fails and the worker is replaced.
  host.addEventListener("error", (event) => {
    event.preventDefault();
    const error = event.error ?? new Error(String(event));
    post({ crash: serializeError(error), busy });
  });
  host.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    post({ crash: serializeError(event.reason), busy });
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
