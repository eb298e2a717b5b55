/**
 * The start-up and bundle-size bench (bench/startup.mjs): how it turns samples into
 * figures, and what it says each source module weighs. Spawning the fresh processes
 * themselves is left to `npm run bench`.
 */
import { describe, expect, it } from "vitest";

interface StartupCase {
  name: string;
  base?: string;
  alone?: boolean;
}
interface StartupRow {
  name: string;
  cpuMs: number;
  cpuSpread: [number, number];
  overMs: number | null;
  overSpread: [number, number] | null;
}
interface ModuleRow {
  module: string;
  minified: number;
  gzipped: number;
}
interface StartupBench {
  quantile(xs: number[], q: number): number;
  summarizeStartup(
    cases: StartupCase[],
    samples: Map<string, number[]>,
    runs: number,
    load: number[],
  ): StartupRow[];
  formatStartup(rows: StartupRow[]): string;
  measureModules(): Promise<ModuleRow[]>;
  measureBundles(): Promise<{ name: string; minified: number; gzipped: number }[]>;
}

const bench = (await import("../bench/startup.mjs" as string)) as StartupBench;

describe("start-up figures", () => {
  it("interpolates quantiles between the nearest samples", () => {
    expect(bench.quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(bench.quantile([4, 1, 3, 2], 0.25)).toBe(1.75);
    expect(bench.quantile([7], 0.75)).toBe(7);
  });

  it("reports a case against its baseline as the median of the paired differences", () => {
    // The machine's load moves both processes of a round alike: 100, 200, 150 ms for the
    // empty process. Pairing cancels that; the difference of the two medians would not.
    const cases: StartupCase[] = [
      { name: "empty" },
      { name: "import", base: "empty" },
      { name: "alone", alone: true },
    ];
    const samples = new Map([
      ["empty", [100, 200, 150, 120]],
      ["import", [110, 215, 158, 131]],
      ["alone", [20, 24, 22, 30]],
    ]);
    const rows = bench.summarizeStartup(cases, samples, 4, [1, 2]);
    const [empty, imported, alone] = rows;
    expect(empty?.overMs).toBeNull();
    expect(empty?.cpuMs).toBe(135);
    // differences 10, 15, 8, 11: median 10.5, quartiles 9.5 and 12
    expect(imported?.overMs).toBe(10.5);
    expect(imported?.overSpread).toEqual([9.5, 12]);
    expect(alone?.overMs).toBe(23);
    const table = bench.formatStartup(rows);
    expect(table).toContain("| import | 144.5 | +10.5 | +9.5 to +12.0 |");
    expect(table).toContain("| empty | 135.0 |  | 115.0 to 162.5 |");
  });
});

describe("module weights of the portable bundle", () => {
  it("names every heavy module, and their gzipped weights add up to at most the bundle", async () => {
    const [rows, bundles] = await Promise.all([bench.measureModules(), bench.measureBundles()]);
    const whole = bundles[0];
    if (whole === undefined) throw new Error("no bundle row");
    const tasks = rows.find((r) => r.module === "src/core/tasks.ts");
    expect(tasks?.minified).toBeGreaterThan(1000);
    expect(tasks?.gzipped).toBeGreaterThan(100);
    expect(rows.every((r) => r.module.startsWith("src/") && r.gzipped > 0)).toBe(true);
    // No node: module and nothing of src/io reaches the portable bundle.
    expect(rows.some((r) => r.module.startsWith("src/io/"))).toBe(false);
    const minified = rows.reduce((a, r) => a + r.minified, 0);
    const gzipped = rows.reduce((a, r) => a + r.gzipped, 0);
    expect(minified).toBeLessThanOrEqual(whole.minified);
    expect(minified).toBeGreaterThan(whole.minified * 0.9);
    expect(gzipped).toBeLessThanOrEqual(whole.gzipped);
  });
});
