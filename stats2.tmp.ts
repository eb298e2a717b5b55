import { collect, typeCheck } from "./test/doc_examples/check.js";
const root = process.cwd();
const c = collect(root);
const d = typeCheck(root, c);
const missing = new Map<string, string[]>();
c.wrapped.forEach((w, i) => {
  for (const x of d[i]!) { const m = /Cannot find name '(\w+)'/.exec(x.message); if (m) { const l = missing.get(m[1]!) ?? []; l.push(w.block.where.replace(/^src\//,"")); missing.set(m[1]!, l); } }
});
for (const [k, v] of [...missing].sort((a, b) => b[1].length - a[1].length)) console.log(k, v.length, v.slice(0, 4).join(" | "));
