/**
 * asyncio-ts in a browser: the same coroutines as on Node, on `BrowserEventLoop`, in the
 * page and in a Web Worker the page starts. The page shows what each one printed.
 *
 * A browser program imports "asyncio-ts" and its bundler resolves that to the portable
 * entry (the package's `browser` condition); in this repository it imports the source:
 *
 * ```sh
 * npx esbuild examples/browser/main.ts --bundle --format=esm --outfile=examples/browser/main.js
 * npx http-server examples/browser   # or any static server; open index.html
 * ```
 *
 * What it shows:
 * - `asyncio.run()` picks the browser's loop by itself (`BrowserEventLoop`);
 * - sleeps, `gather`, a `TaskGroup`, a timeout and a queue behave as on Node, in the same
 *   order (the lines printed are the same in the page, in the worker and in Node's
 *   walkthrough of the same steps);
 * - a loop kept busy by ready tasks still lets the host do its own work in between: the
 *   page paints a frame (a worker fires a timer) while a task loops on `sleep(0)`.
 */
import * as asyncio from "../../src/portable.js";

/** Where the program's lines go: the page's list, or messages to the page. */
export type Print = (line: string) => void;

function* download(print: Print, name: string, seconds: number): asyncio.Coroutine<number> {
  print(`${name}: started`);
  yield* asyncio.sleep(seconds);
  print(`${name}: done after ${seconds}s`);
  return name.length;
}

function* worker(print: Print, name: string, queue: asyncio.Queue<number>) {
  for (;;) {
    const job = yield* queue.get();
    yield* asyncio.sleep(job / 10);
    print(`${name}: job ${job} finished`);
    queue.taskDone();
  }
}

/**
 * Loops on `sleep(0)` (every step a ready task, no timer) until `other` reports that the
 * host did its own work: a frame in a page, a timer in a worker. A loop that never gave the
 * host a turn would spin here until the timeout.
 */
function* busyUntil(other: () => Promise<void>): asyncio.Coroutine<boolean> {
  let happened = false;
  void other().then(() => {
    happened = true;
  });
  function* spin(): asyncio.Coroutine<boolean> {
    while (!happened) yield* asyncio.sleep(0);
    return true;
  }
  try {
    return yield* asyncio.waitFor(spin(), 10);
  } catch (e) {
    if (e instanceof asyncio.TimeoutError) return false;
    throw e;
  }
}

/** The host's own work: the next animation frame in a page, a timer elsewhere. */
function hostWork(): Promise<void> {
  const raf = (globalThis as { requestAnimationFrame?: (cb: () => void) => number })
    .requestAnimationFrame;
  return new Promise<void>((resolve) => {
    if (typeof raf === "function" && "document" in globalThis) raf(() => resolve());
    else setTimeout(resolve, 5);
  });
}

/** The program: what a page (or worker) would do with asyncio. */
export function* main(print: Print = console.log): asyncio.Coroutine<void> {
  print(`loop: ${asyncio.getRunningLoop().constructor.name}`);

  // Concurrent sleeps: results in the order given, not the order finished.
  const sizes = yield* asyncio.gather(
    download(print, "big.bin", 0.5),
    download(print, "small.txt", 0.1),
  );
  print(`sizes: ${sizes.join(", ")}`);

  // A timeout: the slow step is cancelled, and the TimeoutError says so.
  try {
    yield* asyncio.waitFor(download(print, "never.iso", 5), 0.2);
  } catch (e) {
    print(`never.iso: ${e instanceof asyncio.TimeoutError ? "timed out" : String(e)}`);
  }

  // A queue shared by two workers in a TaskGroup, closed when every job is done.
  const queue = new asyncio.Queue<number>();
  for (const job of [6, 1, 2]) queue.putNowait(job);
  yield* asyncio.withTaskGroup(function* (tg) {
    const a = tg.createTask(worker(print, "worker A", queue));
    const b = tg.createTask(worker(print, "worker B", queue));
    yield* queue.join();
    a.cancel();
    b.cancel();
  });
  print("queue: all jobs done");

  // The loop shares the thread: the host's own work runs while tasks are ready.
  const served = yield* busyUntil(hostWork);
  print(`host work ran while the loop was busy: ${served ? "yes" : "no (starved)"}`);
}

/** The page's list of lines for `title`, made on first use. */
function pageList(title: string): Print {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const section = doc.createElement("section");
  const heading = doc.createElement("h2");
  heading.textContent = title;
  const list = doc.createElement("ol");
  list.id = `${title.replace(/\W+/g, "-")}-lines`;
  section.append(heading, list);
  doc.body.append(section);
  return (line) => {
    const item = doc.createElement("li");
    item.textContent = line;
    list.append(item);
  };
}

/** The little of the DOM this file uses (the project's types are Node's, not the DOM's). */
interface PageElement {
  id: string;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  append(...nodes: PageElement[]): void;
}
interface PageDocument {
  body: PageElement;
  createElement(tag: string): PageElement;
}

/** The worker's messages to the page: a line, or the end (with an error, if it failed). */
type WorkerMessage = { line: string } | { done: true; error?: string };

const g = globalThis as {
  document?: PageDocument;
  WorkerGlobalScope?: unknown;
  postMessage?: (m: WorkerMessage) => void;
  Worker?: new (
    url: string | URL,
    options: { type: "module" },
  ) => {
    onmessage: ((e: { data: WorkerMessage }) => void) | null;
    onerror: ((e: { message: string }) => void) | null;
  };
};

/** In a worker: runs the program, posting each line to the page. */
async function inWorker(post: (m: WorkerMessage) => void): Promise<void> {
  try {
    await asyncio.run(main((line) => post({ line })));
    post({ done: true });
  } catch (e) {
    post({ done: true, error: String(e) });
  }
}

/** In a page: runs the program, then the same in a module worker started from this file. */
async function inPage(doc: PageDocument): Promise<void> {
  const body = doc.body;
  try {
    await asyncio.run(main(pageList("page")));
    const Worker = g.Worker;
    if (Worker !== undefined) {
      const print = pageList("worker");
      await new Promise<void>((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { type: "module" });
        w.onmessage = ({ data }) => {
          if ("line" in data) print(data.line);
          else if (data.error === undefined) resolve();
          else reject(new Error(`worker: ${data.error}`));
        };
        w.onerror = (e) => reject(new Error(`worker: ${e.message}`));
      });
    }
    body.dataset.done = "ok";
  } catch (e) {
    body.dataset.done = `error: ${String(e)}`;
  }
}

if (g.document !== undefined) void inPage(g.document);
else if (g.WorkerGlobalScope !== undefined && g.postMessage !== undefined) {
  void inWorker(g.postMessage.bind(globalThis));
}
