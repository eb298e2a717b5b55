/**
 * `no-floating-coroutine`: a coroutine object, or another lazy awaitable such as
 * `asyncio.sleep(1)`, created as a statement and dropped. It never runs: `count();` does
 * nothing, silently (Python at least warns "coroutine 'count' was never awaited"). As
 * typescript-eslint's `no-floating-promises` does for Promises.
 *
 * Not reported: Futures and Tasks, which run whether or not they are awaited (a dropped
 * `asyncio.createTask(…)` is fine: the task runs on its own), and Promises (that is
 * `no-floating-promises`' job). `void f()` is reported too: it still never runs.
 *
 * @module
 */

import type { Rule } from "eslint";
import type * as ESTree from "estree";
import type * as ts from "typescript";
import {
  enclosingFunction,
  isLazyAwaitable,
  isUntyped,
  libraryName,
  nameFixes,
  type Types,
  typesOf,
} from "../types.js";

/** Whether some member of a union type is not a lazy awaitable (`false | Coroutine`). */
function mixed(types: Types, t: ts.Type): boolean {
  return t.isUnion() && t.types.some((p) => !isLazyAwaitable(types.checker, p));
}

/** How the file names `createTask`, for the suggestion's text. */
function createTaskName(context: Rule.RuleContext, types: Types): string {
  const found = libraryName(context, types, "createTask");
  return found === null ? "createTask" : found.text;
}

/** How to name what was dropped: `count()` for a call, the source text otherwise. */
function what(context: Rule.RuleContext, expr: ESTree.Expression): string {
  const text = context.sourceCode.getText(expr);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const noFloatingCoroutine: Rule.RuleModule = {
  meta: {
    type: "problem",
    docs: {
      description:
        "Disallow coroutine objects and lazy awaitables that are created and dropped: they never run",
      recommended: true,
      url: "https://github.com/asyncio-ts/asyncio-ts/blob/main/docs/common-mistakes.md#a-coroutine-called-and-dropped",
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      floating:
        "'{{text}}' creates a coroutine that never runs (Python: \"coroutine was never awaited\"). Await it with 'yield* {{text}}', or run it concurrently with 'asyncio.createTask({{text}})'.",
      awaitIt: "Await it: 'yield* {{text}}'.",
      taskIt: "Run it concurrently as a task: '{{createTask}}({{text}})'.",
    },
  },
  create(context) {
    return {
      ExpressionStatement(node: ESTree.ExpressionStatement & Rule.NodeParentExtension) {
        if ("directive" in node && node.directive !== undefined) return;
        const types = typesOf(context);
        let expr = node.expression;
        const t = types.typeOf(expr);
        if (expr.type === "UnaryExpression" && expr.operator === "void") expr = expr.argument;
        const inner = expr === node.expression ? t : types.typeOf(expr);
        if (isUntyped(inner) || !isLazyAwaitable(types.checker, inner)) return;
        const text = what(context, expr);
        const fn = enclosingFunction(node);
        const inCoroutine = fn?.generator === true;
        const source = context.sourceCode.getText(expr);
        const operand = expr.type === "SequenceExpression" ? `(${source})` : source;
        const suggest: Rule.SuggestionReportDescriptor[] = [];
        // `ok && f()` or `c ? f() : g()` is not one awaitable: there, rewriting is the
        // author's call, so nothing is suggested.
        const single = isLazyAwaitable(types.checker, inner) && !mixed(types, inner);
        if (inCoroutine && single) {
          suggest.push({
            messageId: "awaitIt",
            data: { text },
            fix: (fixer) => fixer.replaceText(node.expression, `yield* ${operand}`),
          });
          suggest.push({
            messageId: "taskIt",
            data: { text, createTask: createTaskName(context, types) },
            fix: (fixer) => {
              const { text: name, fixes } = nameFixes(context, types, fixer, "createTask");
              return [...fixes, fixer.replaceText(node.expression, `${name}(${operand})`)];
            },
          });
        }
        context.report({ node, messageId: "floating", data: { text }, suggest });
      },
    };
  },
};
