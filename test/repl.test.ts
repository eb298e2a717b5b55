/**
 * The REPL where a newcomer trips: Ctrl-C ends a coroutine stuck in a busy loop (piped
 * input with SIGINT, and a pseudo-terminal with the Ctrl-C key), `yield*` at the prompt
 * says to write `await`, and `asyncio.run()` at the prompt fails once, saying what to
 * write instead. Driven as a user drives it: the built command in a child process.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import type { EventEmitter } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";

vi.setConfig({ testTimeout: 120_000 });

const root = fileURLToPath(new URL("..", import.meta.url));
const main = join(root, "dist/src/cli/main.js");
const env = { ...process.env, ASYNCIO_TS_REPL_HISTORY: "", NO_COLOR: "1" };

/** Every REPL a test started: one a failed test leaves running is killed after it. */
const started: ChildProcess[] = [];
afterEach(() => {
  // Killing `script` hangs up the pseudo-terminal, which ends the REPL inside it too.
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

/** A running REPL's output, with a wait for a pattern woken by each chunk (no polling). */
class Repl {
  out = "";
  readonly exited: Promise<number | null>;
  private ended = false;
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    started.push(child);
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
});

const hasScript = spawnSync("script", ["--version"]).status === 0;
if (!hasScript && process.env.ASYNCIO_TS_REQUIRE_ALL === "1") {
  throw new Error("util-linux 'script' is required for the pseudo-terminal REPL tests");
}

/** The REPL in a pseudo-terminal, and the path of that terminal. */
async function terminalRepl(path?: string): Promise<{ r: Repl; tty: string; at: number }> {
  const exec = path === undefined ? "exec" : `PATH=${path} exec`;
  const command = `stty cols 200; ${exec} ${JSON.stringify(process.execPath)} ${JSON.stringify(main)} repl`;
  const r = new Repl(spawn("script", ["-qfec", command, "/dev/null"], { cwd: root, env }));
  await r.expect(/>>> /);
  r.child.stdin?.write("'tty ' + require('node:fs').readlinkSync('/proc/self/fd/0')\r");
  const at = await r.expect(/'tty [^']+'/);
  const tty = /'tty ([^']+)'/.exec(r.out)?.[1] ?? "";
  return { r, tty, at };
}

/** Whether the terminal turns Ctrl-C into SIGINT now (`isig`), as `stty` reads it. */
function signalKeysOn(tty: string): boolean {
  const words = spawnSync("stty", ["-F", tty, "-a"])
    .stdout.toString()
    .split(/[\s;]+/);
  if (!words.includes("isig") && !words.includes("-isig")) {
    throw new Error(`stty -F ${tty} -a did not show isig: ${words.join(" ")}`);
  }
  return words.includes("isig");
}

/** Waits until the terminal's signal keys are on (a tick has run long), as a user would. */
async function untilSignalKeysOn(tty: string): Promise<void> {
  for (let i = 0; !signalKeysOn(tty); i++) {
    if (i > 3000) throw new Error(`${tty} never switched its signal keys on`);
    await new Promise((wake) => setTimeout(wake, 20));
  }
}

describe.skipIf(!hasScript)("asyncio-ts repl in a terminal: the Ctrl-C key", () => {
  it("ends a busy await once its tick has run a while; the terminal is raw again after", async () => {
    const { r, tty, at: ready } = await terminalRepl();
    expect(signalKeysOn(tty)).toBe(false);
    r.child.stdin?.write(`${SPIN}\r`);
    r.child.stdin?.write("await spin()\r");
    const at = await r.expect(/spinning\r?\n/, ready);
    await untilSignalKeysOn(tty);
    r.child.stdin?.write("\x03");
    const after = await r.expect(/KeyboardInterrupt: interrupted \(Ctrl-C\)/, at);
    r.child.stdin?.write("'still ' + 'here'\r");
    await r.expect(/'still here'/, after);
    expect(signalKeysOn(tty)).toBe(false);
    r.child.stdin?.write(".exit\r");
    expect(await r.exited).toBe(0);
    expect(r.out).not.toMatch(/\nunreachable\r?\n/); // only its echo: the frames are gone
  });

  it("without stty, the terminal leaves raw mode for every tick, and the key still ends a busy await", async () => {
    // (Whether the terminal is raw between ticks is not checked here: with a tick per
    // loop turn, a look can always land inside one.)
    const { r, tty, at: ticked } = await terminalRepl("/nonexistent");
    r.child.stdin?.write(`${SPIN}\r`);
    r.child.stdin?.write("await spin()\r");
    await r.expect(/spinning\r?\n/, ticked);
    await untilSignalKeysOn(tty);
    r.child.stdin?.write("\x03");
    const after = await r.expect(/KeyboardInterrupt: interrupted \(Ctrl-C\)/, ticked);
    r.child.stdin?.write("'still ' + 'here'\r");
    await r.expect(/'still here'/, after);
    r.child.stdin?.write(".exit\r");
    expect(await r.exited).toBe(0);
  });

  it("ends a busy background task at the prompt, and names it", async () => {
    const { r, tty, at: ready } = await terminalRepl();
    r.child.stdin?.write(`${SPIN}\r`);
    r.child.stdin?.write(`asyncio.createTask(spin(), { name: "spinner" }); 'created'\r`);
    const at = await r.expect(/spinning\r?\n/, ready);
    await untilSignalKeysOn(tty);
    r.child.stdin?.write("\x03");
    const after = await r.expect(/KeyboardInterrupt: task spinner was interrupted/, at);
    r.child.stdin?.write("'alive'\r");
    await r.expect(/'alive'/, after);
    expect(signalKeysOn(tty)).toBe(false);
    r.child.stdin?.write(".exit\r");
    expect(await r.exited).toBe(0);
  });

  it("clears the line while a background task keeps the loop in short ticks, ending none", async () => {
    // The task is in a tick most of the time (3 ms of work every millisecond): were the
    // terminal to make Ctrl-C a signal for every tick, most of these keys would end one of
    // its steps instead of clearing the line.
    const { r, at: ready } = await terminalRepl();
    r.child.stdin?.write(
      "let steps = 0; const t = asyncio.createTask((function* () { for (;;) { const end = performance.now() + 3; while (performance.now() < end) {} steps++; yield* asyncio.sleep(0.001) } })()); 'started'\r",
    );
    let at = await r.expect(/'started'/, ready);
    for (let i = 0; i < 10; i++) {
      r.child.stdin?.write(`'typed ${i}`);
      at = await r.expect(new RegExp(`'typed ${i}`), at);
      r.child.stdin?.write("\x03");
      r.child.stdin?.write(`'cleared ' + ${i}\r`);
      at = await r.expect(new RegExp(`'cleared ${i}'`), at);
    }
    r.child.stdin?.write("'steps ' + (steps > 0) + ', alive ' + !t.done()\r");
    at = await r.expect(/'steps true, alive true'/, at);
    expect(r.out).not.toContain("KeyboardInterrupt");
    expect(r.out).not.toMatch(/'typed \d+'/); // no typed line was ever evaluated
    // At the empty prompt the key offers to quit, and a second one quits.
    r.child.stdin?.write("\x03");
    await r.expect(/To exit, press Ctrl\+C again/, at);
    r.child.stdin?.write("\x03");
    expect(await r.exited).toBe(0);
  });
});

describe("asyncio-ts repl: the watcher of long ticks", () => {
  /** Holds a tick open (blocking, as a busy step does) until `ran()`, 20 s at most. */
  function holdTickUntil(ran: () => boolean): void {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; !ran(); i++) {
      if (i > 2000) throw new Error("the watcher never ran its command");
      Atomics.wait(pause, 0, 0, 10);
    }
  }

  /** A watcher whose command appends a line to a fresh file, counting its restores. */
  async function markingKey(pollMs: number) {
    const { InterruptKey } = await import("../src/cli/interrupt_key.js");
    const marker = join(mkdtempSync(join(tmpdir(), "interrupt-key-")), "on");
    const counts = { restored: 0 };
    const key = new InterruptKey(() => counts.restored++, {
      pollMs,
      command: ["sh", "-c", `echo on >> '${marker}'`],
    });
    return { key, marker, counts };
  }

  /** Runs `body` with process.stderr's writes collected instead of printed. */
  function stderrOf(body: () => void): string[] {
    const said: string[] = [];
    const write = vi.spyOn(process.stderr, "write").mockImplementation((text) => {
      said.push(String(text));
      return true;
    });
    try {
      body();
    } finally {
      write.mockRestore();
    }
    return said;
  }

  it("leaves short ticks alone, even many in a row", async () => {
    const { key, marker, counts } = await markingKey(50);
    try {
      // Half of the time in a tick of a millisecond, for about half a second: the watcher
      // finds one running at about half its looks, but never the same one twice.
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (let i = 0; i < 250; i++) {
        key.tickStarted();
        const end = performance.now() + 1;
        while (performance.now() < end) {}
        key.tickEnded();
        Atomics.wait(pause, 0, 0, 1);
      }
      expect(counts.restored).toBe(0);
      expect(existsSync(marker)).toBe(false);
    } finally {
      key.close();
    }
  });

  it("runs its command for a tick that outlasts two looks, then has raw mode restored once", async () => {
    const { key, marker, counts } = await markingKey(5);
    try {
      key.tickStarted();
      holdTickUntil(() => existsSync(marker));
      expect(counts.restored).toBe(0);
      key.tickEnded(); // waits for the command to finish, then restores
      expect(counts.restored).toBe(1);
      expect(readFileSync(marker, "utf8")).toBe("on\n"); // once for the one long tick
    } finally {
      key.close();
    }
  });

  it("a command that fails: raw mode restored, said once on stderr, tried again next time", async () => {
    const { InterruptKey } = await import("../src/cli/interrupt_key.js");
    const dir = mkdtempSync(join(tmpdir(), "interrupt-key-"));
    let restored = 0;
    const command = ["sh", "-c", `touch '${dir}/'$$; exit 1`];
    const key = new InterruptKey(() => restored++, { pollMs: 5, command });
    try {
      const said = stderrOf(() => {
        for (const round of [1, 2]) {
          key.tickStarted();
          holdTickUntil(() => readdirSync(dir).length >= round);
          key.tickEnded();
        }
      });
      expect(readdirSync(dir)).toHaveLength(2); // once per long tick
      expect(restored).toBe(2);
      expect(said).toEqual([
        `asyncio-ts repl: '${command.join(" ")}' failed, so Ctrl-C could not end that long step\n`,
      ]);
    } finally {
      key.close();
    }
  });

  it.skipIf(!hasScript)("sttyWorks(): true on a terminal, false on a pipe", () => {
    const program = `import(${JSON.stringify(join(root, "dist/src/cli/interrupt_key.js"))}).then((m) => console.log("stty works: " + m.sttyWorks()))`;
    const onPipe = spawnSync(process.execPath, ["-e", program], { encoding: "utf8" });
    expect(onPipe.stdout.trim()).toBe("stty works: false");
    const inTerminal = spawnSync(
      "script",
      ["-qfec", `${JSON.stringify(process.execPath)} -e ${JSON.stringify(program)}`, "/dev/null"],
      { encoding: "utf8", input: "" },
    );
    expect(inTerminal.stdout.trim()).toBe("stty works: true");
  });

  it("refuses a poll interval that is not positive, and an empty command", async () => {
    const { InterruptKey } = await import("../src/cli/interrupt_key.js");
    expect(() => new InterruptKey(() => {}, { pollMs: 0 })).toThrow(
      "pollMs must be positive, got 0",
    );
    expect(() => new InterruptKey(() => {}, { pollMs: Number.NaN })).toThrow(
      "pollMs must be positive, got NaN",
    );
    expect(() => new InterruptKey(() => {}, { command: [] })).toThrow(
      "command must be a program and its arguments as strings, got []",
    );
    expect(() => new InterruptKey(() => {}, { command: ["stty", 1 as unknown as string] })).toThrow(
      'command must be a program and its arguments as strings, got ["stty",1]',
    );
  });

  it("says once on stderr when the watcher fails, and the REPL's ticks go on", async () => {
    const { InterruptKey } = await import("../src/cli/interrupt_key.js");
    let restored = 0;
    const key = new InterruptKey(() => restored++);
    let said: string[];
    try {
      said = stderrOf(() => {
        (key as unknown as { worker: EventEmitter }).worker.emit("error", new Error("boom"));
        key.tickStarted();
        key.tickEnded();
      });
    } finally {
      key.close();
    }
    expect(said).toEqual([
      "asyncio-ts repl: the watcher of long ticks stopped (boom); Ctrl-C can no longer end a busy loop\n",
    ]);
    expect(restored).toBe(0);
  });
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
