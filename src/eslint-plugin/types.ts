/**
 * What the rules know about types: which values are asyncio-ts awaitables, which are
 * Promises, what a generator function yields — read from TypeScript's checker through
 * typescript-eslint's parser services, by structure rather than by name, so that any copy
 * of the library (the package, a source checkout, a bundle) is recognised.
 *
 * An awaitable is anything whose `[Symbol.iterator]()` returns an iterator that yields the
 * library's `Suspend` token (`Coroutine<T>`, `Awaitable<T>`, `Future`, `Task`, `Sleep`, …);
 * `Suspend` is the interface named so with a `[SuspendBrand]` property.
 *
 * @module
 */

import type { Rule } from "eslint";
import type * as ESTree from "estree";
import type * as ts from "typescript";

/** The parser services typescript-eslint provides when type information is on. */
interface TypedParserServices {
  program: ts.Program;
  esTreeNodeToTSNodeMap: { get(node: ESTree.Node): ts.Node };
}

/** The checker and a way to ask the type of an ESTree node. */
export interface Types {
  checker: ts.TypeChecker;
  typeOf(node: ESTree.Node): ts.Type;
  tsNode(node: ESTree.Node): ts.Node;
}

/**
 * The type information of the file being linted, or a clear error when the rule runs
 * without it (the file was not parsed by typescript-eslint with a project).
 */
export function typesOf(context: Rule.RuleContext): Types {
  const services = context.sourceCode.parserServices as Partial<TypedParserServices> | undefined;
  const program = services?.program;
  const map = services?.esTreeNodeToTSNodeMap;
  if (program === undefined || program === null || map === undefined) {
    throw new Error(
      `asyncio-ts/${context.id.replace(/^.*\//, "")} needs type information: parse the file with ` +
        "typescript-eslint's parser and 'parserOptions: { projectService: true }' " +
        "(see asyncio-ts's docs/common-mistakes.md)",
    );
  }
  const checker = program.getTypeChecker();
  return {
    checker,
    tsNode: (node) => map.get(node),
    typeOf: (node) => checker.getTypeAtLocation(map.get(node)),
  };
}

/** The members of a union (or intersection), or the type itself. */
function parts(t: ts.Type): readonly ts.Type[] {
  return t.isUnionOrIntersection() ? t.types : [t];
}

/** Whether `t` is asyncio-ts's `Suspend` token type. */
export function isSuspend(t: ts.Type): boolean {
  const sym = t.getSymbol();
  if (sym === undefined || sym.getName() !== "Suspend") return false;
  return t.getProperties().some((p) => String(p.escapedName).startsWith("__@SuspendBrand"));
}

/** Whether `t`, or a member of its union, is the `Suspend` token type. */
export function includesSuspend(t: ts.Type): boolean {
  return parts(t).some(isSuspend);
}

/** The `value` types an iterator's `next()` can produce (yields and return, together). */
function nextValueTypes(checker: ts.TypeChecker, iterator: ts.Type): ts.Type[] {
  const next = iterator.getProperty("next");
  if (next === undefined) return [];
  const out: ts.Type[] = [];
  for (const sig of checker.getTypeOfSymbol(next).getCallSignatures()) {
    for (const r of parts(checker.getReturnTypeOfSignature(sig))) {
      const value = r.getProperty("value");
      if (value !== undefined) out.push(checker.getTypeOfSymbol(value));
    }
  }
  return out;
}

/** The types `t`'s `[Symbol.iterator]()` iterator produces, or [] when `t` is not iterable. */
function iteratedValueTypes(checker: ts.TypeChecker, t: ts.Type): ts.Type[] {
  const method = t.getProperties().find((p) => String(p.escapedName).startsWith("__@iterator@"));
  if (method === undefined) return [];
  const out: ts.Type[] = [];
  for (const sig of checker.getTypeOfSymbol(method).getCallSignatures()) {
    out.push(...nextValueTypes(checker, checker.getReturnTypeOfSignature(sig)));
  }
  return out;
}

/** Whether one member of `t` is an asyncio-ts awaitable (its iterator yields `Suspend`). */
export function isAwaitable(checker: ts.TypeChecker, t: ts.Type): boolean {
  return parts(t).some((p) => iteratedValueTypes(checker, p).some(includesSuspend));
}

/**
 * Whether one member of `t` is an awaitable that is not already running: a coroutine
 * object, `sleep(…)`, a lazy awaitable. Futures and Tasks (which have `addDoneCallback`)
 * run whether or not anyone awaits them.
 */
export function isLazyAwaitable(checker: ts.TypeChecker, t: ts.Type): boolean {
  return parts(t).some(
    (p) =>
      p.getProperty("addDoneCallback") === undefined &&
      iteratedValueTypes(checker, p).some(includesSuspend),
  );
}

/** Whether `t` is Promise-like (has a callable `then`) and is not an asyncio-ts awaitable. */
export function isPromiseOnly(checker: ts.TypeChecker, t: ts.Type): boolean {
  if (isAwaitable(checker, t)) return false;
  return parts(t).some((p) => {
    const then = p.getProperty("then");
    return then !== undefined && checker.getTypeOfSymbol(then).getCallSignatures().length > 0;
  });
}

/** Whether `t` is `any` or `unknown`, about which nothing can be said. */
export function isUntyped(t: ts.Type): boolean {
  // TypeFlags.Any = 1, TypeFlags.Unknown = 2 (stable across TypeScript 4 and 5).
  return (t.flags & 3) !== 0;
}

/**
 * What a generator function yields: the union of the `value` types of its `next()`
 * results, declared or inferred. Empty for a function that is not a generator.
 */
export function generatorYieldTypes(types: Types, fn: ESTree.Function): ts.Type[] {
  const decl = types.tsNode(fn) as ts.SignatureDeclaration;
  const sig = types.checker.getSignatureFromDeclaration(decl);
  if (sig === undefined) return [];
  return nextValueTypes(types.checker, types.checker.getReturnTypeOfSignature(sig));
}

/** The function a node is directly inside, or null at module level. */
export function enclosingFunction(
  node: ESTree.Node & Rule.NodeParentExtension,
): ESTree.Function | null {
  let n = node.parent as { type: string; parent?: unknown } | null | undefined;
  while (n !== null && n !== undefined) {
    if (
      n.type === "FunctionDeclaration" ||
      n.type === "FunctionExpression" ||
      n.type === "ArrowFunctionExpression"
    ) {
      return n as ESTree.Function;
    }
    n = n.parent as typeof n;
  }
  return null;
}

/** The name a call's callee ends with: `f` for `f(…)`, `g` for `a.b.g(…)`. */
export function calleeName(call: ESTree.CallExpression): string | null {
  const c = call.callee;
  if (c.type === "Identifier") return c.name;
  if (c.type === "MemberExpression" && !c.computed && c.property.type === "Identifier") {
    return c.property.name;
  }
  return null;
}

/** The library functions whose `function*` argument emits values with a plain `yield`. */
const EMITTING = new Set(["asyncGenerator", "asynccontextmanager"]);

/**
 * Whether `fn` is a body whose plain `yield`s emit values rather than await: a `function*`
 * passed straight to `asyncGenerator(…)` (its items) or `asynccontextmanager(…)` (the
 * value `asyncWith` binds).
 */
export function isEmittingBody(fn: ESTree.Function & Rule.NodeParentExtension): boolean {
  const p = fn.parent;
  if (p.type !== "CallExpression" || !p.arguments.includes(fn as ESTree.Expression)) return false;
  const name = calleeName(p);
  return name !== null && EMITTING.has(name);
}

/**
 * How the file can name one of the library's exports (`fromPromise`, `createTask`): through
 * a namespace import (`asyncio.fromPromise`), a named import (its local name), or by adding
 * it to an existing named import of the library; `null` when it must be imported anew.
 */
export function libraryName(
  context: Rule.RuleContext,
  types: Types,
  exportName: string,
): { text: string; addTo: ESTree.ImportDeclaration | null } | null {
  const program = context.sourceCode.ast;
  let addTo: ESTree.ImportDeclaration | null = null;
  for (const stmt of program.body) {
    if (stmt.type !== "ImportDeclaration") continue;
    if ((stmt as { importKind?: string }).importKind === "type") continue;
    if (!exportsName(types, stmt, exportName)) continue;
    for (const spec of stmt.specifiers) {
      if (spec.type === "ImportNamespaceSpecifier") {
        return { text: `${spec.local.name}.${exportName}`, addTo: null };
      }
      if (
        spec.type === "ImportSpecifier" &&
        (spec as { importKind?: string }).importKind !== "type" &&
        spec.imported.type === "Identifier" &&
        spec.imported.name === exportName
      ) {
        return { text: spec.local.name, addTo: null };
      }
    }
    if (addTo === null && stmt.specifiers.some((s) => s.type === "ImportSpecifier")) addTo = stmt;
  }
  return addTo === null ? null : { text: exportName, addTo };
}

/** Whether the module an import declaration names exports `name` (asked of the checker). */
function exportsName(types: Types, decl: ESTree.ImportDeclaration, name: string): boolean {
  const tsDecl = types.tsNode(decl) as ts.ImportDeclaration;
  const moduleSymbol = types.checker.getSymbolAtLocation(tsDecl.moduleSpecifier);
  if (moduleSymbol === undefined) return false;
  return types.checker.getExportsOfModule(moduleSymbol).some((s) => s.getName() === name);
}

/**
 * The fixes that make `exportName` of the library available and return the text that
 * names it: nothing to add, a specifier added to an existing import, or a new import.
 */
export function nameFixes(
  context: Rule.RuleContext,
  types: Types,
  fixer: Rule.RuleFixer,
  exportName: string,
): { text: string; fixes: Rule.Fix[] } {
  const found = libraryName(context, types, exportName);
  if (found !== null && found.addTo === null) return { text: found.text, fixes: [] };
  if (found !== null && found.addTo !== null) {
    const specs = found.addTo.specifiers.filter((s) => s.type === "ImportSpecifier");
    const last = specs[specs.length - 1] as ESTree.ImportSpecifier;
    return { text: exportName, fixes: [fixer.insertTextAfter(last, `, ${exportName}`)] };
  }
  const program = context.sourceCode.ast;
  const imports = program.body.filter((s) => s.type === "ImportDeclaration");
  const line = `import { ${exportName} } from "asyncio-ts";`;
  const lastImport = imports[imports.length - 1];
  const fix =
    lastImport === undefined
      ? fixer.insertTextBeforeRange([0, 0], `${line}\n`)
      : fixer.insertTextAfter(lastImport, `\n${line}`);
  return { text: exportName, fixes: [fix] };
}
