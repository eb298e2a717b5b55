/**
 * Trio's testing tools in asyncio's terms: wait until every task is blocked, force an
 * order between tasks with a Sequencer, move a virtual clock by hand.
 *
 * @module
 */

import type { AsyncContextManager } from "../contextlib.js";
import type { Coroutine } from "../core/coroutines.js";
import { describe } from "../core/coroutines.js";
import { getRunningLoop } from "../core/events.js";
import { RuntimeError } from "../core/exceptions.js";
import type { Future } from "../core/futures.js";
import { VirtualEventLoop } from "../loops/virtual.js";
import { sleep } from "../tasks.js";

/**
 * The running loop, which must be a {@link VirtualEventLoop} (the clock tools need one).
 *
 * Errors: `RuntimeError` when no loop runs or it is not a virtual-time loop.
 *
 * @example
 * ```ts
 * const loop = virtualLoop();
 * loop.autojumpThreshold = Infinity; // manual clock from here on
 * loop.advance(5);
 * ```
 */
export function virtualLoop(): VirtualEventLoop {
  const loop = getRunningLoop();
  if (!(loop instanceof VirtualEventLoop)) {
    throw new RuntimeError(
      `this testing tool needs a VirtualEventLoop, and the running loop is ${String(loop)}: run the test on the virtual loop (the default of asyncioTest)`,
    );
  }
  return loop;
}

/**
 * Waits until every other task is blocked — waiting on a future, a lock, a queue, a
 * timer that is not yet due, or outside work — then returns, before the virtual clock
 * moves (Trio's `wait_all_tasks_blocked`). Several waiters are woken one at a time, in the
 * order they started waiting. Needs the virtual-time loop.
 *
 * Cancellation: a cancelled waiter stops waiting and is not woken later.
 *
 * @example
 * ```ts
 * const q = new asyncio.Queue<number>();
 * const consumer = asyncio.createTask(q.get());
 * yield* waitAllTasksBlocked(); // consumer is now parked in get()
 * expect(consumer.done()).toBe(false);
 * ```
 */
export function* waitAllTasksBlocked(): Coroutine<void> {
  const loop = virtualLoop();
  const woken = loop.createFuture<void>();
  const remove = loop._onAllBlocked(() => {
    if (!woken.done()) woken.setResult(undefined);
  });
  try {
    yield* woken;
  } finally {
    remove();
  }
}

/**
 * Lets every task run until blocked, moves the virtual clock forward by `seconds`, and lets
 * the timers that became due run, returning once every task is blocked again (Trio's `MockClock.jump` followed by
 * `wait_all_tasks_blocked`). Use it with a manual clock (`autojumpThreshold: Infinity`).
 *
 * Errors: `RangeError` for a negative or non-number `seconds`; `RuntimeError` off the
 * virtual loop.
 *
 * @example
 * ```ts
 * const t = asyncio.createTask(asyncio.sleep(10));
 * yield* advance(9);
 * expect(t.done()).toBe(false);
 * yield* advance(1);
 * expect(t.done()).toBe(true);
 * ```
 */
export function* advance(seconds: number): Coroutine<void> {
  const loop = virtualLoop();
  // Tasks created just before (not yet started) arm their timers first, at the old time.
  yield* waitAllTasksBlocked();
  loop.advance(seconds);
  yield* sleep(0);
  yield* waitAllTasksBlocked();
}

interface SequencerState {
  position: number;
  broken: boolean;
  waiters: Map<number, Future<void>>;
  claimed: Set<number>;
}

/**
 * Forces an order between tasks (Trio's `Sequencer`): `seq.at(n)` is an async context
 * manager whose body runs only after the bodies at positions 0 … n-1 have finished, so a
 * test can set up exactly the interleaving it wants to check. Each position is used once.
 *
 * Errors: `RuntimeError` when a position is used twice, or when the sequence is broken
 * (a body at an earlier position raised or was cancelled: later ones fail rather than
 * wait for ever). `RangeError` unless the position is a non-negative integer.
 *
 * @example
 * ```ts
 * const seq = new Sequencer();
 * const order: string[] = [];
 * yield* asyncio.gather(
 *   (function* () {
 *     yield* asyncio.asyncWith(seq.at(1), function* () { order.push("second"); });
 *   })(),
 *   (function* () {
 *     yield* asyncio.asyncWith(seq.at(0), function* () { order.push("first"); });
 *   })(),
 * );
 * // order: ["first", "second"]
 * ```
 */
export class Sequencer {
  /** @internal */
  private readonly _s: SequencerState = {
    position: 0,
    broken: false,
    waiters: new Map(),
    claimed: new Set(),
  };

  /** The async context manager for position `position`. */
  at(position: number): AsyncContextManager<void> {
    if (!Number.isInteger(position) || position < 0) {
      throw new RangeError(
        `Sequencer.at(): 'position' must be an integer >= 0: received ${describe(position)}`,
      );
    }
    const s = this._s;
    return {
      *aenter(): Coroutine<void> {
        if (s.claimed.has(position)) {
          throw new RuntimeError(
            `Sequencer.at(${position}): position ${position} was already used`,
          );
        }
        s.claimed.add(position);
        if (s.broken) throw new RuntimeError(`Sequencer.at(${position}): the sequence is broken`);
        if (s.position < position) {
          const fut = getRunningLoop().createFuture<void>();
          s.waiters.set(position, fut);
          try {
            yield* fut;
          } catch (e) {
            s.broken = true;
            wakeAll(s);
            throw e;
          } finally {
            s.waiters.delete(position);
          }
          if (s.broken) throw new RuntimeError(`Sequencer.at(${position}): the sequence is broken`);
        }
      },
      *aexit(exc: unknown): Coroutine<undefined> {
        if (exc !== undefined) {
          s.broken = true;
          wakeAll(s);
          return undefined;
        }
        s.position = position + 1;
        const next = s.waiters.get(s.position);
        if (next !== undefined && !next.done()) next.setResult(undefined);
        return undefined;
      },
    };
  }
}

function wakeAll(s: SequencerState): void {
  for (const fut of s.waiters.values()) if (!fut.done()) fut.setResult(undefined);
}
