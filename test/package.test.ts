/**
 * package.json and package-lock.json as npm and the bundlers read them: the lockfile's own
 * entry agrees with package.json (else every fresh `npm install` rewrites it), every
 * target of `exports` and `bin` is built (by the global setup's build), and the metadata a
 * registry page shows is there.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
type Json = Record<string, unknown>;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Json;
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, Json>;
};

/** Every string target under an exports map, with the conditions that lead to it. */
function targets(node: unknown, path: string[] = []): [string, string][] {
  if (typeof node === "string") return [[path.join(" > "), node]];
  if (node !== null && typeof node === "object") {
    return Object.entries(node).flatMap(([k, v]) => targets(v, [...path, k]));
  }
  return [];
}

describe("package-lock.json", () => {
  it("records package.json's own fields as npm install would, so installs leave it alone", () => {
    const own = lock.packages[""] ?? {};
    for (const field of [
      "name",
      "version",
      "license",
      "dependencies",
      "devDependencies",
      "peerDependencies",
      "peerDependenciesMeta",
      "optionalDependencies",
      "engines",
    ]) {
      expect(own[field], field).toEqual(pkg[field]);
    }
    // npm records bin paths without their leading "./".
    const bins = Object.entries(pkg.bin as Record<string, string>).map(([k, v]) => [
      k,
      v.replace(/^\.\//, ""),
    ]);
    expect(own.bin).toEqual(Object.fromEntries(bins));
  });
});

describe("package.json", () => {
  it("exports the main entry, the add-ons and package.json, each target built", () => {
    const exportsMap = pkg.exports as Record<string, unknown>;
    expect(Object.keys(exportsMap)).toEqual(
      expect.arrayContaining([".", "./http", "./files", "./package.json"]),
    );
    const all = targets(exportsMap);
    const missing = all.filter(([, t]) => !existsSync(join(root, t)));
    expect(missing).toEqual([]);
    for (const bin of Object.values(pkg.bin as Record<string, string>)) {
      expect(existsSync(join(root, bin)), bin).toBe(true);
    }
  });

  it("gives every entry import and require conditions, types first", () => {
    for (const [key, value] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (key === "./package.json") continue;
      const conditions = value as Record<string, Record<string, string>>;
      for (const c of ["import", "require"]) {
        expect(Object.keys(conditions[c] ?? {}), `${key} ${c}`).toEqual(["types", "default"]);
      }
      expect(conditions.require?.default, key).toMatch(/^\.\/dist\/cjs\//);
      expect(conditions.import?.default, key).toMatch(/^\.\/dist\/esm\//);
    }
  });

  it("sends browsers and workers to the portable entry, before import and require", () => {
    const main = (pkg.exports as Record<string, Record<string, unknown>>)["."] ?? {};
    expect(Object.keys(main)).toEqual(["browser", "worker", "import", "require"]);
    expect(main.browser).toEqual({
      types: "./dist/src/portable.d.ts",
      default: "./dist/esm/portable.js",
    });
    expect(main.worker).toEqual(main.browser);
  });

  it("has the metadata a registry shows, and builds before packing", () => {
    expect(pkg.repository).toMatchObject({ type: "git" });
    expect(typeof pkg.homepage).toBe("string");
    expect((pkg.keywords as string[]).length).toBeGreaterThan(3);
    expect(pkg.sideEffects).toBe(false);
    expect((pkg.scripts as Record<string, string>).prepack).toMatch(/build/);
  });
});
