import { inspect } from "node:util";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as asyncio from "../src/index.js";

class ValueError extends Error {}

describe("ExceptionGroup", () => {
  it("is a real Error and AggregateError with exceptions, errors and message", () => {
    const a = new TypeError("a");
    const b = new RangeError("b");
    const g = new asyncio.ExceptionGroup("two", [a, b]);
    expect(g).toBeInstanceOf(Error);
    expect(g).toBeInstanceOf(AggregateError);
    expect(g).toBeInstanceOf(asyncio.BaseExceptionGroup);
    expect(g.name).toBe("ExceptionGroup");
    expect(g.message).toBe("two");
    expect(g.exceptions).toEqual([a, b]);
    expect(g.errors).toEqual([a, b]);
    expect(String(g)).toBe("ExceptionGroup: two (2 sub-exceptions)");
    expect(String(new asyncio.ExceptionGroup("one", [a]))).toBe(
      "ExceptionGroup: one (1 sub-exception)",
    );
    expect(Object.isFrozen(g.exceptions)).toBe(true);
  });

  it("BaseExceptionGroup becomes an ExceptionGroup when no member is a base error", () => {
    const g = new asyncio.BaseExceptionGroup("m", [new TypeError("x")]);
    expect(g).toBeInstanceOf(asyncio.ExceptionGroup);
    const b = new asyncio.BaseExceptionGroup("m", [new asyncio.CancelledError(), new TypeError()]);
    expect(b).not.toBeInstanceOf(asyncio.ExceptionGroup);
    expect(b.name).toBe("BaseExceptionGroup");
  });

  it("ExceptionGroup refuses base errors, empty lists and bad arguments", () => {
    expect(() => new asyncio.ExceptionGroup("m", [new asyncio.CancelledError()])).toThrow(
      /Cannot nest base errors.*item 0 is CancelledError/,
    );
    const base = new asyncio.BaseExceptionGroup("b", [new asyncio.KeyboardInterrupt()]);
    expect(() => new asyncio.ExceptionGroup("m", [base as never])).toThrow(TypeError);
    expect(() => new asyncio.ExceptionGroup("m", [])).toThrow(/non-empty/);
    expect(() => new asyncio.ExceptionGroup(5 as never, [new Error()])).toThrow(
      /'message' must be a string: received 5/,
    );
    expect(() => new asyncio.ExceptionGroup("m", null as never)).toThrow(/'exceptions'/);
    expect(() => new asyncio.ExceptionGroup("m", [undefined])).toThrow(/item 0/);
  });

  it("split() keeps nesting and message and copies cause and stack", () => {
    const v1 = new ValueError("1");
    const t2 = new TypeError("2");
    const v3 = new ValueError("3");
    const inner = new asyncio.ExceptionGroup("inner", [t2, v3]);
    const g = new asyncio.ExceptionGroup("outer", [v1, inner], { cause: "why" });
    const [match, rest] = g.split(ValueError);
    expect(match?.message).toBe("outer");
    expect(match?.exceptions[0]).toBe(v1);
    const nested = match?.exceptions[1] as asyncio.BaseExceptionGroup;
    expect(nested.message).toBe("inner");
    expect(nested.exceptions).toEqual([v3]);
    expect(rest?.exceptions.length).toBe(1);
    expect((rest!.exceptions[0] as asyncio.BaseExceptionGroup).exceptions).toEqual([t2]);
    expect(match?.cause).toBe("why");
    expect(match?.stack).toBe(g.stack);
  });

  it("split() with nothing or everything matched", () => {
    const g = new asyncio.ExceptionGroup("m", [new TypeError("a")]);
    expect(g.split(RangeError)[0]).toBeNull();
    expect(g.split(RangeError)[1]?.exceptions).toEqual(g.exceptions);
    expect(g.split(TypeError)[1]).toBeNull();
    // A class matching the group itself takes it whole, as Python.
    expect(g.split(asyncio.ExceptionGroup)[0]).toBe(g);
  });

  it("matchers: an array of classes, a predicate (called on groups too)", () => {
    const a = new TypeError("a");
    const b = new RangeError("b");
    const c = new ValueError("c");
    const g = new asyncio.ExceptionGroup("m", [a, b, c]);
    expect(g.subgroup([TypeError, RangeError])?.exceptions).toEqual([a, b]);
    expect(g.subgroup((e) => e instanceof Error && e.message === "c")?.exceptions).toEqual([c]);
    expect(g.subgroup(() => true)).toBe(g);
    expect(g.subgroup(() => false)).toBeNull();
    expect(() => g.split(5 as never)).toThrow(/'matcher' must be/);
  });

  it("subgroup() of cancellations returns a BaseExceptionGroup", () => {
    const c = new asyncio.CancelledError();
    const g = new asyncio.BaseExceptionGroup("m", [c, new TypeError()]);
    const cancels = g.subgroup(asyncio.CancelledError);
    expect(cancels).not.toBeInstanceOf(asyncio.ExceptionGroup);
    expect(cancels?.exceptions).toEqual([c]);
    const others = g.split(asyncio.CancelledError)[1];
    expect(others).toBeInstanceOf(asyncio.ExceptionGroup);
  });

  it("derive() is what split uses, so a subclass keeps its type", () => {
    class HttpErrors extends asyncio.ExceptionGroup {
      override derive(excs: Iterable<unknown>) {
        return new HttpErrors(this.message, excs);
      }
    }
    const g = new HttpErrors("http", [new TypeError(), new RangeError()]);
    const [m, r] = g.split(TypeError);
    expect(m).toBeInstanceOf(HttpErrors);
    expect(r).toBeInstanceOf(HttpErrors);
    expect(new asyncio.ExceptionGroup("x", [new Error()]).derive([new TypeError()]).message).toBe(
      "x",
    );
  });

  it("fromAggregateError wraps Promise.any's AggregateError", async () => {
    const err = await Promise.any([Promise.reject(new TypeError("a"))]).catch((e: unknown) => e);
    const g = asyncio.BaseExceptionGroup.fromAggregateError(err as AggregateError);
    expect(g).toBeInstanceOf(asyncio.ExceptionGroup);
    expect((g.exceptions[0] as Error).message).toBe("a");
    expect(asyncio.BaseExceptionGroup.fromAggregateError(g)).toBe(g);
    expect(() => asyncio.BaseExceptionGroup.fromAggregateError(new Error() as never)).toThrow(
      TypeError,
    );
  });

  it("prints every nested error with its stack", () => {
    const leaf = new TypeError("leaf one");
    const deep = new RangeError("deep leaf");
    const g = new asyncio.ExceptionGroup("top", [
      leaf,
      new asyncio.ExceptionGroup("nested", [deep]),
    ]);
    const text = inspect(g);
    expect(text).toBe(g.format());
    const lines = text.split("\n");
    expect(lines[0]).toBe("ExceptionGroup: top (2 sub-exceptions)");
    expect(text).toContain("+-+---------------- 1 ----------------");
    expect(text).toContain("    | TypeError: leaf one");
    expect(text).toContain("    | ExceptionGroup: nested (1 sub-exception)");
    expect(text).toContain("    | +-+---------------- 1 ----------------");
    expect(text).toContain("    |     | RangeError: deep leaf");
    // every error's own frames are there
    const leafFrame = (leaf.stack ?? "").split("\n")[1] as string;
    expect(text).toContain(`    | ${leafFrame}`);
    const deepFrame = (deep.stack ?? "").split("\n")[1] as string;
    expect(text).toContain(`    |     | ${deepFrame}`);
  });
});

describe("exceptStar", () => {
  function group() {
    return new asyncio.ExceptionGroup("m", [
      new TypeError("t1"),
      new RangeError("r1"),
      new asyncio.ExceptionGroup("n", [new TypeError("t2"), new ValueError("v")]),
    ]);
  }

  it("hands each kind to its handler and re-throws the rest", () => {
    const seen: string[] = [];
    let thrown: unknown;
    try {
      asyncio.exceptStar(
        group(),
        [TypeError, (g) => seen.push(`types ${g.exceptions.length}`)],
        [RangeError, (g) => seen.push(`ranges ${g.exceptions.length}`)],
      );
    } catch (e) {
      thrown = e;
    }
    expect(seen).toEqual(["types 2", "ranges 1"]);
    expect(thrown).toBeInstanceOf(asyncio.ExceptionGroup);
    const rest = thrown as asyncio.ExceptionGroup;
    expect(rest.message).toBe("m");
    const nested = rest.exceptions[0] as asyncio.ExceptionGroup;
    expect(nested.message).toBe("n");
    expect((nested.exceptions[0] as Error).message).toBe("v");
  });

  it("returns normally when everything is handled; handler types are inferred", () => {
    const seen: string[] = [];
    asyncio.exceptStar(
      group(),
      [
        TypeError,
        (g) => {
          expectTypeOf(g).toEqualTypeOf<asyncio.BaseExceptionGroup<TypeError>>();
          seen.push("t");
        },
      ],
      [[RangeError, ValueError], () => seen.push("rv")],
    );
    expect(seen).toEqual(["t", "rv"]);
  });

  it("a naked error: handled in a group, or re-thrown as is when unmatched", () => {
    const err = new TypeError("naked");
    let got: asyncio.BaseExceptionGroup<TypeError> | undefined;
    asyncio.exceptStar(err, [
      TypeError,
      (g) => {
        got = g;
      },
    ]);
    expect(got?.exceptions).toEqual([err]);
    expect(() => asyncio.exceptStar(err, [RangeError, () => {}])).toThrow(err);
    const cancel = new asyncio.CancelledError();
    expect(() => asyncio.exceptStar(cancel, [Error, () => {}])).not.toThrow();
    expect(() => asyncio.exceptStar(cancel, [TypeError, () => {}])).toThrow(cancel);
  });

  it("the original group is re-thrown itself when nothing matched", () => {
    const g = group();
    expect(() => asyncio.exceptStar(g, [SyntaxError, () => {}])).toThrow(g);
  });

  it("errors thrown by handlers are raised together with the unhandled rest", () => {
    const boom = new SyntaxError("boom");
    let thrown: unknown;
    try {
      asyncio.exceptStar(group(), [
        TypeError,
        () => {
          throw boom;
        },
      ]);
    } catch (e) {
      thrown = e;
    }
    const g = thrown as asyncio.ExceptionGroup;
    expect(g).toBeInstanceOf(asyncio.ExceptionGroup);
    expect(g.message).toBe("");
    expect(g.exceptions[0]).toBe(boom);
    const rest = g.exceptions[1] as asyncio.ExceptionGroup;
    expect(rest.message).toBe("m");
    expect(rest.exceptions.map((e) => (e as Error).message ?? "")).toEqual(["r1", "n"]);
  });

  it("a handler re-throwing its group leaves those errors unhandled, in place", () => {
    const g = group();
    let thrown: unknown;
    try {
      asyncio.exceptStar(
        g,
        [
          TypeError,
          (m) => {
            throw m;
          },
        ],
        [RangeError, () => {}],
      );
    } catch (e) {
      thrown = e;
    }
    const r = thrown as asyncio.ExceptionGroup;
    expect(r.exceptions[0]).toBe(g.exceptions[0]);
    const nested = r.exceptions[1] as asyncio.ExceptionGroup;
    expect(nested.exceptions.map((e) => (e as Error).message)).toEqual(["t2", "v"]);
  });

  it("treats a plain AggregateError as a group", () => {
    const seen: unknown[] = [];
    const agg = new AggregateError([new TypeError("x")], "any failed");
    asyncio.exceptStar(agg, [TypeError, (g) => seen.push(g.message)]);
    expect(seen).toEqual(["any failed"]);
  });

  it("bad clauses throw TypeError at the call", () => {
    expect(() => asyncio.exceptStar(new Error(), [TypeError] as never)).toThrow(
      /clause 0 must be a \[matcher, handler\] pair/,
    );
    expect(() => asyncio.exceptStar(undefined, [TypeError, () => {}])).toThrow(/'error'/);
  });
});
