/**
 * HTTP serving: `serve`, a structured `Deno.serve` whose every request is a
 * task in the server's scope, and `HttpServer`.
 *
 * Also re-exported from `@seed/aio`.
 *
 * @example
 * ```ts
 * import { run, sleep } from "@seed/aio";
 * import { serve } from "@seed/aio/http";
 *
 * await run(async () => {
 *   await using server = serve(async () => {
 *     await sleep(1); // a cancellation point: the handler is a task
 *     return new Response("pong");
 *   }, { hostname: "127.0.0.1", port: 0 });
 *   const response = await fetch(`http://127.0.0.1:${server.addr.port}/ping`);
 *   console.log(await response.text()); // "pong"
 * });
 * ```
 *
 * @module
 */

export {
  type HttpHandler,
  HttpServer,
  serve,
  type ServeOptions,
  type ServeTlsOptions,
} from "./serve.ts";
