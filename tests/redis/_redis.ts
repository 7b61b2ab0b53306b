// Real Redis servers and real worker processes for the Redis tests and the
// benchmark: each test starts its own redis-server on a free loopback port
// with a temporary directory, and stops it by PID.

import { denoFlags } from "../_helpers.ts";

/** Why the Redis tests cannot run here, or undefined if they can. */
export const redisMissing: string | undefined = await (async () => {
  try {
    const { success } = await new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success ? undefined : "redis-server --version failed";
  } catch (error) {
    return `redis-server is not installed (${
      (error as Error).message
    }); .ci/run installs it with apt-get`;
  }
})();

if (redisMissing !== undefined) {
  console.error(`SKIPPING the Redis tests: ${redisMissing}`);
}

/** A free loopback port (bound, then released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** One redis-server process. */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly aof: boolean;
  #child: Deno.ChildProcess | undefined;

  private constructor(port: number, dir: string, aof: boolean) {
    this.port = port;
    this.dir = dir;
    this.aof = aof;
  }

  /** Starts a server and waits for PONG. */
  static async start(options: { aof?: boolean } = {}): Promise<RedisServer> {
    const dir = await Deno.makeTempDir({ prefix: "aio_redis_" });
    const server = new RedisServer(freePort(), dir, options.aof ?? false);
    await server.#spawn();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.#child!.pid;
  }

  async #spawn(): Promise<void> {
    this.#child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--save",
        "",
        "--appendonly",
        this.aof ? "yes" : "no",
        "--appendfsync",
        "always",
        "--protected-mode",
        "no",
        "--logfile",
        `${this.dir}/redis.log`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await ping(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`redis-server on port ${this.port} did not answer PING`);
  }

  /** SIGKILLs the server (no shutdown save) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  }

  /** Starts it again on the same port and directory. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn();
  }

  /** Stops it by PID and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Whether a PING on `port` answers +PONG. */
export async function ping(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    return n !== null &&
      new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

/** The workers' module root in these tests. */
export const ROOT: URL = new URL("./fixtures/", import.meta.url);
/** The jobs module. */
export const JOBS: URL = new URL("jobs.ts", ROOT);
const WORKER = new URL("../../lib/redis/worker.ts", import.meta.url);

/** One worker process (lib/redis/worker.ts). */
export class WorkerProcess {
  readonly child: Deno.ChildProcess;
  readonly output: Promise<string>;
  #stopped = false;

  private constructor(child: Deno.ChildProcess, output: Promise<string>) {
    this.child = child;
    this.output = output;
  }

  /** Starts a worker and waits for its ready line. */
  static async start(
    url: string,
    queue: string,
    extra: string[] = [],
  ): Promise<WorkerProcess> {
    const flags = denoFlags();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "-A",
        ...flags,
        WORKER.href,
        "--redis",
        url,
        "--queue",
        queue,
        "--root",
        ROOT.href,
        ...flags.map((flag) => `--deno-arg=${flag}`),
        ...extra,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const readyPromise = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    const output = (async () => {
      let text = "";
      const decoder = new TextDecoder();
      for await (const chunk of child.stdout) {
        text += decoder.decode(chunk, { stream: true });
        if (text.includes("aio redis worker ready")) ready();
      }
      failed(new Error(`worker exited before its ready line: ${text}`));
      return text;
    })();
    const worker = new WorkerProcess(child, output);
    const timer = setTimeout(
      () => failed(new Error("worker not ready in 30 s")),
      30_000,
    );
    try {
      await readyPromise;
    } catch (error) {
      await worker.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return worker;
  }

  get pid(): number {
    return this.child.pid;
  }

  /** SIGTERM, then the exit status. */
  async stop(): Promise<Deno.CommandStatus> {
    if (!this.#stopped) {
      this.#stopped = true;
      try {
        this.child.kill("SIGTERM");
      } catch { /* gone */ }
    }
    const status = await this.child.status;
    await this.output;
    return status;
  }

  /** SIGKILL, then the exit status. */
  async kill(): Promise<Deno.CommandStatus> {
    this.#stopped = true;
    try {
      this.child.kill("SIGKILL");
    } catch { /* gone */ }
    const status = await this.child.status;
    await this.output;
    return status;
  }
}

/** Whether a process is alive (Linux: /proc). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // A zombie (Z) is dead for our purposes.
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** Waits until `check()` is true, polling; fails after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The pids a marker file holds (one line per job start). */
export function markerPids(path: string): number[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter(Boolean).map(
      Number,
    );
  } catch {
    return [];
  }
}
