/**
 * Coroutine tests: a test body is a `function*`, run on a fresh loop (virtual time by
 * default), and the test fails when it leaves something behind — a task still pending, an
 * exception nobody retrieved, a callback that raised, a server or transport still open, a
 * subprocess never waited for, a thread call still running — naming the task or resource
 * and the line that created it.
 *
 * Works with any runner that takes a function returning a Promise (Vitest, `node:test`,
 * Jest, Mocha): `it("name", asyncioTest(function* () { … }))`.
 *
 * @module
 */

import { asyncWith } from "../contextlib.js";
import { type BaseEventLoop, bridgePromise } from "../core/base_events.js";
import type { Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import { CancelledError, DeadlockError, TimeoutError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import type { ExceptionContext } from "../core/handles.js";
import { Task } from "../core/tasks.js";
// Tests get the loops with I/O; the checks below accept any virtual loop (the portable one too).
import { VirtualEventLoop as IOVirtualEventLoop, NodeEventLoop } from "../io/loop_io.js";
import { _isSubprocessPipe, _uncollectedSubprocesses } from "../io/subprocess.js";
import { _unfinishedThreadCalls, ThreadPoolExecutor } from "../io/threads.js";
import {
  _openResources,
  _watchResources,
  type LoopResource,
  SocketTransport,
  UdpTransport,
} from "../io/transports.js";
import { VirtualEventLoop, type VirtualEventLoopOptions } from "../loops/virtual.js";
import { run } from "../runners.js";
import { currentTask, sleep } from "../tasks.js";
import { timeout } from "../timeouts.js";

/**
 * A resource set up before a test body and torn down after it — even when the body
 * fails, is cancelled or times out — as pytest's yield fixtures and Vitest's `use`
 * fixtures. Make one with {@link fixture}.
 *
 * @example
 * ```ts
 * import { expect, it } from "vitest";
 * import * as asyncio from "asyncio-ts";
 * import { asyncioTest, type Fixture, fixture, type Use } from "asyncio-ts/testing";
 *
 * // Answers one line with the same line.
 * function* echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter): asyncio.Coroutine<void> {
 *   writer.write(yield* reader.readline());
 *   yield* writer.drain();
 *   writer.close();
 * }
 *
 * // An echo server on a free port of 127.0.0.1, for the test to connect to; closed after
 * // the test, whatever its outcome.
 * const echoPort: Fixture<number> = fixture(function* (use: Use<number>) {
 *   const server = yield* asyncio.startServer(echo, "127.0.0.1", 0);
 *   try {
 *     const [, port] = server.sockets[0]!.getsockname();
 *     yield* use(port);
 *   } finally {
 *     server.close();
 *     yield* server.waitClosed();
 *   }
 * });
 *
 * it("echoes a line", asyncioTest({ fixtures: { port: echoPort } }, function* ({ port }) {
 *   const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
 *   writer.write(Buffer.from("hello\n"));
 *   expect((yield* reader.readline()).toString()).toBe("hello\n");
 *   writer.close();
 *   yield* writer.waitClosed();
 * }));
 * ```
 */
export interface Fixture<T> {
  /** The name failures use. */
  readonly name: string;
  /** @internal */
  readonly _body: (use: Use<T>) => Coroutine<void>;
}

/**
 * What a fixture body calls with its value: the test body runs while `yield* use(value)`
 * waits; it returns when the test body has ended (whatever the outcome).
 *
 * @example
 * ```ts
 * const numbers = fixture(function* (use: Use<number[]>) {
 *   yield* use([1, 2, 3]);
 * });
 * ```
 */
export type Use<T> = (value: T) => Coroutine<void>;

/**
 * Fixtures by the name the test body receives them under.
 *
 * @example
 * ```ts
 * const fixtures: Fixtures = { numbers: fixture(function* (use: Use<number[]>) { yield* use([1, 2]); }) };
 * ```
 */
export type Fixtures = Record<string, Fixture<unknown>>;

/**
 * The values a test body receives for `F`.
 *
 * @example
 * ```ts
 * type V = FixtureValues<{ n: Fixture<number> }>; // { n: number }
 * ```
 */
export type FixtureValues<F extends Fixtures> = {
  [K in keyof F]: F[K] extends Fixture<infer T> ? T : never;
};

/**
 * Makes a fixture from a body that sets up, calls `yield* use(value)`, and tears down
 * after `use` returns (put the teardown in `finally`, or it is skipped when the test fails),
 * or from a `{ setup, teardown }` pair (teardown always runs once setup succeeded).
 *
 * Errors: `TypeError` if `body` is neither. A fixture whose body returns without calling
 * `use`, or raises, fails the test naming the fixture.
 *
 * @example
 * ```ts
 * const queue = fixture({
 *   setup: function* () { return new asyncio.Queue<number>(); },
 *   teardown: function* (q) { q.shutdown(); },
 * });
 * it("puts", asyncioTest({ fixtures: { queue } }, function* ({ queue }) {
 *   yield* queue.put(1);
 * }));
 * ```
 */
export function fixture<T>(
  body:
    | ((use: Use<T>) => Coroutine<void>)
    | { setup: () => Coroutine<T>; teardown?: (value: T) => Coroutine<void> },
  name?: string,
): Fixture<T> {
  if (typeof body === "function") {
    return { name: name ?? (body.name || "fixture"), _body: body };
  }
  if (body === null || typeof body !== "object" || typeof body.setup !== "function") {
    throw new TypeError(
      `fixture(): 'body' must be a generator function taking use, or { setup, teardown }: received ${describe(body)}`,
    );
  }
  const { setup, teardown } = body;
  return {
    name: name ?? (setup.name && setup.name !== "setup" ? setup.name : "fixture"),
    *_body(use) {
      const value = yield* setup();
      try {
        yield* use(value);
      } finally {
        if (teardown !== undefined) yield* teardown(value);
      }
    },
  };
}

/**
 * Which loop a test runs on: the virtual-time loop, Node's real loop, or a factory.
 *
 * @example
 * ```ts
 * const loop: TestLoop = "real"; // or "virtual", or () => new MyLoop()
 * it("talks to a real server", asyncioTest({ loop }, function* () {}));
 * ```
 */
export type TestLoop = "virtual" | "real" | (() => BaseEventLoop);

/**
 * Options of {@link asyncioTest} and {@link runTest}.
 *
 * @example
 * ```ts
 * import { expect, it } from "vitest";
 * import * as asyncio from "asyncio-ts";
 * import { asyncioTest, type TestOptions } from "asyncio-ts/testing";
 *
 * // A test of real sockets: on Node's own loop (not virtual time, the default), failing
 * // if it takes more than 5 s of wall-clock time. (On virtual time, `timeout: 60` fails a
 * // test after 60 s of it.)
 * const options: TestOptions = { loop: "real", realTimeout: 5 };
 *
 * it("talks to a server on 127.0.0.1", asyncioTest(options, function* () {
 *   const server = yield* asyncio.startServer(function* (reader, writer) {
 *     writer.write(Buffer.from(`hello, ${(yield* reader.readline()).toString()}`));
 *     yield* writer.drain();
 *     writer.close();
 *   }, "127.0.0.1", 0);
 *   const [, port] = server.sockets[0]!.getsockname();
 *   const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
 *   writer.write(Buffer.from("ada\n"));
 *   expect((yield* reader.readline()).toString()).toBe("hello, ada\n");
 *   writer.close();
 *   server.close();
 *   yield* server.waitClosed();
 * }));
 * ```
 */
export interface TestOptions<F extends Fixtures = Fixtures> {
  /** `"virtual"` (default): VirtualEventLoop; `"real"`: NodeEventLoop; or a loop factory. */
  loop?: TestLoop;
  /** Options of the VirtualEventLoop (when `loop` is `"virtual"`). */
  virtual?: VirtualEventLoopOptions;
  /** Fixtures set up before the body, in order, and torn down after it, in reverse. */
  fixtures?: F;
  /**
   * Fails the test with `TimeoutError` after this many seconds of loop time — virtual
   * seconds on the virtual loop — counted from the start of fixture setup.
   */
  timeout?: number;
  /** Fails the test after this many real (wall-clock) seconds, on any loop. */
  realTimeout?: number;
  /** Runs the loop in debug mode (slow callbacks, swallowed cancellations reported). */
  debug?: boolean;
  /**
   * Exception-handler reports the test expects: `true` accepts all, a function accepts
   * those it returns true for. Others fail the test. Default: none accepted.
   */
  allowReports?: boolean | ((context: ExceptionContext) => boolean);
  /** Do not fail when tasks are still pending at the end (they are cancelled). */
  allowPending?: boolean;
  /**
   * Do not fail when resources are left at the end: servers and transports still open
   * (they are closed), subprocesses not waited for (those still running are killed),
   * thread calls still running (stopped where the executor allows).
   */
  allowOpenResources?: boolean;
  /**
   * Record where each task and resource is created, to name it in a failure; true by
   * default (it captures a stack trace per task: turn it off for tests that create
   * hundreds of thousands).
   */
  recordSites?: boolean;
  /**
   * Real seconds the virtual loop may sit idle with no timer and no outside work before
   * the test fails as deadlocked (every task waits for something nothing will do);
   * 1 by default, `Infinity` to wait for ever (real I/O the loop cannot see, such as a
   * subprocess, may still wake it).
   */
  deadlockAfter?: number;
}

/** Whether a real socket or a child process of `loop` is open: real I/O may still come. */
function realIoOpen(loop: BaseEventLoop): boolean {
  if (_uncollectedSubprocesses(loop).length > 0) return true;
  return _openResources(loop).some(
    (r) => r instanceof SocketTransport || r instanceof UdpTransport,
  );
}

/** @internal What the explorer adds to a test run. */
export interface _RunHooks {
  /** Called with the fresh loop, after the harness set it up. */
  setup?: (loop: BaseEventLoop) => void;
  /**
   * The least `deadlockAfter` while a real socket or a child process is open: what they
   * deliver the loop cannot see coming (a protocol's own Future), so a stall then may be
   * real I/O on its way. The explorer's `deadlockAfter` is 0, for speed.
   */
  ioDeadlockAfter?: number;
  /** Leave the loop's task factory alone (no per-test task names, no creation sites). */
  plainTasks?: boolean;
}

/**
 * What {@link runTest} resolves with.
 *
 * @example
 * ```ts
 * const { result, elapsed } = await runTest(function* () {
 *   yield* asyncio.sleep(3600);
 *   return "done";
 * });
 * // result "done", elapsed 3600
 * ```
 */
export interface TestRun<T> {
  /** What the body returned. */
  result: T;
  /** Loop seconds from the start to the end of the body (virtual seconds on the virtual loop). */
  elapsed: number;
  /** The exception-handler reports the test accepted (see `allowReports`). */
  reports: ExceptionContext[];
  /** The loop the test ran on (closed). */
  loop: BaseEventLoop;
}

/**
 * The test left something behind: `problems` lists each pending task, unretrieved
 * exception, callback error, open resource, subprocess not waited for and thread call
 * still running, with where it was created.
 *
 * @example
 * ```ts
 * try {
 *   await runTest(function* () { asyncio.createTask(asyncio.sleep(10)); });
 * } catch (e) {
 *   if (e instanceof LeakError) console.log(e.problems);
 * }
 * ```
 */
export class LeakError extends Error {
  /** One line (or a few) per thing left behind. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `the test left ${problems.length === 1 ? "a problem" : `${problems.length} problems`} behind:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "LeakError";
    this.problems = problems;
  }
}

/** The directory this library's code lives in: frames inside it are not "where created". */
const LIBRARY_DIR = libraryDir();

/**
 * The parent of this module's directory (`src/`, `dist/esm/`, `dist/cjs/`), read from this
 * function's own stack frame: `import.meta` does not exist in the CommonJS build, and
 * `__filename` not in the ES module one. A frame that cannot be read gives a URL that no
 * frame contains, so only the other rules decide.
 */
function libraryDir(): URL {
  // By name, or (a minifier renamed it) the first frame with a location, which is this one.
  const lines = new Error().stack?.split("\n") ?? [];
  const frame =
    lines.find((line) => line.includes("libraryDir")) ??
    lines.find((line) => /:\d+:\d+\)?$/.test(line.trim())) ??
    "";
  const at = /((?:file:\/\/)?\/[^\s()]+|[A-Za-z]:\\[^\s()]+):\d+:\d+\)?$/.exec(frame.trim());
  if (at === null) return new URL("asyncio-ts-unknown-location:/");
  const file = at[1] as string;
  const href = file.startsWith("file:")
    ? file
    : `file://${file.startsWith("/") ? "" : "/"}${encodeURI(file.replaceAll("\\", "/"))}`;
  return new URL("..", href);
}

function isLibraryFrame(line: string): boolean {
  return (
    line.includes(LIBRARY_DIR.href) ||
    line.includes(LIBRARY_DIR.pathname) ||
    line.includes("node:internal") ||
    line.includes("/node_modules/") ||
    !line.includes(":")
  );
}

const UNKNOWN_PLACE = "an unknown place";

/** The first stack frame of `site` outside the library, as "file:line:column". */
function creationSite(site: Error): string {
  const lines = (site.stack ?? "").split("\n").slice(1);
  for (const line of lines) {
    if (isLibraryFrame(line)) continue;
    const m = /\(?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?\s*$/.exec(line.trim());
    if (m?.[1] !== undefined) return m[1].replace(/^file:\/\//, "");
  }
  return UNKNOWN_PLACE;
}

function makeLoop(options: TestOptions<Fixtures>): BaseEventLoop {
  const kind = options.loop ?? "virtual";
  if (kind === "virtual") return new IOVirtualEventLoop(options.virtual);
  if (kind === "real") return new NodeEventLoop();
  if (typeof kind === "function") return kind();
  throw new TypeError(
    `asyncioTest(): 'loop' must be "virtual", "real" or a loop factory: received ${describe(kind)}`,
  );
}

function checkSeconds(value: unknown, what: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(
      `asyncioTest(): '${what}' must be a number of seconds > 0: received ${describe(value)}`,
    );
  }
}

function resourceName(r: LoopResource): string {
  const s = String(r);
  return s === "[object Object]" ? `<${r.constructor.name}>` : s;
}

/**
 * Runs `body` as the main task of a fresh loop (virtual time unless `options.loop` says
 * otherwise), with its fixtures, and checks what it left behind. Resolves with the body's
 * result; rejects with the body's own error, a `TimeoutError` for a timeout, or a
 * {@link LeakError} naming each leftover task, unretrieved exception, callback error and
 * open resource, subprocess and thread call, with where it was created. Leftover tasks are
 * cancelled, resources closed, subprocesses killed and thread calls stopped before the
 * loop closes, whatever the outcome.
 *
 * @example
 * ```ts
 * const { elapsed } = await runTest(function* () {
 *   yield* asyncio.sleep(3600);
 * });
 * console.log(elapsed); // 3600, in a millisecond
 * ```
 */
export function runTest<T, F extends Fixtures = Record<never, Fixture<unknown>>>(
  body: (fixtures: FixtureValues<F>) => Coroutine<T>,
  options: TestOptions<F> = {},
): Promise<TestRun<T>> {
  return _runTestWith(body, options, {});
}

/** @internal {@link runTest} with the explorer's and the project suite's hooks. */
export async function _runTestWith<T, F extends Fixtures = Record<never, Fixture<unknown>>>(
  body: (fixtures: FixtureValues<F>) => Coroutine<T>,
  options: TestOptions<F>,
  hooks: _RunHooks,
): Promise<TestRun<T>> {
  if (typeof body !== "function") {
    throw new TypeError(
      `asyncioTest(): 'body' must be a generator function: received ${describe(body)}`,
    );
  }
  checkSeconds(options.timeout, "timeout");
  checkSeconds(options.realTimeout, "realTimeout");
  const reports: ExceptionContext[] = [];
  const sites = new WeakMap<object, Error>();
  const taskSitesByName = new Map<string, Error>();
  /** The task that was running when each resource was opened. */
  const openers = new WeakMap<object, Task<unknown>>();
  const record = options.recordSites ?? true;
  const problems: string[] = [];
  let loop: BaseEventLoop | null = null;
  let start = 0;
  let end = 0;
  let realTimer: ReturnType<typeof setTimeout> | null = null;
  let realTimedOut = false;
  let deadlocked: string | null = null;
  let stallTimer: ReturnType<typeof setTimeout> | null = null;
  const deadlockAfter = options.deadlockAfter ?? 1;
  if (typeof deadlockAfter !== "number" || !(deadlockAfter >= 0)) {
    throw new RangeError(
      `asyncioTest(): 'deadlockAfter' must be a number of seconds >= 0: received ${describe(deadlockAfter)}`,
    );
  }

  function* main(): Coroutine<T> {
    const l = loop as BaseEventLoop;
    const me = currentTask() as Task<unknown>;
    start = l.time();
    if (l instanceof VirtualEventLoop && Number.isFinite(deadlockAfter)) {
      l._onStall = () => {
        if (stallTimer !== null || deadlocked !== null) return;
        const io = hooks.ioDeadlockAfter;
        const wait =
          io !== undefined && realIoOpen(l) ? Math.max(io, deadlockAfter) : deadlockAfter;
        stallTimer = setTimeout(() => {
          stallTimer = null;
          if (!l.isRunning() || l._ready.length > 0 || l._externalPending > 0) return;
          if (l._nextTimerWhen() !== undefined || l._wakeSources > 0) return;
          const stuck = [...l._tasks].filter((t) => !t.done());
          deadlocked = `the test deadlocked: every task waits and nothing can wake them (no timer, no outside work):${stuck.map((t) => `\n  ${String(t)}`).join("")}`;
          me.cancel(deadlocked);
        }, wait * 1000);
      };
    }
    if (options.realTimeout !== undefined) {
      realTimer = setTimeout(() => {
        realTimedOut = true;
        me.cancel(`the test exceeded its real timeout of ${options.realTimeout} s`);
      }, options.realTimeout * 1000);
    }
    const fixtureTasks: [Fixture<unknown>, Task<void>, Future<void>][] = [];
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
    try {
      const values: Record<string, unknown> = {};
      const withFixtures = function* (): Coroutine<T> {
        for (const [key, fx] of Object.entries(options.fixtures ?? {})) {
          const ready = l.createFuture<unknown>();
          const release = l.createFuture<void>();
          const use = function* (value: unknown): Coroutine<void> {
            if (!ready.done()) ready.setResult(value);
            yield* release;
          };
          const task = l.createTask(fx._body(use), { name: `fixture ${fx.name}` });
          fixtureTasks.push([fx, task, release]);
          task.addDoneCallback(() => {
            if (ready.done()) return;
            if (task.cancelled()) ready.cancel();
            else if (task.exception() !== null) ready.setException(task.exception());
            else {
              ready.setException(
                new Error(`fixture ${fx.name} ('${key}') returned without calling use()`),
              );
            }
          });
          values[key] = yield* ready;
        }
        return yield* body(values as FixtureValues<F>);
      };
      const value =
        options.timeout === undefined
          ? yield* withFixtures()
          : yield* asyncWith(timeout(options.timeout), withFixtures);
      outcome = { ok: true, value };
    } catch (e) {
      if (
        e instanceof TimeoutError &&
        options.timeout !== undefined &&
        l.time() - start >= options.timeout
      ) {
        outcome = {
          ok: false,
          error: new TimeoutError(
            `the test timed out after ${options.timeout} s of loop time${l instanceof VirtualEventLoop ? " (virtual)" : ""}`,
            { cause: e },
          ),
        };
      } else if (e instanceof CancelledError && deadlocked !== null) {
        me.uncancel();
        outcome = { ok: false, error: new DeadlockError(deadlocked, { cause: e }) };
      } else if (e instanceof CancelledError && realTimedOut) {
        me.uncancel();
        outcome = {
          ok: false,
          error: new TimeoutError(
            `the test exceeded its real timeout of ${options.realTimeout} s`,
            {
              cause: e,
            },
          ),
        };
      } else {
        outcome = { ok: false, error: e };
      }
    }
    end = l.time();
    // Teardown runs whatever happened to the body, newest fixture first.
    for (const [fx, task, release] of fixtureTasks.reverse()) {
      if (!release.done()) release.setResult(undefined);
      try {
        yield* task;
      } catch (e) {
        if (outcome.ok || e !== outcome.error) {
          problems.push(`fixture ${fx.name} failed in teardown: ${describeError(e)}`);
          if (outcome.ok) outcome = { ok: false, error: e };
        }
      }
    }
    if (realTimer !== null) clearTimeout(realTimer);
    if (l instanceof VirtualEventLoop) l._onStall = null;
    if (stallTimer !== null) clearTimeout(stallTimer);
    // Work already under way (a handler finishing after its connection closed, a task
    // told to stop) gets to run until the loop would wait: what is pending then waits for
    // something nobody will do. Bounded, for a task that never stops running.
    for (let i = 0; i < 1000 && (l._ready.length > 0 || i < 3); i++) yield* sleep(0);
    // Leftover tasks are reported here, and left to run()'s shutdown, which cancels them
    // and reports what they raise while cancelled, as asyncio.run() does.
    if (!options.allowPending) {
      for (const t of pendingOthers(l, me)) {
        problems.push(`task still pending: ${String(t)}, created at ${siteOf(t)}`);
      }
    }
    for (const r of _openResources(l)) {
      // A resource told to close is on its way out (as after asyncio's close() without
      // wait_closed()): only one nobody closed is a leak. A child's stdin is reported
      // with the child (below), and closes by itself once the child has finished.
      const closing = (r as { isClosing?: () => boolean }).isClosing?.() === true;
      if (!options.allowOpenResources && !closing && !_isSubprocessPipe(r)) {
        problems.push(`resource still open: ${resourceName(r)}, ${where(r, "created")}`);
      }
      r._closeAtLoopClose();
    }
    yield* releaseProcessesAndThreads(l, options.allowOpenResources === true, problems, where);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * "created at file:line:col" for `o` — or, when no frame of the test's own code was on
   * the stack as it was opened (a task of the library's own, such as
   * `createTask(asyncio.toThread(f))`, opened it), "created by Task-2 (created at …)".
   */
  function where(o: object, verb: string): string {
    const own = siteOf(o);
    const by = openers.get(o);
    if (own !== UNKNOWN_PLACE || by === undefined) return `${verb} at ${own}`;
    return `${verb} by ${by.getName()} (created at ${siteOf(by)})`;
  }

  function siteOf(o: object | string): string {
    let site: Error | undefined;
    if (typeof o === "string") {
      const name = /^<Task \w+ name='([^']*)'/.exec(o)?.[1];
      if (name !== undefined) site = taskSitesByName.get(name);
    } else {
      site = sites.get(o);
    }
    return site === undefined ? "an unrecorded place" : creationSite(site);
  }

  const result = await run(main(), {
    debug: options.debug ?? false,
    handleSigint: false,
    loopFactory: () => {
      const l = makeLoop(options as TestOptions<Fixtures>);
      loop = l;
      l.setExceptionHandler((_loop, ctx) => {
        reports.push(ctx);
      });
      // Unnamed tasks are numbered per test, so that names (in failures, in the
      // explorer's traces) are the same on every run, whatever ran before.
      let counter = 0;
      if (hooks.plainTasks !== true)
        l.setTaskFactory((lp, coro, opts) => {
          const t = new Task(coro, { ...opts, loop: lp, name: opts.name ?? `Task-${++counter}` });
          if (record) {
            const site = new Error("created here");
            sites.set(t, site);
            // Reports of lost exceptions carry the task's repr, not the task: find it by name.
            taskSitesByName.set(t.getName(), site);
          }
          return t;
        });
      if (record) {
        _watchResources(l, (r) => {
          sites.set(r, new Error("opened here"));
          const by = l._currentTask;
          if (by !== null) openers.set(r, by);
        });
      }
      hooks.setup?.(l);
      return l;
    },
  }).finally(() => {
    if (realTimer !== null) clearTimeout(realTimer);
    if (stallTimer !== null) clearTimeout(stallTimer);
    if (loop !== null) _watchResources(loop, null);
  });
  const allow = options.allowReports ?? false;
  const accepted: ExceptionContext[] = [];
  for (const ctx of reports) {
    if (allow === true || (typeof allow === "function" && allow(ctx))) accepted.push(ctx);
    else problems.push(describeReport(ctx, siteOf));
  }
  if (problems.length > 0) throw new LeakError(problems);
  return {
    result,
    elapsed: end - start,
    reports: accepted,
    loop: loop as unknown as BaseEventLoop,
  };
}

/**
 * The end-of-test check of subprocesses and threads. A subprocess is left behind when its
 * exit was never collected (wait(), communicate(), a non-null returncode): one still
 * running is killed and reaped here, so that it cannot outlive the test or keep Node
 * alive. A thread call is left behind while its function still runs (or waits in the
 * queue): its awaiting Future is cancelled and, on a ThreadPoolExecutor, its worker
 * terminated — run()'s shutdown would otherwise wait for it. Idle pooled workers are not
 * left behind: they run nothing of the test's, and run() shuts the default executor down.
 */
function* releaseProcessesAndThreads(
  loop: BaseEventLoop,
  allow: boolean,
  problems: string[],
  where: (o: object, verb: string) => string,
): Coroutine<void> {
  const ending: Promise<unknown>[] = [];
  for (const proc of _uncollectedSubprocesses(loop)) {
    if (!allow) {
      problems.push(
        proc._running
          ? `subprocess still running: ${String(proc)} ${proc._command}, ${where(proc, "started")} (killed: a test must wait() for the children it starts)`
          : `subprocess never waited for: ${String(proc)} ${proc._command}, ${where(proc, "started")} (collect its exit with wait() or communicate())`,
      );
    }
    ending.push(proc._killAndReap());
  }
  for (const call of _unfinishedThreadCalls(loop)) {
    const stoppable = call.executor instanceof ThreadPoolExecutor;
    if (!allow) {
      problems.push(
        `${call.state === "queued" ? "thread call still queued" : "thread still running"}: ${String(call)}, ${where(call, "started")}${stoppable ? (call.state === "queued" ? " (withdrawn)" : " (its worker was terminated)") : ""}`,
      );
    }
    ending.push(call.stop("the test that started the call ended while it ran"));
  }
  if (ending.length > 0) yield* bridgePromise(Promise.all(ending), loop);
}

function pendingOthers(loop: BaseEventLoop, me: Task<unknown>): Task<unknown>[] {
  return [...loop._tasks].filter((t) => t !== me && !t.done());
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function describeReport(ctx: ExceptionContext, siteOf: (o: object | string) => string): string {
  let s = ctx.message;
  if (ctx.exception !== undefined) s += `: ${describeError(ctx.exception)}`;
  const where: unknown = ctx.task ?? ctx.future;
  if ((typeof where === "object" && where !== null) || typeof where === "string") {
    s += ` (${String(where)}, created at ${siteOf(where)})`;
  }
  return s;
}

/**
 * Wraps a coroutine test body for any test runner that takes a Promise-returning function
 * (Vitest's `it`/`test`, `node:test`'s `test`, Jest, Mocha): the body runs through
 * {@link runTest} — a fresh virtual-time loop, fixtures, leak checks, timeouts.
 *
 * @example
 * ```ts
 * import { it } from "vitest";
 * import { asyncioTest } from "asyncio-ts/testing";
 *
 * it("sleeps an hour at once", asyncioTest(function* () {
 *   yield* asyncio.sleep(3600);
 * }));
 * it("on the real loop", asyncioTest({ loop: "real" }, function* () {
 *   yield* asyncio.sleep(0.01);
 * }));
 * ```
 */
export function asyncioTest(body: () => Coroutine<unknown>): () => Promise<void>;
export function asyncioTest<F extends Fixtures = Record<never, Fixture<unknown>>>(
  options: TestOptions<F>,
  body: (fixtures: FixtureValues<F>) => Coroutine<unknown>,
): () => Promise<void>;
export function asyncioTest<F extends Fixtures>(
  a: TestOptions<F> | (() => Coroutine<unknown>),
  b?: (fixtures: FixtureValues<F>) => Coroutine<unknown>,
): () => Promise<void> {
  const [options, body] =
    typeof a === "function"
      ? [{} as TestOptions<F>, a as (fixtures: FixtureValues<F>) => Coroutine<unknown>]
      : [a, b];
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `asyncioTest(): 'options' must be an object: received ${describe(options)}`,
    );
  }
  if (typeof body !== "function") {
    throw new TypeError(
      `asyncioTest(): 'body' must be a generator function: received ${describe(body)}`,
    );
  }
  // Checked at definition, so a typo fails where the test is written.
  checkSeconds(options.timeout, "timeout");
  checkSeconds(options.realTimeout, "realTimeout");
  return async () => {
    await runTest(body, options);
  };
}

/**
 * A test function of a runner (Vitest's `it`/`test`, `node:test`'s `test`), as
 * {@link withAsyncio} takes it.
 *
 * @example
 * ```ts
 * const t: TestFunction = (name, fn) => { void name; void fn; };
 * ```
 */
export type TestFunction = (name: string, fn: () => Promise<void>) => unknown;

/**
 * A runner's test function that takes coroutine bodies: `test(name, body)` or
 * `test(name, options, body)`. See {@link withAsyncio}.
 *
 * @example
 * ```ts
 * const test: CoroutineTestFunction = withAsyncio(it);
 * ```
 */
export interface CoroutineTestFunction {
  (name: string, body: () => Coroutine<unknown>): unknown;
  <F extends Fixtures = Record<never, Fixture<unknown>>>(
    name: string,
    options: TestOptions<F>,
    body: (fixtures: FixtureValues<F>) => Coroutine<unknown>,
  ): unknown;
}

/**
 * Turns a runner's test function into one that takes coroutine bodies, with default
 * options (a test's own options override them). The runner stays yours: asyncio-ts does
 * not import Vitest or `node:test`.
 *
 * @example
 * ```ts
 * import { it } from "vitest"; // or: import { test as it } from "node:test";
 * const test = withAsyncio(it, { timeout: 60 });
 *
 * test("a queue hands items over in order", function* () {
 *   const q = new asyncio.Queue<number>();
 *   yield* q.put(1);
 *   expect(yield* q.get()).toBe(1);
 * });
 * ```
 */
export function withAsyncio(
  test: TestFunction,
  defaults: TestOptions<Fixtures> = {},
): CoroutineTestFunction {
  if (typeof test !== "function") {
    throw new TypeError(
      `withAsyncio(): 'test' must be a test function (Vitest's it, node:test's test): received ${describe(test)}`,
    );
  }
  return ((
    name: string,
    a: TestOptions<Fixtures> | (() => Coroutine<unknown>),
    b?: (fixtures: FixtureValues<Fixtures>) => Coroutine<unknown>,
  ) => {
    const [options, body] = typeof a === "function" ? [{}, a] : [a, b];
    return test(
      name,
      asyncioTest(
        { ...defaults, ...options },
        body as (f: FixtureValues<Fixtures>) => Coroutine<unknown>,
      ),
    );
  }) as CoroutineTestFunction;
}
