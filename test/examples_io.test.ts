/**
 * The I/O programs (threads, files, subprocesses, HTTP client): the site checker
 * on ClientSession against its own loopback server, and the subprocess pipeline.
 */
import { describe, expect, it } from "vitest";
import { examples } from "../examples/index.js";
import * as siteChecker from "../examples/site_checker.js";
import * as pipeline from "../examples/subprocess_pipeline.js";
import * as asyncio from "../src/index.js";
import { capturePrinted } from "./fixtures/printed.js";

const lines = capturePrinted((line) => line);

describe("examples/site_checker", () => {
  it("checks five local sites at once: statuses, a redirect, a 404 and a timeout", async () => {
    // On virtual time, the 0.5 s timeout fires only when the clock jumps, and the clock
    // stands still while a request is in flight until the loop has waited, idle, for the
    // patience in real seconds. So the four answering sites finish before slow.example times
    // out however loaded the machine is (on Node's loop, a real 0.5 s was not always enough).
    const result = await asyncio.run(siteChecker.main(), {
      loopFactory: () => new asyncio.VirtualEventLoop({ outsideWorkPatience: 3 }),
    });
    const expected = [
      "realpython.com: 200 OK, 42 bytes",
      "pycoders.com: 200 OK, 47 bytes",
      "moved.example: 200 OK, 42 bytes (now realpython.com)",
      "gone.example: 404 Not Found, 9 bytes",
      "slow.example: timed out",
    ];
    expect(result).toEqual(expected);
    expect(lines).toEqual(expected);
  });
});

describe("examples/subprocess_pipeline", () => {
  it("pipes 100 generated lines through grep 7 and reads the 19 kept", async () => {
    const found = await asyncio.run(pipeline.main());
    expect(found).toEqual([
      "7",
      "17",
      "27",
      "37",
      "47",
      "57",
      "67",
      "70",
      "71",
      "72",
      "73",
      "74",
      "75",
      "76",
      "77",
      "78",
      "79",
      "87",
      "97",
    ]);
    expect(lines).toEqual([
      "generated 100 lines; the filter kept 19:",
      found.join(" "),
      "exit codes: generator 0, filter 0",
    ]);
  });
});

describe("the walkthrough registry", () => {
  it("lists both programs, loadable, each exporting main", async () => {
    for (const name of ["site_checker", "subprocess_pipeline"]) {
      const entry = examples.find((e) => e.name === name);
      expect(entry, name).toBeDefined();
      const mod = await entry?.load();
      expect(typeof mod?.main).toBe("function");
    }
  });
});
