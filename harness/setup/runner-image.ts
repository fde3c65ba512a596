/**
 * The runner image `k8sm-harness/runner:<hash>`: the harness itself, to run a scenario on an engine
 * whose containers this host cannot reach (harness/remote/, docs/ENGINES.md). Two images:
 * `k8sm-harness/runner-deps:<hash>`, FROM the base image (node, curl), holds the node_modules
 * packages the harness loads at run time (those its sources import, tsx, and everything they depend
 * on, per package-lock.json: about a third of node_modules); the runner, FROM it, holds the
 * harness's sources, the catalogue, the fixtures' templates, docs/result.schema.json and a
 * build/images.json naming the base and fixture images (a few MB: rebuilt on each edit).
 *
 * The tree sits at the same absolute path as this checkout's, so a run inside writes its reports
 * exactly as a local run would (report.html links docs/ by a relative path). Each hash covers what
 * its image copies, that path, the tags it is built from or names, and this script: same inputs, same tag.
 *
 * Reads scenarios/ and fixtures/ as files (build inputs); never imports them (layer rule).
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HarnessError } from "../errors.js";
import { PROJECT_ROOT } from "../paths.js";
import { requireFreeSpace } from "./disk.js";
import { DOCKER_BUILD_ENV, imageExists, removeTag, run, runOk } from "./exec.js";
import { contentHash, sourceFileParts, type HashPart } from "./hash.js";
import type { Images } from "./images.js";

export const RUNNER_REPO = "k8sm-harness/runner";
export const RUNNER_DEPS_REPO = "k8sm-harness/runner-deps";

/** Top-level folders and files of the checkout the runner needs (tests and `testing/` folders excluded). */
const SOURCE_DIRS = ["harness", "scenarios", "fixtures"] as const;
const SOURCE_FILES = ["package.json", "tsconfig.json", "docs/result.schema.json"] as const;
/** Loaded at run time but imported by no source file: `node --import tsx`. */
const EXTRA_PACKAGES = ["tsx"] as const;
const NEED_BYTES = 1024 ** 3;

interface LockEntry {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/** The package a bare import specifier names (`@scope/name/sub` → `@scope/name`); undefined for node: and relative ones. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Packages imported (statically or by `import()`) by these sources. */
export function importedPackages(sources: readonly HashPart[]): Set<string> {
  const names = new Set<string>();
  const re = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;
  for (const [name, content] of sources) {
    if (!/\.[cm]?[jt]s$/.test(name)) continue;
    for (const m of content.toString().matchAll(re)) {
      const pkg = packageOf(m[1]!);
      if (pkg) names.add(pkg);
    }
  }
  return names;
}

/**
 * The node_modules folders (paths relative to the root, as package-lock.json names them) of `roots`
 * and everything they depend on, resolved as Node does (nearest node_modules first), keeping those
 * installed here (another platform's optional packages are not). Sorted; none inside another.
 */
export function packageClosure(lock: { packages: Record<string, LockEntry> }, roots: Iterable<string>, installed: (path: string) => boolean): string[] {
  const resolve = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (!base) return undefined;
      const i = base.lastIndexOf("/node_modules/");
      base = i < 0 ? "" : base.slice(0, i);
    }
  };
  const seen = new Set<string>();
  const queue = [...roots].flatMap((r) => resolve("", r) ?? []);
  while (queue.length) {
    const path = queue.pop()!;
    if (seen.has(path) || !installed(path)) continue;
    seen.add(path);
    const e = lock.packages[path]!;
    for (const name of Object.keys({ ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies })) {
      const dep = resolve(path, name);
      if (dep) queue.push(dep);
    }
  }
  const sorted = [...seen].sort();
  return sorted.filter((p) => !sorted.some((q) => q !== p && p.startsWith(`${q}/`)));
}

/** What the image holds: source files (path → content) and node_modules folders. */
export async function runnerInputs(root = PROJECT_ROOT): Promise<{ sources: HashPart[]; packages: string[]; lock: Buffer }> {
  const sources: HashPart[] = [];
  for (const dir of SOURCE_DIRS) sources.push(...(await sourceFileParts(join(root, dir), root)));
  for (const file of SOURCE_FILES) {
    const content = await readFile(join(root, file)).catch(() => undefined);
    if (content) sources.push([file, content]);
  }
  const lock = await readFile(join(root, "package-lock.json")).catch(() => {
    throw new HarnessError("E_SETUP", "package-lock.json is missing: the runner image's packages are chosen from it", "Restore package-lock.json (git checkout), then run `npm run setup`.");
  });
  const roots = new Set([...importedPackages(sources.filter(([n]) => !n.startsWith("fixtures/"))), ...EXTRA_PACKAGES]);
  const packages = packageClosure(JSON.parse(lock.toString()) as { packages: Record<string, LockEntry> }, roots, (p) => existsSync(join(root, p)));
  return { sources, packages, lock };
}

/** The tags of the two images: node_modules FROM base (changes with the lock), the sources FROM that (with any edit). */
export interface RunnerTags {
  /** `k8sm-harness/runner-deps:<hash>`: the base image and the packages. */
  readonly deps: string;
  /** `k8sm-harness/runner:<hash>`: the deps image and the sources. */
  readonly runner: string;
}

/** The runner's tags for this checkout and these images, with what they are built from. */
export async function runnerTags(images: Images, root = PROJECT_ROOT): Promise<RunnerTags & { inputs: Awaited<ReturnType<typeof runnerInputs>> }> {
  const inputs = await runnerInputs(root);
  const script = await readFile(fileURLToPath(import.meta.url));
  const deps = `${RUNNER_DEPS_REPO}:${contentHash([
    // The packages' content follows from the lock; which of them are copied, from the sources.
    ["package-lock.json", inputs.lock],
    ["packages", inputs.packages.join("\n")],
    ["root", root],
    ["base", images.base],
    ["build-script", script],
  ])}`;
  const runner = `${RUNNER_REPO}:${contentHash([
    ...inputs.sources.map(([n, c]): HashPart => [`src/${n}`, c]),
    ["root", root],
    ["deps", deps],
    ["images", `${images.base} ${images.k8sm}`],
    ["build-script", script],
  ])}`;
  return { deps, runner, inputs };
}

export interface RunnerContext {
  readonly dir: string;
  /** Every file of the context, relative to `dir` (for an engine API build). */
  readonly files: readonly string[];
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The runner's build context in a temporary folder: the sources at the checkout's path, a
 * build/images.json naming the images, and a Dockerfile FROM the deps image. A few MB: built on
 * whichever engine runs it (harness/remote/images.ts) as cheaply as here.
 */
export async function writeRunnerContext(tags: RunnerTags, images: Images, sources: readonly HashPart[], root = PROJECT_ROOT): Promise<RunnerContext> {
  const dir = await mkdtemp(join(tmpdir(), "k8sm-runner-"));
  const files: string[] = ["Dockerfile", "app/build/images.json"];
  try {
    for (const [name, content] of sources) {
      const file = join(dir, "app", name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
      files.push(`app/${name}`);
    }
    await mkdir(join(dir, "app", "build"), { recursive: true });
    await writeFile(join(dir, "app", "build", "images.json"), `${JSON.stringify({ base: images.base, k8sm: images.k8sm }, null, 2)}\n`);
    await writeFile(join(dir, "Dockerfile"), [
      `FROM ${tags.deps}`,
      `COPY app/ ${root}/`,
      `WORKDIR ${root}`,
      `LABEL k8sm-harness.root=${JSON.stringify(root)}`,
      // `npm run scenario` is `node --import tsx scenarios/main.ts`: the same, without npm (not in the base image).
      `ENTRYPOINT ["/usr/local/bin/node", "--import", "tsx"]`,
      `CMD ["scenarios/main.ts", "--help"]`,
      "",
    ].join("\n"));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, files, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

export interface RunnerBuildOptions {
  readonly images: Images;
  /** Rebuild even when the tag exists. @default false */
  readonly force?: boolean;
  readonly logDir: string;
  readonly dockerRoot?: string;
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal;
  /** @default the repository root */
  readonly root?: string;
}

export interface RunnerBuild extends RunnerTags {
  readonly how: "cached" | "built";
  /** The runner image's size in bytes (its own layers and its parents'), when the engine says. */
  readonly sizeBytes?: number;
  /** node_modules folders in the deps image. */
  readonly packages: number;
}

/** Builds the deps image with the local engine (the `docker` command) unless its tag exists; returns how. */
export async function ensureRunnerDepsImage(opts: RunnerBuildOptions, tags?: Awaited<ReturnType<typeof runnerTags>>): Promise<"cached" | "built"> {
  const root = opts.root ?? PROJECT_ROOT;
  const t = tags ?? (await runnerTags(opts.images, root));
  if (!opts.force && (await imageExists(t.deps))) return "cached";
  if (!(await imageExists(opts.images.base))) {
    throw new HarnessError("E_IMAGE_MISSING", `base image ${opts.images.base} is not in the Docker engine`, "Run `npm run setup` (it builds the base image).");
  }
  if (opts.dockerRoot) await requireFreeSpace(opts.dockerRoot, NEED_BYTES, "Docker data root");
  const ctx = await mkdtemp(join(tmpdir(), "k8sm-runner-deps-"));
  const tmpTag = `${t.deps}-tmp${process.pid}`;
  try {
    await requireFreeSpace(ctx, NEED_BYTES / 2, "runner image build context");
    for (const p of t.inputs.packages) await cp(join(root, p), join(ctx, p), { recursive: true, verbatimSymlinks: true });
    await mkdir(join(ctx, "node_modules"), { recursive: true });
    await writeFile(join(ctx, "Dockerfile"), `FROM ${opts.images.base}\nCOPY node_modules/ ${root}/node_modules/\n`);
    const log = join(opts.logDir, "runner-image.log");
    opts.progress(`docker build of ${t.deps} (${t.inputs.packages.length} node_modules packages; log: ${log})`);
    await runOk("docker build of the runner's deps image", "docker", ["build", "--pull=false", "-t", tmpTag, ctx], {
      env: DOCKER_BUILD_ENV, logFile: log, signal: opts.signal, hint: `See ${log}.`,
    });
    await runOk(`tagging ${t.deps}`, "docker", ["tag", tmpTag, t.deps]);
    return "built";
  } finally {
    await removeTag(tmpTag);
    await rm(ctx, { recursive: true, force: true });
  }
}

/** Builds the deps and runner images with the local engine unless their tags exist. */
export async function ensureRunnerImage(opts: RunnerBuildOptions): Promise<RunnerBuild> {
  const root = opts.root ?? PROJECT_ROOT;
  const tags = await runnerTags(opts.images, root);
  const size = async (): Promise<number | undefined> => {
    const r = await run("docker", ["image", "inspect", "--format", "{{.Size}}", tags.runner], { timeoutMs: 30_000 });
    return r.code === 0 ? Number(r.output.trim()) || undefined : undefined;
  };
  const result = (how: RunnerBuild["how"], sizeBytes: number | undefined): RunnerBuild => ({ deps: tags.deps, runner: tags.runner, how, sizeBytes, packages: tags.inputs.packages.length });
  const deps = await ensureRunnerDepsImage(opts, tags);
  if (!opts.force && deps === "cached" && (await imageExists(tags.runner))) return result("cached", await size());
  const tmpTag = `${tags.runner}-tmp${process.pid}`;
  await using ctx = await writeRunnerContext(tags, opts.images, tags.inputs.sources, root);
  try {
    const log = join(opts.logDir, "runner-image.log");
    opts.progress(`docker build of ${tags.runner} (${tags.inputs.sources.length} source files; log: ${log})`);
    await runOk("docker build of the runner image", "docker", ["build", "--pull=false", "-t", tmpTag, ctx.dir], {
      env: DOCKER_BUILD_ENV, logFile: log, signal: opts.signal, hint: `See ${log}.`,
    });
    await runOk(`tagging ${tags.runner}`, "docker", ["tag", tmpTag, tags.runner]);
    return result("built", await size());
  } finally {
    await removeTag(tmpTag);
  }
}
