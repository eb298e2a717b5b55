/**
 * The walkthrough's async iteration and `async with` programs: powers_of_two on
 * the virtual-time loop, with exact times; site_status on Node's real loop, against the
 * local HTTP server it starts on 127.0.0.1 (loopback only, no network).
 */
import { describe, expect, it } from "vitest";
import { examples } from "../examples/index.js";
import * as powers from "../examples/powers_of_two.js";
import * as sites from "../examples/site_status.js";
import * as asyncio from "../src/index.js";
import { capturePrinted } from "./fixtures/printed.js";
import { runVirtual } from "./helpers.js";

/** Each console.log line, with the loop time at which it was printed. */
const lines = capturePrinted((line): [number, string] => [asyncio.getRunningLoop().time(), line]);

describe("examples/powers_of_two", () => {
  it("collects [1, 2, 4, 8, 16] with async for, then [1, 2, 16] with the filtered comprehension", async () => {
    const { result, elapsed } = await runVirtual(powers.main());
    expect(result).toEqual({ g: [1, 2, 4, 8, 16], f: [1, 2, 16] });
    expect(lines.map(([, line]) => line)).toEqual(["g = [1, 2, 4, 8, 16]", "f = [1, 2, 16]"]);
    // Five 0.1 s sleeps per loop, the loops one after the other (float sums of 0.1).
    expect(lines[0]?.[0]).toBeCloseTo(0.5, 12);
    expect(elapsed).toBeCloseTo(1.0, 12);
  });

  it("is lazy: the generator sleeps only while its consumer asks for items", async () => {
    function* main() {
      const agen = powers.mygen(3);
      const loop = asyncio.getRunningLoop();
      yield* asyncio.sleep(5);
      const first = yield* agen.anext();
      const t1 = loop.time();
      const second = yield* agen.anext();
      yield* agen.aclose();
      return { first: first.value, second: second.value, t1, t2: loop.time() };
    }
    const { result } = await runVirtual(main());
    expect(result.first).toBe(1);
    expect(result.second).toBe(2);
    expect(result.t1).toBe(5);
    expect(result.t2).toBeCloseTo(5.1, 12);
  });

  it("defaults to ten powers, as the walkthrough's mygen(u=10)", async () => {
    const { result } = await runVirtual(asyncio.collect(powers.mygen()));
    expect(result).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
  });
});

describe("examples/site_status", () => {
  it("checks the three local sites at once on the real Node loop", async () => {
    await asyncio.run(sites.main());
    const text = lines.map(([, line]) => line);
    expect([...text].sort()).toEqual([
      "gone.example: status -> 404",
      "gone.example: type -> Not Found",
      "pycoders.com: status -> 200",
      "pycoders.com: type -> <!doctype html>",
      "realpython.com: status -> 200",
      "realpython.com: type -> <!DOCTYPE html>",
    ]);
    for (const site of ["realpython.com", "pycoders.com", "gone.example"]) {
      expect(
        text.indexOf(`${site}: status -> ${site === "gone.example" ? 404 : 200}`),
      ).toBeLessThan(text.findIndex((l) => l.startsWith(`${site}: type`)));
    }
  });

  it("closes its server when the block ends, so its URL stops answering", async () => {
    let base = "";
    function* main() {
      yield* asyncio.asyncWith(sites.localSites(), function* (url) {
        base = url;
        const r = yield* asyncio.fromPromise(fetch(`${url}/pycoders.com`));
        expect(r.status).toBe(200);
        yield* asyncio.fromPromise(r.text());
      });
      return yield* asyncio.fromPromise(
        fetch(`${base}/pycoders.com`).then(
          () => "answered",
          () => "refused",
        ),
      );
    }
    expect(await asyncio.run(main())).toBe("refused");
  });

  it("cancelling a check aborts its fetch through the task's signal", async () => {
    function* main() {
      return yield* asyncio.asyncWith(sites.localSites(), function* (base) {
        const task = asyncio.createTask(
          asyncio.asyncWith(sites.get(`${base}/realpython.com`), function* () {
            yield* asyncio.sleep(3600);
          }),
        );
        // Cancel while the request is in flight: its first step started the fetch.
        yield* asyncio.sleep(0);
        const signal = task.signal;
        task.cancel();
        yield* asyncio.gather(task, { returnExceptions: true });
        return { cancelled: task.cancelled(), aborted: signal.aborted };
      });
    }
    expect(await asyncio.run(main())).toEqual({ cancelled: true, aborted: true });
  });
});

describe("examples/index", () => {
  it("registers both programs in the registry", async () => {
    for (const name of ["powers_of_two", "site_status"]) {
      const example = examples.find((e) => e.name === name);
      expect(example, name).toBeDefined();
      const mod = await example?.load();
      expect(typeof mod?.main).toBe("function");
    }
  });
});
