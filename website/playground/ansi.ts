/**
 * ANSI colour escapes (the walkthrough's rand colours each coroutine's lines) as runs of
 * text with a colour, for the playground's console. Only SGR foreground colours, bold and
 * reset are kept; any other escape sequence is dropped.
 */

/** A run of text in one style. */
export interface StyledRun {
  text: string;
  /** A CSS colour, or null for the default. */
  color: string | null;
  bold: boolean;
}

const COLORS: Record<number, string> = {
  30: "#6e7781",
  31: "#d1242f",
  32: "#1a7f37",
  33: "#9a6700",
  34: "#0969da",
  35: "#8250df",
  36: "#1b7c83",
  37: "#6e7781",
  90: "#8c959f",
  91: "#e5534b",
  92: "#2da44e",
  93: "#bf8700",
  94: "#218bff",
  95: "#a475f9",
  96: "#3192aa",
  97: "#8c959f",
};

/**
 * Splits `line` at its escape sequences. `state` carries the style across lines (an
 * escape left open on one line colours the next, as in a terminal).
 *
 * @example
 * ```ts
 * parseAnsi("\x1b[36mcyan\x1b[0m plain", { color: null, bold: false });
 * // [{ text: "cyan", color: "#1b7c83", … }, { text: " plain", color: null, … }]
 * ```
 */
export function parseAnsi(
  line: string,
  state: { color: string | null; bold: boolean },
): StyledRun[] {
  const runs: StyledRun[] = [];
  const pattern = new RegExp(`${String.fromCharCode(27)}\\[([0-9;]*)([A-Za-z])`, "g");
  let at = 0;
  const push = (text: string) => {
    if (text !== "") runs.push({ text, color: state.color, bold: state.bold });
  };
  for (const m of line.matchAll(pattern)) {
    push(line.slice(at, m.index));
    at = m.index + m[0].length;
    if (m[2] !== "m") continue;
    const codes = (m[1] ?? "") === "" ? [0] : (m[1] ?? "").split(";").map(Number);
    for (const code of codes) {
      if (code === 0) {
        state.color = null;
        state.bold = false;
      } else if (code === 1) state.bold = true;
      else if (code === 22) state.bold = false;
      else if (code === 39) state.color = null;
      else if (COLORS[code] !== undefined) state.color = COLORS[code];
    }
  }
  push(line.slice(at));
  return runs;
}
