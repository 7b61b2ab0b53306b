// Functions that travel to a worker as source text (`toThread`,
// `WorkerPool.submit`, `runInExecutor`): which functions can travel, and
// what a failure in the worker most likely means when one used a closure.

import { checkFunction } from "../_core/_checks.ts";

/** Sources already checked, by function (a function's text never changes). */
const sources = new WeakMap<object, string>();

/** The source of a function that can travel to a worker, or a TypeError. */
export function functionSource(fn: unknown, what: string): string {
  checkFunction(fn, what);
  const cached = sources.get(fn as object);
  if (cached !== undefined) return cached;
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError(
      `${what}: cannot run ${
        describeFunction(fn)
      } in a worker: it is native or bound, so it has no source to send; wrap the call in a self-contained function, e.g. (x) => Math.sqrt(x)`,
    );
  }
  if (/^class\b/.test(source)) {
    throw new TypeError(
      `${what}: cannot run a class in a worker; pass a function`,
    );
  }
  sources.set(fn as object, source);
  return source;
}

function describeFunction(fn: unknown): string {
  const name = (fn as { name?: unknown }).name;
  return typeof name === "string" && name !== ""
    ? `function ${JSON.stringify(name)}`
    : "this function";
}

/**
 * A ReferenceError from a function sent by source almost always means it
 * used a variable of the code around it, and a TypeError on `undefined`
 * from one that uses `this`, a method parted from its object: say so,
 * keeping the original.
 */
export function explainClosure(error: unknown, source: string): unknown {
  if (
    error instanceof TypeError && /\bthis\b/.test(source) &&
    /undefined/.test(error.message)
  ) {
    return new TypeError(
      "The function sent to the worker uses `this`, which is undefined there: " +
        "a method travels as source text without its object (closures do not " +
        "travel). Pass the data it needs as arguments",
      { cause: error },
    );
  }
  if (error instanceof ReferenceError) {
    const match = /^(\S+) is not defined/.exec(error.message);
    const name = match !== null ? JSON.stringify(match[1]) : "a name";
    return new TypeError(
      `The function sent to the worker uses ${name}, which does not exist there: ` +
        "it travels as source text, so closures do not travel (variables and " +
        "imports of the code around it are not in the worker). Pass values as " +
        "arguments, or put the code in a module and use WorkerPool.run()",
      { cause: error },
    );
  }
  return error;
}
