/**
 * The Redis server of the documentation's Redis examples. An example that talks to Redis
 * reads its URL as a program would, from `process.env.REDIS_URL` (falling back to a local
 * Redis): the test starts a private redis-server (test/redis/server.ts, the Redis tests'
 * own) once for the file, points REDIS_URL at it while the examples run, and checks after
 * each that it closed its connections and left no data. Where redis-server is not
 * installed, those examples are skipped with the reason printed (and how to install it);
 * with ASYNCIO_TS_REQUIRE_ALL=1 (CI) that is a failure.
 *
 * @module
 */
import { createClient } from "@redis/client";
import { RedisServer, redisAvailable } from "../redis/server.js";
import type { WrappedBlock } from "./blocks.js";

/** Whether a block talks to Redis: it reads `process.env.REDIS_URL`. */
export function usesRedis(w: WrappedBlock): boolean {
  return /\bprocess\.env\.REDIS_URL\b/.test(w.text);
}

interface Admin {
  sendCommand(args: string[]): Promise<unknown>;
  close(): Promise<unknown>;
}

/** The server the examples talk to, while they run. */
export class ExampleRedis {
  private server: RedisServer | null = null;
  private admin: Admin | null = null;
  private adminId = "";
  private saved: string | undefined;

  /**
   * Whether the examples that use Redis can run here (prints why not; throws under
   * ASYNCIO_TS_REQUIRE_ALL=1). Asked only when there are such examples.
   */
  static available(): boolean {
    return redisAvailable("test/doc_examples.test.ts (the examples of asyncio-ts/redis)");
  }

  /** Starts redis-server and points REDIS_URL at it. */
  async start(): Promise<void> {
    this.saved = process.env.REDIS_URL;
    const server = new RedisServer();
    this.server = server;
    await server.start();
    const admin = createClient({ url: server.url, commandOptions: { timeout: 0 } });
    admin.on("error", () => {});
    await admin.connect();
    this.admin = admin as unknown as Admin;
    this.adminId = String(await this.admin.sendCommand(["CLIENT", "ID"]));
    process.env.REDIS_URL = server.url;
  }

  /** Connections already reported as left open: not counted against later examples. */
  private readonly reported = new Set<string>();

  /** The connections to the server other than this fixture's own and those reported. */
  private async others(admin: Admin): Promise<string[]> {
    const list = String(await admin.sendCommand(["CLIENT", "LIST"]));
    return list
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .filter((line) => {
        const id = /^id=(\d+) /.exec(line)?.[1] ?? "";
        return id !== this.adminId && !this.reported.has(id);
      });
  }

  /**
   * Checks that an example closed its connections (waiting, on the server's client list
   * looked at every 20 ms, for those it closed to be gone, at most `limitMs`: a limit that
   * only catches a queue never closed) and left no data in Redis: `destroy()` leaves of a
   * queue only its empty stream (and consumer group), which its other processes would find.
   * What it reports is then forgotten (the data deleted), so the next example starts clean.
   */
  async expectClean(limitMs = 5000): Promise<void> {
    const admin = this.admin;
    if (admin === null) throw new Error("the examples' redis-server is not running");
    const problems: string[] = [];
    const until = Date.now() + limitMs;
    for (;;) {
      const open = await this.others(admin);
      if (open.length === 0) break;
      if (Date.now() > until) {
        for (const line of open) this.reported.add(/^id=(\d+) /.exec(line)?.[1] ?? "");
        problems.push(`${open.length} connection(s) open (close its queue):\n${open.join("\n")}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const left: string[] = [];
    for (const key of (await admin.sendCommand(["KEYS", "*"])) as string[]) {
      const type = String(await admin.sendCommand(["TYPE", key]));
      if (type === "stream" && key.endsWith(":items")) {
        const length = Number(await admin.sendCommand(["XLEN", key]));
        if (length === 0) continue;
        left.push(`${key} (${length} items)`);
      } else left.push(`${key} (${type})`);
    }
    if (left.length > 0) {
      await admin.sendCommand(["FLUSHALL"]);
      problems.push(`data in Redis (destroy its queue): ${left.join(", ")}`);
    }
    if (problems.length > 0) throw new Error(`the example left ${problems.join("; and ")}`);
  }

  /** Stops the server (if started) and restores REDIS_URL. */
  async stop(): Promise<void> {
    if (this.server === null) return;
    if (this.saved === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = this.saved;
    await this.admin?.close().catch(() => {});
    this.admin = null;
    await this.server?.stop();
    this.server = null;
  }
}
