/**
 * asyncio-ts/testing under `node:test`: the same coroutine bodies, no Vitest.
 *
 * Run it: `node --import tsx --test examples/testing/node_test.ts`
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as asyncio from "../../src/index.js";
import { explore, withAsyncio } from "../../src/testing/index.js";
import { morning, SafeBank } from "./bank.js";

const t = withAsyncio(test);

t("an hour passes at once on the virtual loop", function* () {
  yield* asyncio.sleep(3600);
  assert.equal(asyncio.getRunningLoop().time(), 3600);
});

t("a queue hands items over in order", { timeout: 60 }, function* () {
  const q = new asyncio.Queue<number>();
  yield* q.put(1);
  yield* q.put(2);
  assert.deepEqual([yield* q.get(), yield* q.get()], [1, 2]);
});

test("the bank with a Lock passes 100 schedules", async () => {
  const result = await explore(() => morning(new SafeBank({ alice: 100, bob: 0, carol: 0 })), {
    runs: 100,
  });
  assert.equal(result.runs, 100);
});
