/**
 * The ESLint plugin's rules, through ESLint's own RuleTester with typescript-eslint's
 * parser and type information: each rule's slips (invalid) and the code that must pass
 * (valid), including the look-alikes the rules must leave alone — the items of an
 * asyncGenerator, a plain Generator<number>, a dropped createTask().
 */
import { fileURLToPath } from "node:url";
import { RuleTester } from "eslint";
import tseslint from "typescript-eslint";
import { describe, it } from "vitest";
import plugin from "../src/eslint-plugin/index.js";

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const dir = fileURLToPath(new URL("./fixtures/eslint/", import.meta.url));
const filename = `${dir}file.ts`;

const tester = new RuleTester({
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: { projectService: true, tsconfigRootDir: dir },
  },
});

/** The import every case starts with, as a user's file imports the library. */
const IMPORT = `import * as asyncio from "../../../src/index.js";\n`;

function code(body: string): { code: string; filename: string } {
  return { code: IMPORT + body, filename };
}

describe("require-yield-star", () => {
  tester.run("require-yield-star", plugin.rules["require-yield-star"], {
    valid: [
      code(`function* main(): asyncio.Coroutine<void> { yield* asyncio.sleep(1); }`),
      code(`function* nums(): Generator<number> { yield 1; yield 2; }`),
      code(`function* nums() { yield 1; yield "two"; }`),
      code(`const p = asyncio.asyncGenerator(function* (n: number) {
        for (let i = 0; i < n; i++) { yield i; yield* asyncio.sleep(0.1); }
      });`),
      code(`const p = asyncio.asyncGenerator(function* () { yield; yield* asyncio.sleep(0); });`),
      code(`const cm = asyncio.asynccontextmanager(function* (n: number) {
        yield* asyncio.sleep(0);
        try { yield n; } finally { yield* asyncio.sleep(0); }
      });`),
      // A generator that hands out tasks on purpose, and says so.
      code(`function* tasks(): Generator<asyncio.Task<number>> {
        yield asyncio.createTask(asyncio.sleep(1, 1));
      }`),
      code(`function* f(x: any) { yield x; yield* asyncio.sleep(0); }`),
    ],
    invalid: [
      {
        ...code(`function* main() { yield asyncio.sleep(1); }`),
        errors: [
          {
            messageId: "yieldAwaitable",
            suggestions: [
              {
                messageId: "useYieldStar",
                output: `${IMPORT}function* main() { yield* asyncio.sleep(1); }`,
              },
            ],
          },
        ],
      },
      {
        ...code(`function* count(): asyncio.Coroutine<void> { yield* asyncio.sleep(1); }
function* main(): asyncio.Coroutine<void> { yield count(); }`),
        errors: [
          {
            messageId: "yieldAwaitable",
            suggestions: [
              {
                messageId: "useYieldStar",
                output: `${IMPORT}function* count(): asyncio.Coroutine<void> { yield* asyncio.sleep(1); }
function* main(): asyncio.Coroutine<void> { yield* count(); }`,
              },
            ],
          },
        ],
      },
      {
        // A Future and a Task are awaitables too.
        ...code(`function* main() {
  const t = asyncio.createTask(asyncio.sleep(1, 5));
  const n = yield t;
  yield* asyncio.sleep(0);
  return n;
}`),
        errors: [
          {
            messageId: "yieldAwaitable",
            line: 4,
            suggestions: [
              {
                messageId: "useYieldStar",
                output: `${IMPORT}function* main() {
  const t = asyncio.createTask(asyncio.sleep(1, 5));
  const n = yield* t;
  yield* asyncio.sleep(0);
  return n;
}`,
              },
            ],
          },
        ],
      },
      {
        ...code(`function* main(): asyncio.Coroutine<void> { yield; }`),
        errors: [{ messageId: "bareYield" }],
      },
      {
        ...code(`function* main() { yield* asyncio.sleep(1); yield 42; }`),
        errors: [{ messageId: "yieldValue" }],
      },
      {
        ...code(`function* main() { yield* asyncio.sleep(1); yield Promise.resolve(1); }`),
        errors: [
          {
            messageId: "yieldPromise",
            data: { text: "Promise.resolve(1)", fromPromise: "asyncio.fromPromise" },
          },
        ],
      },
      {
        // A method of a class, as a coroutine.
        ...code(`class Worker { *run(): asyncio.Coroutine<void> { yield asyncio.sleep(1); } }`),
        errors: [
          {
            messageId: "yieldAwaitable",
            suggestions: [
              {
                messageId: "useYieldStar",
                output: `${IMPORT}class Worker { *run(): asyncio.Coroutine<void> { yield* asyncio.sleep(1); } }`,
              },
            ],
          },
        ],
      },
    ],
  });
});

describe("no-floating-coroutine", () => {
  tester.run("no-floating-coroutine", plugin.rules["no-floating-coroutine"], {
    valid: [
      code(`function* count(): asyncio.Coroutine<void> { yield* asyncio.sleep(1); }
function* main(): asyncio.Coroutine<void> {
  yield* count();
  asyncio.createTask(count());
  asyncio.ensureFuture(count());
  const c = count();
  yield* c;
}`),
      code(`function* main(): asyncio.Coroutine<void> {
  yield* asyncio.withTaskGroup(function* (tg) { tg.createTask(asyncio.sleep(1)); });
}`),
      code(`function* nums(): Generator<number> { yield 1; }
nums();`),
      code(`Promise.resolve(1);`),
      code(
        `function* main(): asyncio.Coroutine<void> { const f = asyncio.getRunningLoop().createFuture(); f.setResult(1); f; }`,
      ),
    ],
    invalid: [
      {
        ...code(`function* count(): asyncio.Coroutine<void> { yield* asyncio.sleep(1); }
function* main(): asyncio.Coroutine<void> { count(); }`),
        errors: [
          {
            messageId: "floating",
            data: { text: "count()" },
            line: 3,
            suggestions: [
              {
                messageId: "awaitIt",
                output: `${IMPORT}function* count(): asyncio.Coroutine<void> { yield* asyncio.sleep(1); }
function* main(): asyncio.Coroutine<void> { yield* count(); }`,
              },
              {
                messageId: "taskIt",
                output: `${IMPORT}function* count(): asyncio.Coroutine<void> { yield* asyncio.sleep(1); }
function* main(): asyncio.Coroutine<void> { asyncio.createTask(count()); }`,
              },
            ],
          },
        ],
      },
      {
        ...code(`function* main() { asyncio.sleep(1); }`),
        errors: [
          {
            messageId: "floating",
            data: { text: "asyncio.sleep(1)" },
            suggestions: [
              {
                messageId: "awaitIt",
                output: `${IMPORT}function* main() { yield* asyncio.sleep(1); }`,
              },
              {
                messageId: "taskIt",
                output: `${IMPORT}function* main() { asyncio.createTask(asyncio.sleep(1)); }`,
              },
            ],
          },
        ],
      },
      {
        // Outside a coroutine: no yield* to suggest.
        ...code(`function* main(): asyncio.Coroutine<void> {}
main();`),
        errors: [{ messageId: "floating", suggestions: [] }],
      },
      {
        ...code(`function* main(): asyncio.Coroutine<void> { void asyncio.sleep(1); }`),
        errors: [
          {
            messageId: "floating",
            suggestions: [
              {
                messageId: "awaitIt",
                output: `${IMPORT}function* main(): asyncio.Coroutine<void> { yield* asyncio.sleep(1); }`,
              },
              {
                messageId: "taskIt",
                output: `${IMPORT}function* main(): asyncio.Coroutine<void> { asyncio.createTask(asyncio.sleep(1)); }`,
              },
            ],
          },
        ],
      },
      {
        ...code(`function* a(): asyncio.Coroutine<void> {}
function* main(ok: boolean): asyncio.Coroutine<void> { ok && a(); }`),
        errors: [{ messageId: "floating", suggestions: [] }],
      },
      {
        ...code(`import { createTask as spawn } from "../../../src/index.js";
function* main(lock: asyncio.Lock): asyncio.Coroutine<void> { lock.acquire(); }`),
        errors: [
          {
            messageId: "floating",
            data: { text: "lock.acquire()" },
            suggestions: [
              {
                messageId: "awaitIt",
                output: `${IMPORT}import { createTask as spawn } from "../../../src/index.js";
function* main(lock: asyncio.Lock): asyncio.Coroutine<void> { yield* lock.acquire(); }`,
              },
              {
                messageId: "taskIt",
                output: `${IMPORT}import { createTask as spawn } from "../../../src/index.js";
function* main(lock: asyncio.Lock): asyncio.Coroutine<void> { asyncio.createTask(lock.acquire()); }`,
              },
            ],
          },
        ],
      },
    ],
  });
});

describe("no-yield-star-promise", () => {
  tester.run("no-yield-star-promise", plugin.rules["no-yield-star-promise"], {
    valid: [
      code(
        `function* main(): asyncio.Coroutine<number> { return yield* asyncio.fromPromise(Promise.resolve(1)); }`,
      ),
      code(`function* main(): asyncio.Coroutine<number> {
  const t = asyncio.createTask(asyncio.sleep(1, 2));
  return yield* t;
}`),
      code(`function* inner() { yield 1; }
function* outer() { yield* inner(); yield* [1, 2]; }`),
    ],
    invalid: [
      {
        ...code(`async function load(): Promise<string> { return "x"; }
function* main() { const s = yield* load(); return s; }`),
        output: `${IMPORT}async function load(): Promise<string> { return "x"; }
function* main() { const s = yield* asyncio.fromPromise(load()); return s; }`,
        errors: [
          {
            messageId: "yieldStarPromise",
            data: { text: "load()", fromPromise: "asyncio.fromPromise" },
          },
        ],
      },
      {
        code: `import { run, sleep } from "../../../src/index.js";
function* main() { yield* sleep(1); yield* Promise.resolve(2); }
run(main());`,
        filename,
        output: `import { run, sleep, fromPromise } from "../../../src/index.js";
function* main() { yield* sleep(1); yield* fromPromise(Promise.resolve(2)); }
run(main());`,
        errors: [{ messageId: "yieldStarPromise" }],
      },
      {
        code: `import { fromPromise as fp } from "../../../src/index.js";
function* main() { yield* fp(Promise.resolve(1)); yield* Promise.resolve(2); }`,
        filename,
        output: `import { fromPromise as fp } from "../../../src/index.js";
function* main() { yield* fp(Promise.resolve(1)); yield* fp(Promise.resolve(2)); }`,
        errors: [
          {
            messageId: "yieldStarPromise",
            data: { text: "Promise.resolve(2)", fromPromise: "fp" },
          },
        ],
      },
      {
        code: `function* main() { yield* Promise.resolve(2); }`,
        filename,
        output: `import { fromPromise } from "asyncio-ts";
function* main() { yield* fromPromise(Promise.resolve(2)); }`,
        errors: [{ messageId: "yieldStarPromise" }],
      },
    ],
  });
});

describe("configs.recommended", () => {
  it("registers the plugin under asyncio-ts and turns every rule on as an error", ({ expect }) => {
    const rec = plugin.configs.recommended;
    expect(rec.plugins?.["asyncio-ts"]).toBe(plugin);
    expect(Object.keys(rec.rules ?? {}).sort()).toEqual(
      Object.keys(plugin.rules)
        .map((r) => `asyncio-ts/${r}`)
        .sort(),
    );
    for (const level of Object.values(rec.rules ?? {})) expect(level).toBe("error");
  });
});

describe("the project's examples", () => {
  it("lint clean under configs.recommended, with type information", async ({ expect }) => {
    const { ESLint } = await import("eslint");
    const root = fileURLToPath(new URL("..", import.meta.url));
    const eslint = new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ["examples/**/*.ts"],
          languageOptions: {
            parser: tseslint.parser,
            parserOptions: { projectService: true, tsconfigRootDir: root },
          },
        },
        { ...plugin.configs.recommended, files: ["examples/**/*.ts"] },
      ],
    });
    const results = await eslint.lintFiles(["examples/**/*.ts"]);
    expect(results.length).toBeGreaterThan(10);
    const problems = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath}:${m.line}: ${m.ruleId}: ${m.message}`),
    );
    expect(problems).toEqual([]);
  }, 120_000);
});
