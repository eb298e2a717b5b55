/**
 * `asyncio-ts ps PID` and `asyncio-ts pstree PID`: the pending tasks of another Node
 * process that runs asyncio-ts, as Python 3.14's `python -m asyncio ps|pstree PID`.
 *
 * How the process is reached: through Node's inspector, which every Node process can
 * open on request — `SIGUSR1` makes it listen on localhost (the process needs no flag).
 * We find the port it listens on (on Linux from `/proc/PID/net/tcp*` and the process's
 * socket descriptors, elsewhere Node's default 9229), connect over the DevTools protocol,
 * and evaluate the library's own formatter there, which the library leaves on its shared
 * runtime object (`globalThis[Symbol.for("asyncio-ts.runtime.v1")].report`, see
 * debug/tools.ts): the report is computed inside the process, by the code that knows its
 * tasks, and only text comes back. An inspector we opened is closed again before we
 * leave; one that was already open stays open.
 *
 * Why the inspector and not a signal handler the library installs: a handler would have
 * to be installed by every program in advance (the library cannot take SIGUSR2 from the
 * program), and it would need a channel back for the text; the inspector is there in
 * every Node process and answers with the value. What it costs: the target process runs
 * the evaluation on its main thread, between two of its JavaScript callbacks.
 *
 * @module
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { WebSocket } from "undici";
import { ExitCode, UsageError } from "./program.js";
import { answeredHelpOrVersion, parseArgs } from "./usage.js";

/**
 * `asyncio-ts ps --help` (and pstree's).
 *
 * @example
 * ```ts
 * process.stdout.write(psHelp);
 * ```
 */
export const psHelp = `Usage: asyncio-ts ps PID
       asyncio-ts pstree PID

Shows the pending asyncio-ts tasks of a running Node process: 'ps' as a table (task id,
name, coroutine stack, what it waits on, who awaits it), 'pstree' as the await tree.
Await cycles are flagged (pstree then exits with status 1).

The process needs no flag: its inspector is opened with SIGUSR1 on localhost, used for
one evaluation, and closed again (left open if it already was). You need permission to
signal the process (the same user, or root). Node opens the inspector on port 9229
(or the process's --inspect-port): if that port is taken, the process cannot open it.

Environment:
  ASYNCIO_TS_PS_TIMEOUT  seconds to wait for the inspector to open (default 10)

Options:
  -h, --help     show this help
`;

/**
 * What went wrong reaching the process: printed without a stack, exit status 1.
 *
 * @example
 * ```ts
 * throw new PsError("no process with id 1234");
 * ```
 */
export class PsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PsError";
  }
}

const KEY = 'Symbol.for("asyncio-ts.runtime.v1")';

/** How long to wait for the inspector to open after SIGUSR1 (ASYNCIO_TS_PS_TIMEOUT seconds). */
function openTimeoutMs(): number {
  const s = Number(process.env.ASYNCIO_TS_PS_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 10_000;
}

/** Listening TCP ports of `pid` (Linux); null when /proc cannot tell. */
function listeningPorts(pid: number): number[] | null {
  let inodes: Set<string>;
  try {
    inodes = new Set();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m !== null) inodes.add(m[1] as string);
      } catch {
        // the descriptor closed meanwhile
      }
    }
  } catch {
    return null;
  }
  const ports: number[] = [];
  for (const table of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const row of text.split("\n").slice(1)) {
      const f = row.trim().split(/\s+/);
      // local_address is f[1] ("0100007F:2405"), st is f[3] ("0A": LISTEN), inode is f[9].
      if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9] as string)) continue;
      const port = Number.parseInt((f[1] as string).split(":")[1] as string, 16);
      if (!ports.includes(port)) ports.push(port);
    }
  }
  return ports;
}

/** The DevTools WebSocket URL of an inspector listening on `port`, or null. */
async function inspectorAt(port: number): Promise<string | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/json/list`, {
      signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) return null;
    const targets = (await res.json()) as { webSocketDebuggerUrl?: string }[];
    const url = Array.isArray(targets) ? targets[0]?.webSocketDebuggerUrl : undefined;
    return typeof url === "string" ? url : null;
  } catch {
    return null;
  }
}

async function findInspector(pid: number): Promise<string | null> {
  const ports = listeningPorts(pid) ?? [9229];
  for (const port of ports) {
    const url = await inspectorAt(port);
    if (url !== null) return url;
  }
  return null;
}

function isNode(pid: number): boolean | null {
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    return /node|nodejs|tsx/i.test(exe) || /node/i.test(comm);
  } catch {
    return null; // not Linux, or not ours to read: let the signal decide
  }
}

/** One DevTools-protocol session: send commands, await their answers. */
class Session {
  private nextId = 0;
  private readonly waiting = new Map<number, (msg: Record<string, unknown>) => void>();
  /** Resolves when the connection has closed, from either side. */
  private readonly ended: Promise<void>;
  private constructor(private readonly ws: WebSocket) {
    this.ended = new Promise((resolve) =>
      ws.addEventListener("close", () => {
        // Evaluations still waiting will get no answer: fail them now, not at their timeout.
        for (const answer of this.waiting.values()) answer({ closed: true });
        this.waiting.clear();
        resolve();
      }),
    );
    ws.addEventListener("message", (e) => {
      const msg = JSON.parse(String(e.data)) as Record<string, unknown>;
      const id = msg.id as number | undefined;
      if (id !== undefined) {
        this.waiting.get(id)?.(msg);
        this.waiting.delete(id);
      }
    });
  }

  static open(url: string): Promise<Session> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(
        () => reject(new PsError(`the inspector at ${url} did not answer`)),
        10_000,
      );
      ws.addEventListener("open", () => {
        clearTimeout(timer);
        resolve(new Session(ws));
      });
      ws.addEventListener("error", () => {
        clearTimeout(timer);
        reject(
          new PsError(
            `cannot connect to the inspector at ${url} (another debugger may be attached)`,
          ),
        );
      });
    });
  }

  /** Evaluates `expression` in the process; resolves with its value (JSON-able). */
  evaluate(expression: string): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new PsError("the process did not answer the evaluation within 30 s")),
        30_000,
      );
      this.waiting.set(id, (msg) => {
        clearTimeout(timer);
        if (msg.closed === true) {
          reject(new PsError("the process closed the inspector connection before answering"));
          return;
        }
        const result = msg.result as
          | { result?: { value?: unknown }; exceptionDetails?: { text?: string } }
          | undefined;
        if (result?.exceptionDetails !== undefined) {
          reject(new PsError(`evaluation failed in the process: ${result.exceptionDetails.text}`));
        } else resolve(result?.result?.value);
      });
      this.ws.send(
        JSON.stringify({
          id,
          method: "Runtime.evaluate",
          params: { expression, returnByValue: true, includeCommandLineAPI: false },
        }),
      );
    });
  }

  close(): void {
    this.ws.close();
  }

  /** Waits up to `ms` for the process to end the connection; true if it did. */
  async endedByPeer(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([this.ended.then(() => true as const), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The expression evaluated in the process: the library's report, or why there is none.
 * Kept to plain ES5 so that it runs in any Node the target runs.
 */
function reportExpression(what: "ps" | "pstree"): string {
  return `(function () {
    var rt = globalThis[${KEY}];
    if (rt === undefined) return { refused: "this process has not loaded asyncio-ts (no asyncio-ts runtime in it)" };
    if (typeof rt.report !== "function") return { refused: "this process's asyncio-ts is too old for ps/pstree" };
    return rt.report(${JSON.stringify(what)});
  })()`;
}

/**
 * Closes the process's inspector from inside, after this evaluation has answered (closing
 * it synchronously would drop the answer along with the connection).
 */
const CLOSE_INSPECTOR = `(function () {
  var get = typeof process.getBuiltinModule === "function" ? process.getBuiltinModule : typeof require === "function" ? require : null;
  if (get === null) return false;
  var inspector = get("inspector");
  setTimeout(function () { inspector.close(); }, 0);
  return true;
})()`;

/**
 * Reports the tasks of process `pid`; resolves with the text and the number of cycles.
 * Throws {@link PsError} with a sentence when the process cannot be reached or runs no
 * asyncio-ts loop.
 *
 * @example
 * ```ts
 * const { text } = await inspectTasks(1234, "pstree");
 * ```
 */
export async function inspectTasks(
  pid: number,
  what: "ps" | "pstree",
): Promise<{ text: string; cycles: number }> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PsError(
      code === "EPERM"
        ? `not allowed to signal process ${pid} (run as its user, or as root)`
        : `no process with id ${pid}`,
    );
  }
  if (pid === process.pid) throw new PsError("cannot inspect this very process");
  if (isNode(pid) === false) throw new PsError(`process ${pid} is not a Node.js process`);
  let url = await findInspector(pid);
  const wasOpen = url !== null;
  if (!wasOpen) {
    process.kill(pid, "SIGUSR1");
    const timeout = openTimeoutMs();
    const deadline = Date.now() + timeout;
    while (url === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        process.kill(pid, 0);
      } catch {
        throw new PsError(`process ${pid} ended after SIGUSR1 (it treats SIGUSR1 as fatal)`);
      }
      url = await findInspector(pid);
    }
    if (url === null) {
      throw new PsError(
        `process ${pid} did not open its inspector after SIGUSR1 within ${timeout / 1000} s: ` +
          "the inspector is disabled there (--disable-sigusr1, a SIGUSR1 handler of its own, or a Node built without it), " +
          "or its port is taken; start it with --inspect to allow ps/pstree",
      );
    }
  }
  const session = await Session.open(url as string);
  try {
    const answer = (await session.evaluate(reportExpression(what))) as
      | { text: string; cycles: number }
      | { refused: string }
      | undefined;
    if (answer === undefined || answer === null || typeof answer !== "object") {
      throw new PsError("the process gave no report");
    }
    if ("refused" in answer) throw new PsError(`process ${pid}: ${answer.refused}`);
    return answer;
  } finally {
    let closing = false;
    if (!wasOpen) {
      try {
        closing = (await session.evaluate(CLOSE_INSPECTOR)) === true;
      } catch {
        // the process went away: nothing is left open
      }
    }
    // The process's inspector.close() ends this connection from its side. Closing it from
    // this side as well races with that teardown, which crashes Node 20 now and then
    // (SIGSEGV in the inspected process): so this side waits for the process to end it.
    if (!closing || !(await session.endedByPeer(10_000))) session.close();
  }
}

async function command(what: "ps" | "pstree", argv: string[]): Promise<number> {
  const { flags, rest } = parseArgs(argv, [], `asyncio-ts ${what}`);
  if (answeredHelpOrVersion(flags, psHelp)) return ExitCode.ok;
  if (rest.length !== 1)
    throw new UsageError(`${what} takes one PID (see 'asyncio-ts ${what} --help')`);
  const pid = Number(rest[0]);
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new UsageError(`PID must be a positive integer: received '${rest[0]}'`);
  }
  try {
    const { text, cycles } = await inspectTasks(pid, what);
    process.stdout.write(`${text}\n`);
    return what === "pstree" && cycles > 0 ? ExitCode.failed : ExitCode.ok;
  } catch (e) {
    if (!(e instanceof PsError)) throw e;
    process.stderr.write(`asyncio-ts ${what}: ${e.message}\n`);
    return ExitCode.failed;
  }
}

/**
 * `asyncio-ts ps PID`; resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await psCommand(["1234"]);
 * ```
 */
export function psCommand(argv: string[]): Promise<number> {
  return command("ps", argv);
}

/**
 * `asyncio-ts pstree PID`; resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await pstreeCommand(["1234"]);
 * ```
 */
export function pstreeCommand(argv: string[]): Promise<number> {
  return command("pstree", argv);
}
