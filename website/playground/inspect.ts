/**
 * `console.log`'s arguments as text, the way Node prints them (the examples were written
 * for Node): strings as they are at the top level and quoted inside structures, arrays as
 * `[ 1, 2 ]`, objects as `{ a: 1 }`, errors by their stack, `%s`/`%d`/`%o` substitutions.
 */

const MAX_DEPTH = 3;
const MAX_ITEMS = 100;

function inspectValue(v: unknown, depth: number, seen: Set<object>): string {
  if (typeof v === "string") return depth === 0 ? v : `'${v.replaceAll("'", "\\'")}'`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === undefined || v === null || typeof v === "boolean") return String(v);
  if (typeof v === "symbol") return v.toString();
  if (typeof v === "function")
    return `[${v.constructor?.name ?? "Function"}: ${v.name || "(anonymous)"}]`;
  const obj = v as object;
  if (seen.has(obj)) return "[Circular]";
  if (obj instanceof Error)
    return depth === 0 ? (obj.stack ?? String(obj)) : `[${obj.name}: ${obj.message}]`;
  if (obj instanceof Date) return obj.toISOString();
  if (obj instanceof RegExp) return String(obj);
  if (depth > MAX_DEPTH) return Array.isArray(obj) ? "[Array]" : "[Object]";
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const items = obj.slice(0, MAX_ITEMS).map((x) => inspectValue(x, depth + 1, seen));
      if (obj.length > MAX_ITEMS) items.push(`... ${obj.length - MAX_ITEMS} more items`);
      return items.length === 0 ? "[]" : `[ ${items.join(", ")} ]`;
    }
    if (obj instanceof Map) {
      const items = [...obj]
        .slice(0, MAX_ITEMS)
        .map(
          ([k, x]) => `${inspectValue(k, depth + 1, seen)} => ${inspectValue(x, depth + 1, seen)}`,
        );
      return `Map(${obj.size}) { ${items.join(", ")} }`;
    }
    if (obj instanceof Set) {
      const items = [...obj].slice(0, MAX_ITEMS).map((x) => inspectValue(x, depth + 1, seen));
      return `Set(${obj.size}) { ${items.join(", ")} }`;
    }
    const ctor = (obj as { constructor?: { name?: string } }).constructor?.name;
    const prefix = ctor !== undefined && ctor !== "Object" ? `${ctor} ` : "";
    const custom = (obj as { toString?: () => string }).toString;
    if (prefix !== "" && typeof custom === "function" && custom !== Object.prototype.toString) {
      // Futures, Tasks, Events… describe themselves (`<Task pending name='Task-1'>`).
      const text = custom.call(obj);
      if (typeof text === "string" && !text.startsWith("[object ")) return text;
    }
    const entries = Object.entries(obj).slice(0, MAX_ITEMS);
    if (entries.length === 0) return `${prefix}{}`;
    const body = entries.map(
      ([k, x]) =>
        `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: ${inspectValue(x, depth + 1, seen)}`,
    );
    return `${prefix}{ ${body.join(", ")} }`;
  } finally {
    seen.delete(obj);
  }
}

/**
 * The line `console.log(...args)` prints.
 *
 * @example
 * ```ts
 * formatArgs(["%s has %d items", "cart", 3]); // "cart has 3 items"
 * ```
 */
export function formatArgs(args: readonly unknown[]): string {
  const rest = [...args];
  let head = "";
  if (typeof rest[0] === "string" && rest.length > 1 && /%[sdifoOj%]/.test(rest[0])) {
    const fmt = rest.shift() as string;
    head = fmt.replace(/%([sdifoOj%])/g, (whole, c: string) => {
      if (c === "%") return "%";
      if (rest.length === 0) return whole;
      const v = rest.shift();
      if (c === "s") return typeof v === "string" ? v : inspectValue(v, 1, new Set());
      if (c === "d" || c === "i") return String(c === "i" ? Math.trunc(Number(v)) : Number(v));
      if (c === "f") return String(Number(v));
      if (c === "j") return JSON.stringify(v);
      return inspectValue(v, 1, new Set());
    });
    if (rest.length === 0) return head;
    return `${head} ${rest.map((v) => inspectValue(v, 0, new Set())).join(" ")}`;
  }
  return rest.map((v) => inspectValue(v, 0, new Set())).join(" ");
}
