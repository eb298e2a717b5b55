/**
 * Recording a timeline from a program: the walkthrough's chained example runs on the
 * virtual-time loop under a Timeline, which is then written as a self-contained HTML page
 * (open it in a browser), as Chrome trace-event JSON (open it in https://ui.perfetto.dev),
 * and drawn as text lanes here.
 *
 *   npx tsx examples/record_timeline.ts [out-directory]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as asyncio from "../src/index.js";
import { main as chain } from "./chain.js";

/**
 * Records `chain`; writes `chain.html` and `chain.trace.json` into `dir` when given.
 * Returns the text lanes.
 *
 * @example
 * ```ts
 * console.log(await recordChain("/tmp")); // lanes; /tmp/chain.html, /tmp/chain.trace.json
 * ```
 */
export async function recordChain(dir?: string): Promise<string> {
  const timeline = new asyncio.Timeline();
  await asyncio.run(chain(), {
    loopFactory: () => timeline.observe(new asyncio.VirtualEventLoop()),
  });
  if (dir !== undefined) {
    writeFileSync(join(dir, "chain.html"), timeline.toHTML({ title: "chained coroutines" }));
    writeFileSync(join(dir, "chain.trace.json"), JSON.stringify(timeline.toTraceEvents()));
  }
  return timeline.toText({ width: 60 });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await recordChain(process.argv[2]));
}
