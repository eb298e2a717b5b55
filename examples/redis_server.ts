/**
 * Starts a private redis-server for the distributed examples and the tests: on a free
 * loopback port, in a temporary directory, with AOF on (`appendfsync always`, so a write
 * Redis acknowledged survives a crash of Redis), stopped afterwards.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where redis-server is, or null when it is not installed. */
export function findRedisServer(): string | null {
  const r = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const path = r.stdout.trim();
  return r.status === 0 && path !== "" ? path : null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server process of the tests. */
export class RedisServer {
  readonly dir: string;
  port = 0;
  private proc: ChildProcess | null = null;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "asyncio-ts-redis-"));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts it (again, on the same port and directory, after a stop or kill); `extra` are
   * more command-line options.
   */
  async start(extra: readonly string[] = []): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const bin = findRedisServer() ?? "redis-server";
    const proc = spawn(
      bin,
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--daemonize",
        "no",
        "--loglevel",
        "notice",
        ...extra,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        if (out.includes("Ready to accept connections")) {
          proc.stdout?.off("data", onData);
          proc.stdout?.resume();
          resolve();
        }
      };
      proc.stdout?.on("data", onData);
      proc.stderr?.resume();
      proc.once("exit", (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
    });
  }

  /** Kills it with SIGKILL (a crash) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (proc === null || proc.exitCode !== null) return;
    const gone = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill(signal);
    await gone;
  }

  /** Stops it and removes its directory. */
  async stop(): Promise<void> {
    await this.kill("SIGTERM");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
