import { defineConfig } from "vitest/config";

/**
 * The behaviour suites that assert orders of events run twice: on the virtual-time loop
 * (the default, which alone may assert timings) and on NodeEventLoop, the loop users get,
 * where `runOn` (test/helpers.ts) picks the loop and `virtualOnly()` skips the tests that
 * need virtual time.
 */
const ORDERING_SUITES = [
  "test/tasks.test.ts",
  "test/locks.test.ts",
  "test/queues.test.ts",
  "test/timeouts.test.ts",
  "test/sleep.test.ts",
  "test/orders.test.ts",
];

const shared = { pool: "forks", execArgv: ["--expose-gc"], testTimeout: 20_000 } as const;

export default defineConfig({
  test: {
    // At the root, not in the projects: the build runs once, not once per project.
    globalSetup: ["test/global-setup.ts"],
    projects: [
      { test: { ...shared, name: "virtual", include: ["test/**/*.test.ts"] } },
      {
        test: {
          ...shared,
          name: "node-loop",
          include: ORDERING_SUITES,
          env: { ASYNCIO_TS_TEST_LOOP: "node" },
        },
      },
    ],
  },
});
