/**
 * The VitePress site: pages staged by scripts/site.ts into website/.gen, built into site/.
 * Links written for GitHub are rewritten for the site (sources.ts); TypeScript code blocks
 * that are whole programs get a "Run" button that opens them in the playground.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { MarkdownRenderer } from "vitepress";
import { type DefaultTheme, defineConfig } from "vitepress";
import { encodeProgram, runnableProgram } from "../playground/share.js";
import { type DocProgram, docPrograms } from "./doc-programs.js";
import { checkPrograms } from "./runnable.js";
import { GROUPS, REPOSITORY, siteLink, sourceOf } from "./sources.js";

const staged = fileURLToPath(new URL("../.gen", import.meta.url));

/** A page's title: the first heading of its staged Markdown. */
function titleOf(page: string): string {
  if (page === "overview") return "Overview";
  if (page === "playground") return "Playground";
  const file = `${staged}/${page}.md`;
  if (!existsSync(file)) return page;
  const h1 = /^# (.+)$/m.exec(readFileSync(file, "utf8"));
  return (h1?.[1] ?? page).replaceAll("`", "");
}

/**
 * The API reference's sidebar: its modules only. typedoc-vitepress-theme writes every
 * symbol (hundreds), and VitePress puts the whole sidebar into every page's HTML; each
 * module's page lists its symbols instead.
 */
function referenceSidebar(): DefaultTheme.SidebarItem[] {
  const file = `${staged}/api/typedoc-sidebar.json`;
  if (!existsSync(file)) return [];
  const modules = JSON.parse(readFileSync(file, "utf8")) as DefaultTheme.SidebarItem[];
  const label = (text: string | undefined) =>
    text === "index" ? "asyncio-ts" : `asyncio-ts/${text}`;
  return modules
    .map((m) => ({ text: label(m.text), link: m.link ?? "" }))
    .sort((a, b) =>
      a.text === "asyncio-ts" ? -1 : b.text === "asyncio-ts" ? 1 : a.text.localeCompare(b.text),
    );
}

/** What the search indexes of an API page: its title and its summary, not every signature. */
function searchableText(src: string): string {
  if (!src.includes("Defined in:")) return src;
  const title = /^# .+$/m.exec(src)?.[0] ?? "";
  const after = src.slice(src.indexOf("Defined in:"));
  const summary = after.split("\n\n")[1] ?? "";
  return `${title}\n\n${summary.startsWith("#") ? "" : summary}\n`;
}

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The Markdown files of the staged site. */
function stagedFiles(dir = staged): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name.startsWith(".")) return [];
    const full = `${dir}/${e.name}`;
    if (e.isDirectory()) return stagedFiles(full);
    return e.name.endsWith(".md") ? [full] : [];
  });
}

/** The programs of every page's TypeScript blocks that run in the playground (runnable.ts). */
function runnablePrograms(md: MarkdownRenderer): Set<string> {
  const candidates = new Set<string>();
  for (const file of stagedFiles()) {
    for (const token of md.parse(readFileSync(file, "utf8"), {})) {
      const lang = token.info.trim().split(/\s+/)[0] ?? "";
      if (token.type !== "fence" || !["ts", "typescript"].includes(lang)) continue;
      const program = runnableProgram(token.content);
      if (program !== null) candidates.add(program);
    }
  }
  return checkPrograms([...candidates], root);
}

/**
 * The blocks of README.md and docs/*.md that the test of the documentation runs, by file
 * and code, with their programs (doc-programs.ts); written to the site as
 * doc-programs.json, the list the site's test counts the Run buttons against.
 */
function documentedPrograms(): Map<string, DocProgram> {
  const list = docPrograms(root);
  writeFileSync(`${staged}/public/doc-programs.json`, `${JSON.stringify(list, null, 1)}\n`);
  return new Map(list.map((p) => [`${p.file}\n${p.code.trimEnd()}`, p]));
}

const guideSidebar: DefaultTheme.SidebarItem[] = GROUPS.map((g) => ({
  text: g.text,
  items: g.pages.map((p) => ({ text: titleOf(p), link: `/${p}` })),
}));

export default defineConfig({
  title: "asyncio-ts",
  description: "Python's asyncio for TypeScript: coroutines, tasks, cancellation, structure.",
  srcDir: ".gen",
  outDir: "../site",
  cacheDir: "../node_modules/.cache/vitepress",
  cleanUrls: true,
  // The page-to-chunk map as a file of its own, not inlined into each of the ~400 pages.
  metaChunk: true,
  lastUpdated: false,
  head: [["meta", { name: "theme-color", content: "#3e63dd" }]],
  themeConfig: {
    nav: [
      { text: "Guide", link: "/guide" },
      { text: "Playground", link: "/playground" },
      { text: "From Python", link: "/python" },
      { text: "API", link: "/api/" },
    ],
    sidebar: {
      "/api/": [{ text: "API reference", link: "/api/" }, ...referenceSidebar()],
      "/": guideSidebar,
    },
    search: {
      provider: "local",
      options: {
        _render(src, env, md) {
          const text = env.relativePath.startsWith("api/") ? searchableText(src) : src;
          return md.render(text, env);
        },
      },
    },
    socialLinks: [{ icon: "github", link: REPOSITORY }],
    outline: { level: [2, 3] },
  },
  markdown: {
    config(md) {
      const runnable = runnablePrograms(md);
      mkdirSync(`${staged}/public`, { recursive: true });
      const documented = documentedPrograms();
      // Links and images written relative to the repository file, rewritten for the site.
      const rewrite =
        (attr: "href" | "src") =>
        (
          token: { attrGet(n: string): string | null; attrSet(n: string, v: string): void },
          env: { relativePath?: string },
        ) => {
          const from = sourceOf(env.relativePath ?? "");
          const value = token.attrGet(attr);
          if (from !== null && value !== null) token.attrSet(attr, siteLink(from, value));
        };
      const linkOpen = md.renderer.rules.link_open;
      md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
        const token = tokens[idx];
        if (token !== undefined) rewrite("href")(token, env);
        return linkOpen
          ? linkOpen(tokens, idx, options, env, self)
          : self.renderToken(tokens, idx, options);
      };
      md.core.ruler.after("inline", "asyncio-ts-images", (state) => {
        for (const block of state.tokens) {
          for (const child of block.children ?? []) {
            if (child.type === "image") rewrite("src")(child, state.env);
          }
        }
      });
      // "Run" on the code blocks that are whole programs.
      const fence = md.renderer.rules.fence;
      md.renderer.rules.fence = (tokens, idx, options, env, self) => {
        const html = fence
          ? fence(tokens, idx, options, env, self)
          : self.renderToken(tokens, idx, options);
        const token = tokens[idx];
        const lang = token?.info.trim().split(/\s+/)[0] ?? "";
        if (token === undefined || !["ts", "typescript"].includes(lang)) return html;
        // A block the test of the documentation runs: its program, on virtual time as there.
        const from = sourceOf((env as { relativePath?: string }).relativePath ?? "");
        const doc = documented.get(`${from}\n${token.content.trimEnd()}`);
        let href: string;
        if (doc !== undefined) {
          if (doc.program === null) return html;
          href = `/playground#${encodeProgram({ code: doc.program, virtual: true })}`;
        } else {
          // Elsewhere: a block that is a whole program by itself.
          const program = runnableProgram(token.content);
          if (program === null || !runnable.has(program)) return html;
          href = `/playground#${encodeProgram({ code: program, virtual: false })}`;
        }
        return `<div class="runnable">${html}<a class="run-in-playground" href="${href}" title="Open this program in the playground">Run ▶</a></div>`;
      };
    },
  },
  vite: {
    // Class names are error names (ExceptionGroup, CancelledError): minification keeps them.
    esbuild: { keepNames: true },
    // The playground's worker imports the library's sources; its wasm compiler is an asset.
    worker: { format: "es" },
    build: { chunkSizeWarningLimit: 2000 },
    preview: {
      // Cross-origin isolation gives the worker SharedArrayBuffer, which the blocking
      // examples (synchronous) use for Atomics.wait.
      headers: {
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Embedder-Policy": "require-corp",
      },
    },
    server: {
      headers: {
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Embedder-Policy": "require-corp",
      },
    },
  },
});
