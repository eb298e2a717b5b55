/**
 * Eager task factories (asyncio 3.12+): tasks whose first step runs inside `createTask()`.
 *
 * A coroutine that finishes without suspending (a cache hit, an uncontended lock) then
 * never goes through the loop at all: its task comes back already done. A coroutine that
 * suspends goes on as an ordinary task. Eager start changes ordering (the child runs
 * before the creator continues), which is why it is opt-in.
 *
 * @module
 */

import type { TaskFactory } from "./core/base_events.js";
import type { Coroutine } from "./core/coroutines.js";
import { describe } from "./core/coroutines.js";
import { Task, type TaskConstructorOptions } from "./core/tasks.js";

/**
 * A Task class, as {@link createEagerTaskFactory} takes it: `Task` or a subclass.
 *
 * @example
 * ```ts
 * class TracedTask<T> extends asyncio.Task<T> {}
 * const ctor: asyncio.TaskConstructor = TracedTask;
 * asyncio.getRunningLoop().setTaskFactory(asyncio.createEagerTaskFactory(ctor));
 * ```
 */
export type TaskConstructor = new <T>(
  coro: Coroutine<T>,
  options: TaskConstructorOptions,
) => Task<T>;

/**
 * A task factory that constructs tasks with `taskConstructor` and starts them eagerly
 * (`eagerStart: true`, unless a `createTask()` call asks for `eagerStart: false`).
 * Install it with `loop.setTaskFactory()`.
 *
 * Errors: `TypeError` if `taskConstructor` is not a constructor.
 *
 * @example
 * ```ts
 * class TracedTask<T> extends asyncio.Task<T> {}
 * asyncio.getRunningLoop().setTaskFactory(asyncio.createEagerTaskFactory(TracedTask));
 * ```
 */
export function createEagerTaskFactory(taskConstructor: TaskConstructor): TaskFactory {
  if (typeof taskConstructor !== "function" || taskConstructor.prototype === undefined) {
    throw new TypeError(
      `createEagerTaskFactory(): 'taskConstructor' must be a Task class: received ${describe(taskConstructor)}`,
    );
  }
  return function eagerFactory(loop, coro, options) {
    return new taskConstructor(coro, {
      ...options,
      loop,
      eagerStart: options.eagerStart ?? true,
    });
  };
}

/**
 * The task factory that starts every task eagerly: `createEagerTaskFactory(Task)`.
 *
 * @example
 * ```ts
 * const cache = new Map<number, string>([[42, "the answer"]]);
 * function* cached(key: number) {
 *   const hit = cache.get(key);
 *   if (hit !== undefined) return hit; // no await: an eager task finishes at once
 *   yield* asyncio.sleep(1);
 *   return `computed ${key}`;
 * }
 * function* main() {
 *   asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
 *   const t = asyncio.createTask(cached(42)); // ran at once
 *   console.log(t.done(), t.result()); // true the answer
 *   asyncio.getRunningLoop().setTaskFactory(null);
 * }
 * ```
 */
export const eagerTaskFactory: TaskFactory = createEagerTaskFactory(Task);
