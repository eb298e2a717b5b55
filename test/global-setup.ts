/**
 * vitest globalSetup: builds `dist/` once before the tests, because the CLI tests run the
 * `asyncio-ts` command as a user would (`node dist/src/cli/main.js`), from the build, and
 * the package tests load the bundled entries (`dist/esm`, `dist/cjs`, scripts/build.mjs).
 *
 * Type errors do not stop the build (tsc still emits, and `npm run typecheck` is the gate
 * for them); they are shown here, and only a build that produced no command fails setup.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
    cwd: root,
    encoding: "utf8",
  });
  if (build.status !== 0) {
    process.stderr.write(
      `global-setup: tsc -p tsconfig.build.json reported:\n${build.stdout}${build.stderr}`,
    );
  }
  if (build.error !== undefined || !existsSync(join(root, "dist/src/cli/main.js"))) {
    throw new Error(`global-setup: the build produced no dist/src/cli/main.js`, {
      cause: build.error,
    });
  }
  const bundles = spawnSync(process.execPath, ["scripts/build.mjs", "--no-tsc"], {
    cwd: root,
    encoding: "utf8",
  });
  if (bundles.status !== 0) {
    throw new Error(`global-setup: scripts/build.mjs --no-tsc failed:\n${bundles.stderr}`, {
      cause: bundles.error,
    });
  }
}
