/**
 * `asyncio-ts/eslint-plugin`: ESLint rules that catch, where they are written, the slips a
 * Python developer makes with generator coroutines — and that TypeScript cannot see.
 *
 * | rule | catches |
 * |---|---|
 * | `asyncio-ts/require-yield-star` | `yield asyncio.sleep(1)`: a plain `yield` where `yield*` (Python's `await`) was meant |
 * | `asyncio-ts/no-floating-coroutine` | `count();` or `asyncio.sleep(1);`: a coroutine created and dropped, which never runs |
 * | `asyncio-ts/no-yield-star-promise` | `yield* fetch(url)`: a Promise awaited without `asyncio.fromPromise` (autofix) |
 *
 * The rules read types, so the files must be parsed by typescript-eslint with type
 * information. ESLint, typescript-eslint and TypeScript are optional peer dependencies
 * of asyncio-ts: install them to use this entry.
 *
 * @example
 * ```ts fragment: an eslint.config.js, run by ESLint rather than as a program
 * import asyncioTs from "asyncio-ts/eslint-plugin";
 * import tseslint from "typescript-eslint";
 *
 * export default [
 *   {
 *     files: ["**\/*.ts"],
 *     languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true } },
 *   },
 *   asyncioTs.configs.recommended,
 * ];
 * ```
 *
 * @module
 */

import type { ESLint, Linter, Rule } from "eslint";
import { noFloatingCoroutine } from "./rules/no-floating-coroutine.js";
import { noYieldStarPromise } from "./rules/no-yield-star-promise.js";
import { requireYieldStar } from "./rules/require-yield-star.js";

/**
 * The plugin's shape: ESLint's plugin object with its rules and its flat configs.
 *
 * @example
 * ```ts
 * import asyncioTs, { type AsyncioTsPlugin } from "asyncio-ts/eslint-plugin";
 * const plugin: AsyncioTsPlugin = asyncioTs;
 * console.log(Object.keys(plugin.rules)); // the three rules
 * ```
 */
export interface AsyncioTsPlugin extends ESLint.Plugin {
  meta: { name: string; version: string };
  rules: {
    "require-yield-star": Rule.RuleModule;
    "no-floating-coroutine": Rule.RuleModule;
    "no-yield-star-promise": Rule.RuleModule;
  };
  configs: {
    /**
     * The three rules as errors, for TypeScript files (`**\/*.{ts,tsx,mts,cts}`). Add
     * typescript-eslint's parser with type information beside it.
     */
    recommended: Linter.Config;
  };
}

const rules = {
  "require-yield-star": requireYieldStar,
  "no-floating-coroutine": noFloatingCoroutine,
  "no-yield-star-promise": noYieldStarPromise,
};

/**
 * The ESLint plugin: `rules` and `configs.recommended` (a flat config that registers the
 * plugin as `asyncio-ts` and turns the three rules on as errors).
 *
 * @example
 * ```ts fragment: an eslint.config.js, run by ESLint rather than as a program
 * import asyncioTs from "asyncio-ts/eslint-plugin";
 * import tseslint from "typescript-eslint";
 *
 * export default tseslint.config(
 *   { languageOptions: { parserOptions: { projectService: true } } },
 *   tseslint.configs.base,
 *   asyncioTs.configs.recommended,
 * );
 * ```
 */
const plugin: AsyncioTsPlugin = {
  meta: { name: "asyncio-ts/eslint-plugin", version: "0.1.0" },
  rules,
  configs: { recommended: {} },
};

plugin.configs.recommended = {
  name: "asyncio-ts/recommended",
  files: ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts"],
  plugins: { "asyncio-ts": plugin },
  rules: {
    "asyncio-ts/require-yield-star": "error",
    "asyncio-ts/no-floating-coroutine": "error",
    "asyncio-ts/no-yield-star-promise": "error",
  },
};

export default plugin;
