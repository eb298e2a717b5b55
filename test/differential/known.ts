/**
 * Seeds whose traces are expected to differ, with why. Seeds name programs of
 * generate.ts's GENERATOR_VERSION; a change of the generator means re-checking both lists.
 *
 * Differences that the harnesses normalise instead (CPython made FIFO for timers with equal
 * deadlines and for a TaskGroup's children; library error messages not compared) are in
 * docs/differences.md and harness.py, not here.
 */

/** Deliberate differences from CPython (each one explained in docs/differences.md). */
export const KNOWN_DIFFERENCES: Readonly<Record<number, string>> = {};

const GATHER_DONE_CHILD =
  "gather() with a child already done: CPython runs its done-callback at once, so a gather " +
  "whose children are all done (or one already failed) completes without suspending";
const GATHER_CANCEL_MESSAGE =
  "gather(returnExceptions) of a cancelled task: CPython gives CancelledError(task's " +
  "_cancel_message), '' when the message went to the future the task awaited; ours keeps it";
const RACING_CANCELS = "two cancels of one task: which message the awaiters see";

/**
 * Bugs of asyncio-ts found by this test and not fixed yet: empty this list as the fixes
 * land (the fuzz command and the test name listed seeds that agree now).
 */
export const KNOWN_BUGS_PENDING: Readonly<Record<number, string>> = {
  40: GATHER_DONE_CHILD,
  68: GATHER_CANCEL_MESSAGE,
  69: RACING_CANCELS,
  91: GATHER_DONE_CHILD,
  123: GATHER_CANCEL_MESSAGE,
  198: GATHER_DONE_CHILD,
};
