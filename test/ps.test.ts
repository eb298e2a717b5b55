/**
 * `asyncio-ts ps PID` / `pstree PID` against child processes with a known set of tasks
 * (test/fixtures/ps_target.mjs): names, coroutine stacks, a TaskGroup, an await cycle;
 * the inspector closed afterwards (or left open when it was open before); clear refusals.
 * The in-process formatters on the virtual-time loop.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

vi.setConfig({ testTimeout: 120_000 });

const root = fileURLToPath(new URL("..", import.meta.url));
const cliMain = join(root, "dist/src/cli/main.js");
const target = join(root, "test/fixtures/ps_target.mjs");

/** Whether Node's default inspector port is free: SIGUSR1 opens the inspector there. */
async function defaultPortFree(): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(9229, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

interface Child {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the next stdout line that matches. */
  line(re: RegExp): Promise<string>;
}

function start(args: string[], nodeFlags: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeFlags, ...args], { cwd: root });
  children.push(child);
  let out = "";
  const waiters: { re: RegExp; resolve: (s: string) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const lines = out.split("\n");
      const hit = lines.find((l) => w.re.test(l));
      if (hit !== undefined) {
        out = lines.slice(lines.indexOf(hit) + 1).join("\n");
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  };
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    check();
  });
  child.stderr.on("data", () => {});
  return {
    child,
    line: (re) =>
      new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        child.once("exit", (code) => reject(new Error(`child exited (${code}) before ${re}`)));
        check();
      }),
  };
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliMain, ...args], {
    cwd: root,
    env: { ...process.env, ASYNCIO_TS_PS_TIMEOUT: "5" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

async function startTarget(mode: string[] = [], nodeFlags: string[] = []): Promise<Child> {
  // A process started without any flag — unless something else holds port 9229, which
  // SIGUSR1 would open; then the inspector is pointed at a free port instead.
  const flags = (await defaultPortFree()) ? nodeFlags : ["--inspect-port=0", ...nodeFlags];
  const c = start([target, ...mode], flags);
  await c.line(/^READY \d+/);
  return c;
}

async function inspectorState(c: Child): Promise<string> {
  c.child.stdin.write("inspector?\n");
  return c.line(/^inspector (open|closed)$/);
}

describe("asyncio-ts ps / pstree PID", () => {
  it("ps lists the tasks: names, stacks, what they wait on, the TaskGroup's parent, the cycle", async () => {
    const c = await startTarget();
    const { code, stdout, stderr } = await cli(["ps", String(c.child.pid)]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const rows = stdout.split("\n");
    expect(rows[0]).toMatch(
      /^task id +task name +coroutine stack \(innermost first\) +waiting on +awaited by$/,
    );
    const row = (name: string) => rows.find((r) => r.split(/\s{2,}/)[1] === name) ?? "";
    expect(row("worker-1")).toMatch(/waitForGo, worker +Future\(id=0x[0-9a-f]+\) +Task-1 \(0x1\)$/);
    expect(row("worker-2")).toMatch(/waitForGo, worker .*Task-1 \(0x1\)$/);
    expect(row("sleeper")).toMatch(/sleeper +sleep until t=/);
    expect(row("cycle-a")).toMatch(/cycleA +Task\(name='cycle-b'/);
    expect(stdout).toMatch(
      /cycle: cycle-a \(0x[0-9a-f]+\) awaits cycle-b \(0x[0-9a-f]+\) awaits cycle-a/,
    );
    // The inspector that ps opened is closed again.
    expect(await inspectorState(c)).toBe("inspector closed");
  });

  it("pstree refuses a tree with an await cycle (exit 1), and draws one without", async () => {
    const withCycle = await startTarget();
    const cyc = await cli(["pstree", String(withCycle.child.pid)]);
    expect(cyc.code).toBe(1);
    expect(cyc.stdout).toMatch(/^ERROR: the await graph contains cycles: cannot print a tree!/);
    withCycle.child.kill("SIGKILL");

    const c = await startTarget(["--no-cycle"]);
    const { code, stdout } = await cli(["pstree", String(c.child.pid)]);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n")).toEqual([
      "├── (T) Task-1",
      "│   └──  main",
      "│       ├── (T) worker-1",
      "│       │   └──  worker",
      "│       │       └──  waitForGo",
      "│       └── (T) worker-2",
      "│           └──  worker",
      "│               └──  waitForGo",
      "└── (T) sleeper",
      "    └──  sleeper",
    ]);
    expect(await inspectorState(c)).toBe("inspector closed");
  });

  it("ps again and again: the process survives each opening and closing of its inspector", async () => {
    // Closing the inspector from the ps side while the process closes it crashed Node 20
    // now and then (SIGSEGV, about one ps in thirty on a loaded machine).
    const c = await startTarget();
    let exited: string | null = null;
    c.child.once("exit", (code, signal) => {
      exited = `code ${code}, signal ${signal}`;
    });
    for (let i = 0; i < 8; i++) {
      const { code, stdout } = await cli(["ps", String(c.child.pid)]);
      expect({ round: i, code, exited }).toEqual({ round: i, code: 0, exited: null });
      expect(stdout).toContain("worker-1");
      expect(await inspectorState(c)).toBe("inspector closed");
    }
  });

  it("leaves an inspector that was already open open", async () => {
    const c = await startTarget([], ["--inspect=127.0.0.1:0"]);
    expect(await inspectorState(c)).toBe("inspector open");
    const { code, stdout } = await cli(["ps", String(c.child.pid)]);
    expect(code).toBe(0);
    expect(stdout).toContain("worker-1");
    expect(await inspectorState(c)).toBe("inspector open");
  });

  it("refuses a Node process without asyncio-ts, and one with no loop running", async () => {
    const flags = (await defaultPortFree()) ? [] : ["--inspect-port=0"];
    const plain = start(["-e", "console.log('READY'); setInterval(() => {}, 1000)"], flags);
    await plain.line(/^READY/);
    const r1 = await cli(["ps", String(plain.child.pid)]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/has not loaded asyncio-ts/);

    const idle = start(
      [
        "--input-type=module",
        "-e",
        `await import(${JSON.stringify(join(root, "dist/src/index.js"))}); console.log("READY"); setInterval(() => {}, 1000);`,
      ],
      flags,
    );
    await idle.line(/^READY/);
    const r2 = await cli(["pstree", String(idle.child.pid)]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/asyncio-ts is loaded, but no event loop is running/);
  });

  it("refuses clearly when the process cannot open its inspector (its port is taken)", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const c = start([target], [`--inspect-port=${port}`]);
      await c.line(/^READY/);
      const { code, stderr } = await cli(["ps", String(c.child.pid)]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/did not open its inspector after SIGUSR1 within 5 s/);
    } finally {
      blocker.close();
    }
  });

  it("refuses a missing process and a bad PID", async () => {
    const gone = await cli(["ps", "2147483646"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no process with id 2147483646/);
    const bad = await cli(["pstree", "abc"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/PID must be a positive integer: received 'abc'/);
    const none = await cli(["ps"]);
    expect(none.code).toBe(2);
  });
});

describe("formatTaskTable / formatTaskTree in-process", () => {
  it("show the tasks of the running loop, and refuse without one", async () => {
    const worker = asyncio.coroutine(function* worker() {
      yield* asyncio.sleep(10);
    });
    function* main(): asyncio.Coroutine<[string, string]> {
      asyncio.currentTask()?.setName("main");
      const t = asyncio.createTask(worker(), { name: "w" });
      yield* asyncio.sleep(0);
      const out: [string, string] = [asyncio.formatTaskTable(), asyncio.formatTaskTree()];
      t.cancel();
      return out;
    }
    const { result } = await runVirtual(main());
    expect(result[0]).toMatch(/\n0x[0-9a-f]+ +w +worker +sleep until t=10\.000/);
    expect(result[1]).toContain("└── (T) w\n    └──  worker");
    expect(() => asyncio.formatTaskTable()).toThrow(/formatTaskTable\(\): no running event loop/);
    expect(() => asyncio.formatTaskTree({ loop: 3 as never })).toThrow(
      /'loop' must be an asyncio event loop: received 3/,
    );
  });
});
