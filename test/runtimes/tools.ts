/**
 * What the runtime tests share: finding each runtime's executable, skipping (or, under
 * ASYNCIO_TS_REQUIRE_ALL=1, failing) when one is missing, and running a process to its end.
 *
 * Deno and Bun come from the devDependencies `deno` and `bun` (their platform binaries,
 * from npm), Chromium from the system (`apt-get install -y chromium`), driven by
 * playwright-core.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

/** The repository's root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Set by .ci/run: a runtime that is missing fails its tests instead of skipping them. */
export const REQUIRE_ALL = process.env.ASYNCIO_TS_REQUIRE_ALL === "1";
/** A limit that only catches a hang: a loaded machine may take minutes. */
export const RUN_TIMEOUT_MS = 180_000;

/**
 * An executable: the platform package's binary (`extra`: there whether or not npm ran the
 * wrapper package's install script), the project's node_modules/.bin, else one on PATH.
 */
export function findExecutable(name: string, extra: string[] = []): string | undefined {
  const candidates = [
    ...extra,
    join(ROOT, "node_modules/.bin", name),
    ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, name)),
  ];
  return candidates.find((p) => p !== "" && existsSync(p));
}

export const DENO = findExecutable("deno", [join(ROOT, "node_modules/@deno/linux-x64-glibc/deno")]);
export const BUN = findExecutable("bun", [join(ROOT, "node_modules/@oven/bun-linux-x64/bin/bun")]);
export const CHROMIUM = findExecutable(
  "chromium",
  process.env.CHROMIUM_PATH === undefined ? [] : [process.env.CHROMIUM_PATH],
);

let pw: typeof import("playwright-core") | undefined;
try {
  pw = await import("playwright-core");
} catch {
  pw = undefined;
}
/** playwright-core, if it is installed. */
export const playwright = pw;

/** Why Chromium cannot run here, if it cannot. */
export const chromiumMissing =
  CHROMIUM === undefined
    ? "no chromium executable (set CHROMIUM_PATH, or apt-get install -y chromium)"
    : playwright === undefined
      ? "playwright-core is not installed"
      : undefined;

/**
 * Whether `runtime` can run here; prints why not. Under ASYNCIO_TS_REQUIRE_ALL=1 a missing
 * runtime is not skipped: its test runs and fails, saying what is missing.
 */
export function available(runtime: string, missing: string | undefined): boolean {
  if (missing === undefined || REQUIRE_ALL) return true;
  console.warn(
    `runtimes: skipping the ${runtime} suite: ${missing}. Install it (npm install; ` +
      "apt-get install -y chromium), or set ASYNCIO_TS_REQUIRE_ALL=1 to make this a failure.",
  );
  return false;
}

/** Runs `command`, resolving with its standard output (rejecting, with stderr, on failure). */
export function runProcess(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else {
        reject(
          new Error(
            `${command} ${args.join(" ")} exited with ${code ?? signal}\n${stderr.slice(-4000)}`,
          ),
        );
      }
    });
  });
}

/** The flags Chromium is started with: no network of its own, no sandbox (root in CI). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--js-flags=--expose-gc",
];

/**
 * Serves `files` (by path) from a local HTTP server, as a static server would, opens its
 * root in Chromium and hands the page to `drive`. Workers the page starts load their
 * scripts from the same server.
 */
export async function inChromium<T>(
  pw: typeof import("playwright-core"),
  executablePath: string,
  files: Record<string, { body: string; contentType: string }>,
  drive: (page: Page) => Promise<T>,
): Promise<T> {
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://localhost").pathname];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.contentType }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const userDataDir = mkdtempSync(join(tmpdir(), "asyncio-ts-chromium-"));
  const context = await pw.chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  const errors: string[] = [];
  try {
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text().slice(0, 2000));
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    return await drive(page);
  } catch (e) {
    throw new Error(`Chromium run failed; console errors:\n${errors.join("\n")}`, { cause: e });
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  }
}
