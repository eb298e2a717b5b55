/**
 * The `asyncio-ts` command, driven as a user drives it: the built command
 * (`node dist/src/cli/main.js`, built by test/global-setup.ts) with arguments, piped input,
 * signals, and a pseudo-terminal (through util-linux `script`, present on Debian/Ubuntu).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { examples } from "../examples/index.js";
import { rewriteAwaits } from "../src/cli/repl_await.js";

// Every test here starts Node processes; on a loaded machine (2 cores shared by several
// test runs) each can take seconds to start. Deadlines only turn a hang into a failure.
vi.setConfig({ testTimeout: 120_000 });
const HANG_MS = 60_000;

const root = fileURLToPath(new URL("..", import.meta.url));
const main = join(root, "dist/src/cli/main.js");
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
};

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command to completion (asynchronously, so that tests can run several at once). */
function cli(args: string[], input = ""): Promise<Result> {
  const child = spawn(process.execPath, [main, ...args], {
    cwd: root,
    env: { ...process.env, ASYNCIO_TS_REPL_HISTORY: "", NO_COLOR: "1" },
    timeout: HANG_MS,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every process a Session watches: one a failed test leaves running is killed after it. */
const watched: ChildProcess[] = [];
afterEach(() => {
  for (const child of watched.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

/** Output collected from a running process, with a wait for a pattern (no fixed sleeps). */
class Session {
  out = "";
  readonly exited: Promise<number | null>;
  private ended = false;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    watched.push(child);
    child.stdout?.on("data", (d: Buffer) => this.received(d));
    child.stderr?.on("data", (d: Buffer) => this.received(d));
    this.exited = new Promise((resolve) =>
      child.on("exit", (code) => {
        this.ended = true;
        this.wake();
        resolve(code);
      }),
    );
  }

  /** Where the last match ended: each wait looks only at the output after it. */
  private seen = 0;

  /**
   * Waits for output after the previous match that matches `pattern`, woken by each chunk
   * of output (no polling), so that an echo of earlier input never stands in for what a
   * key did. The deadline only turns a hang into a failure that shows the output so far.
   */
  async expect(pattern: RegExp, deadlineMs = HANG_MS): Promise<RegExpExecArray> {
    let late = false;
    const deadline = setTimeout(() => {
      late = true;
      this.wake();
    }, deadlineMs);
    try {
      for (;;) {
        const m = pattern.exec(this.out.slice(this.seen));
        if (m !== null) {
          this.seen += m.index + m[0].length;
          return m;
        }
        if (this.ended || late) {
          const why = this.ended ? "exited" : "no output";
          throw new Error(`${why} while waiting for ${pattern}; output so far:\n${this.out}`);
        }
        await new Promise<void>((wake) => this.waiters.push(wake));
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  private received(d: Buffer): void {
    this.out += d.toString();
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }
}

let fixtures: string;

beforeAll(() => {
  // A module package, as a user's project would be; programs import the library sources,
  // which `run` maps to the build it runs from (one library, one running loop).
  fixtures = mkdtempSync(join(tmpdir(), "asyncio-ts-cli-"));
  const lib = JSON.stringify(join(root, "src/index.js"));
  writeFileSync(join(fixtures, "package.json"), '{ "type": "module" }\n');
  writeFileSync(
    join(fixtures, "ok.ts"),
    `import * as asyncio from ${lib};
export function* main(): asyncio.Coroutine<void> {
  const t0 = asyncio.getRunningLoop().time();
  yield* asyncio.sleep(3600);
  console.log("argv:", process.argv.slice(2).join(" "));
  console.log("slept:", asyncio.getRunningLoop().time() - t0);
}
`,
  );
  writeFileSync(
    join(fixtures, "fail.ts"),
    `import * as asyncio from ${lib};
function* fetchUser(): asyncio.Coroutine<never> {
  yield* asyncio.sleep(0.01);
  throw new Error("user not found");
}
export default function* handler(): asyncio.Coroutine<void> {
  yield* fetchUser();
}
`,
  );
  writeFileSync(
    join(fixtures, "long.mjs"),
    `import * as asyncio from ${JSON.stringify(join(root, "dist/src/index.js"))};
export function* main() {
  try {
    console.log("started");
    yield* asyncio.sleep(100);
  } finally {
    console.log("cleanup ran");
  }
}
`,
  );
  writeFileSync(
    join(fixtures, "leaves-failure.mjs"),
    `import * as asyncio from ${JSON.stringify(join(root, "dist/src/index.js"))};
function* fails() {
  yield* asyncio.sleep(0);
  throw new Error("left behind");
}
export function* main() {
  asyncio.createTask(fails());
  yield* asyncio.sleep(0.01);
  console.log("main done");
}
`,
  );
  writeFileSync(join(fixtures, "plain.mjs"), "export const answer = 42;\n");
  writeFileSync(join(fixtures, "promise.mjs"), "export async function main() {}\n");
});

afterAll(() => {
  rmSync(fixtures, { recursive: true, force: true });
});

describe("asyncio-ts --help / --version", () => {
  it("answers on the command and on each subcommand, with exit code 0", async () => {
    const prefixes = [[], ["demo"], ["run"], ["repl"]];
    const helps = await Promise.all(prefixes.map((p) => cli([...p, "--help"])));
    const versions = await Promise.all(prefixes.map((p) => cli([...p, "-V"])));
    prefixes.forEach((prefix, i) => {
      const usage = `Usage: asyncio-ts${prefix.length ? ` ${prefix[0]}` : ""} `;
      expect(helps[i]).toMatchObject({ code: 0, stderr: "" });
      expect(helps[i]?.stdout.startsWith(usage)).toBe(true);
      expect(versions[i]).toEqual({ code: 0, stdout: `asyncio-ts ${version}\n`, stderr: "" });
    });
  });

  it("exits with 2 and names the problem on bad usage", async () => {
    const [frob, fast, nosuch, extra] = await Promise.all([
      cli(["frob"]),
      cli(["demo", "--fast"]),
      cli(["demo", "nosuch"]),
      cli(["repl", "extra"]),
    ]);
    expect(frob).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown command 'frob'/),
    });
    expect(fast).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown option '--fast'/),
    });
    expect(nosuch).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /no program named 'nosuch' \(available: synchronous, countasync/,
      ),
    });
    expect(extra).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/repl takes no arguments/),
    });
  });
});

describe("asyncio-ts demo", () => {
  /** The foundation programs (named in another order on purpose). */
  const foundation = ["chain", "rand", "countasync", "synchronous"];

  it("--list names every registered program with what it shows", async () => {
    const r = await cli(["demo", "--list"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(examples.map((e) => e.name));
  });

  it("--virtual runs the walkthrough in order, instantly, with elapsed times and the comparison", async () => {
    const r = await cli(["demo", "--virtual", ...foundation]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = r.stdout;
    // Each program, in walkthrough order, whatever order they were named in.
    const headers = [...out.matchAll(/^\[(\d+)\/4\] (\S+): /gm)].map((m) => m[2]);
    expect(headers).toEqual(["synchronous", "countasync", "rand", "chain"]);
    const section = (name: string): string => {
      const start = out.indexOf(`] ${name}: `);
      const end = out.indexOf(`(${name} took`, start);
      return out.slice(out.indexOf("\n", start) + 1, out.indexOf("\n", end) + 1);
    };
    // Each program says where its source is, then prints its output.
    for (const name of ["synchronous", "countasync", "rand", "chain"]) {
      expect(section(name)).toMatch(new RegExp(`^source: examples/${name}\\.ts\n`));
    }
    const output = (name: string): string => section(name).replace(/^source: .*\n/, "");
    expect(output("synchronous")).toBe("One\nTwo\nOne\nTwo\nOne\nTwo\n(synchronous took 3.00 s)\n");
    expect(output("countasync")).toBe("One\nOne\nOne\nTwo\nTwo\nTwo\n(countasync took 1.00 s)\n");
    expect(out).toMatch(
      /\n {2}synchronous {4}3\.00 s {2}█{40}\n {2}countasync {5}1\.00 s {2}█{13}\n {2}same work: countasync is 3\.0x faster than synchronous\n/,
    );
    expect(section("rand")).toMatch(/r1: 10, r2: 9, r3: 10\n\(rand took 7\.00 s\)\n$/);
    expect(section("chain")).toMatch(/==> Total time: 3\.10 s\n\(chain took 3\.10 s\)\n$/);
  });

  it("--virtual runs the whole walkthrough, every program in registry order, to the end", async () => {
    const r = await cli(["demo", "--virtual"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const n = examples.length;
    const headers = [...r.stdout.matchAll(new RegExp(`^\\[(\\d+)/${n}\\] (\\S+): `, "gm"))].map(
      (m) => m[2],
    );
    expect(headers).toEqual(examples.map((e) => e.name));
    for (const e of examples) expect(r.stdout).toContain(`(${e.name} took `);
  });

  it("colours only a terminal, unless FORCE_COLOR asks; NO_COLOR turns colours off", async () => {
    const { useColor } = await import("../src/cli/demo.js");
    expect(useColor({}, false)).toBe(false);
    expect(useColor({}, true)).toBe(true);
    expect(useColor({ NO_COLOR: "1" }, true)).toBe(false);
    expect(useColor({ NO_COLOR: "" }, true)).toBe(true);
    expect(useColor({ FORCE_COLOR: "1" }, false)).toBe(true);
    expect(useColor({ FORCE_COLOR: "0" }, true)).toBe(false);
    expect(useColor({ FORCE_COLOR: "1", NO_COLOR: "1" }, false)).toBe(true);
    // Piped output: no escape codes, whatever the terminal said before.
    const piped = await cli(["demo", "--virtual", "countasync"]);
    expect(piped.stdout).not.toContain("\x1b[");
  });

  it("runs one program by name", async () => {
    const r = await cli(["demo", "--virtual", "countasync"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "asyncio-ts demo: 1 program(s) of the asyncio walkthrough (virtual time: instant, same output)\n\n" +
        `[1/1] countasync: ${examples[1]?.about}\n` +
        "source: examples/countasync.ts\n" +
        "One\nOne\nOne\nTwo\nTwo\nTwo\n(countasync took 1.00 s)\n",
    );
  });
});

describe("asyncio-ts run", () => {
  it("runs a TypeScript program's main under asyncio.run, with its arguments, on virtual time", async () => {
    const r = await cli(["run", "--virtual", join(fixtures, "ok.ts"), "alpha", "--beta"]);
    expect(r).toEqual({ code: 0, stdout: "argv: alpha --beta\nslept: 3600\n", stderr: "" });
  });

  it("runs the walkthrough's example files", async () => {
    const r = await cli(["run", "--virtual", "examples/countasync.ts"]);
    expect(r).toEqual({ code: 0, stdout: "One\nOne\nOne\nTwo\nTwo\nTwo\n", stderr: "" });
    const js = await cli(["run", "--virtual", "dist/examples/chain.js"]);
    expect(js.code).toBe(0);
    expect(js.stdout).toMatch(/==> Total time: 3\.10 s\n$/);
  });

  it("exits with 1 and prints the error with the coroutine frames when the program fails", async () => {
    const r = await cli(["run", join(fixtures, "fail.ts")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Error: user not found\n {4}at fetchUser \(.*fail\.ts:4:9\)\n/);
    expect(r.stderr).toMatch(/\n {4}at handler \(.*fail\.ts:7:10\)\n/);
  });

  it("exits with 2 for a missing file, no FILE, or a 'main' export that is not a coroutine function", async () => {
    expect(await cli(["run", "nope.ts"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "asyncio-ts: no such file: nope.ts\n",
    });
    expect(await cli(["run"])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/missing FILE/),
    });
    const promise = await cli(["run", join(fixtures, "promise.mjs")]);
    expect(promise.code).toBe(2);
    expect(promise.stderr).toMatch(/the 'main' export is a function but not a generator function/);
  });

  it.each([
    ["SIGINT", 130, "KeyboardInterrupt"],
    ["SIGTERM", 143, "Terminated"],
  ] as const)(
    "%s cancels the main task, its cleanup runs, and the exit code is %i",
    async (signal, code, message) => {
      const s = new Session(
        spawn(process.execPath, [main, "run", join(fixtures, "long.mjs")], { cwd: root }),
      );
      await s.expect(/started\n/);
      s.child.kill(signal);
      expect(await s.exited).toBe(code);
      expect(s.out).toBe(`started\ncleanup ran\n${message}\n`);
    },
  );
});

describe("unretrieved task exceptions are reported at exit", () => {
  it("asyncio-ts run: a failing task main left behind is reported once", async () => {
    const r = await cli(["run", join(fixtures, "leaves-failure.mjs")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("main done\n");
    expect(r.stderr.match(/Task exception was never retrieved/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/Error: left behind/);
  });

  it("asyncio-ts repl: .exit reports a failed task nobody awaited", async () => {
    const inputs = [
      "void asyncio.createTask((function* () { yield* asyncio.sleep(0); throw new Error('lost in repl') })())",
      "await asyncio.sleep(0.01)",
      ".exit",
    ];
    const r = await cli(["repl"], `${inputs.join("\n")}\n`);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/Task exception was never retrieved/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/Error: lost in repl/);
  });
});

describe("asyncio-ts repl (piped input)", () => {
  it("runs inputs one after another on a loop that keeps running; await runs any awaitable", async () => {
    const inputs = [
      "let ticks = 0",
      "const three = new asyncio.Event()",
      "const bg = asyncio.createTask((function* () { for (;;) { yield* asyncio.sleep(0.01); if (++ticks === 3) three.set(); } })())",
      "await asyncio.sleep(0.1, 'slept')",
      "await three.wait()",
      "function* double(x) {",
      "  yield* asyncio.sleep(0.01);",
      "  return 2 * x;",
      "}",
      "const [a, b] = await asyncio.gather(double(1), double(2))",
      "[a, b]",
      "await asyncio.createTask(double(21))",
      "await Promise.resolve('a promise')",
      "const fut = asyncio.getRunningLoop().createFuture(); setTimeout(() => fut.setResult('a future'), 10); 'set'",
      "await fut",
      "function* fails() { yield* asyncio.sleep(0.01); throw new RangeError('bad value') }",
      "function* caller() { return yield* fails() }",
      "await caller()",
      "'still running: ' + !bg.done()",
    ];
    const r = await cli(["repl"], `${inputs.join("\n")}\n`);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .split(">>> ")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ).toEqual([
      "'slept'",
      "true",
      "... ... ...",
      "[ 2, 4 ]",
      "42",
      "'a promise'",
      "'set'",
      "'a future'",
      "Uncaught RangeError: bad value\n    at fails (REPL16:1:55)\n    at caller (REPL17:1:36)",
      "'still running: true'",
    ]);
    expect(r.stderr).toMatch(/^asyncio-ts REPL .* on Node\.js v/);
    expect(r.stderr).toMatch(/exiting asyncio REPL\.\.\.\n$/);
  });
});

describe("asyncio-ts repl (pseudo-terminal)", () => {
  it("lets a background task progress between inputs; Ctrl-C cancels a long await, then quits", async () => {
    const command = `stty cols 200; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(main)} repl`;
    const s = new Session(
      spawn("script", ["-qfec", command, "/dev/null"], {
        cwd: root,
        env: { ...process.env, ASYNCIO_TS_REPL_HISTORY: "", NO_COLOR: "1" },
      }),
    );
    await s.expect(/>>> /);
    s.write(
      "let n = 0, goal = -1; const t = asyncio.createTask((function* () { for (;;) { yield* asyncio.sleep(0.02); if (++n === goal) console.log('reached', n); } })())\r",
    );
    s.write("goal = n + 3; 'first ' + n\r");
    const first = Number((await s.expect(/'first (\d+)'/))[1]);
    // While nothing is typed, the loop keeps running the task: it says so itself.
    await s.expect(new RegExp(`reached ${first + 3}\\r?\\n`));
    s.write("'second ' + n\r");
    const second = Number((await s.expect(/'second (\d+)'/))[1]);
    expect(second).toBeGreaterThan(first);

    s.write(
      "await (function* () { try { yield* asyncio.sleep(100) } finally { console.log('cleanup ran') } })()\r",
    );
    await s.expect(/sleep\(100\).*\r+\n/);
    s.write("\x03");
    await s.expect(/cleanup ran\r\n.*KeyboardInterrupt/);
    s.write("'task alive ' + !t.done()\r");
    await s.expect(/'task alive true'/);

    s.write("asyncio.createT\t");
    await s.expect(/asyncio\.createTask/);
    s.write("\x03"); // clears the line
    s.write("\x03"); // at an empty prompt: one more quits
    await s.expect(/To exit, press Ctrl\+C again/);
    s.write("\x03");
    expect(await s.exited).toBe(0);
    expect(s.out).toMatch(/exiting asyncio REPL\.\.\./);
  });
});

describe("the REPL's await rewriting", () => {
  it.each([
    ["await asyncio.sleep(1)", "await __asyncio_ts_await(asyncio.sleep(1))"],
    ["const r = await f(1) + 1", "const r = await __asyncio_ts_await(f(1)) + 1"],
    ["await await f()", "await __asyncio_ts_await(await __asyncio_ts_await(f()))"],
    ["await a.b?.[c](d)`t`.e", "await __asyncio_ts_await(a.b?.[c](d)`t`.e)"],
    ["await new Promise((r) => r(1))", "await __asyncio_ts_await(new Promise((r) => r(1)))"],
    ["x = await -y", "x = await __asyncio_ts_await(-y)"],
    ["await t\n++z", "await __asyncio_ts_await(t)\n++z"],
    ["'await x'; // await y", "'await x'; // await y"],
    ["obj.await + ({ await: 1 }).await", "obj.await + ({ await: 1 }).await"],
    ["for await (const x of xs) {}", "for await (const x of xs) {}"],
    ["await /a/.test(s)", "await __asyncio_ts_await(/a/.test(s))"],
    ["await (f(", "await (f("],
    ["await async function () {}", "await async function () {}"],
  ])("%j", (input, output) => {
    expect(rewriteAwaits(input)).toBe(output);
  });
});
