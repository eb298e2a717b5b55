import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const INDEX = resolve(import.meta.dirname, "../src/index.ts");

/** Runs a small TypeScript program (importing asyncio-ts from src) in a fresh node. */
function runProgram(body: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-"));
  const file = join(dir, "program.mts");
  writeFileSync(file, `import * as asyncio from ${JSON.stringify(INDEX)};\n${body}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", file], {
    encoding: "utf8",
    timeout: 20_000,
    cwd: resolve(import.meta.dirname, ".."),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("NodeEventLoop and the process", () => {
  it("lets the process exit as soon as the main coroutine is done", () => {
    const r = runProgram(`
      function* main() {
        yield* asyncio.sleep(0.01);
        return "done";
      }
      console.log(await asyncio.run(main()));
    `);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("done");
    expect(r.status).toBe(0);
  });

  it("names the stuck tasks when nothing can ever wake the loop (deadlock)", () => {
    const r = runProgram(`
      function* waiter() { yield* asyncio.getRunningLoop().createFuture(); }
      function* main() { yield* asyncio.createTask(waiter(), { name: "stuck-waiter" }); }
      await asyncio.run(main());
    `);
    expect(r.stderr).toContain("Event loop deadlock");
    expect(r.stderr).toContain("2 task(s) pending");
    expect(r.stderr).toContain("name='stuck-waiter'");
    // Node's own verdict on the unsettled run() Promise.
    expect(r.status).toBe(13);
  });
});
