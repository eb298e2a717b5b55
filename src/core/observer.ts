/**
 * The seam through which instruments (src/debug/instruments.ts) observe a loop.
 *
 * The core calls an observer at a handful of points — a task created, a runnable queued,
 * a task step started and ended, a cancel() request, a loop iteration, a wait in the host
 * — but only when one is installed: each point reads the loop's `_observer` field once and
 * goes on when it is null. A task's steps are reported only for the tasks the observer
 * marked when they were created (OBSERVED_FLAG in core/tasks.ts, tested on the flags the
 * step reads anyway, and cleared again when the last instrument is removed), so a step
 * does not even read the loop's field unless its task is marked. That is the whole cost of
 * instrumentation when none is installed: one bit test per step, one field load and one
 * well-predicted branch per queued runnable, and none per iteration beyond the existing
 * debug check. A sampling instrument costs the tasks it does not sample the same.
 *
 * The core holds no instrument logic: it passes what it already has at hand (the task, the
 * current task, the Future or Sleep a step was woken by) and the observer interprets it.
 *
 * @module
 */

import type { BaseEventLoop } from "./base_events.js";
import type { Runnable } from "./readyqueue.js";
import type { Task } from "./tasks.js";

/** @internal What a loop calls when instrumented. Implemented by src/debug/instruments.ts. */
export interface LoopObserver {
  /** `task` was constructed while `parent` was the current task (null: from a callback). */
  _taskCreated(task: Task<unknown>, parent: Task<unknown> | null): void;
  /**
   * `r` was appended to the ready queue with `arg`, while `by` was running. Called only
   * while the observer is also the loop's `_queueObserver` (an instrument wants it).
   */
  _queued(r: Runnable, arg: unknown, by: Task<unknown> | null): void;
  /**
   * A step of `task` starts; `wokenBy` is what it waited on (Future, Sleep, delay, null).
   * Called (as `_stepEnded`) only for a task whose OBSERVED_FLAG is set.
   */
  _stepStarted(task: Task<unknown>, wokenBy: unknown): void;
  /** The step ended: the task waits (on `task._futWaiter`), is queued again, or is done. */
  _stepEnded(task: Task<unknown>): void;
  /** cancel(msg) was accepted by a pending task, while `by` was running. */
  _cancelRequested(task: Task<unknown>, msg: string | undefined, by: Task<unknown> | null): void;
  /** One iteration of `loop` runs the `n` callbacks ready at its start. */
  _iterationStarted(loop: BaseEventLoop, n: number): void;
  /** That iteration ended. */
  _iterationEnded(loop: BaseEventLoop, n: number): void;
  /** The loop came back from the host (Node's event loop: I/O, timers) after a wait. */
  _tickStarted(loop: BaseEventLoop): void;
  /** The loop hands control back to the host; `stopping`: its run ends here. */
  _tickEnded(loop: BaseEventLoop, stopping: boolean): void;
}

/**
 * @internal What a Future stands for, when its maker said so: the owner whose waiter it is
 * (a Lock, a Queue …), or a kind ("io", "thread", "promise"). Only filled while the loop
 * is instrumented, so plain runs allocate nothing here.
 */
export const waitOwners = new WeakMap<object, object | string>();

/**
 * @internal Records what `fut` stands for, if `loop` is instrumented: called where a
 * Future is made to wait on something the observer could not tell from the Future alone,
 * by the task that is to wait on it. Only for a task an instrument hears about (or from a
 * callback): a sampling instrument never asks about the others' waits, so their waits
 * cost nothing more than when no instrument is installed.
 */
export function _noteWait(loop: BaseEventLoop, fut: object, owner: object | string): void {
  if (loop._observer === null) return;
  const task = loop._currentTask;
  if (task === null || task._observed) waitOwners.set(fut, owner);
}
