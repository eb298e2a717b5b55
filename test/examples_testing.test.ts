/**
 * The examples of asyncio-ts/testing, run as the documentation shows them, failing forms
 * included: the bank race found by explore() and fixed by a Lock, the leaked heartbeat
 * caught by the harness, the child a timeout left running, the reconnecting client across
 * a partition, the hour-long timeout test.
 */
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as bank from "../examples/testing/bank.js";
import * as childTimeout from "../examples/testing/child_timeout.js";
import * as hour from "../examples/testing/hour_timeout.js";
import * as leak from "../examples/testing/leak.js";
import * as reconnect from "../examples/testing/reconnect.js";
import { type ExploreFailure, explore, LeakError, runTest } from "../src/testing/index.js";

afterEach(() => {
  vi.restoreAllMocks();
});

const accounts = () => ({ alice: 100, bob: 0, carol: 0 });

describe("examples/testing/bank", () => {
  it("the plain schedule passes: an ordinary test misses the race", async () => {
    const { result } = await runTest(() => bank.morning(new bank.Bank(accounts())));
    expect(result).toEqual(["ok", "InsufficientFunds"]);
  });

  it("explore() finds the race in under 1,000 runs, with the seed and the message", async () => {
    let failure: (Error & ExploreFailure) | null = null;
    try {
      await explore(() => bank.morning(new bank.Bank(accounts())), { runs: 1000 });
    } catch (e) {
      failure = e as Error & ExploreFailure;
    }
    expect(failure?.message).toMatch(
      new RegExp(`^money was created: the bank holds 160, not 100 \\[seed ${failure?.seed}\\]`),
    );
    expect(failure?.run).toBe(3);
  });

  it("with a Lock, all 1,000 schedules pass", async () => {
    const result = await explore(() => bank.morning(new bank.SafeBank(accounts())), {
      runs: 1000,
    });
    expect(result.runs).toBe(1000);
  });

  it("main() prints the plain run, the race, and the fixed bank", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
      lines.push(a.map(String).join(" "));
    });
    await bank.main();
    expect(lines[0]).toBe("plain schedule: ok,InsufficientFunds");
    expect(lines[1]).toMatch(/^explore found the race:\nmoney was created/);
    expect(lines[2]).toBe("with a Lock: 1000 schedules, all correct");
  });
});

describe("examples/testing/leak", () => {
  it("the forgotten heartbeat fails the test, named, with the line that made it", async () => {
    const e = await runTest(leak.sessionTest(leak.openSession)).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(LeakError);
    expect((e as LeakError).problems).toEqual([
      expect.stringMatching(
        /^task still pending: <Task pending name='heartbeat' .*>, created at .*examples\/testing\/leak\.ts:\d+:\d+$/,
      ),
    ]);
  });

  it("the fixed session passes: 3 heartbeats in a minute", async () => {
    const { result } = await runTest(leak.sessionTest(leak.openSessionFixed));
    expect(result).toBe(3);
  });
});

describe("examples/testing/child_timeout", () => {
  it("the child left running by a timeout fails the test, named, with its command and line", async () => {
    const e = await runTest(childTimeout.deadlineTest(childTimeout.runCommand)).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(LeakError);
    expect((e as LeakError).problems).toEqual([
      expect.stringMatching(
        /^subprocess still running: <Process \d+ running> \S*node -e "setInterval\(\(\) => \{\}, 1000\)", started at .*examples\/testing\/child_timeout\.ts:\d+:\d+ \(killed/,
      ),
    ]);
  });

  it("the fixed runner kills the child at its deadline and passes", async () => {
    const { result, elapsed } = await runTest(
      childTimeout.deadlineTest(childTimeout.runCommandFixed),
    );
    expect(result).toBe("timed out");
    expect(elapsed).toBe(30);
  });
});

describe("examples/testing/hour_timeout", () => {
  it("an hour's timeout, both sides of it, in virtual time", async () => {
    const quick = await runTest(() => hour.runJob(hour.slowJob(59 * 60)));
    const slow = await runTest(() => hour.runJob(hour.slowJob(61 * 60)));
    expect(quick.result).toBe("done at t=3540");
    expect(slow.result).toBe("abandoned at t=3600");
    expect(slow.elapsed).toBe(3600);
  });
});

describe("examples/testing/reconnect", () => {
  it("the client reconnects after the partition and serves the whole hour", async () => {
    const { result, elapsed } = await runTest(
      reconnect.partitionScenario(reconnect.reconnectingClient),
      { loop: reconnect.simulated },
    );
    expect(result).toEqual({ quotes: 347, connects: 2, failures: 7 });
    expect(elapsed).toBeGreaterThanOrEqual(3600);
  });

  it("the naive client dies with its connection across the partition", async () => {
    const e = await runTest(reconnect.partitionScenario(reconnect.naiveClient), {
      loop: reconnect.simulated,
    }).then(
      () => null,
      (err: unknown) => err,
    );
    expect((e as { code?: string }).code).toBe("ETIMEDOUT");
    expect((e as Error).message).toBe(
      "Connection timed out: no acknowledgement across a network partition",
    );
  });

  it("the same scenario, twice: identical", async () => {
    const run = () =>
      runTest(reconnect.partitionScenario(reconnect.reconnectingClient), {
        loop: reconnect.simulated,
      });
    expect((await run()).result).toEqual((await run()).result);
  });
});

describe("examples/testing/node_test", () => {
  it("the same harness runs under node:test", { timeout: 120_000 }, () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "--test", "--test-reporter=tap", "examples/testing/node_test.ts"],
      { encoding: "utf8", timeout: 110_000 },
    );
    expect(r.stdout).toMatch(/^# pass 3$/m);
    expect(r.stdout).toMatch(/^# fail 0$/m);
    expect(r.status).toBe(0);
  });
});
