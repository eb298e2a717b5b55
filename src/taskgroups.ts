/**
 * TaskGroup: asyncio's structured concurrency, `async with asyncio.TaskGroup() as tg:`.
 *
 * Invariants (asyncio 3.11–3.15):
 * - exit waits for every child; children may add children until the group aborts;
 * - the first child failure (not a cancellation) aborts the group: every unfinished child
 *   is cancelled, and the body's task is cancelled once — that one cancellation is taken
 *   back (`uncancel()`) on exit, so it never leaks out of the group;
 * - errors win over cancellation: if anything failed, the group raises an
 *   `ExceptionGroup` of the failures (and of the body's own error), never a
 *   `CancelledError`; a cancellation from outside the group propagates as `CancelledError`
 *   after the children have ended, and only if nothing failed;
 * - a group with no children left never suspends on exit.
 *
 * @module
 */

import { type AsyncContextManager, asyncWith } from "./contextlib.js";
import type { BaseEventLoop } from "./core/base_events.js";

import { type Coroutine, iscoroutine } from "./core/coroutines.js";
import { getRunningLoop } from "./core/events.js";
import { isCancelledError, KeyboardInterrupt, RuntimeError } from "./core/exceptions.js";
import type { Future } from "./core/futures.js";
import { _noteWait } from "./core/observer.js";
import type { Runnable } from "./core/readyqueue.js";
import { _markAwaited, type Task, type TaskOptions } from "./core/tasks.js";
import { _noteTaskGroup } from "./debug/graph.js";
import { BaseExceptionGroup } from "./exceptiongroups.js";

/** Python's SystemExit/KeyboardInterrupt: re-raised bare, never put in the group. */
function isBaseError(e: unknown): boolean {
  return e instanceof KeyboardInterrupt;
}

/** Python closes the coroutine it refuses, so it is neither run nor reported as never awaited. */
function closeCoroutine(coro: unknown): void {
  if (iscoroutine(coro)) {
    _markAwaited(coro);
    coro.return(undefined);
  }
}

/**
 * A group of child tasks whose lifetime is bounded by a scope, as asyncio's `TaskGroup`.
 * Use it with `asyncWith` (or {@link withTaskGroup}):
 *
 * - leaving the scope waits for every child;
 * - the first child that fails cancels the body and every other child, and the group
 *   raises an {@link ExceptionGroup} holding every failure (never the cancellations),
 *   including the body's own error if it had one;
 * - a cancellation of the enclosing task propagates as `CancelledError`, after the
 *   children were cancelled and have ended — unless some child failed, in which case the
 *   ExceptionGroup wins;
 * - `KeyboardInterrupt` from a child or the body is re-raised as is;
 * - a group is used once; adding tasks to a group that is finished or shutting down throws
 *   `RuntimeError`.
 *
 * @example
 * ```ts
 * function* main() {
 *   yield* asyncio.asyncWith(new asyncio.TaskGroup(), function* (tg) {
 *     const a = tg.createTask(fetchUser(1));
 *     const b = tg.createTask(fetchUser(2), { name: "user-2" });
 *     // both are running; the scope waits for them
 *   });
 *   console.log("both done");
 * }
 * ```
 */
export class TaskGroup implements AsyncContextManager<TaskGroup> {
  /** @internal */
  private _entered = false;
  /** @internal */
  private _exiting = false;
  /** @internal */
  private _aborting = false;
  /** @internal */
  private _loop: BaseEventLoop | null = null;
  /** @internal */
  private _parentTask: Task<unknown> | null = null;
  /** @internal */
  private _parentCancelRequested = false;
  /**
   * The children, in creation order. A child leaves when the array is pruned, some time
   * after its done-notice: a Set's hashing cost a fifth of cancelling 100,000 children,
   * and `_pending`, not the array, says how many are left (see `_taskDone`).
   * @internal
   */
  private _tasks: Task<unknown>[] = [];
  /** @internal Children whose done-notice has not arrived yet (asyncio's `len(_tasks)`). */
  private _pending = 0;
  /** @internal Done-notices since the array was last pruned. */
  private _noticed = 0;
  /** @internal */
  private _errors: unknown[] = [];
  /** @internal */
  private _baseError: unknown = null;
  /** @internal */
  private _onCompletedFut: Future<boolean> | null = null;
  /** @internal */
  private _cancelOnEnter = false;
  /**
   * Told when each child is done, through the ready queue like a done-callback (so in
   * order with the others), but as an internal waiter: no Handle, argument array or
   * context per child, as gather does.
   * @internal
   */
  private readonly _childDone: Runnable = { _run: (task) => this._taskDone(task as Task<unknown>) };

  /**
   * Enters the group (`async with`): binds it to the running loop and the current task.
   * Throws `RuntimeError` if it was entered before or runs outside a task.
   */
  *aenter(): Coroutine<TaskGroup> {
    if (this._entered) throw new RuntimeError(`TaskGroup ${this} has already been entered`);
    const loop = getRunningLoop();
    const parent = loop._currentTask;
    if (parent === null)
      throw new RuntimeError(`TaskGroup ${this} cannot determine the parent task`);
    this._loop = loop;
    this._parentTask = parent;
    // The call graph shows the group's children as awaited by the parent task.
    _noteTaskGroup(this);
    this._entered = true;
    if (this._cancelOnEnter) this.cancel();
    return this;
  }

  /**
   * Leaves the group: waits for every child, then raises as the class description says.
   * Returns `true` (suppressing the body's `CancelledError`) only when the group was
   * ended by {@link TaskGroup.cancel} and nothing failed.
   */
  *aexit(exc: unknown): Coroutine<boolean> {
    try {
      return yield* this._aexit(exc);
    } finally {
      this._parentTask = null;
    }
  }

  /** @internal */
  private *_aexit(exc: unknown): Coroutine<boolean> {
    if (!this._entered || this._parentTask === null) {
      throw new RuntimeError(`TaskGroup ${this} has not been entered`);
    }
    const parent = this._parentTask;
    this._exiting = true;
    const hasExc = exc !== undefined;
    if (hasExc && isBaseError(exc) && this._baseError === null) this._baseError = exc;
    let propagateCancellation: unknown = isCancelledError(exc) ? exc : null;
    // The body failed or is being cancelled: stop the children.
    if (hasExc && !this._aborting) this._abort();

    // A loop, because the wait itself may be cancelled several times over (the enclosing
    // task cancelled repeatedly, or once while our own abort is in progress).
    while (this._pending > 0) {
      if (this._onCompletedFut === null) {
        this._onCompletedFut = (this._loop as BaseEventLoop).createFuture<boolean>();
        _noteWait(this._loop as BaseEventLoop, this._onCompletedFut, this);
      }
      try {
        yield* this._onCompletedFut;
      } catch (e) {
        if (!isCancelledError(e)) throw e;
        if (!this._aborting) {
          // The enclosing task was cancelled while the body had finished normally.
          propagateCancellation = e;
          this._abort();
        }
      }
      this._onCompletedFut = null;
    }

    if (this._baseError !== null) throw this._baseError;

    // The one cancel() the group sent its parent must be taken back, always.
    if (this._parentCancelRequested && parent.uncancel() === 0) propagateCancellation = null;

    if (propagateCancellation !== null && this._errors.length === 0) throw propagateCancellation;

    if (hasExc && !isCancelledError(exc)) this._errors.push(exc);

    if (this._errors.length > 0) {
      // Cancelled from outside as well: un-cancel and re-cancel, which keeps the count
      // and makes the parent see its cancellation at its next await.
      if (parent.cancelling() > 0) {
        parent.uncancel();
        parent.cancel();
      }
      const errors = this._errors;
      this._errors = [];
      throw new BaseExceptionGroup("unhandled errors in a TaskGroup", errors);
    }
    return true;
  }

  /**
   * Creates a child task running `coro` (through the loop's task factory) and returns it.
   * Options as `createTask()`: `name`, `context`, `eagerStart`.
   *
   * Throws `RuntimeError` — and closes `coro` so it never runs — if the group has not been
   * entered, is finished, or is shutting down after a failure or cancellation.
   *
   * @example
   * ```ts
   * yield* asyncio.withTaskGroup(function* (tg) {
   *   const t = tg.createTask(download(url), { name: `get ${url}` });
   *   console.log(t.getName()); // get https://example.com/
   * });
   * ```
   */
  createTask<T>(coro: Coroutine<T>, options: TaskOptions = {}): Task<T> {
    if (!this._entered) {
      closeCoroutine(coro);
      throw new RuntimeError(`TaskGroup ${this} has not been entered`);
    }
    if (this._exiting && this._pending === 0) {
      closeCoroutine(coro);
      throw new RuntimeError(`TaskGroup ${this} is finished`);
    }
    if (this._aborting) {
      closeCoroutine(coro);
      throw new RuntimeError(`TaskGroup ${this} is shutting down`);
    }
    const task = (this._loop as BaseEventLoop).createTask(coro, options);
    // Added even when an eager task is already done: its done-callback then runs later,
    // through the loop, so an eager failure aborts the group at a well-defined point.
    this._tasks.push(task);
    this._pending++;
    task._addWaiter(this._childDone);
    return task;
  }

  /**
   * Cancels the group (asyncio 3.15): every unfinished child and the body are cancelled,
   * and the group then exits *without* raising `CancelledError` (errors of children that
   * failed are still raised). Idempotent; before entry it takes effect on entry; after
   * exit it does nothing.
   *
   * @example
   * ```ts
   * const shutdownRequested = new asyncio.Event();
   * asyncio.getRunningLoop().callLater(5, () => shutdownRequested.set());
   * yield* asyncio.withTaskGroup(function* (tg) {
   *   tg.createTask(serveForever());
   *   yield* shutdownRequested.wait();
   *   tg.cancel(); // the group ends quietly
   * });
   * console.log("shut down without an error");
   * ```
   */
  cancel(): void {
    if (!this._entered) {
      this._cancelOnEnter = true;
      return;
    }
    if (this._exiting && this._pending === 0) return;
    if (!this._aborting) {
      this._abort();
      if (this._parentTask !== null && !this._parentCancelRequested) {
        this._parentCancelRequested = true;
        this._parentTask.cancel();
      }
    }
  }

  toString(): string {
    let info = "";
    if (this._pending > 0) info += ` tasks=${this._pending}`;
    if (this._errors.length > 0) info += ` errors=${this._errors.length}`;
    if (this._aborting) info += " cancelling";
    else if (this._entered) info += " entered";
    return `<TaskGroup${info}>`;
  }

  /** @internal */
  private _abort(): void {
    this._aborting = true;
    // cancel() may run a child's abort-signal listeners, but createTask refuses while the
    // group aborts and pruning happens only in a done-notice: the array holds still here.
    const tasks = this._tasks;
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i] as Task<unknown>;
      if (!t.done()) t.cancel();
    }
  }

  /**
   * @internal Whether `task` is a child whose done-notice has not arrived: its notice is
   * still registered on it (it is not done), which is what the group's membership means.
   */
  _holds(task: Task<unknown>): boolean {
    return task._hasWaiter(this._childDone);
  }

  /** @internal The children that {@link _holds}, in creation order. */
  _children(): Task<unknown>[] {
    return this._tasks.filter((t) => this._holds(t));
  }

  /**
   * Drops the children that are done, once the notices since the last pass are half the array:
   * a long-lived group (a server's) keeps no finished task alive, at an amortised cost of
   * one pass per child.
   * @internal
   */
  private _prune(): void {
    this._noticed = 0;
    const tasks = this._tasks;
    let kept = 0;
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i] as Task<unknown>;
      if (!t.done()) tasks[kept++] = t;
    }
    tasks.length = kept;
  }

  /** @internal */
  private _taskDone(task: Task<unknown>): void {
    this._pending--;
    if (++this._noticed >= 32 && 2 * this._noticed >= this._tasks.length) this._prune();
    const fut = this._onCompletedFut;
    if (fut !== null && this._pending === 0 && !fut.done()) fut.setResult(true);
    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === null) return;
    this._errors.push(exc);
    if (isBaseError(exc) && this._baseError === null) this._baseError = exc;
    const parent = this._parentTask;
    if (parent === null || parent.done()) {
      (this._loop as BaseEventLoop).callExceptionHandler({
        message: `Task ${task} has errored out but its parent task ${parent} is already completed`,
        exception: exc,
        task,
      });
      return;
    }
    if (!this._aborting && !this._parentCancelRequested) {
      // Cancel the body so that whatever it awaits now stops; the cancellation is taken
      // back in aexit, so code after the group runs normally.
      this._abort();
      this._parentCancelRequested = true;
      parent.cancel();
    }
  }
}

/**
 * The short form of `asyncWith(new TaskGroup(), body)`: runs `body(tg)` with a fresh
 * {@link TaskGroup} and waits for every task it created. Evaluates to the body's result.
 *
 * Its type says exactly when the result can be missing: a body that awaits can be cut
 * short by `tg.cancel()` (the group then ends quietly and the result is `undefined`), so
 * it gives `R | undefined`; a body that never awaits (it only starts tasks) always
 * returns, so it gives `R`.
 *
 * Raises an {@link ExceptionGroup} of the failures if any child (or the body) failed;
 * cancelling the enclosing task cancels every child and propagates `CancelledError` once
 * they have ended.
 *
 * @example
 * ```ts
 * function* fetchUser(id: number): asyncio.Coroutine<string> {
 *   yield* asyncio.sleep(0.1);
 *   return `user ${id}`;
 * }
 * function* main() {
 *   const [a, b] = yield* asyncio.withTaskGroup(function* (tg) {
 *     return [tg.createTask(fetchUser(1)), tg.createTask(fetchUser(2))] as const;
 *   });
 *   console.log(a.result(), b.result()); // user 1 user 2
 * }
 * await asyncio.run(main());
 * ```
 */
export function withTaskGroup<R>(
  body: (tg: TaskGroup) => Generator<never, R, unknown>,
): Coroutine<R>;
export function withTaskGroup<R>(body: (tg: TaskGroup) => Coroutine<R>): Coroutine<R | undefined>;
export function withTaskGroup<R>(body: (tg: TaskGroup) => Coroutine<R>): Coroutine<R | undefined> {
  return asyncWith(new TaskGroup(), body);
}
