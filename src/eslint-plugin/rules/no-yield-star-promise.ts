/**
 * `no-yield-star-promise`: `yield* promise` inside a coroutine. A Promise is not iterable,
 * so V8 throws "yield* (intermediate value) is not iterable"; a coroutine awaits a Promise
 * through `asyncio.fromPromise(promise)`. The autofix wraps the operand, and imports
 * `fromPromise` when the file does not name it yet.
 *
 * Futures and Tasks are Promise-like too, and awaitable: they are not reported.
 *
 * @module
 */

import type { Rule } from "eslint";
import type * as ESTree from "estree";
import { isPromiseOnly, isUntyped, libraryName, nameFixes, typesOf } from "../types.js";

export const noYieldStarPromise: Rule.RuleModule = {
  meta: {
    type: "problem",
    docs: {
      description:
        "Disallow `yield*` of a Promise inside a coroutine: await it with `yield* asyncio.fromPromise(promise)`",
      recommended: true,
      url: "https://github.com/asyncio-ts/asyncio-ts/blob/main/docs/common-mistakes.md#yield-a-promise",
    },
    fixable: "code",
    schema: [],
    messages: {
      yieldStarPromise:
        "'yield*' cannot await a Promise (it is not iterable): write 'yield* {{fromPromise}}({{text}})'.",
    },
  },
  create(context) {
    return {
      YieldExpression(node: ESTree.YieldExpression) {
        const arg = node.argument;
        if (!node.delegate || arg === null || arg === undefined) return;
        const types = typesOf(context);
        const t = types.typeOf(arg);
        if (isUntyped(t) || !isPromiseOnly(types.checker, t)) return;
        const text = context.sourceCode.getText(arg);
        const found = libraryName(context, types, "fromPromise");
        context.report({
          node,
          messageId: "yieldStarPromise",
          data: { text, fromPromise: found === null ? "fromPromise" : found.text },
          fix(fixer) {
            const { text: name, fixes } = nameFixes(context, types, fixer, "fromPromise");
            const operand = arg.type === "SequenceExpression" ? `(${text})` : text;
            return [...fixes, fixer.replaceText(arg, `${name}(${operand})`)];
          },
        });
      },
    };
  },
};
