/**
 * `serve(handler, options)`: a structured HTTP server over `Deno.serve`
 * whose every request is a task in the server's scope; `HttpServer`,
 * `ServeOptions`, `HttpHandler`. Mirrors aiohttp's `web.run_app` /
 * `Deno.serve`.
 *
 * @module
 */

import { CancelledError } from "../errors.ts";
import type { EventLoop } from "../event_loop.ts";
import { FutureState } from "../future.ts";
import { currentScope, Scope, storage } from "../_core/_scope.ts";
import { suspend, Wait, waitPromise } from "../_core/_trap.ts";
import {
  checkDelay,
  checkFunction,
  checkOptions,
  show,
  showValue,
} from "../_core/_checks.ts";
import { cancelTimer, now, schedule, type Timer } from "../_core/_timers.ts";
import { nearestNursery, Nursery, type Task } from "../task.ts";
import { checkPort } from "../streams/open_connection.ts";
import { InvalidStateError } from "../errors.ts";

// ---- Types -------------------------------------------------------------------

/**
 * Handles one request; like `Deno.ServeHandler`, it gets the `Request` and
 * the connection's info and returns a `Response` (or a promise of one). It
 * runs as a task: `currentTask()`, `currentSignal()`, `sleep`, `timeout`
 * and `taskGroup` work inside it.
 */
export type HttpHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** A PEM certificate chain and its private key, to serve HTTPS. */
export interface ServeTlsOptions {
  /** The certificate chain, PEM. */
  cert: string;
  /** The private key, PEM. */
  key: string;
}

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /** The address to listen on; default `"127.0.0.1"` (loopback only). */
  hostname?: string;
  /** The port; default `0`, any free port (read it from `server.addr`). */
  port?: number;
  /** Aborting it shuts the server down gracefully, as `shutdown()` does. */
  signal?: AbortSignal;
  /**
   * Turns an error a handler threw into the response to send (like
   * `Deno.serve`'s `onError`). Runs in the request's task. Without it the
   * error is reported to the loop's exception handler (`setExceptionHandler`,
   * default: stderr) and the client gets a 500.
   */
  onError?: (error: unknown) => Response | Promise<Response>;
  /** Called once the server listens, with its address (default: silent). */
  onListen?: (addr: Deno.NetAddr) => void;
  /**
   * At most this many handlers run at once; further requests wait (in
   * order of arrival, as cancellable waits) until one ends. Default: no limit.
   */
  maxConcurrent?: number;
  /**
   * On shutdown, how long running handlers may go on before they are
   * cancelled (default 1000 ms).
   */
  gracePeriodMs?: number;
  /** Serve HTTPS with this certificate and key. */
  tls?: ServeTlsOptions;
}

// ---- Requests in flight ------------------------------------------------------

const SERVING = 0;
const CLOSING = 1;
const CLOSED = 2;

// A request still running this long is watched for its client going away
// (reading `request.signal` costs Deno an extra operation per request, a
// sixth of a tiny handler's cost, so quick handlers never pay it).
const WATCH_AFTER_MS = 10;
// After handlers are cancelled, responses still streaming get this long
// before the connections are cut.
const FINAL_FLUSH_MS = 100;

const SHUTTING_DOWN = "server shutting down";
const CLIENT_GONE = "client went away";

interface Settings {
  readonly onError: ServeOptions["onError"];
  readonly maxConcurrent: number;
  readonly gracePeriodMs: number;
}

// One request in flight. It is its own abort listener (no closure per
// request); a handler that answers at once never makes a promise, so Deno
// sends its response on the synchronous fast path.
class Exchange implements EventListenerObject {
  task: Task<void> | undefined = undefined;
  /** In the server's set of requests not yet watched. */
  fresh = false;
  /** Listening to `request.signal`. */
  watched = false;
  /** The response, when it came before anyone waited for it. */
  response: Response | undefined = undefined;
  resolve: ((response: Response) => void) | undefined = undefined;

  constructor(
    readonly request: Request,
    readonly info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) {}

  answer(response: Response): void {
    if (this.resolve !== undefined) this.resolve(response);
    else this.response = response;
  }

  handleEvent(): void {
    this.task?.cancel(CLIENT_GONE);
  }
}

// A request waiting for a slot under `maxConcurrent`: FIFO, cancellable.
class SlotWait extends Wait<void> {
  prev: SlotWait | undefined = undefined;
  next: SlotWait | undefined = undefined;
  queued = false;

  constructor(readonly queue: SlotQueue) {
    super();
  }

  override arm(): void {
    this.queue.push(this);
  }

  override disarm(): void {
    this.queue.remove(this);
  }
}

class SlotQueue {
  head: SlotWait | undefined = undefined;
  tail: SlotWait | undefined = undefined;

  push(wait: SlotWait): void {
    wait.queued = true;
    wait.prev = this.tail;
    if (this.tail === undefined) this.head = wait;
    else this.tail.next = wait;
    this.tail = wait;
  }

  remove(wait: SlotWait): void {
    if (!wait.queued) return;
    wait.queued = false;
    if (wait.prev === undefined) this.head = wait.next;
    else wait.prev.next = wait.next;
    if (wait.next === undefined) this.tail = wait.prev;
    else wait.next.prev = wait.prev;
    wait.prev = wait.next = undefined;
  }

  shift(): SlotWait | undefined {
    const wait = this.head;
    if (wait !== undefined) this.remove(wait);
    return wait;
  }
}

// What `server.finished` is: a promise that, awaited inside a task, is a
// cancellation point (through the one wait primitive); it never rejects
// on its own.
class Finished implements Promise<void> {
  readonly [Symbol.toStringTag] = "Promise";
  readonly #promise: Promise<void>;

  constructor(promise: Promise<void>) {
    this.#promise = promise;
  }

  then<R1 = void, R2 = never>(
    onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return waitPromise(this.#promise, currentScope(), "http").then(
      onFulfilled,
      onRejected,
    );
  }

  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<void | R> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<void> {
    return this.then().finally(onFinally);
  }
}

// ---- The server --------------------------------------------------------------

/**
 * A running HTTP server made by {@linkcode serve}. It is a task in the scope
 * that started it (the enclosing task group, or the root of `run`), and each
 * request's handler is a task in the server's own scope, so nothing it runs
 * outlives it.
 *
 * `shutdown()` stops accepting at once, lets running handlers finish for
 * `gracePeriodMs`, then cancels them (their clients get a 503) and returns
 * once every handler has settled. Cancelling the scope that started the
 * server (the end of `run`, a cancelled task group, SIGINT through
 * `runMain`) or leaving an `await using` block does the same.
 *
 * Mirrors `Deno.HttpServer` (and aiohttp's `AppRunner.cleanup()` for the
 * shutdown).
 *
 * @example
 * ```ts
 * import { run } from "@seed/aio";
 * import { serve } from "@seed/aio/http";
 * await run(async () => {
 *   await using server = serve(() => new Response("hi"), { port: 0 });
 *   const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 *   console.log(await response.text()); // "hi"
 * });
 * ```
 */
export class HttpServer implements AsyncDisposable {
  /** The address the server listens on (with the real port when `0` was asked). */
  readonly addr: Deno.NetAddr;
  readonly #handler: HttpHandler;
  readonly #settings: Settings;
  readonly #loop: EventLoop | undefined;
  readonly #closed: Promise<void>;
  readonly #finished: Finished;
  readonly #abort = new AbortController();
  #resolveClosed!: () => void;
  #deno!: Deno.HttpServer<Deno.NetAddr>;
  #handlers!: Nursery;
  #state = SERVING;
  #wake: (() => void) | undefined;
  #forced = false;
  #ran = false;
  #joined = false;
  #fresh = new Set<Exchange>();
  #watchTimer: Timer | undefined;
  #graceTimer: Timer | undefined;
  #cutTimer: Timer | undefined;
  #active = 0;
  readonly #slots = new SlotQueue();

  /**
   * @internal Use {@linkcode serve}.
   * @param handler The request handler.
   * @param settings Validated options.
   * @param loop The loop errors are reported to.
   * @param listen Starts `Deno.serve` with the server's own handler.
   */
  constructor(
    handler: HttpHandler,
    settings: Settings,
    loop: EventLoop | undefined,
    listen: (
      handler: Deno.ServeHandler<Deno.NetAddr>,
      signal: AbortSignal,
      onError: (error: unknown) => Response,
    ) => Deno.HttpServer<Deno.NetAddr>,
  ) {
    this.#handler = handler;
    this.#settings = settings;
    this.#loop = loop;
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#finished = new Finished(this.#closed);
    // Outside aio's async context: Deno.serve keeps the context it was
    // called in and restores it around every request, which costs more
    // than the whole task each request gets (measured: 20 vs 15 µs of CPU
    // per request), and the handler's task sets its own context anyway.
    this.#deno = storage.exit(() =>
      listen(
        (request, info) => this.#onRequest(request, info),
        this.#abort.signal,
        (error) => this.#onDenoError(error),
      )
    );
    this.addr = this.#deno.addr;
  }

  /**
   * Settles once the server has shut down and every handler has settled.
   * Awaiting it inside a task is a cancellation point (cancelling the wait
   * does not stop the server); it never rejects otherwise.
   */
  get finished(): Promise<void> {
    return this.#finished;
  }

  /** The same as `finished` (the name `Server` uses). */
  get closed(): Promise<void> {
    return this.#finished;
  }

  /** How many request handlers are running (or waiting for a slot) now. */
  get activeRequests(): number {
    return this.#handlers.pending;
  }

  /**
   * Whether the server still accepts requests.
   * @returns `true` until shutdown begins.
   */
  isServing(): boolean {
    return this.#state === SERVING;
  }

  /**
   * Stops accepting requests, gives running handlers `gracePeriodMs`, then
   * cancels them, and resolves once every handler has settled. Idempotent.
   * The wait for the end goes on even if the caller is cancelled meanwhile
   * (it is cleanup, like `shield`).
   * @returns Once the server has finished.
   */
  shutdown(): Promise<void> {
    this.#stop();
    const outer = currentScope();
    if (outer === undefined) return this.#closed;
    // A shielded wait: it is seen by debug mode and traces, but the
    // caller's cancellation does not cut it short.
    const shield = new Scope(outer, outer.task, "HttpServer.shutdown", true);
    return waitPromise(this.#closed, shield, "http").finally(() =>
      shield.close()
    );
  }

  /** Shuts the server down (`shutdown()`) and waits until it has finished. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /** @internal Starts the server's task in `scope`. */
  _start(scope: Scope | undefined): void {
    const owner = nearestNursery(scope);
    let task: Task<void>;
    const body = (): Promise<void> => this.#run();
    if (owner !== undefined) {
      // Shielded: cancelling the owner shuts the server down gracefully
      // (through the hooks) instead of cancelling every handler at once.
      task = owner.spawn(body, "HttpServer", true);
    } else {
      // Outside run() and any group: the server is a scope of its own.
      const root = new Scope(undefined, undefined, "HttpServer");
      task = new Nursery(root, () => {}).spawn(body, "HttpServer");
    }
    this.#handlers = new Nursery(
      new Scope(task.scope, task, "HttpServer"),
      () => {},
      owner?.observer,
    );
    // The caller's own scope (a cancelled caller, SIGINT through runMain)
    // and the owner's (which outlives the caller) both shut it down.
    const unhooks: (() => void)[] = [];
    const stop = (): void => this.#stop();
    if (scope !== undefined) unhooks.push(scope.onCancel(stop));
    if (owner !== undefined && owner.scope !== scope) {
      if (owner.scope.cancelled) this.#stop();
      else unhooks.push(owner.scope.onCancel(stop));
    }
    task.addDoneCallback(() => {
      for (const unhook of unhooks) unhook();
      if (!this.#ran) {
        // Never started (the body of its group failed before its first
        // await): nothing ran in it, so close everything at once.
        this.#handlers.finished = true;
        this.#handlers.scope.cancel(SHUTTING_DOWN);
        this.#handlers.scope.close();
        this.#state = CLOSING;
        this.#deno.shutdown().catch(() => {});
        this.#abort.abort();
      }
      this.#state = CLOSED;
      for (
        const timer of [this.#graceTimer, this.#cutTimer, this.#watchTimer]
      ) {
        if (timer !== undefined) cancelTimer(timer);
      }
      this.#graceTimer = this.#cutTimer = this.#watchTimer = undefined;
      if (task._state() === FutureState.REJECTED) {
        task._markRetrieved();
        this.#report(task._value(), "HttpServer failed");
      }
      this.#resolveClosed();
    });
  }

  /** @internal Shuts down when `signal` aborts. */
  _watch(signal: AbortSignal | undefined): void {
    if (signal === undefined) return;
    if (signal.aborted) {
      this.#stop();
      return;
    }
    const onAbort = (): void => this.#stop();
    signal.addEventListener("abort", onAbort, { once: true });
    this.#closed.then(() => signal.removeEventListener("abort", onAbort));
  }

  // The server's task: waits for shutdown, then for the handlers and the
  // connections.
  async #run(): Promise<void> {
    this.#ran = true;
    const scope = currentScope();
    if (this.#state === SERVING) {
      await waitPromise(
        new Promise<void>((resolve) => {
          this.#wake = resolve;
        }),
        scope,
        "http",
      );
    }
    await waitPromise(this.#handlers.join(), scope, "http");
    // Every handler has settled: each response is with Deno now.
    this.#joined = true;
    this.#handlers.finished = true;
    this.#handlers.scope.close();
    if (this.#forced) this.#scheduleCut();
    await waitPromise(this.#deno.finished, scope, "http");
  }

  #stop(): void {
    if (this.#state !== SERVING) return;
    this.#state = CLOSING;
    // Stops accepting; connections close once their requests are answered.
    this.#deno.shutdown().catch(() => {});
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    const grace = this.#settings.gracePeriodMs;
    if (grace <= 0) {
      this.#force();
    } else if (grace !== Infinity) {
      this.#graceTimer = schedule(now() + grace, () => {
        this.#graceTimer = undefined;
        this.#force();
      });
    }
  }

  #force(): void {
    if (this.#forced) return;
    this.#forced = true;
    this.#handlers.scope.cancel(SHUTTING_DOWN);
    if (this.#joined) this.#scheduleCut();
  }

  // Responses still being sent (streaming bodies, the 503s of cancelled
  // handlers) get a moment once every handler has settled; then the
  // connections are cut.
  #scheduleCut(): void {
    if (this.#cutTimer !== undefined) return;
    this.#cutTimer = schedule(now() + FINAL_FLUSH_MS, () => {
      this.#cutTimer = undefined;
      this.#abort.abort();
    });
  }

  #onRequest(
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Response | Promise<Response> {
    const handlers = this.#handlers;
    if (handlers.scope.cancelled || handlers.finished) return unavailable();
    const exchange = new Exchange(request, info);
    // Started now (eagerly): a handler that answers without waiting has
    // answered when spawn returns.
    exchange.task = handlers.spawn(
      () => this.#handle(exchange),
      "request",
      false,
      true,
    );
    if (exchange.response !== undefined) return exchange.response;
    exchange.fresh = true;
    this.#fresh.add(exchange);
    if (this.#watchTimer === undefined) {
      this.#watchTimer = schedule(now() + WATCH_AFTER_MS, this.#watchFresh);
    }
    return new Promise((resolve) => {
      exchange.resolve = resolve;
    });
  }

  // Requests that outlived one watch period start listening for their
  // client going away.
  #watchFresh = (): void => {
    this.#watchTimer = undefined;
    const fresh = this.#fresh;
    if (fresh.size === 0) return;
    this.#fresh = new Set();
    for (const exchange of fresh) {
      exchange.fresh = false;
      exchange.watched = true;
      const signal = exchange.request.signal;
      if (signal.aborted) exchange.handleEvent();
      else signal.addEventListener("abort", exchange);
    }
  };

  // The request's task body. Synchronous while the handler is: no promise,
  // no extra turn for a handler that returns its Response at once.
  #handle(exchange: Exchange): Promise<void> | undefined {
    if (this.#active >= this.#settings.maxConcurrent) {
      return this.#queued(exchange);
    }
    this.#active++;
    return this.#call(exchange);
  }

  // Waits for a slot under maxConcurrent (a released slot is handed over
  // with the wake-up), then runs the handler.
  async #queued(exchange: Exchange): Promise<void> {
    try {
      await suspend(new SlotWait(this.#slots), currentScope(), "http");
    } catch (error) {
      return this.#fail(exchange, error);
    }
    return this.#call(exchange);
  }

  // Runs the handler while holding a slot.
  #call(exchange: Exchange): Promise<void> | undefined {
    let result: Response | Promise<Response>;
    try {
      result = this.#handler(exchange.request, exchange.info);
    } catch (error) {
      this.#release();
      return this.#fail(exchange, error);
    }
    if (result instanceof Response) {
      this.#release();
      this.#done(exchange);
      exchange.answer(result);
      return undefined;
    }
    return this.#settle(exchange, result);
  }

  async #settle(exchange: Exchange, result: unknown): Promise<void> {
    let response: unknown;
    try {
      response = await result;
    } catch (error) {
      this.#release();
      return this.#fail(exchange, error);
    }
    this.#release();
    if (!(response instanceof Response)) {
      return this.#fail(
        exchange,
        new TypeError(
          `serve(): the handler must return a Response, got ${show(response)}`,
        ),
      );
    }
    this.#done(exchange);
    exchange.answer(response);
  }

  async #fail(exchange: Exchange, error: unknown): Promise<void> {
    const response = await this.#failed(error, exchange);
    this.#done(exchange);
    exchange.answer(response);
  }

  #release(): void {
    const next = this.#slots.shift();
    if (next === undefined) this.#active--;
    else next.wake();
  }

  #done(exchange: Exchange): void {
    if (exchange.watched) {
      exchange.watched = false;
      exchange.request.signal.removeEventListener("abort", exchange);
    } else if (exchange.fresh) {
      exchange.fresh = false;
      this.#fresh.delete(exchange);
    }
  }

  // The response for a handler that threw; never throws itself.
  async #failed(error: unknown, exchange: Exchange): Promise<Response> {
    if (error instanceof CancelledError) return unavailable();
    const onError = this.#settings.onError;
    if (onError === undefined) {
      this.#report(error, `Exception in HTTP handler for ${where(exchange)}`);
      return internalError();
    }
    try {
      const response = await onError(error);
      if (response instanceof Response) return response;
      throw new TypeError(
        `serve(): onError must return a Response, got ${show(response)}`,
      );
    } catch (failure) {
      this.#report(
        failure,
        `Exception in serve() onError for ${where(exchange)} (handling ${
          showValue(error)
        })`,
      );
      return internalError();
    }
  }

  // Errors Deno.serve catches itself (a response body stream that failed).
  #onDenoError(error: unknown): Response {
    const onError = this.#settings.onError;
    if (onError === undefined) {
      this.#report(error, "Exception in HTTP response");
    } else {
      try {
        Promise.resolve(onError(error)).catch((failure) =>
          this.#report(failure, "Exception in serve() onError")
        );
      } catch (failure) {
        this.#report(failure, "Exception in serve() onError");
      }
    }
    return internalError();
  }

  #report(error: unknown, message: string): void {
    const loop = this.#loop;
    if (loop !== undefined && !loop.closed) {
      loop.callExceptionHandler(error, { message });
    } else {
      console.error(`aio: ${message}:`, error);
    }
  }
}

// ---- Helpers and options -----------------------------------------------------

function where(exchange: Exchange): string {
  try {
    const url = new URL(exchange.request.url);
    return `${exchange.request.method} ${url.pathname}${url.search}`;
  } catch {
    return "a request";
  }
}

function unavailable(): Response {
  return new Response("Service Unavailable", { status: 503 });
}

function internalError(): Response {
  return new Response("Internal Server Error", { status: 500 });
}

const SPEC = {
  hostname: "string",
  port: "number",
  signal: (value: unknown) =>
    value instanceof AbortSignal ? undefined : "must be an AbortSignal",
  onError: "function",
  onListen: "function",
  maxConcurrent: "number",
  gracePeriodMs: "number",
  tls: (value: unknown) => {
    if (value === null || typeof value !== "object") {
      return "must be an object with cert and key";
    }
    const { cert, key } = value as Partial<ServeTlsOptions>;
    return typeof cert === "string" && typeof key === "string"
      ? undefined
      : "must have cert and key as PEM strings";
  },
} as const;

/**
 * Serves HTTP with `Deno.serve`, running `handler(request, info)` as a task
 * for every request, and returns the running server at once. The server is
 * a task of the caller's scope: the enclosing task group (or `run`) does not
 * finish before it has shut down, and cancelling that scope shuts it down
 * gracefully (stop accepting, `gracePeriodMs` for running handlers, then
 * cancel them). A client that goes away cancels its handler. A handler that
 * throws gets its client a 500 and its error reported once: to `onError`
 * (whose response is sent) if given, else to the loop's exception handler.
 *
 * Mirrors `Deno.serve` (and aiohttp's `web.run_app`), structured.
 *
 * @param handler Runs once per request, as a task; returns the `Response`.
 * @param options `hostname` (default loopback), `port` (default any free),
 *   `signal`, `onError`, `onListen`, `maxConcurrent`, `gracePeriodMs`, `tls`.
 * @returns The running server.
 * @throws {TypeError} If `handler` is not a function or an option is unknown or has the wrong type.
 * @throws {RangeError} If `port` or `maxConcurrent` is out of range.
 * @throws {InvalidStateError} If the enclosing task group is shutting down.
 * @throws {CancelledError} If the caller is already cancelled.
 * @throws {Deno.errors.AddrInUse} Or another error from `Deno.serve`.
 *
 * @example
 * ```ts
 * import { currentTask, run, sleep } from "@seed/aio";
 * import { serve } from "@seed/aio/http";
 * await run(async () => {
 *   const server = serve(async (request) => {
 *     await sleep(5); // cancelled if the client goes away
 *     return new Response(`${currentTask()?.name} ${new URL(request.url).pathname}`);
 *   }, { hostname: "127.0.0.1", port: 0 });
 *   const response = await fetch(`http://127.0.0.1:${server.addr.port}/hello`);
 *   console.log(await response.text()); // "request /hello"
 *   await server.shutdown();
 * });
 * ```
 */
export function serve(
  handler: HttpHandler,
  options?: ServeOptions,
): HttpServer {
  const what = "serve()";
  checkFunction(handler, what);
  checkOptions(options, SPEC, what);
  const hostname = options?.hostname ?? "127.0.0.1";
  const port = checkPort(options?.port ?? 0, what, true);
  let maxConcurrent = Infinity;
  if (options?.maxConcurrent !== undefined) {
    maxConcurrent = options.maxConcurrent;
    if (
      Number.isNaN(maxConcurrent) || maxConcurrent < 1 ||
      !(Number.isInteger(maxConcurrent) || maxConcurrent === Infinity)
    ) {
      throw new RangeError(
        `${what}: maxConcurrent must be a positive integer, got ${maxConcurrent}`,
      );
    }
  }
  const gracePeriodMs = options?.gracePeriodMs === undefined
    ? 1000
    : checkDelay(options.gracePeriodMs, `${what}: gracePeriodMs`);
  const scope = currentScope();
  if (scope !== undefined && scope.cancelled) throw scope.deliver();
  const nursery = nearestNursery(scope);
  if (nursery !== undefined && nursery.aborting) {
    throw new InvalidStateError(
      "Cannot start a server: its task group is shutting down after a failure",
    );
  }
  const onListen = options?.onListen;
  const tls = options?.tls;
  const loop = scope?.loop as EventLoop | undefined;
  const server = new HttpServer(
    handler,
    {
      onError: options?.onError,
      maxConcurrent,
      gracePeriodMs,
    },
    loop,
    (denoHandler, signal, onError) =>
      Deno.serve({
        hostname,
        port,
        signal,
        onError,
        onListen: () => {},
        ...(tls === undefined ? {} : { cert: tls.cert, key: tls.key }),
      }, denoHandler),
  );
  server._start(scope);
  server._watch(options?.signal);
  if (onListen !== undefined) {
    try {
      onListen(server.addr);
    } catch (error) {
      void server.shutdown();
      throw error;
    }
  }
  return server;
}
