/**
 * Seeds whose traces are expected to differ, with why. Seeds name programs of
 * generate.ts's GENERATOR_VERSION; a change of the generator means re-checking both lists.
 */

/** Deliberate differences from CPython (each one explained in docs/differences.md). */
export const KNOWN_DIFFERENCES: Readonly<Record<number, string>> = {};

/**
 * Bugs of asyncio-ts found by this test and not fixed yet: empty this list as the fixes
 * land (the fuzz command names listed seeds that agree now).
 */
export const KNOWN_BUGS_PENDING: Readonly<Record<number, string>> = {};
