/**
 * The differential test against CPython in `npm test`: a fixed set of generated programs
 * (test/differential/) runs on asyncio-ts and on CPython >= 3.12, and their traces must be
 * equal, except for the seeds listed in test/differential/known.ts. Without such a Python
 * the test is skipped, saying why; `npm run fuzz -- --seeds A..B` runs other seeds.
 */
import { describe, expect, it } from "vitest";
import { compareSeeds, findPython, formatMismatch } from "./differential/run.js";

const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);
const found = findPython();
if (found.python === null) {
  console.warn(`differential test against CPython skipped: ${found.reason}`);
}

describe.skipIf(found.python === null)("differential test against CPython", () => {
  it(`agrees with CPython ${found.python === null ? "" : found.version} on ${SEEDS.length} generated programs`, async () => {
    const r = await compareSeeds(found.python as string, SEEDS);
    const unexpected = r.mismatches.filter((m) => m.known === null);
    // The whole report (both programs and the trace diff) is the failure message.
    expect(unexpected.map(formatMismatch).join("\n")).toBe("");
    expect(r.programs).toBe(SEEDS.length);
    // A listed seed that agrees now is a fixed bug: it leaves known.ts.
    expect(r.fixedKnown).toEqual([]);
  }, 60_000);
});
