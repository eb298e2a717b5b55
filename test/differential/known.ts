/**
 * Seeds whose traces are expected to differ, with why. Seeds name programs of
 * generate.ts's GENERATOR_VERSION; a change of the generator means re-checking both lists.
 *
 * Differences that the harnesses normalise instead (CPython made FIFO for timers with equal
 * deadlines and for a TaskGroup's children; library error messages not compared) are in
 * docs/differences.md and harness.py, not here.
 */

/** Deliberate differences from CPython (each one explained in docs/differences.md). */
const SELF_AWAIT_FLAG =
  "after a task awaited itself, CPython's C Task leaves the task's blocking flag set, so any " +
  "later await of that task (by itself or another task) raises at once ('await wasn't used " +
  "with future'); its pure-Python Task, and asyncio-ts, keep the task awaitable";

export const KNOWN_DIFFERENCES: Readonly<Record<number, string>> = {
  48: SELF_AWAIT_FLAG,
  1269: SELF_AWAIT_FLAG,
};

/**
 * Bugs of asyncio-ts found by this test and not fixed yet: empty this list as the fixes
 * land (the fuzz command and the test name listed seeds that agree now).
 */
export const KNOWN_BUGS_PENDING: Readonly<Record<number, string>> = {};
