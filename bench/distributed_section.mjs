// The distributed workload's section of docs/benchmarks.md: bench/redis.mjs writes it (it
// needs a redis-server, so it is opt-in), and bench/run.mjs keeps it when it rewrites the
// rest of the page.
const BEGIN = "<!-- distributed:begin -->";
const END = "<!-- distributed:end -->";
const BEFORE = "## How each implementation is written";

/** The section (markers included) in `page`, or "" when it has none. */
export function extractDistributed(page) {
  const i = page.indexOf(BEGIN);
  const j = page.indexOf(END);
  return i >= 0 && j > i ? page.slice(i, j + END.length) : "";
}

/** `page` with `body` as its distributed section: in place of the old one, else before BEFORE, else at the end. */
export function spliceDistributed(page, body) {
  if (body === "") return page;
  const block = body.startsWith(BEGIN) ? body : `${BEGIN}\n${body.trim()}\n${END}`;
  const old = extractDistributed(page);
  if (old !== "") return page.replace(old, block);
  const k = page.indexOf(BEFORE);
  if (k >= 0) return `${page.slice(0, k)}${block}\n\n${page.slice(k)}`;
  return `${page.trimEnd()}\n\n${block}\n`;
}
