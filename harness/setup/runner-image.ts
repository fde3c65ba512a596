/**
 * The runner image `k8sm-harness/runner:<hash>`: the harness itself, to run a scenario on an engine
 * whose containers this host cannot reach (harness/remote/, docs/ENGINES.md). FROM the base image
 * (node, curl), it holds the harness's sources, the catalogue, the fixtures' templates,
 * docs/result.schema.json, the node_modules packages the harness loads at run time (those its
 * sources import, tsx, and everything they depend on, per package-lock.json: about a third of
 * node_modules) and a build/images.json naming the base and fixture images.
 *
 * The tree sits at the same absolute path as this checkout's, so a run inside writes its reports
 * exactly as a local run would (report.html links docs/ by a relative path). The hash covers every
 * file copied, that path, the two image tags and this script: same inputs, same tag.
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

/** The runner image's tag for this checkout and these images. */
export async function runnerTag(images: Images, root = PROJECT_ROOT): Promise<string> {
  const { sources, packages, lock } = await runnerInputs(root);
  return `${RUNNER_REPO}:${await runnerHashOf(sources, packages, lock, images, root)}`;
}

async function runnerHashOf(sources: readonly HashPart[], packages: readonly string[], lock: Buffer, images: Images, root: string): Promise<string> {
  return contentHash([
    ...sources.map(([n, c]): HashPart => [`src/${n}`, c]),
    // The packages' content follows from the lock; which of them are copied, from the sources.
    ["package-lock.json", lock],
    ["packages", packages.join("\n")],
    ["root", root],
    ["images", `${images.base} ${images.k8sm}`],
    ["build-script", await readFile(fileURLToPath(import.meta.url))],
  ]);
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

export interface RunnerBuild {
  readonly tag: string;
  readonly how: "cached" | "built";
  /** The image's size in bytes (its own layers and the base's), when the engine says. */
  readonly sizeBytes?: number;
  /** node_modules folders copied. */
  readonly packages: number;
}

/** Builds the runner image with the local engine (the `docker` command) unless its tag exists. */
export async function ensureRunnerImage(opts: RunnerBuildOptions): Promise<RunnerBuild> {
  const root = opts.root ?? PROJECT_ROOT;
  const { sources, packages, lock } = await runnerInputs(root);
  const tag = `${RUNNER_REPO}:${await runnerHashOf(sources, packages, lock, opts.images, root)}`;
  const size = async (): Promise<number | undefined> => {
    const r = await run("docker", ["image", "inspect", "--format", "{{.Size}}", tag], { timeoutMs: 30_000 });
    return r.code === 0 ? Number(r.output.trim()) || undefined : undefined;
  };
  if (!opts.force && (await imageExists(tag))) return { tag, how: "cached", sizeBytes: await size(), packages: packages.length };
  if (!(await imageExists(opts.images.base))) {
    throw new HarnessError("E_IMAGE_MISSING", `base image ${opts.images.base} is not in the Docker engine`, "Run `npm run setup` (it builds the base image).");
  }
  if (opts.dockerRoot) await requireFreeSpace(opts.dockerRoot, NEED_BYTES, "Docker data root");
  const ctx = await mkdtemp(join(tmpdir(), "k8sm-runner-"));
  const tmpTag = `${tag}-tmp${process.pid}`;
  try {
    await requireFreeSpace(ctx, NEED_BYTES / 2, "runner image build context");
    // node_modules in a layer of its own, before the sources: a rebuild after a source edit reuses it.
    for (const p of packages) await cp(join(root, p), join(ctx, p), { recursive: true, verbatimSymlinks: true });
    await mkdir(join(ctx, "node_modules"), { recursive: true });
    for (const [name, content] of sources) {
      const file = join(ctx, "app", name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
    await mkdir(join(ctx, "app", "build"), { recursive: true });
    await writeFile(join(ctx, "app", "build", "images.json"), `${JSON.stringify({ base: opts.images.base, k8sm: opts.images.k8sm }, null, 2)}\n`);
    await writeFile(join(ctx, "Dockerfile"), [
      `FROM ${opts.images.base}`,
      `COPY node_modules/ ${root}/node_modules/`,
      `COPY app/ ${root}/`,
      `WORKDIR ${root}`,
      `LABEL k8sm-harness.root=${JSON.stringify(root)}`,
      // `npm run scenario` is `node --import tsx scenarios/main.ts`: the same, without npm (not in the base image).
      `ENTRYPOINT ["/usr/local/bin/node", "--import", "tsx"]`,
      `CMD ["scenarios/main.ts", "--help"]`,
      "",
    ].join("\n"));
    const log = join(opts.logDir, "runner-image.log");
    opts.progress(`docker build (${packages.length} node_modules packages, ${sources.length} source files; log: ${log})`);
    await runOk("docker build of the runner image", "docker", ["build", "--pull=false", "-t", tmpTag, ctx], {
      env: DOCKER_BUILD_ENV, logFile: log, signal: opts.signal, hint: `See ${log}.`,
    });
    await runOk(`tagging ${tag}`, "docker", ["tag", tmpTag, tag]);
    return { tag, how: "built", sizeBytes: await size(), packages: packages.length };
  } finally {
    await removeTag(tmpTag);
    await rm(ctx, { recursive: true, force: true });
  }
}
