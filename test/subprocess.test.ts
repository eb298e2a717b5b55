import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import {
  createSubprocessExec,
  createSubprocessShell,
  DEVNULL,
  PIPE,
  type Process,
  STDOUT,
} from "../src/io/subprocess.js";
import { runTest } from "../src/testing/index.js";
import { runVirtualBare } from "./helpers.js";

const NODE = process.execPath;

/**
 * Runs `main` through asyncio-ts/testing's harness with every check on: a test that
 * leaves a child not waited for, a task pending or a pipe open fails, naming it.
 * (Children are real I/O, so the deadlock watchdog is off.)
 */
async function run<T>(main: asyncio.Coroutine<T>): Promise<T> {
  return (await runTest(() => main, { deadlockAfter: Number.POSITIVE_INFINITY })).result;
}

/** The pids of this process's children (zombies included). */
function children(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function* cancelAndWait(task: asyncio.Task<unknown>): asyncio.Coroutine<boolean> {
  task.cancel();
  try {
    yield* task;
    return false;
  } catch (e) {
    return e instanceof asyncio.CancelledError;
  }
}

describe("createSubprocessExec", () => {
  it("reads stdout lines as they come; returncode is null until the child exits", async () => {
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessExec(
          NODE,
          "-e",
          "console.log('one'); console.log('two')",
          {
            stdout: PIPE,
          },
        );
        const during = proc.returncode;
        const stdout = proc.stdout as asyncio.StreamReader;
        const lines: string[] = [];
        for (
          let line = yield* stdout.readline();
          line.length > 0;
          line = yield* stdout.readline()
        ) {
          lines.push(line.toString());
        }
        const code = yield* proc.wait();
        return {
          during,
          lines,
          code,
          after: proc.returncode,
          stdin: proc.stdin,
          stderr: proc.stderr,
        };
      })(),
    );
    expect(r).toEqual({
      during: null,
      lines: ["one\n", "two\n"],
      code: 0,
      after: 0,
      stdin: null,
      stderr: null,
    });
  });

  it("communicate() feeds stdin and collects large stdout and stderr together", async () => {
    const script = `
      let n = 0;
      process.stdin.on("data", (c) => { n += c.length; });
      process.stdin.on("end", () => {
        process.stderr.write("e".repeat(1 << 20));
        process.stdout.write("o".repeat(5 << 20) + n);
      });`;
    const input = new Uint8Array(3 << 20).fill(120);
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessExec(NODE, "-e", script, {
          stdin: PIPE,
          stdout: PIPE,
          stderr: PIPE,
        });
        const [out, err] = yield* proc.communicate(input);
        return {
          out: out?.length,
          tail: out?.subarray(5 << 20).toString(),
          err: err?.length,
          code: proc.returncode,
        };
      })(),
    );
    expect(r).toEqual({
      out: (5 << 20) + String(3 << 20).length,
      tail: String(3 << 20),
      err: 1 << 20,
      code: 0,
    });
  });

  it("communicate() ignores a child that exits without reading its input", async () => {
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessExec(NODE, "-e", "process.exit(4)", { stdin: PIPE });
        const res = yield* proc.communicate(new Uint8Array(4 << 20));
        return { res, code: proc.returncode };
      })(),
    );
    expect(r).toEqual({ res: [null, null], code: 4 });
  });

  it("stderr: STDOUT merges both streams into one pipe and keeps the pid", async () => {
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessExec("/bin/sh", "-c", "echo $$; echo err >&2", {
          stdout: PIPE,
          stderr: STDOUT,
        });
        const [out, err] = yield* proc.communicate();
        return { pid: proc.pid, out: out?.toString(), err };
      })(),
    );
    expect(r.out).toBe(`${r.pid}\nerr\n`);
    expect(r.err).toBeNull();
  });

  it("keeps the output of a child that exits before anyone reads it", async () => {
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessExec("/bin/sh", "-c", "echo fast; echo err >&2", {
          stdout: PIPE,
          stderr: PIPE,
        });
        const code = yield* proc.wait();
        const out = yield* (proc.stdout as asyncio.StreamReader).read();
        const err = yield* (proc.stderr as asyncio.StreamReader).read();
        return { code, out: out.toString(), err: err.toString() };
      })(),
    );
    expect(r).toEqual({ code: 0, out: "fast\n", err: "err\n" });
  });

  it("DEVNULL gives no stream", async () => {
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessExec(NODE, "-e", "console.log('lost')", {
          stdout: DEVNULL,
          stderr: DEVNULL,
        });
        return {
          streams: [proc.stdin, proc.stdout, proc.stderr],
          res: yield* proc.communicate(),
          code: proc.returncode,
        };
      })(),
    );
    expect(r).toEqual({ streams: [null, null, null], res: [null, null], code: 0 });
  });

  it("stdin is a StreamWriter with drain and close", async () => {
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
        const stdin = proc.stdin as asyncio.StreamWriter;
        const stdout = proc.stdout as asyncio.StreamReader;
        stdin.write(Buffer.from("ping\n"));
        yield* stdin.drain();
        const echoed = (yield* stdout.readline()).toString();
        stdin.close();
        yield* stdin.waitClosed();
        const rest = yield* stdout.read();
        return { echoed, rest: rest.length, code: yield* proc.wait() };
      })(),
    );
    expect(r).toEqual({ echoed: "ping\n", rest: 0, code: 0 });
  });

  it("reports a missing program with Node's ENOENT error, leaving no child", async () => {
    const before = children().length;
    const err = await run(
      (function* () {
        try {
          yield* createSubprocessExec("/nonexistent/program");
        } catch (e) {
          return e as NodeJS.ErrnoException;
        }
      })(),
    );
    expect(err?.code).toBe("ENOENT");
    expect(children().length).toBe(before);
  });

  it("throws at the call for bad arguments", async () => {
    await run(
      (function* () {
        expect(() => createSubprocessExec(42 as never)).toThrow(/'program'/);
        expect(() => createSubprocessExec("ls", 1 as never)).toThrow(/'args\[0\]'/);
        expect(() => createSubprocessExec("ls", { stdout: 7.5 })).toThrow(RangeError);
        expect(() => createSubprocessExec("ls", { stdin: STDOUT })).toThrow(/'stdin'/);
        expect(() => createSubprocessShell(null as never)).toThrow(/'cmd'/);
        expect(() => createSubprocessShell("a\0b")).toThrow(/NUL/);
        expect(() => createSubprocessExec("ls", { limit: 0 })).toThrow(/'limit'/);
        const proc = yield* createSubprocessExec(NODE, "-e", "", {});
        expect(() => proc.communicate("x").next()).toThrow(/stdin is not a PIPE/);
        expect(() => proc.sendSignal("SIGNOPE" as never)).toThrow(RangeError);
        yield* proc.wait();
      })(),
    );
  });
});

describe("createSubprocessShell", () => {
  it("runs a pipeline through /bin/sh and reports its exit status", async () => {
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessShell("echo hello | tr a-z A-Z; exit 3", {
          stdout: PIPE,
        });
        const [out] = yield* proc.communicate();
        return { out: out?.toString(), code: proc.returncode };
      })(),
    );
    expect(r).toEqual({ out: "HELLO\n", code: 3 });
  });
});

describe("signals to the child", () => {
  it("terminate() and kill() give -15 and -9; signalling an exited child does nothing", async () => {
    const r = await run(
      (function* () {
        const codes: number[] = [];
        for (const how of ["terminate", "kill"] as const) {
          const proc = yield* createSubprocessExec(
            NODE,
            "-e",
            "setInterval(() => {}, 1000); console.log('up')",
            {
              stdout: PIPE,
            },
          );
          yield* (proc.stdout as asyncio.StreamReader).readline();
          proc[how]();
          codes.push(yield* proc.wait());
          proc.kill();
        }
        const custom = yield* createSubprocessExec(
          NODE,
          "-e",
          "process.on('SIGUSR1', () => { console.log('usr1'); process.exit(7); }); console.log('ready'); setInterval(() => {}, 1000)",
          { stdout: PIPE },
        );
        yield* (custom.stdout as asyncio.StreamReader).readline();
        custom.sendSignal("SIGUSR1");
        const [out] = yield* custom.communicate();
        codes.push(custom.returncode as number);
        return { codes, out: out?.toString() };
      })(),
    );
    expect(r).toEqual({ codes: [-15, -9, 7], out: "usr1\n" });
  });
});

describe("cancellation", () => {
  it("cancelling wait() kills nothing: the child runs on until we kill it; then no zombie", async () => {
    const before = children();
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessExec(NODE, "-e", "setInterval(() => {}, 1000)");
        const waiter = asyncio.createTask(proc.wait());
        yield* asyncio.sleep(0);
        const cancelled = yield* cancelAndWait(waiter);
        const stillRunning = alive(proc.pid) && proc.returncode === null;
        proc.kill();
        const code = yield* proc.wait();
        return { cancelled, stillRunning, code, pid: proc.pid };
      })(),
    );
    expect(r).toMatchObject({ cancelled: true, stillRunning: true, code: -9 });
    expect(alive(r.pid)).toBe(false);
    expect(children()).toEqual(before);
  });

  it("cancelling communicate() leaves the child running; it can still be waited for", async () => {
    const r = await run(
      (function* () {
        const proc = yield* createSubprocessExec(
          NODE,
          "-e",
          "console.log('partial'); setInterval(() => {}, 1000)",
          {
            stdout: PIPE,
          },
        );
        const comm = asyncio.createTask(proc.communicate());
        yield* asyncio.sleep(0);
        const cancelled = yield* cancelAndWait(comm);
        const running = proc.returncode === null && alive(proc.pid);
        proc.terminate();
        return { cancelled, running, code: yield* proc.wait() };
      })(),
    );
    expect(r).toEqual({ cancelled: true, running: true, code: -15 });
  });

  it("cancelling the start kills and reaps the child: no process and no descriptor left", async () => {
    const before = children();
    const fds = readdirSync("/proc/self/fd").length;
    const r = await run(
      (function* () {
        let cancelled = 0;
        for (let i = 0; i < 5; i++) {
          const starting = asyncio.createTask(
            createSubprocessExec(NODE, "-e", "setInterval(() => {}, 1000)", {
              stdin: PIPE,
              stdout: PIPE,
              stderr: PIPE,
            }),
          );
          yield* asyncio.sleep(0);
          if (yield* cancelAndWait(starting)) cancelled++;
        }
        return cancelled;
      })(),
    );
    expect(r).toBe(5);
    expect(children()).toEqual(before);
    expect(readdirSync("/proc/self/fd").length).toBeLessThanOrEqual(fds);
  });

  it("leaks no descriptor over many runs", async () => {
    const fds = readdirSync("/proc/self/fd").length;
    await run(
      (function* () {
        for (let i = 0; i < 20; i++) {
          const proc = yield* createSubprocessExec("cat", {
            stdin: PIPE,
            stdout: PIPE,
            stderr: PIPE,
          });
          const [out] = yield* proc.communicate(`line ${i}\n`);
          expect(out?.toString()).toBe(`line ${i}\n`);
        }
      })(),
    );
    expect(readdirSync("/proc/self/fd").length).toBeLessThanOrEqual(fds);
  });

  it("a child still running when the loop closes is killed and reported", async () => {
    let proc: Process | null = null;
    // Straight through asyncio.run(): the testing harness would kill the child itself
    // before the loop closes (see testing_leaks.test.ts).
    const { reports } = await runVirtualBare(
      (function* () {
        proc = yield* createSubprocessExec(NODE, "-e", "setInterval(() => {}, 1000)");
      })(),
      { allowReports: true },
    );
    const p = proc as unknown as Process;
    expect(reports.map((c) => c.message)).toEqual([
      `subprocess ${p.pid} was still running when its event loop closed: it was killed`,
    ]);
    expect(await p._exited).toBe(-9);
    expect(alive(p.pid)).toBe(false);
  });
});
