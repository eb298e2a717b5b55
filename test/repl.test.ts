/**
 * The REPL where a newcomer trips: Ctrl-C ends a coroutine stuck in a busy loop (piped
 * input with SIGINT, and a pseudo-terminal with the Ctrl-C key), `yield*` at the prompt
 * says to write `await`, and `asyncio.run()` at the prompt fails once, saying what to
 * write instead. Driven as a user drives it: the built command in a child process.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";

vi.setConfig({ testTimeout: 120_000 });

const root = fileURLToPath(new URL("..", import.meta.url));
const main = join(root, "dist/src/cli/main.js");
const env = { ...process.env, ASYNCIO_TS_REPL_HISTORY: "", NO_COLOR: "1" };

/** A running REPL's output, with a wait for a pattern woken by each chunk (no polling). */
class Repl {
  out = "";
  readonly exited: Promise<number | null>;
  private ended = false;
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    const take = (d: Buffer): void => {
      this.out += d.toString();
      this.wake();
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    this.exited = new Promise((resolve) =>
      child.on("exit", (code) => {
        this.ended = true;
        this.wake();
        resolve(code);
      }),
    );
  }

  /** Resolves when the output from `from` on matches; fails if the process ends first. */
  async expect(pattern: RegExp, from = 0): Promise<number> {
    const deadline = setTimeout(() => this.child.kill("SIGKILL"), 60_000);
    try {
      for (;;) {
        const m = pattern.exec(this.out.slice(from));
        if (m !== null) return from + m.index + m[0].length;
        if (this.ended) throw new Error(`exited while waiting for ${pattern}:\n${this.out}`);
        await new Promise<void>((wake) => this.waiters.push(wake));
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

const SPIN =
  "function* spin() { try { console.log('spinning'); for (;;) {} } finally { console.log('unreachable') } }";

describe("asyncio-ts repl: Ctrl-C and a busy coroutine", () => {
  it("SIGINT ends the busy step: KeyboardInterrupt, the loop and other tasks carry on", async () => {
    const r = new Repl(spawn(process.execPath, [main, "repl"], { cwd: root, env }));
    r.child.stdin?.write(`${SPIN}\n`);
    r.child.stdin?.write(`const bg = asyncio.createTask(asyncio.sleep(0.05, "bg done"))\n`);
    r.child.stdin?.write("await spin()\n");
    await r.expect(/spinning\n/);
    r.child.kill("SIGINT");
    const at = await r.expect(/KeyboardInterrupt: interrupted \(Ctrl-C\)/);
    r.child.stdin?.write("await bg\n");
    r.child.stdin?.write("'after ' + (1 + 1)\n");
    r.child.stdin?.end();
    await r.expect(/'bg done'[\s\S]*'after 2'/, at);
    expect(await r.exited).toBe(0);
    expect(r.out).not.toContain("unreachable");
  });

  it("Ctrl-C in a busy loop that prints: the interrupted write is finished, output goes on", async () => {
    // The signal most often lands inside console.log, after its bytes went out.
    const r = new Repl(spawn(process.execPath, [main, "repl"], { cwd: root, env }));
    r.child.stdin?.write("function* chatty() { for (let i = 0; ; i++) console.log('line', i) }\n");
    r.child.stdin?.write("await chatty()\n");
    await r.expect(/line 0\n/);
    r.child.kill("SIGINT");
    const at = await r.expect(/KeyboardInterrupt: interrupted \(Ctrl-C\)/);
    r.child.stdin?.end("'still ' + 'printing'\n");
    await r.expect(/'still printing'/, at);
    expect(await r.exited).toBe(0);
  });

  it("a busy background task at the prompt is ended and named", async () => {
    const r = new Repl(spawn(process.execPath, [main, "repl"], { cwd: root, env }));
    r.child.stdin?.write(`${SPIN}\n`);
    r.child.stdin?.write(`asyncio.createTask(spin(), { name: "spinner" }); 'created'\n`);
    await r.expect(/spinning\n/);
    r.child.kill("SIGINT");
    await r.expect(/KeyboardInterrupt: task spinner was interrupted/);
    r.child.stdin?.end("'alive'\n");
    await r.expect(/'alive'/);
    expect(await r.exited).toBe(0);
  });

  const hasScript = spawnSync("script", ["--version"]).status === 0;
  if (!hasScript && process.env.ASYNCIO_TS_REQUIRE_ALL === "1") {
    throw new Error("util-linux 'script' is required for the pseudo-terminal REPL test");
  }
  it.skipIf(!hasScript)(
    "in a terminal, the Ctrl-C key ends a busy await (the terminal leaves raw mode while a tick runs)",
    async () => {
      const command = `stty cols 200; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(main)} repl`;
      const r = new Repl(spawn("script", ["-qfec", command, "/dev/null"], { cwd: root, env }));
      await r.expect(/>>> /);
      r.child.stdin?.write(`${SPIN}\r`);
      r.child.stdin?.write("await spin()\r");
      const at = await r.expect(/spinning\r?\n/);
      r.child.stdin?.write("\x03");
      await r.expect(/KeyboardInterrupt/, at);
      r.child.stdin?.write("'still ' + 'here'\r");
      await r.expect(/'still here'/, at);
      r.child.stdin?.write(".exit\r");
      expect(await r.exited).toBe(0);
    },
  );
});

describe("asyncio-ts repl: a write cut off by Ctrl-C", () => {
  // A write ended inside its synchronous part, as V8 ends a tick: _write never returns.
  function cutOffSink(): { sink: Writable; written: string[] } {
    const written: string[] = [];
    let cut = true;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        written.push(chunk.toString());
        if (cut) {
          cut = false;
          throw new Error("ended here");
        }
        done();
      },
    });
    return { sink, written };
  }

  it("is finished as written, and the writes queued behind it go out", async () => {
    const { finishInterruptedWrite } = await import("../src/cli/repl_loop.js");
    const { sink, written } = cutOffSink();
    expect(() => sink.write("cut ")).toThrow("ended here");
    sink.write("queued ");
    expect(written).toEqual(["cut "]); // wedged: the rest waits behind the cut write
    expect(finishInterruptedWrite(sink)).toBe(true);
    sink.write("after");
    expect(written).toEqual(["cut ", "queued ", "after"]);
    expect(finishInterruptedWrite(sink)).toBe(false);
  });

  it("a stream that is not mid-write, or waits for the OS, is left alone", async () => {
    const { finishInterruptedWrite } = await import("../src/cli/repl_loop.js");
    let pending: (() => void) | null = null;
    const slow = new Writable({
      write(_chunk, _enc, done) {
        pending = () => done();
      },
    });
    expect(finishInterruptedWrite(slow)).toBe(false);
    slow.write("waiting");
    expect(finishInterruptedWrite(slow)).toBe(false); // its callback is still to come
    expect(pending).not.toBeNull();
    (pending as unknown as () => void)();
    expect(slow.writableLength).toBe(0);
  });
});

describe("asyncio-ts repl: slips at the prompt", () => {
  it("yield* says to write await; asyncio.run() fails once, saying what to write", async () => {
    const r = new Repl(spawn(process.execPath, [main, "repl"], { cwd: root, env }));
    r.child.stdin?.end(
      [
        "function* main() { throw new Error('boom') }",
        "yield* asyncio.sleep(0)",
        "asyncio.run(main())",
        "await main()",
        "'end'",
      ].join("\n"),
    );
    await r.expect(/'end'/);
    expect(await r.exited).toBe(0);
    expect(r.out).toContain(
      "yield is not defined: 'yield*' awaits only inside a function*; at the prompt, write 'await x'",
    );
    const runErrors = r.out.match(/asyncio\.run\(\) cannot be called from a running event loop/g);
    expect(runErrors).toHaveLength(1);
    expect(r.out).toContain("write 'await main()' instead of 'asyncio.run(main())'");
    expect(r.out.match(/Error: boom/g)).toHaveLength(1);
  });
});
