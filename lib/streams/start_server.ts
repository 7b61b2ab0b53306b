/**
 * `startServer(handler, options)`: a structured TCP (or TLS) server whose
 * every connection handler is a task in the server's scope; `Server`,
 * `ServerOptions`. Mirrors `asyncio.start_server`.
 *
 * @module
 */

import { InvalidStateError, isCancelled } from "../errors.ts";
import { FutureState } from "../future.ts";
import { currentScope, Scope } from "../_core/_scope.ts";
import { suspend, Wait, waitPromise } from "../_core/_trap.ts";
import {
  checkDelay,
  checkFunction,
  checkOptions,
  show,
} from "../_core/_checks.ts";
import {
  cancelTimer,
  now,
  reschedule,
  schedule,
  type Timer,
} from "../_core/_timers.ts";
import { Activity, checkSize, isLocalClose } from "./_stream_common.ts";
import { nearestNursery, Nursery, type Task } from "../task.ts";
import { type TaskGroup, taskGroup } from "../task_group.ts";
import { checkPort } from "./open_connection.ts";
import { DEFAULT_LIMIT, StreamReader } from "./stream_reader.ts";
import {
  DEFAULT_HIGH_WATER_MARK,
  type SocketAddress,
  StreamWriter,
} from "./stream_writer.ts";

// ===========================================================================
// Options and types.
// ===========================================================================

/** Handles one connection; the server closes it once this returns. */
export type ConnectionHandler = (
  reader: StreamReader,
  writer: StreamWriter,
) => unknown;

/** What {@linkcode ServerOptions.onError} is told about an error. */
export interface ServerErrorContext {
  /** What failed, e.g. "Exception in connection handler". */
  message: string;
  /** The peer of the connection concerned, if any. */
  peername?: SocketAddress;
}

/** The server's certificate and key of {@linkcode ServerOptions.tls}. */
export interface ServerTlsOptions {
  /** The certificate chain, PEM. */
  cert: string;
  /** The private key, PEM. */
  key: string;
}

/** Options that every server takes (TCP, TLS, Unix). */
export interface BaseServerOptions {
  /**
   * At most this many connections are served at once; beyond it the server
   * stops accepting (new peers wait in the listen queue) until one ends.
   * Default: no limit.
   */
  maxConnections?: number;
  /**
   * A connection on which no byte moved either way for this long is
   * closed and its handler cancelled (reason `"idle timeout"`). Covers
   * silent peers and peers that stopped reading. Default: none.
   */
  idleTimeoutMs?: number;
  /**
   * After `close()`, how long handlers may run on before they are
   * cancelled (default 1000 ms).
   */
  gracePeriodMs?: number;
  /** Each reader's `limit` for lines and `readuntil` (default 64 KiB). */
  limit?: number;
  /** Each writer's high-water mark for `drain()` (default 64 KiB). */
  highWaterMark?: number;
  /**
   * Receives the errors handlers throw (and accept errors); the server
   * serves on. Default: print them to stderr.
   */
  onError?: (error: unknown, context: ServerErrorContext) => void;
}

/** Options for {@linkcode startServer}. */
export interface ServerOptions extends BaseServerOptions {
  /** The address to listen on; default `"127.0.0.1"` (loopback only). */
  hostname?: string;
  /** The port; default `0`, any free port (read it from `server.addr`). */
  port?: number;
  /** The listen queue length the kernel keeps (default 511). */
  backlog?: number;
  /** Serve TLS with this certificate and key. Default: plain TCP. */
  tls?: ServerTlsOptions;
}

const SERVING = 0;
const CLOSING = 1;
const CLOSED = 2;

// After a forced close, the writes a cancelled handler made get this long
// to leave before the socket is cut.
const FINAL_FLUSH_MS = 100;
// How long to wait before accepting again after an accept error (EMFILE).
const ACCEPT_RETRY_MS = 100;

interface Live {
  readonly reader: StreamReader;
  readonly writer: StreamWriter;
  readonly activity: Activity | undefined;
  task: Task<void> | undefined;
  timer: Timer | undefined;
  idled: boolean;
}

/** @internal Validated options, shared by the TCP and Unix servers. */
export interface Settings {
  maxConnections: number;
  idleTimeoutMs: number | undefined;
  gracePeriodMs: number;
  limit: number;
  highWaterMark: number;
  onError: (error: unknown, context: ServerErrorContext) => void;
  /** Runs once the server is closed (the Unix server removes its socket file). */
  cleanup?: () => void;
}

// ===========================================================================
// The Server: accepting, serving each connection, closing.
// ===========================================================================

// Sets (or, given `only`, clears if still set to it) what wakes a paused
// accept loop; set in Server's static block.
let setWake: (
  server: Server<Deno.Addr>,
  wake: (() => void) | undefined,
  only?: () => void,
) => void;

/**
 * A listening server made by {@linkcode startServer} (TCP, TLS) or
 * `startUnixServer` (then `addr` is a `Deno.UnixAddr`). It is a task in
 * the scope that started it (the enclosing task group, or the root of
 * `run`), and each connection's handler is a task in the server's own
 * scope, so nothing it runs outlives it. A handler that throws is reported
 * through `onError`; the server serves on.
 *
 * `close()` stops accepting at once, aborts the `closing` signal, lets
 * handlers finish for `gracePeriodMs`, then cancels them; bytes they wrote
 * are sent before each socket closes. Cancelling the scope that owns the
 * server (the end of `run`, SIGINT through `runMain`, a failing task
 * group) does the same. To end the connections sooner, `closeClients()`
 * ends every handler's reading (its loop over lines ends, it may still
 * write a goodbye) and `abortClients()` cuts every connection at once.
 *
 * Mirrors `asyncio.Server`.
 *
 * @example
 * ```ts
 * import { openConnection, run, startServer } from "@seed/aio";
 * await run(async () => {
 *   const server = await startServer(async (reader, writer) => {
 *     for await (const line of reader) writer.write(line);
 *   }, { port: 0 });
 *   const { reader, writer } = await openConnection(server.addr);
 *   writer.write("echo\n");
 *   console.log(new TextDecoder().decode(await reader.readline())); // "echo\n"
 *   writer.close();
 *   server.close();
 *   await server.closed;
 * });
 * ```
 */
export class Server<A extends Deno.Addr = Deno.NetAddr>
  implements AsyncDisposable {
  /** The address the server listens on (with the real port when `0` was asked). */
  readonly addr: A;
  readonly #listener: Deno.Listener<Deno.Conn, A>;
  readonly #handler: ConnectionHandler;
  readonly #settings: Settings;
  readonly #live = new Set<Live>();
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;
  #state = SERVING;
  #group: TaskGroup | undefined;
  #graceTimer: Timer | undefined;
  #hardTimer: Timer | undefined;
  #wake: (() => void) | undefined;
  #forced = false;
  #serving = false;
  readonly #closing = new AbortController();

  static {
    setWake = (server, wake, only) => {
      if (only === undefined || server.#wake === only) server.#wake = wake;
    };
  }

  /**
   * @internal Use {@linkcode startServer}.
   * @param listener The listening socket.
   * @param handler The connection handler.
   * @param settings Validated options.
   */
  constructor(
    listener: Deno.Listener<Deno.Conn, A>,
    handler: ConnectionHandler,
    settings: Settings,
  ) {
    this.#listener = listener;
    this.#handler = handler;
    this.#settings = settings;
    this.addr = listener.addr;
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** How many connections are being served now. */
  get activeConnections(): number {
    return this.#live.size;
  }

  /**
   * Settles once the server is closed: the listener is closed and every
   * handler has finished and its socket is closed. Never rejects.
   */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /**
   * Aborted when the server begins to close (`close()`, or a cancellation
   * of its owner), with the reason `"server closing"`: the shutdown notice
   * for handlers. Pass it to `fetch` and other `AbortSignal` users, or
   * check `closing.aborted` between messages to say goodbye early instead
   * of running into the grace period.
   */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /**
   * Whether the server still accepts connections.
   * Mirrors `Server.is_serving()`.
   * @returns `true` until `close()`.
   */
  isServing(): boolean {
    return this.#state === SERVING;
  }

  /**
   * Stops accepting connections now, gives running handlers
   * `gracePeriodMs` to finish, then cancels them. Idempotent; await
   * `closed` (or `waitClosed()`) for the end.
   * Mirrors `Server.close()`.
   */
  close(): void {
    if (this.#state !== SERVING) return;
    this.#state = CLOSING;
    try {
      this.#listener.close();
    } catch {
      // Already closed: the accept loop has stopped anyway.
    }
    this.#wake?.();
    this.#notifyClosing();
    const grace = this.#settings.gracePeriodMs;
    if (grace <= 0) {
      this.#force();
    } else {
      this.#graceTimer = schedule(now() + grace, () => {
        this.#graceTimer = undefined;
        this.#force();
      });
    }
  }

  /**
   * Ends the reading of every connection being served: each handler's
   * pending and later reads return what is buffered, then the end of the
   * stream, so a handler looping over lines leaves its loop; it may still
   * write (a goodbye) before it returns, and the server then sends what it
   * wrote and closes the socket. Does not stop accepting (see `close()`).
   * Mirrors `Server.close_clients()` (Python 3.13).
   *
   * @example
   * ```ts
   * import { openConnection, run, startServer } from "@seed/aio";
   * await run(async () => {
   *   const server = await startServer(async (reader, writer) => {
   *     for await (const line of reader) writer.write(line);
   *     writer.write("goodbye\n"); // the loop ended: the server is closing
   *   }, { port: 0, gracePeriodMs: 60_000 });
   *   const { reader, writer } = await openConnection(server.addr);
   *   writer.write("hello\n");
   *   await reader.readline(); // the echo: the handler is in its loop
   *   server.close();
   *   server.closeClients(); // no need to sit out the 60 s grace period
   *   console.log(new TextDecoder().decode(await reader.readline())); // "goodbye\n"
   *   await server.closed;
   *   writer.close();
   * });
   * ```
   */
  closeClients(): void {
    for (const live of this.#live) live.reader._endReads();
  }

  /**
   * Closes every connection being served now, dropping what was queued
   * for them: their handlers' reads see the end of the stream and their
   * writes fail. Does not stop accepting (see `close()`).
   * Mirrors `Server.abort_clients()` (Python 3.13).
   *
   * @example
   * ```ts
   * import { openConnection, run, startServer } from "@seed/aio";
   * await run(async () => {
   *   await using server = await startServer(async (reader, writer) => {
   *     writer.write("ready\n");
   *     await reader.read(); // waits for the end of the stream
   *   }, { port: 0 });
   *   const { reader, writer } = await openConnection(server.addr);
   *   await reader.readline(); // "ready\n": the handler is reading
   *   server.abortClients();
   *   console.log((await reader.read()).length); // 0: the server cut it
   *   writer.close();
   * });
   * ```
   */
  abortClients(): void {
    for (const live of this.#live) live.writer._abort();
  }

  /**
   * Waits until the server is closed (see `closed`). A cancellation point;
   * cancelling the wait does not close the server.
   * Mirrors `Server.wait_closed()`.
   * @returns Once closed.
   * @throws {CancelledError} If cancelled while waiting.
   */
  waitClosed(): Promise<void> {
    return waitPromise(this.#closed, currentScope(), "stream");
  }

  /**
   * Serves until the server is closed. If the caller is cancelled (SIGINT
   * through `runMain`, a timeout), closes the server gracefully, waits for
   * it, and rethrows the `CancelledError`.
   * Mirrors `Server.serve_forever()`.
   *
   * @returns Once the server was closed by `close()`.
   * @throws {InvalidStateError} If the server is closed or already serving forever.
   * @throws {CancelledError} If cancelled (after closing the server).
   */
  async serveForever(): Promise<void> {
    if (this.#state !== SERVING) {
      throw new InvalidStateError("Cannot serve forever: the server is closed");
    }
    if (this.#serving) {
      throw new InvalidStateError(
        "Cannot serve forever: serveForever() is already running",
      );
    }
    this.#serving = true;
    try {
      await waitPromise(this.#closed, currentScope(), "stream");
    } catch (error) {
      this.close();
      await this.#closed;
      throw error;
    } finally {
      this.#serving = false;
    }
  }

  /** Closes the server (`close()`) and waits until it is closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#closed;
  }

  /** @internal Starts the server's task in the caller's scope. */
  _start(): void {
    const body = (): Promise<void> =>
      taskGroup(
        { supervise: true, name: "Server" },
        (tg) => this.#acceptLoop(tg),
      );
    const nursery = nearestNursery(currentScope());
    let task: Task<void>;
    if (nursery !== undefined) {
      // Shielded: a cancellation of the owner closes the server gracefully
      // (through the hook) instead of cancelling every handler at once.
      task = nursery.spawn(body, "Server", true);
      const owner = nursery.scope;
      if (owner.cancelled) {
        this.close();
      } else {
        const unhook = owner.onCancel(() => this.close());
        task.addDoneCallback(() => unhook());
      }
    } else {
      // Outside run() and any group: the server is a scope of its own.
      const root = new Scope(undefined, undefined, "Server");
      task = new Nursery(root, () => {}).spawn(body, "Server");
    }
    task.addDoneCallback(() => {
      this.#state = CLOSED;
      this.#notifyClosing();
      if (this.#graceTimer !== undefined) cancelTimer(this.#graceTimer);
      if (this.#hardTimer !== undefined) cancelTimer(this.#hardTimer);
      this.#graceTimer = this.#hardTimer = undefined;
      try {
        this.#listener.close();
      } catch {
        // Closed by close().
      }
      if (nursery === undefined && task._state() === FutureState.REJECTED) {
        task._markRetrieved();
        this.#report(task._value(), "Server failed", undefined);
      }
      try {
        this.#settings.cleanup?.();
      } catch (error) {
        this.#report(error, "Error cleaning up the server", undefined);
      }
      this.#resolveClosed();
    });
  }

  // Aborts `closing` (its listeners run now, as any AbortSignal's do).
  #notifyClosing(): void {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort("server closing");
  }

  async #acceptLoop(tg: TaskGroup): Promise<void> {
    this.#group = tg;
    if (this.#forced) tg.cancel("server closed");
    const listener = this.#listener;
    const max = this.#settings.maxConnections;
    while (this.#state === SERVING) {
      if (this.#live.size >= max) {
        await this.#pause(undefined);
        continue;
      }
      let conn: Deno.Conn;
      try {
        conn = await this.#accept(listener);
      } catch (error) {
        if (this.#state !== SERVING) break;
        if (isLocalClose(error)) {
          this.close();
          break;
        }
        // Out of file descriptors and the like: report, back off, go on.
        this.#report(error, "Error accepting a connection", undefined);
        await this.#pause(ACCEPT_RETRY_MS);
        continue;
      }
      if (this.#state !== SERVING) {
        conn.close();
        break;
      }
      this.#open(tg, conn);
    }
  }

  // Accepts the next connection, as a wait the task tree sees. A
  // cancellation (the server's scope, after close() closed the listener)
  // leaves the accept to fail; a connection it still returns is closed.
  #accept(listener: Deno.Listener<Deno.Conn, A>): Promise<Deno.Conn> {
    const accepting = listener.accept();
    return waitPromise(accepting, currentScope(), "stream", () => {
      accepting.then((late) => late.close(), () => {});
    });
  }

  // Waits until a connection ends, the server closes, or `ms` pass.
  #pause(ms: number | undefined): Promise<void> {
    return suspend(new PauseWait(this, ms), currentScope(), "stream");
  }

  #open(tg: TaskGroup, conn: Deno.Conn): void {
    const settings = this.#settings;
    const activity = settings.idleTimeoutMs === undefined
      ? undefined
      : new Activity();
    const reader = new StreamReader({ limit: settings.limit });
    const writer = new StreamWriter(
      conn,
      reader,
      settings.highWaterMark,
      activity,
    );
    reader._attach(conn, activity);
    const live: Live = {
      reader,
      writer,
      activity,
      task: undefined,
      timer: undefined,
      idled: false,
    };
    this.#live.add(live);
    live.task = tg.createTask(() => this.#serve(live), { name: "connection" });
  }

  async #serve(live: Live): Promise<void> {
    const { reader, writer } = live;
    const idle = this.#settings.idleTimeoutMs;
    if (idle !== undefined) {
      live.timer = schedule(
        live.activity!.last + idle,
        () => this.#checkIdle(live, idle),
      );
    }
    try {
      await this.#handler(reader, writer);
    } catch (error) {
      if (!isCancelled(error)) {
        this.#report(error, "Exception in connection handler", writer);
      }
    }
    try {
      writer.close();
      const scope = currentScope();
      if (live.idled) {
        writer._abort();
      } else if (scope !== undefined && scope.cancelled) {
        // Forced: the last writes get a moment to leave, then the cut.
        const cut = schedule(now() + FINAL_FLUSH_MS, () => writer._abort());
        await writer._closed;
        cancelTimer(cut);
      } else {
        // Sends what the handler wrote; a forced close aborts the wait.
        await writer.waitClosed();
      }
    } catch {
      writer._abort();
    } finally {
      await writer._closed;
      if (live.timer !== undefined) cancelTimer(live.timer);
      live.timer = undefined;
      this.#live.delete(live);
      this.#wake?.();
    }
  }

  #checkIdle(live: Live, idle: number): void {
    const due = live.activity!.last + idle;
    if (now() < due) {
      reschedule(live.timer!, due);
      return;
    }
    live.timer = undefined;
    live.idled = true;
    live.task?.cancel("idle timeout");
    live.writer._abort();
  }

  #force(): void {
    if (this.#forced) return;
    this.#forced = true;
    this.#group?.cancel("server closed");
    // Handlers that ignore cancellation lose their sockets a little later,
    // so that their reads end and they can return.
    this.#hardTimer = schedule(now() + FINAL_FLUSH_MS, () => {
      this.#hardTimer = undefined;
      for (const live of this.#live) live.writer._abort();
    });
  }

  #report(
    error: unknown,
    message: string,
    writer: StreamWriter | undefined,
  ): void {
    const context: ServerErrorContext = { message };
    if (writer !== undefined) {
      context.peername = writer.getExtraInfo("peername");
      context.message += ` for ${context.peername}`;
    }
    try {
      this.#settings.onError(error, context);
    } catch (failure) {
      console.error("aio: Server onError failed:", failure, "for", error);
    }
  }
}

// ===========================================================================
// The accept loop's pause (a wait of its own).
// ===========================================================================

// The accept loop's pause: woken when a connection ends, the server
// closes, or `ms` pass.
class PauseWait extends Wait<void> {
  #timer: Timer | undefined;
  readonly #wakeUp = (): void => {
    this.disarm();
    this.wake();
  };

  constructor(
    readonly server: Server<Deno.Addr>,
    readonly ms: number | undefined,
  ) {
    super();
  }

  override arm(): void {
    setWake(this.server, this.#wakeUp);
    if (this.ms !== undefined) {
      this.#timer = schedule(now() + this.ms, this.#wakeUp);
    }
  }

  override disarm(): void {
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.#timer = undefined;
    setWake(this.server, undefined, this.#wakeUp);
  }
}

function defaultOnError(error: unknown, context: ServerErrorContext): void {
  console.error(`aio: ${context.message}:`, error);
}

// ===========================================================================
// startServer() and the option checks every server shares.
// ===========================================================================

/**
 * Starts a TCP server that runs `handler(reader, writer)` as a task for
 * every connection, and returns at once (it is already accepting). The
 * server is a task of the caller's scope: the enclosing task group (or
 * `run`) does not finish before it is closed, and cancelling that scope
 * closes it gracefully. The socket is closed when the handler returns,
 * after what it wrote was sent. Handlers' errors go to `onError`, and the
 * server serves on. With `tls: { cert, key }` it serves TLS.
 *
 * Mirrors `asyncio.start_server(client_connected_cb, host, port, ssl=…)`.
 *
 * @param handler Runs once per connection.
 * @param options `hostname` (default loopback), `port` (default any free),
 *   `backlog`, `tls`, `maxConnections`, `idleTimeoutMs`, `gracePeriodMs`,
 *   `limit`, `highWaterMark`, `onError`.
 * @returns The running server.
 * @throws {TypeError} If `handler` is not a function or an option has the wrong type.
 * @throws {RangeError} If a number option is out of range.
 * @throws {InvalidStateError} If the enclosing task group is shutting down.
 * @throws {Deno.errors.AddrInUse} Or another error from `Deno.listen`.
 *
 * @example
 * ```ts
 * import { openConnection, run, startServer } from "@seed/aio";
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     const data = await reader.read(100);
 *     console.log(`Received ${new TextDecoder().decode(data)} from ${writer.getExtraInfo("peername")}`);
 *     writer.write(data);
 *     await writer.drain();
 *     writer.close();
 *   }, { hostname: "127.0.0.1", port: 0 });
 *   console.log(`Serving on ${server.addr.hostname}:${server.addr.port}`);
 *
 *   const { reader, writer } = await openConnection(server.addr);
 *   writer.write("Hello World!");
 *   console.log(new TextDecoder().decode(await reader.read(100))); // "Hello World!"
 *   writer.close();
 * });
 * ```
 */
export function startServer(
  handler: ConnectionHandler,
  options?: ServerOptions,
): Promise<Server> {
  // Errors, bad arguments included, arrive as rejections.
  try {
    return Promise.resolve(listen(handler, options));
  } catch (error) {
    return Promise.reject(error);
  }
}

const BASE_OPTIONS = {
  maxConnections: "number",
  idleTimeoutMs: "number",
  gracePeriodMs: "number",
  limit: "number",
  highWaterMark: "number",
  onError: "function",
} as const;

const TCP_OPTIONS = {
  ...BASE_OPTIONS,
  hostname: "string",
  port: "number",
  backlog: "number",
  tls: "object",
} as const;

/**
 * @internal Validates the options every server takes; `spec` names all
 * the options the caller accepts.
 */
export function serverSettings(
  handler: unknown,
  options: BaseServerOptions | undefined,
  spec: Record<string, "number" | "string" | "function" | "object">,
  what: string,
): Settings {
  checkFunction(handler, what);
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `${what}: options must be an object, got ${show(options)}`,
    );
  }
  checkOptions(options, spec, what);
  const maxConnections = options.maxConnections === Infinity
    ? Infinity
    : checkSize(options.maxConnections, Infinity, what, "maxConnections");
  let idleTimeoutMs: number | undefined;
  if (options.idleTimeoutMs !== undefined) {
    idleTimeoutMs = checkDelay(options.idleTimeoutMs, `${what}: idleTimeoutMs`);
    if (idleTimeoutMs <= 0) {
      throw new RangeError(
        `${what}: idleTimeoutMs must be positive, got ${idleTimeoutMs}`,
      );
    }
    if (idleTimeoutMs === Infinity) idleTimeoutMs = undefined;
  }
  const gracePeriodMs = options.gracePeriodMs === undefined
    ? 1000
    : checkDelay(options.gracePeriodMs, `${what}: gracePeriodMs`);
  const limit = checkSize(options.limit, DEFAULT_LIMIT, what, "limit");
  const highWaterMark = checkSize(
    options.highWaterMark,
    DEFAULT_HIGH_WATER_MARK,
    what,
    "highWaterMark",
  );
  const onError = options.onError ?? defaultOnError;
  checkFunction(onError, `${what}: onError`);
  return {
    maxConnections,
    idleTimeoutMs,
    gracePeriodMs,
    limit,
    highWaterMark,
    onError,
  };
}

/**
 * @internal Throws if the caller's scope cannot start a server now
 * (cancelled, or its task group shutting down).
 */
export function checkCanStart(): void {
  const scope = currentScope();
  if (scope !== undefined && scope.cancelled) throw scope.deliver();
  const nursery = nearestNursery(scope);
  if (nursery !== undefined && nursery.aborting) {
    throw new InvalidStateError(
      "Cannot start a server: its task group is shutting down after a failure",
    );
  }
}

function listen(
  handler: ConnectionHandler,
  options: ServerOptions | undefined,
): Server {
  const what = "startServer()";
  const settings = serverSettings(handler, options, TCP_OPTIONS, what);
  options ??= {};
  const hostname = options.hostname ?? "127.0.0.1";
  const port = checkPort(options.port ?? 0, what, true);
  const backlog = options.backlog === undefined
    ? undefined
    : checkSize(options.backlog, 0, what, "backlog");
  const tls = options.tls;
  if (tls !== undefined) {
    if (typeof tls.cert !== "string" || typeof tls.key !== "string") {
      throw new TypeError(
        `${what}: tls must be { cert, key } with PEM strings, got ${show(tls)}`,
      );
    }
  }
  checkCanStart();
  const listenOptions = {
    hostname,
    port,
    transport: "tcp" as const,
    ...(backlog === undefined ? {} : { tcpBacklog: backlog }),
  };
  const listener: Deno.Listener<Deno.Conn, Deno.NetAddr> = tls === undefined
    ? Deno.listen(listenOptions)
    : Deno.listenTls({ ...listenOptions, cert: tls.cert, key: tls.key });
  const server = new Server(listener, handler, settings);
  server._start();
  return server;
}
