/**
 * The part of Vitest's API the portable behaviour suites use, for runtimes Vitest does not
 * run on (Deno, Bun, a browser page, a Web Worker): `describe`/`it` (with `.each`,
 * `.skip`, `.skipIf`), hooks, Vitest's own `expect` (its Jest matchers on Chai, from
 * `@vitest/expect`), a no-op `expectTypeOf` (types are checked by tsc, not at run time)
 * and `TestRunner.getCurrentTest()` for the suites' `virtualOnly()`. The suite bundle
 * aliases "vitest" to this module; {@link runRegistered} runs what the files registered.
 */
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  ChaiStyleAssertions,
  chai,
  GLOBAL_EXPECT,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from "@vitest/expect";

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(ChaiStyleAssertions);
chai.use(JestAsymmetricMatchers);

type Fn = (...args: never[]) => unknown;

/** Vitest's `expect`: chai's, with the Jest matchers and asymmetric matchers. */
export const expect = ((value: unknown, message?: string) => {
  const state = getState(expect as never) as { assertionCalls: number };
  setState({ assertionCalls: state.assertionCalls + 1 }, expect as never);
  return chai.expect(value, message);
}) as unknown as typeof import("vitest").expect;
Object.assign(expect, chai.expect);
Object.assign(expect, (globalThis as Record<symbol, object>)[ASYMMETRIC_MATCHERS_OBJECT]);
setState(
  {
    assertionCalls: 0,
    isExpectingAssertions: false,
    isExpectingAssertionsError: null,
    expectedAssertionsNumber: null,
    expectedAssertionsNumberErrorGen: null,
    currentTestName: "",
  },
  expect as never,
);
(expect as unknown as { extend: (m: object) => void }).extend = (matchers: object) =>
  (chai.expect as unknown as { extend: (e: unknown, m: object) => void }).extend(expect, matchers);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;

/** `expectTypeOf`: a chain that accepts anything and checks nothing at run time. */
export const expectTypeOf: typeof import("vitest").expectTypeOf = (() => {
  const chain: unknown = new Proxy(() => chain, { get: () => chain, apply: () => chain });
  return chain as typeof import("vitest").expectTypeOf;
})();

// ------------------------------------------------------------------ registry

interface TestCase {
  kind: "test";
  name: string;
  fn: Fn | undefined;
  skip: boolean;
  timeout: number;
}

interface Suite {
  kind: "suite";
  name: string;
  children: Array<Suite | TestCase>;
  beforeAll: Fn[];
  afterAll: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
  skip: boolean;
}

function newSuite(name: string, skip = false): Suite {
  return {
    kind: "suite",
    name,
    children: [],
    beforeAll: [],
    afterAll: [],
    beforeEach: [],
    afterEach: [],
    skip,
  };
}

const root = newSuite("");
let current = root;
const DEFAULT_TIMEOUT_MS = 20_000;

/** A test that asked to be skipped (`virtualOnly()`, `ctx.skip()`). */
class Skipped extends Error {}

/** Vitest's `%s`/`$name` formatting of `.each` titles. */
function formatTitle(title: string, row: unknown, index: number): string {
  const args = Array.isArray(row) ? row : [row];
  let i = 0;
  let out = title.replace(/%[sdifjo#%]/g, (m) => {
    if (m === "%%") return "%";
    if (m === "%#") return String(index);
    const v = args[i++];
    return m === "%j" || m === "%o" ? JSON.stringify(v) : String(v);
  });
  if (row !== null && typeof row === "object" && !Array.isArray(row)) {
    out = out.replace(/\$([A-Za-z_]\w*)/g, (m, key: string) =>
      key in row ? String((row as Record<string, unknown>)[key]) : m,
    );
  }
  return out;
}

function register(name: string, a?: unknown, b?: unknown, skip = false): void {
  const fn = (typeof a === "function" ? a : b) as Fn | undefined;
  const timeout =
    typeof b === "number"
      ? b
      : typeof a === "object" && a !== null && "timeout" in a
        ? Number((a as { timeout: number }).timeout)
        : DEFAULT_TIMEOUT_MS;
  current.children.push({ kind: "test", name, fn, skip, timeout });
}

function registerSuite(name: string, fn: () => void, skip = false): void {
  const suite = newSuite(name, skip);
  current.children.push(suite);
  const parent = current;
  current = suite;
  try {
    fn();
  } finally {
    current = parent;
  }
}

function eachOf<R>(register: (name: string, fn: Fn) => void) {
  return (table: readonly R[]) => (title: string, fn: (...args: never[]) => unknown) => {
    table.forEach((row, index) => {
      const args = (Array.isArray(row) ? row : [row]) as never[];
      register(formatTitle(title, row, index), () => fn(...args));
    });
  };
}

type TestFn = ((name: string, a?: unknown, b?: unknown) => void) & {
  skip: (name: string, a?: unknown, b?: unknown) => void;
  skipIf: (cond: unknown) => (name: string, a?: unknown, b?: unknown) => void;
  runIf: (cond: unknown) => (name: string, a?: unknown, b?: unknown) => void;
  each: <R>(table: readonly R[]) => (title: string, fn: (...args: never[]) => unknown) => void;
};

const itImpl = ((name: string, a?: unknown, b?: unknown) => register(name, a, b)) as TestFn;
itImpl.skip = (name, a, b) => register(name, a, b, true);
itImpl.skipIf = (cond) => (name, a, b) => register(name, a, b, Boolean(cond));
itImpl.runIf = (cond) => (name, a, b) => register(name, a, b, !cond);
itImpl.each = eachOf((name, fn) => register(name, fn));

export const it = itImpl as unknown as typeof import("vitest").it;
export const test = it;

type SuiteFn = ((name: string, fn: () => void) => void) & {
  skip: (name: string, fn: () => void) => void;
  skipIf: (cond: unknown) => (name: string, fn: () => void) => void;
  each: <R>(table: readonly R[]) => (title: string, fn: (...args: never[]) => unknown) => void;
};
const describeImpl = ((name: string, fn: () => void) => registerSuite(name, fn)) as SuiteFn;
describeImpl.skip = (name, fn) => registerSuite(name, fn, true);
describeImpl.skipIf = (cond) => (name, fn) => registerSuite(name, fn, Boolean(cond));
describeImpl.each = eachOf((name, fn) => registerSuite(name, fn as () => void));
export const describe = describeImpl as unknown as typeof import("vitest").describe;

export const beforeAll = (fn: Fn): void => void current.beforeAll.push(fn);
export const afterAll = (fn: Fn): void => void current.afterAll.push(fn);
export const beforeEach = (fn: Fn): void => void current.beforeEach.push(fn);
export const afterEach = (fn: Fn): void => void current.afterEach.push(fn);

interface RunningTest {
  name: string;
  context: { skip: (note?: string) => never };
}

let runningTest: RunningTest | undefined;

function skipNow(note?: string): never {
  throw new Skipped(note ?? "skipped");
}

/** What `virtualOnly()` (test/helpers.ts) asks of Vitest's runner. */
export const TestRunner = {
  getCurrentTest: (): RunningTest | undefined => runningTest,
};

// ------------------------------------------------------------------ running

/** The outcome of a run. */
export interface SuiteReport {
  passed: number;
  skipped: number;
  failed: Array<{ name: string; error: string }>;
}

function withTimeout(p: unknown, ms: number, name: string): Promise<unknown> {
  if (!(p instanceof Promise)) return Promise.resolve(p);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test timed out after ${ms} ms: ${name}`)), ms);
  });
  return Promise.race([p, expiry]).finally(() => clearTimeout(timer));
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${e.stack ?? ""}`.slice(0, 2000);
  return String(e);
}

/**
 * Runs every registered test, in order, each after its suites' `beforeEach` hooks and
 * before their `afterEach` hooks. `filter` keeps the tests whose full name it matches.
 */
export async function runRegistered(
  onResult?: (name: string, outcome: "pass" | "fail" | "skip", error?: string) => void,
): Promise<SuiteReport> {
  const report: SuiteReport = { passed: 0, skipped: 0, failed: [] };

  async function runSuite(suite: Suite, path: string[], parents: Suite[], skip: boolean) {
    const chain = [...parents, suite];
    const skipAll = skip || suite.skip;
    if (!skipAll) for (const hook of suite.beforeAll) await hook();
    for (const child of suite.children) {
      if (child.kind === "suite") {
        await runSuite(child, [...path, child.name], chain, skipAll);
        continue;
      }
      const name = [...path, child.name].filter(Boolean).join(" > ");
      if (skipAll || child.skip || child.fn === undefined) {
        report.skipped++;
        onResult?.(name, "skip");
        continue;
      }
      const fn = child.fn;
      runningTest = { name, context: { skip: skipNow } };
      let error: unknown;
      let skipped = false;
      try {
        for (const s of chain) for (const hook of s.beforeEach) await hook();
        await withTimeout(fn(runningTest.context as never), child.timeout, name);
      } catch (e) {
        if (e instanceof Skipped) skipped = true;
        else error = e;
      }
      try {
        for (const s of [...chain].reverse()) for (const hook of s.afterEach) await hook();
      } catch (e) {
        error ??= e;
      }
      runningTest = undefined;
      if (skipped) {
        report.skipped++;
        onResult?.(name, "skip");
      } else if (error !== undefined) {
        const text = describeError(error);
        report.failed.push({ name, error: text });
        onResult?.(name, "fail", text);
      } else {
        report.passed++;
        onResult?.(name, "pass");
      }
    }
    if (!skipAll) for (const hook of suite.afterAll) await hook();
  }

  await runSuite(root, [], [], false);
  return report;
}
