/**
 * What the site is made of: which repository file becomes which page, in which sidebar
 * group, and how a link written for GitHub (relative to the Markdown file in the
 * repository) becomes a link that works on the site.
 *
 * The docs stay written for GitHub, where they are read too: `docs/guide.md` links to
 * `../examples/chain.ts` and the README to `docs/io.md`. On the site every page sits at the
 * root (`/guide`, `/io`), the README is `/overview`, and a link to a file that is no page
 * (source, examples) goes to that file on GitHub.
 */

/** The repository, for links to files that are not pages. */
export const REPOSITORY = "https://github.com/asyncio-ts/asyncio-ts";

/** One page made from a repository file. */
export interface SourcePage {
  /** The page's path on the site, without extension: `guide` for `/guide`. */
  page: string;
  /** The repository file it is made from. */
  source: string;
}

/** The sidebar: groups of pages made from docs/, in reading order. */
export const GROUPS: readonly { text: string; pages: readonly string[] }[] = [
  { text: "Start", pages: ["overview", "python", "playground", "guide", "common-mistakes"] },
  {
    text: "Concurrency",
    pages: ["structured-concurrency", "locks-and-queues", "async-iteration-and-context"],
  },
  { text: "I/O", pages: ["io", "streams", "serving", "distributed"] },
  { text: "Where it runs", pages: ["runtimes", "cli"] },
  { text: "Seeing and testing", pages: ["observability", "debugging", "testing"] },
  { text: "Inside", pages: ["design", "differences", "benchmarks", "contributing"] },
];

/** The docs/ files that are pages (every Markdown file there). */
export const DOC_PAGES: readonly string[] = [
  "async-iteration-and-context",
  "benchmarks",
  "cli",
  "common-mistakes",
  "contributing",
  "debugging",
  "design",
  "differences",
  "distributed",
  "guide",
  "io",
  "locks-and-queues",
  "observability",
  "runtimes",
  "serving",
  "streams",
  "structured-concurrency",
  "testing",
];

/** Which repository file a staged page came from (`overview.md` → `README.md`). */
export function sourceOf(relativePath: string): string | null {
  const page = relativePath.replace(/\.md$/, "");
  if (page === "overview" || page === "python") return "README.md";
  if (DOC_PAGES.includes(page)) return `docs/${page}.md`;
  return null;
}

/** Normalises a POSIX path: `docs/../src/x.ts` → `src/x.ts`; null if it leaves the repository. */
function normalize(path: string): string | null {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

/**
 * The site's link for `href`, written in the repository file `from`. External links and
 * anchors are kept; a docs page or the README becomes its page; an image under docs/
 * stays relative (pages are staged flat, beside the images); any other repository file
 * becomes its GitHub address.
 *
 * @example
 * ```ts
 * siteLink("README.md", "docs/io.md#files"); // "/io#files"
 * siteLink("docs/serving.md", "../examples/json_api.ts"); // "https://github.com/…/blob/main/examples/json_api.ts"
 * ```
 */
export function siteLink(from: string, href: string): string {
  if (href === "" || href.startsWith("#") || /^[a-z][a-z0-9+.-]*:/i.test(href)) return href;
  if (href.startsWith("/")) return href;
  const hashAt = href.indexOf("#");
  const path = hashAt === -1 ? href : href.slice(0, hashAt);
  const hash = hashAt === -1 ? "" : href.slice(hashAt);
  const dir = from.includes("/") ? from.slice(0, from.lastIndexOf("/") + 1) : "";
  const target = normalize(dir + path);
  if (target === null) return href;
  if (target === "README.md") return `/overview${hash}`;
  const doc = /^docs\/([a-z0-9-]+)\.md$/.exec(target);
  if (doc !== null && DOC_PAGES.includes(doc[1] ?? "")) return `/${doc[1]}${hash}`;
  if (target.startsWith("docs/") && /\.(png|svg|jpe?g|gif|webp)$/i.test(target)) {
    return `./${target.slice("docs/".length)}`;
  }
  const kind = target === "" || target.endsWith("/") ? "tree" : "blob";
  return `${REPOSITORY}/${kind}/main/${target}${hash}`;
}
