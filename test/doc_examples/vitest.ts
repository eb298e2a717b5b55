/**
 * What a documentation example gets when it imports `vitest` while the test suite runs it:
 * `expect` and `vi` are vitest's own; `it`, `test` and `describe` record the example's
 * tests instead of registering them (an example runs inside a test already), and the
 * harness runs the recorded ones after the example module has loaded.
 *
 * @module
 */
import { expect, vi } from "vitest";

export { expect, vi };

type Body = () => unknown;
const recorded: { name: string; body: Body }[] = [];

/** Takes the tests recorded since the last call. */
export function takeRecordedTests(): { name: string; body: Body }[] {
  return recorded.splice(0);
}

function record(name: string, ...rest: unknown[]): void {
  const body = rest.find((x): x is Body => typeof x === "function");
  if (body === undefined) throw new TypeError(`it(${JSON.stringify(name)}): no test body`);
  recorded.push({ name, body });
}

/** Records a test. */
export const it = record;
/** Records a test. */
export const test = record;

/** Runs the suite's body at once: its tests are recorded. */
export function describe(_name: string, body: () => void): void {
  body();
}
