// Errors across the worker boundary, both halves: `serializeError` runs in
// the worker (lib/workers/_worker_host.ts), `rebuildError` in the pool.
// A thrown value crosses as a plain, cloneable record: its name, message,
// worker-side stack, constructor name, cloneable own properties, cause and
// (for an AggregateError) its errors. Built-in classes are rebuilt as
// themselves; any other class becomes a `WorkerError` whose cause carries
// the original's name, message, stack and data.
//
// The worker host imports this file, so it must stay import-light: only
// worker_error.ts, which imports nothing.

import { WorkerError } from "./worker_error.ts";

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

/** Causes and aggregated errors deeper than this are left behind. */
const MAX_DEPTH = 8;

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
  const deeper = depth < MAX_DEPTH;
  const hasCause = deeper && "cause" in thrown && thrown.cause !== undefined;
  return {
    isError: true,
    name: String(thrown.name),
    message: String(thrown.message),
    stack: typeof thrown.stack === "string" ? thrown.stack : undefined,
    ctor: thrown.constructor?.name ?? "Error",
    props,
    cause: hasCause ? serializeError(thrown.cause, depth + 1) : undefined,
    errors: deeper && thrown instanceof AggregateError
      ? thrown.errors.map((e) => serializeError(e, depth + 1))
      : undefined,
    value: undefined,
  };
}

const REBUILDABLE: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an error thrown in a worker, with the worker-side stack. */
export function rebuildError(data: SerializedError): unknown {
  if (!data.isError) return data.value;
  const cause = data.cause !== undefined ? rebuildError(data.cause) : undefined;
  const options = data.cause !== undefined ? { cause } : undefined;
  let error: Error;
  const ctor = REBUILDABLE[data.ctor];
  if (ctor !== undefined) {
    error = new ctor(data.message, options);
    if (error.name !== data.name) error.name = data.name;
  } else if (data.ctor === "AggregateError") {
    error = new AggregateError(
      (data.errors ?? []).map(rebuildError),
      data.message,
      options,
    );
  } else if (data.ctor === "DOMException") {
    error = new DOMException(data.message, data.name);
  } else if (Object.hasOwn(Deno.errors, data.ctor)) {
    // Deno's own classes (NotFound, NotCapable...) exist on both sides.
    const ctor = (Deno.errors as unknown as Record<string, ErrorConstructor>)[
      data.ctor
    ];
    error = new ctor(data.message, options);
  } else {
    // The class lives in the worker's module: keep its name, message,
    // stack and data on a plain Error, as the cause of a WorkerError.
    const original = new Error(data.message, options);
    original.name = data.name;
    if (data.stack !== undefined) original.stack = data.stack;
    if (data.props !== undefined) Object.assign(original, data.props);
    const wrapper = new WorkerError(`${data.name}: ${data.message}`, {
      cause: original,
    });
    if (data.stack !== undefined) {
      wrapper.stack = `WorkerError: ${data.stack}`;
    }
    return wrapper;
  }
  if (data.stack !== undefined) {
    try {
      error.stack = data.stack;
    } catch {
      // DOMException's stack may be read-only.
    }
  }
  if (data.props !== undefined) Object.assign(error, data.props);
  return error;
}
