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
const CANCEL_MESSAGE_ONCE =
  "the message of a cancelled Task: CPython hands the coroutine's CancelledError to the " +
  "first retriever only; later ones, and gather(returnExceptions), get CancelledError('')";
const SELF_AWAIT =
  "a task awaiting itself: CPython suspends once and throws RuntimeError('Task cannot " +
  "await on itself') at its next step; ours throws at once, without giving way";
const RACING_CANCELS = "two cancels of a waiting task before it runs: the first message should win";
const SLEEP_CANCEL_ORDER =
  "cancel of a sleeping task whose timer is due in the same iteration: in CPython the " +
  "timer wakes the task through its future (two hops), so the cancelled task runs after " +
  "tasks woken by the same iteration's callbacks; ours runs before them";

/**
 * Bugs of asyncio-ts found by this test and not fixed yet: empty this list as the fixes
 * land (the fuzz command and the test name listed seeds that agree now).
 */
export const KNOWN_BUGS_PENDING: Readonly<Record<number, string>> = {
  7: RACING_CANCELS,
  48: SELF_AWAIT,
  68: CANCEL_MESSAGE_ONCE,
  93: SELF_AWAIT,
  95: SLEEP_CANCEL_ORDER,
  117: CANCEL_MESSAGE_ONCE,
  158: SELF_AWAIT,
  163: SELF_AWAIT,
  174: GATHER_DONE_CHILD,
  176: GATHER_DONE_CHILD,
  198: GATHER_DONE_CHILD,
};
