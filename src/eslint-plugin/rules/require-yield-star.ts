/**
 * `require-yield-star`: a plain `yield` where a coroutine means `yield*` (Python's `await`).
 *
 * Reported, inside any generator function but an `asyncGenerator(…)` or
 * `asynccontextmanager(…)` body (whose plain `yield`s emit values):
 * - `yield aw` where `aw` is an asyncio-ts awaitable (a coroutine object, `sleep(…)`, a
 *   Future, a Task…), unless the function declares a return type that does not yield
 *   `Suspend` (a `Generator<Task<number>>` that hands tasks out on purpose);
 * - in a coroutine (a generator whose yield type includes `Suspend`: declared as
 *   `Coroutine<T>`, or awaiting something with `yield*`): a `yield` of any other value,
 *   a Promise, or nothing — each a "Task got bad yield" at run time.
 *
 * A plain `Generator<number>` and the items an `asyncGenerator` body emits are not slips.
 *
 * @module
 */

import type { Rule } from "eslint";
import type * as ESTree from "estree";
import {
  enclosingFunction,
  generatorYieldTypes,
  includesSuspend,
  isAwaitable,
  isEmittingBody,
  isPromiseOnly,
  isUntyped,
  libraryName,
  typesOf,
} from "../types.js";

export const requireYieldStar: Rule.RuleModule = {
  meta: {
    type: "problem",
    docs: {
      description:
        "Require `yield*` (Python's `await`) where a coroutine awaits: a plain `yield` of an awaitable does not await it",
      recommended: true,
      url: "https://github.com/asyncio-ts/asyncio-ts/blob/main/docs/common-mistakes.md#yield-instead-of-yield",
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      yieldAwaitable:
        "'yield' of an awaitable does not await it: write 'yield* {{text}}' (Python's 'await'). At run time this is a 'Task got bad yield' error.",
      yieldPromise:
        "A coroutine cannot 'yield' a Promise: write 'yield* {{fromPromise}}({{text}})' to await it.",
      yieldValue:
        "A coroutine suspends only with 'yield* awaitable'; 'yield {{text}}' is a 'Task got bad yield' error at run time. To emit items, make the generator an asyncio.asyncGenerator(…).",
      bareYield:
        "A bare 'yield' does not suspend a coroutine (a 'Task got bad yield' error at run time): write 'yield* asyncio.sleep(0)' to give way to other tasks.",
      useYieldStar: "Await it: 'yield* {{text}}'.",
    },
  },
  create(context) {
    return {
      YieldExpression(node: ESTree.YieldExpression & Rule.NodeParentExtension) {
        if (node.delegate) return;
        const fn = enclosingFunction(node);
        if (fn === null || !fn.generator) return;
        if (isEmittingBody(fn as ESTree.Function & Rule.NodeParentExtension)) return;
        const types = typesOf(context);
        const yields = generatorYieldTypes(types, fn);
        const coroutine = yields.some(includesSuspend);
        const arg = node.argument;
        if (arg === null || arg === undefined) {
          if (coroutine) context.report({ node, messageId: "bareYield" });
          return;
        }
        const t = types.typeOf(arg);
        if (isUntyped(t) || includesSuspend(t)) return;
        const text = context.sourceCode.getText(arg);
        if (isAwaitable(types.checker, t)) {
          const annotated = (fn as { returnType?: unknown }).returnType != null;
          if (annotated && !coroutine) return;
          context.report({
            node,
            messageId: "yieldAwaitable",
            data: { text },
            suggest: [
              {
                messageId: "useYieldStar",
                data: { text },
                fix: (fixer) => fixer.replaceText(node, `yield* ${text}`),
              },
            ],
          });
          return;
        }
        if (!coroutine) return;
        if (isPromiseOnly(types.checker, t)) {
          const found = libraryName(context, types, "fromPromise");
          context.report({
            node,
            messageId: "yieldPromise",
            data: { text, fromPromise: found?.addTo === null ? found.text : "asyncio.fromPromise" },
          });
          return;
        }
        context.report({ node, messageId: "yieldValue", data: { text } });
      },
    };
  },
};
