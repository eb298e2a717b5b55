import { collect, typeCheck } from "./test/doc_examples/check.js";
const root = process.cwd();
let t = Date.now();
const c = collect(root);
console.error("collect", Date.now() - t); t = Date.now();
const d = typeCheck(root, c);
console.error("check", Date.now() - t);
const missing = new Map<string, number>();
let bad = 0;
const md = process.argv[2];
c.wrapped.forEach((w, i) => {
  const ds = d[i]!;
  if (ds.length) bad++;
  for (const x of ds) { const m = /Cannot find name '(\w+)'/.exec(x.message); if (m) missing.set(m[1]!, (missing.get(m[1]!) ?? 0) + 1); }
  if (md && ds.length && w.block.file.startsWith(md)) { console.log("==", w.block.where, w.block.mode); for (const x of ds) console.log("  ", x.line, x.message.split("\n")[0]); }
});
console.log("blocks", c.blocks.length, "ts", c.wrapped.length, "failing", bad);
console.log([...missing].sort((a, b) => b[1] - a[1]).slice(0, 80).map(([k, v]) => `${k}:${v}`).join(" "));
