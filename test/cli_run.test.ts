/**
 * `asyncio-ts run` on scripts written as the README writes them: a top-level
 * `await asyncio.run(main())` runs as under `node FILE` (its output, its failure, its exit
 * code), and the exported coroutine function is used only when there is one.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.setConfig({ testTimeout: 120_000 });

const root = fileURLToPath(new URL("..", import.meta.url));
const main = join(root, "dist/src/cli/main.js");
let dir: string;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [main, ...args], { cwd: root, timeout: 60_000 });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "asyncio-ts-run-"));
  const lib = JSON.stringify(join(root, "src/index.js"));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  const script = (name: string, body: string) =>
    writeFileSync(join(dir, name), `import * as asyncio from ${lib};\n${body}`);
  script(
    "countasync.ts",
    `function* count(): asyncio.Coroutine<void> {
  console.log("One");
  yield* asyncio.sleep(0.01);
  console.log("Two");
}
function* main(): asyncio.Coroutine<void> {
  yield* asyncio.gather(count(), count());
  console.log("debug:", asyncio.getRunningLoop().getDebug());
}
await asyncio.run(main());
`,
  );
  script(
    "fails.ts",
    `function* main(): asyncio.Coroutine<void> {
  yield* asyncio.sleep(0);
  throw new Error("top-level failure");
}
await asyncio.run(main());
`,
  );
  script(
    "exitcode.ts",
    `await asyncio.run(asyncio.sleep(0));
process.exitCode = 3;
`,
  );
  script(
    "unawaited.ts",
    `function* main(): asyncio.Coroutine<void> {
  yield* asyncio.sleep(0.01);
  console.log("finished after the import");
}
void asyncio.run(main());
`,
  );
  script(
    "both.ts",
    `console.log("top level ran");
export function* main(): asyncio.Coroutine<void> {
  yield* asyncio.sleep(1);
  console.log("main ran");
}
`,
  );
  writeFileSync(join(dir, "plain.mjs"), "console.log('a plain script');\n");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("asyncio-ts run on a script with a top-level asyncio.run()", () => {
  it("runs it as node would, and --debug reaches its own asyncio.run()", async () => {
    expect(await cli(["run", join(dir, "countasync.ts")])).toEqual({
      code: 0,
      stdout: "One\nOne\nTwo\nTwo\ndebug: false\n",
      stderr: "",
    });
    const debug = await cli(["run", "--debug", join(dir, "countasync.ts")]);
    expect(debug.stdout).toContain("debug: true\n");
  });

  it("exits with 1 and the error when the top-level run fails", async () => {
    const r = await cli(["run", join(dir, "fails.ts")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: top-level failure\n {4}at main \(.*fails\.ts:4:9\)/);
    expect(r.stderr).not.toMatch(/exports no coroutine/);
  });

  it("keeps the exit code the script set", async () => {
    expect(await cli(["run", join(dir, "exitcode.ts")])).toMatchObject({ code: 3, stderr: "" });
  });

  it("lets work the script started and did not await finish, as node does", async () => {
    expect(await cli(["run", join(dir, "unawaited.ts")])).toEqual({
      code: 0,
      stdout: "finished after the import\n",
      stderr: "",
    });
  });

  it("runs a plain script with no exports, and says --virtual had nothing to apply to", async () => {
    expect(await cli(["run", join(dir, "plain.mjs")])).toEqual({
      code: 0,
      stdout: "a plain script\n",
      stderr: "",
    });
    const v = await cli(["run", "--virtual", join(dir, "plain.mjs")]);
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/--virtual applies to an exported coroutine function/);
  });

  it("runs the module's top level, then its main export", async () => {
    expect(await cli(["run", "--virtual", join(dir, "both.ts")])).toEqual({
      code: 0,
      stdout: "top level ran\nmain ran\n",
      stderr: "",
    });
  });
});
