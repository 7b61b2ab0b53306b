// The proxy behind `wrap<typeof import(url)>(url)` on every executor: each
// property is a function that runs the export of that name remotely.

import type { Wrapped } from "./types.ts";

/** A proxy whose every method calls `call(name, args)` (made once per name). */
export function wrapModule<M extends object>(
  call: (name: string, args: unknown[]) => Promise<unknown>,
): Wrapped<M> {
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy({}, {
    get: (_target, key) => {
      // A proxy answering `then` would make itself a thenable.
      if (typeof key !== "string" || key === "then") return undefined;
      let method = methods.get(key);
      if (method === undefined) {
        method = (...args: unknown[]) => call(key, args);
        methods.set(key, method);
      }
      return method;
    },
  }) as Wrapped<M>;
}
