/**
 * The REPL's `await`: rewrites every `await X` in an input to `await AWAIT_HOOK(X)`, so that
 * the hook can turn coroutines (which native `await` does not understand) into Tasks on the
 * REPL's loop and keep track of what the input is waiting for (Ctrl-C cancels it). Node's
 * REPL then does what it does with any top-level `await`: wraps the input in an async
 * function and hoists its declarations.
 *
 * A small tokenizer, not a parser: it knows enough JavaScript to find where the operand of
 * each `await` ends (a unary expression: prefix operators, then a primary expression with
 * its member accesses, calls and tagged templates). Whatever it cannot read with certainty
 * (unbalanced brackets, an unterminated string) is left as it is, so Node sees the original
 * input and reports it (or asks for the next line of a multi-line input). `await`s inside
 * template literal substitutions are left native.
 *
 * @module
 */

/**
 * The global function `await X` is rewritten to call.
 *
 * @example
 * ```ts
 * Object.defineProperty(globalThis, AWAIT_HOOK, { value: (x: unknown) => x });
 * ```
 */
export const AWAIT_HOOK = "__asyncio_ts_await";

type Kind = "ident" | "num" | "str" | "tmpl" | "regex" | "punct";

interface Token {
  kind: Kind;
  value: string;
  start: number;
  end: number;
  /** A line break between this token and the previous one. */
  nl: boolean;
}

/** Thrown by the tokenizer when the input is incomplete or beyond it. */
class Unreadable extends Error {}

const IDENT_START = /[A-Za-z_$#\u0080-\uffff]/;
const IDENT_PART = /[\w$\u0080-\uffff]/;
const PUNCT3 = ["...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??="];
const PUNCT2 = ["=>", "++", "--", "==", "!=", "<=", ">=", "&&", "||", "??", "+=", "-=", "*="];
/** Keywords after which a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

function skipString(src: string, i: number): number {
  const quote = src[i];
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j];
    if (c === "\\") j++;
    else if (c === quote) return j + 1;
    else if (c === "\n") break;
  }
  throw new Unreadable();
}

function skipComment(src: string, i: number): number {
  if (src[i + 1] === "/") {
    const nl = src.indexOf("\n", i);
    return nl < 0 ? src.length : nl;
  }
  const close = src.indexOf("*/", i + 2);
  if (close < 0) throw new Unreadable();
  return close + 2;
}

/** From `{` inside `${`: returns the index after the matching `}`. */
function skipSubstitution(src: string, i: number): number {
  let depth = 0;
  for (let j = i; j < src.length; ) {
    const c = src[j] as string;
    if (c === "'" || c === '"') j = skipString(src, j);
    else if (c === "`") j = skipTemplate(src, j);
    else if (c === "/" && (src[j + 1] === "/" || src[j + 1] === "*")) j = skipComment(src, j);
    else {
      if (c === "{") depth++;
      else if (c === "}" && --depth === 0) return j + 1;
      j++;
    }
  }
  throw new Unreadable();
}

function skipTemplate(src: string, i: number): number {
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j];
    if (c === "\\") j++;
    else if (c === "`") return j + 1;
    else if (c === "$" && src[j + 1] === "{") j = skipSubstitution(src, j + 1) - 1;
  }
  throw new Unreadable();
}

function skipRegex(src: string, i: number): number {
  let inClass = false;
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j];
    if (c === "\\") j++;
    else if (c === "\n") break;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) {
      let k = j + 1;
      while (k < src.length && IDENT_PART.test(src[k] as string)) k++;
      return k;
    }
  }
  throw new Unreadable();
}

function regexAllowed(prev: Token | undefined): boolean {
  if (prev === undefined) return true;
  if (prev.kind === "punct")
    return !(prev.value === ")" || prev.value === "]" || prev.value === "}");
  if (prev.kind === "ident") return BEFORE_REGEX.has(prev.value);
  return false;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let nl = false;
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029") {
      nl = true;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "/" && (src[i + 1] === "/" || src[i + 1] === "*")) {
      const end = skipComment(src, i);
      if (src.slice(i, end).includes("\n")) nl = true;
      i = end;
      continue;
    }
    const start = i;
    let kind: Kind;
    if (c === "'" || c === '"') {
      kind = "str";
      i = skipString(src, i);
    } else if (c === "`") {
      kind = "tmpl";
      i = skipTemplate(src, i);
    } else if (IDENT_START.test(c)) {
      kind = "ident";
      i++;
      while (i < src.length && IDENT_PART.test(src[i] as string)) i++;
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      kind = "num";
      i++;
      while (i < src.length && /[\w.]/.test(src[i] as string)) i++;
    } else if (c === "/" && regexAllowed(tokens[tokens.length - 1])) {
      kind = "regex";
      i = skipRegex(src, i);
    } else {
      kind = "punct";
      const three = src.slice(i, i + 3);
      const two = src.slice(i, i + 2);
      if (PUNCT3.includes(three)) i += 3;
      else if (two === "?." && !/[0-9]/.test(src[i + 2] ?? "")) i += 2;
      else if (PUNCT2.includes(two)) i += 2;
      else i++;
    }
    tokens.push({ kind, value: src.slice(start, i), start, end: i, nl });
    nl = false;
  }
  return tokens;
}

const OPENERS: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** For each opening bracket, the index of its closing one. */
function matchBrackets(tokens: Token[]): Map<number, number> {
  const match = new Map<number, number>();
  const stack: number[] = [];
  tokens.forEach((t, k) => {
    if (t.kind !== "punct") return;
    if (t.value in OPENERS) stack.push(k);
    else if (t.value === ")" || t.value === "]" || t.value === "}") {
      const open = stack.pop();
      if (open === undefined || OPENERS[(tokens[open] as Token).value] !== t.value) {
        throw new Unreadable();
      }
      match.set(open, k);
    }
  });
  if (stack.length > 0) throw new Unreadable();
  return match;
}

const PREFIX_PUNCT = new Set(["!", "~", "+", "-", "++", "--"]);
const PREFIX_WORDS = new Set(["typeof", "void", "delete", "await"]);
/** Words that start expressions this rewriter does not delimit: left native. */
const OPAQUE_WORDS = new Set(["function", "class", "async", "yield", "import"]);

class OperandFinder {
  constructor(
    private readonly tokens: Token[],
    private readonly match: Map<number, number>,
  ) {}

  private is(k: number, kind: Kind, value?: string): boolean {
    const t = this.tokens[k];
    return t !== undefined && t.kind === kind && (value === undefined || t.value === value);
  }

  /** The index after the unary expression starting at `k`, or -1. */
  unary(k: number): number {
    const t = this.tokens[k];
    if (t === undefined) return -1;
    if (
      (t.kind === "punct" && PREFIX_PUNCT.has(t.value)) ||
      (t.kind === "ident" && PREFIX_WORDS.has(t.value))
    ) {
      return this.unary(k + 1);
    }
    return this.postfix(k);
  }

  private postfix(k: number): number {
    if (this.is(k, "ident", "new")) return this.postfix(k + 1);
    let j = this.primary(k);
    if (j < 0) return -1;
    for (;;) {
      const t = this.tokens[j];
      if (t === undefined) return j;
      if (t.kind === "punct" && (t.value === "." || t.value === "?.")) {
        if (this.is(j + 1, "ident")) j += 2;
        else if (this.is(j + 1, "punct", "(") || this.is(j + 1, "punct", "[")) {
          j = (this.match.get(j + 1) as number) + 1;
        } else return -1;
      } else if (t.kind === "punct" && (t.value === "(" || t.value === "[")) {
        j = (this.match.get(j) as number) + 1;
      } else if (t.kind === "tmpl") {
        j++;
      } else if (t.kind === "punct" && (t.value === "++" || t.value === "--") && !t.nl) {
        return j + 1;
      } else {
        return j;
      }
    }
  }

  private primary(k: number): number {
    const t = this.tokens[k];
    if (t === undefined) return -1;
    if (t.kind === "punct") {
      return t.value in OPENERS ? (this.match.get(k) as number) + 1 : -1;
    }
    if (t.kind === "ident") {
      if (OPAQUE_WORDS.has(t.value) || this.is(k + 1, "punct", "=>")) return -1;
      return k + 1;
    }
    return k + 1;
  }
}

/** Tokens after `await` that show it is not the operator (a name, a key, `for await`). */
function isAwaitOperator(tokens: Token[], k: number): boolean {
  const prev = tokens[k - 1];
  const next = tokens[k + 1];
  if (next === undefined) return false;
  if (prev !== undefined && prev.kind === "punct" && (prev.value === "." || prev.value === "?.")) {
    return false;
  }
  if (prev !== undefined && prev.kind === "ident" && prev.value === "for") return false;
  if (next.kind === "punct" && [":", "=", "=>", ")", "]", "}", ",", ";"].includes(next.value)) {
    return false;
  }
  return true;
}

/**
 * Returns `code` with each `await X` made `await __asyncio_ts_await(X)`, or `code` itself
 * when it has no `await` or cannot be read with certainty.
 *
 * @example
 * ```ts
 * rewriteAwaits("const r = await asyncio.sleep(1, 'x') + 1");
 * // "const r = await __asyncio_ts_await(asyncio.sleep(1, 'x')) + 1"
 * ```
 */
export function rewriteAwaits(code: string): string {
  if (!code.includes("await")) return code;
  let tokens: Token[];
  let match: Map<number, number>;
  try {
    tokens = tokenize(code);
    match = matchBrackets(tokens);
  } catch (e) {
    if (e instanceof Unreadable) return code;
    throw e;
  }
  const finder = new OperandFinder(tokens, match);
  /** [position, order, text]: opens sort after closes at the same position. */
  const edits: [number, number, string][] = [];
  tokens.forEach((t, k) => {
    if (t.kind !== "ident" || t.value !== "await" || !isAwaitOperator(tokens, k)) return;
    const end = finder.unary(k + 1);
    if (end < 0) return;
    const first = tokens[k + 1] as Token;
    const last = tokens[end - 1] as Token;
    edits.push([first.start, 1 + first.start, `${AWAIT_HOOK}(`]);
    // An inner operand closes before an outer one ending at the same place.
    edits.push([last.end, -1 - first.start, ")"]);
  });
  edits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let out = "";
  let at = 0;
  for (const [pos, , text] of edits) {
    out += code.slice(at, pos) + text;
    at = pos;
  }
  return out + code.slice(at);
}
