// The limit (L): the least a generator-based scheduler can do on V8. Generator
// coroutines are driven from a FIFO ring-buffer ready queue; a bare `yield` means
// "reschedule me", yielding PARK means "wait until someone wakes me". Nothing else:
// no timers, no I/O, no cancellation, no return to Node's event loop.
//
// Usage: node bench/dist/trampoline.mjs W1|W2|D1..D1000 [--n N] [--variant ystar]
// `--variant ystar` writes the user code as asyncio-ts will: every suspension goes
// through `yield*` into a helper generator (sleep0(), join()), so it also pays for one
// generator object and one delegation per await.
import { depthWorkloads, main, type Outcome, sum, triangular } from "./common.js";

// ---------------------------------------------------------------- the trampoline
type Coro = Generator<unknown, unknown, unknown>;
const PARK = Symbol("park");

/** FIFO ring buffer with a power-of-two capacity that doubles when full. */
class Ring<T> {
  private buf: Array<T | undefined>;
  private head = 0;
  size = 0;
  constructor(capacity = 1024) {
    this.buf = new Array<T | undefined>(capacity);
  }
  push(item: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = item;
    this.size++;
  }
  shift(): T {
    const item = this.buf[this.head] as T;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return item;
  }
  private grow(): void {
    const old = this.buf;
    const mask = old.length - 1;
    const buf = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.size; i++) buf[i] = old[(this.head + i) & mask];
    this.buf = buf;
    this.head = 0;
  }
}

class Task {
  done = false;
  result: unknown = undefined;
  waiter: Task | null = null;
  constructor(readonly coro: Coro) {}
}

const ready = new Ring<Task>();
let current: Task | null = null;

function spawn(coro: Coro): Task {
  const task = new Task(coro);
  ready.push(task);
  return task;
}

function runUntilIdle(): void {
  while (ready.size > 0) {
    const task = ready.shift();
    current = task;
    const step = task.coro.next();
    if (step.done) {
      task.done = true;
      task.result = step.value;
      if (task.waiter !== null) {
        ready.push(task.waiter);
        task.waiter = null;
      }
    } else if (step.value !== PARK) {
      ready.push(task); // bare yield: back of the queue
    }
  }
  current = null;
}
// ---------------------------------------------------------------- end of the trampoline

const ystar = process.argv.includes("ystar");

/** What `yield* asyncio.sleep(0)` and `yield* task` cost in the delegating style. */
function* sleep0(): Coro {
  yield;
  return undefined;
}
function* join(task: Task): Coro {
  if (!task.done) {
    task.waiter = current;
    yield PARK;
  }
  return task.result;
}

function* w1Body(n: number): Coro {
  let i = 0;
  if (ystar) for (; i < n; i++) yield* sleep0();
  else for (; i < n; i++) yield;
  return i;
}

function* child(i: number): Coro {
  if (ystar) yield* sleep0();
  else yield;
  return i;
}

function* w2Body(n: number): Coro {
  const tasks: Task[] = [];
  for (let i = 0; i < n; i++) tasks.push(spawn(child(i)));
  const results: number[] = [];
  for (const t of tasks) {
    if (ystar) {
      results.push((yield* join(t)) as number);
    } else {
      if (!t.done) {
        t.waiter = current;
        yield PARK;
      }
      results.push(t.result as number);
    }
  }
  return results;
}

async function w1Switch(n: number): Promise<Outcome> {
  const t0 = performance.now();
  const root = spawn(w1Body(n));
  runUntilIdle();
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, ok: root.result === n, check: `yields=${String(root.result)}` };
}

async function w2Spawn(n: number): Promise<Outcome> {
  const t0 = performance.now();
  const root = spawn(w2Body(n));
  runUntilIdle();
  const seconds = (performance.now() - t0) / 1000;
  const results = root.result as number[];
  const ok = results.length === n && results.every((r, i) => r === i);
  return { seconds, ok, check: `sum=${sum(results)} expected=${triangular(n)}` };
}

/** D*: a `yield*` chain of `depth` generators; the innermost yields n times (ystar only). */
function depthBench(depth: number) {
  return async (n: number): Promise<Outcome> => {
    function* level(d: number): Coro {
      if (d > 1) return yield* level(d - 1);
      let i = 0;
      for (; i < n; i++) yield* sleep0();
      return i;
    }
    // The chain is awaited by a main coroutine, as in every other program (asyncio-ts's
    // and CPython's `run(main())`, the async functions' `await level(depth)`): depth + 1
    // generators in all, not depth.
    function* main(): Coro {
      return yield* level(depth);
    }
    const t0 = performance.now();
    const root = spawn(main());
    runUntilIdle();
    const seconds = (performance.now() - t0) / 1000;
    return {
      seconds,
      ok: root.result === n,
      check: `resumes=${String(root.result)} depth=${depth}`,
    };
  };
}

await main(
  "L",
  ystar
    ? {
        W1: w1Switch,
        W2: w2Spawn,
        ...depthWorkloads(depthBench),
      }
    : { W1: w1Switch, W2: w2Spawn },
);
