#!/usr/bin/env node
// What V8 itself charges for the pieces of a cancellation, with no scheduler around them.
// These are the floors under W5: asyncio-ts delivers a cancellation as a real CancelledError
// thrown into the task's generator (DESIGN: the coroutine may catch it and clean up).
//
//   node bench/floors.mjs [--json]
//
// Prints, per operation, the median of 5 rounds of 100,000:
// - new Error with Error.stackTraceLimit = 0 (the cheapest real Error: what the scheduler makes);
// - one throw out of a generator suspended in `yield*`, caught by the caller;
// - the same when the generator catches and re-throws (the W5 child, as an asyncio user writes it);
// each inside a microtask (where asyncio-ts runs its ticks) and inside a setImmediate callback
// (where V8 builds a message object for every throw: see BaseEventLoop._tickSoon).

const N = 100_000;
const ROUNDS = 5;

class Cancelled extends Error {}

function stacklessError() {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Cancelled();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const PREMADE = stacklessError();

/** An awaitable whose second next() throws, as a cancelled sleep() does. */
class Thrower {
  state = 0;
  [Symbol.iterator]() {
    return this;
  }
  next() {
    if (this.state++ === 0) return { done: false, value: this };
    throw PREMADE;
  }
}

function* plain() {
  yield* new Thrower();
}

function* rethrowing() {
  try {
    yield* new Thrower();
  } catch (e) {
    if (e instanceof Cancelled) throw e;
    throw e;
  }
}

function timeErrors() {
  const t0 = performance.now();
  let last;
  for (let i = 0; i < N; i++) last = stacklessError();
  const t1 = performance.now();
  if (!(last instanceof Cancelled)) throw new Error("unreachable");
  return ((t1 - t0) * 1000) / N;
}

function timeThrows(genFn) {
  const gens = [];
  for (let i = 0; i < N; i++) {
    const g = genFn();
    g.next();
    gens.push(g);
  }
  let caught = 0;
  const t0 = performance.now();
  for (const g of gens) {
    try {
      g.next();
    } catch {
      caught++;
    }
  }
  const t1 = performance.now();
  if (caught !== N) throw new Error(`caught ${caught} of ${N}`);
  return ((t1 - t0) * 1000) / N;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function measure(host) {
  const rows = {
    "new Error (stackTraceLimit 0)": [],
    "throw out of a yield*": [],
    "throw, catch and re-throw in the generator": [],
  };
  return new Promise((resolve) => {
    let round = 0;
    const step = () => {
      rows["new Error (stackTraceLimit 0)"].push(timeErrors());
      rows["throw out of a yield*"].push(timeThrows(plain));
      rows["throw, catch and re-throw in the generator"].push(timeThrows(rethrowing));
      if (++round < ROUNDS) host(step);
      else resolve(rows);
    };
    host(step);
  });
}

const hosts = {
  "in a microtask": (fn) => queueMicrotask(fn),
  "in a setImmediate callback": (fn) => setImmediate(fn),
};
// `--json`: one line, {host: {operation: µs}}, for bench/run.mjs (which runs this once per
// round, beside W5, and states W5 as a fraction of the floor measured under the same load).
const json = process.argv.includes("--json");
const out = {};
for (const [name, host] of Object.entries(hosts)) {
  const rows = await measure(host);
  out[name] = Object.fromEntries(Object.entries(rows).map(([op, xs]) => [op, median(xs)]));
  if (json) continue;
  console.log(`${name}:`);
  for (const [op, xs] of Object.entries(rows)) {
    console.log(`  ${median(xs).toFixed(2).padStart(6)} µs  ${op}`);
  }
}
if (json) console.log(JSON.stringify(out));
