/**
 * `npm run fuzz -- --seeds A..B [--features sleep,spawn,...] [--show N]`: the differential
 * test against CPython over a range of seeds. Prints each mismatch (seed, both programs,
 * the trace diff) and a summary; exits non-zero on a mismatch that known.ts does not list.
 */
import { FEATURES, type Feature, generate, toPython, toTypeScript } from "./generate.js";
import { compareSeeds, findPython, formatMismatch } from "./run.js";

function parseSeeds(spec: string): number[] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(spec);
  if (m === null) throw new Error(`--seeds: expected A..B or N: received ${spec}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a) throw new Error(`--seeds: empty range ${spec}`);
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

function parseFeatures(spec: string): Feature[] {
  const fs = spec.split(",").filter((f) => f !== "");
  for (const f of fs) {
    if (!(FEATURES as readonly string[]).includes(f)) {
      throw new Error(`--features: unknown feature ${f} (known: ${FEATURES.join(", ")})`);
    }
  }
  return fs as Feature[];
}

async function main(argv: string[]): Promise<number> {
  let seeds = parseSeeds("1..200");
  let features: readonly Feature[] = FEATURES;
  let print = false;
  let quiet = false;
  let trace = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--seeds") seeds = parseSeeds(next());
    else if (a === "--features") features = parseFeatures(next());
    else if (a === "--print") print = true;
    else if (a === "--quiet") quiet = true;
    else if (a === "--trace") trace = true;
    else if (a === "--help" || a === "-h") {
      console.log(
        "npm run fuzz -- [--seeds A..B] [--features f1,f2] [--print] [--quiet]\n" +
          "  --seeds     seeds to run (default 1..200)\n" +
          `  --features  restrict the generator to these (${FEATURES.join(", ")})\n` +
          "  --print     print the programs of the seeds (both languages) and exit\n" +
          "  --quiet     print known mismatches by seed only\n" +
          "  --trace     print both traces of every seed, agreeing or not",
      );
      return 0;
    } else throw new Error(`unknown argument ${a}`);
  }
  if (print) {
    for (const s of seeds) {
      const p = generate(s, features);
      console.log(
        `=== seed ${s}\n--- Python\n${toPython(p)}\n--- TypeScript\n${toTypeScript(p)}\n`,
      );
    }
    return 0;
  }
  const py = findPython();
  if (py.python === null) {
    console.error(`fuzz: ${py.reason}`);
    return 2;
  }
  const r = await compareSeeds(py.python, seeds, features, trace);
  let unexpected = 0;
  for (const m of r.mismatches) {
    if (m.known === null) unexpected++;
    if (quiet && m.known !== null)
      console.log(`seed ${m.seed}: known ${m.known.list}: ${m.known.reason}`);
    else console.log(formatMismatch(m));
  }
  if (r.fixedKnown.length > 0) {
    console.log(`listed in known.ts but agree now: ${r.fixedKnown.join(", ")} (remove them)`);
  }
  console.log(
    `${r.programs} programs, ${r.agree} agree, ${r.mismatches.length} differ ` +
      `(${unexpected} not listed in known.ts) — CPython ${py.version} (${py.python})`,
  );
  return unexpected > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 2;
  },
);
