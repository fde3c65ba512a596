/**
 * The base image `k8sm-harness/base:<hash>`: Debian bookworm with etcd, nginx, network tools and
 * this machine's node binary. A normal `docker build` FROM debian:bookworm-slim when a registry
 * answers; otherwise debootstrap a minimal Debian and `docker import` it.
 *
 * Nothing half-built is ever tagged with the final name: builds go to a temporary tag (and
 * debootstrap to a temporary directory) and are renamed only on success.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HarnessError } from "../errors.js";
import { requireFreeSpace } from "./disk.js";
import { DOCKER_BUILD_ENV, imageExists, removeTag, run, runOk } from "./exec.js";
import { contentHash } from "./hash.js";

/** Debian packages in the base image (and on the host: the unit tests use etcd and nginx). */
export const BASE_PACKAGES = [
  "etcd-server", "etcd-client", "nginx-light", "iproute2", "iptables", "procps", "ca-certificates", "curl",
] as const;

export const BASE_REPO = "k8sm-harness/base";
const REGISTRY_BASE = "debian:bookworm-slim";
const SUITE = "bookworm";
const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Room for the debootstrap tree (~300 MB), the tar stream and the imported layer, with margin. */
const NEED_BYTES = 2 * 1024 ** 3;

export type BaseFrom = "auto" | "registry" | "debootstrap";

export interface BaseBuildOptions {
  /** Where the base comes from: try the registry then debootstrap, or force one. @default "auto" */
  readonly from?: BaseFrom;
  /** Debian mirror for debootstrap. @default debootstrap's own (deb.debian.org) */
  readonly mirror?: string;
  /** Rebuild even when the tag exists. @default false */
  readonly force?: boolean;
  /** Directory for build logs. */
  readonly logDir: string;
  /** The engine's data root when it is on this machine (its free space is checked). */
  readonly dockerRoot?: string;
  /** Progress lines (indented under the step). */
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** The hash over the base image's inputs: package list, node version and arch, this script. */
export async function baseHash(): Promise<string> {
  return contentHash([
    ["packages", BASE_PACKAGES.join(" ")],
    ["node", `${process.version} ${process.platform}-${process.arch}`],
    ["script", await readFile(fileURLToPath(import.meta.url))],
  ]);
}

export async function baseTag(): Promise<string> {
  return `${BASE_REPO}:${await baseHash()}`;
}

/** Builds the base image unless its tag exists. Returns the tag and how it was obtained. */
export async function ensureBaseImage(opts: BaseBuildOptions): Promise<{ tag: string; how: "cached" | "registry" | "debootstrap" }> {
  const tag = await baseTag();
  if (!opts.force && (await imageExists(tag))) return { tag, how: "cached" };
  if (opts.dockerRoot) await requireFreeSpace(opts.dockerRoot, NEED_BYTES, "Docker data root");
  const from = opts.from ?? "auto";
  const tmpTag = `${tag}-tmp${process.pid}`;
  try {
    let how: "registry" | "debootstrap";
    if (from !== "debootstrap" && (await registryBaseAvailable(opts, from === "registry"))) {
      await buildFromRegistry(tmpTag, opts);
      how = "registry";
    } else {
      await buildWithDebootstrap(tmpTag, opts);
      how = "debootstrap";
    }
    await runOk(`tagging ${tag}`, "docker", ["tag", tmpTag, tag]);
    return { tag, how };
  } finally {
    await removeTag(tmpTag);
  }
}

/** True when debian:bookworm-slim is present or can be pulled. `required`: a failed pull is an error. */
async function registryBaseAvailable(opts: BaseBuildOptions, required: boolean): Promise<boolean> {
  if (await imageExists(REGISTRY_BASE)) return true;
  const pull = await run("docker", ["pull", REGISTRY_BASE], { timeoutMs: 120_000, logFile: join(opts.logDir, "base-image.log"), signal: opts.signal });
  if (pull.code === 0) return true;
  const why = (pull.error?.message ?? pull.output.trim().split("\n").at(-1) ?? "").slice(0, 200);
  if (required) {
    throw new HarnessError("E_SETUP", `docker pull ${REGISTRY_BASE} failed: ${why}`, "Use --base-from=auto or --base-from=debootstrap when no registry is reachable.");
  }
  opts.progress(`no registry (${why}); building with debootstrap`);
  return false;
}

async function buildFromRegistry(tmpTag: string, opts: BaseBuildOptions): Promise<void> {
  const ctx = await mkdtemp(join(tmpdir(), "k8sm-base-"));
  try {
    await requireFreeSpace(ctx, 512 * 1024 ** 2, "base image build context");
    await copyFile(await realpath(process.execPath), join(ctx, "node"));
    await writeFile(join(ctx, "Dockerfile"), [
      `FROM ${REGISTRY_BASE}`,
      `RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${BASE_PACKAGES.join(" ")} \\`,
      "    && rm -rf /var/lib/apt/lists/*",
      "COPY node /usr/local/bin/node",
      "",
    ].join("\n"));
    opts.progress(`docker build FROM ${REGISTRY_BASE} (log: ${join(opts.logDir, "base-image.log")})`);
    await runOk("docker build of the base image", "docker", ["build", "--pull=false", "-t", tmpTag, ctx], {
      env: DOCKER_BUILD_ENV, logFile: join(opts.logDir, "base-image.log"), signal: opts.signal,
    });
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

async function buildWithDebootstrap(tmpTag: string, opts: BaseBuildOptions): Promise<void> {
  if (!existsSync("/usr/sbin/debootstrap")) {
    throw new HarnessError("E_SETUP", "no registry answers and debootstrap is not installed",
      "Install it (`apt-get install -y debootstrap`, as root), or make debian:bookworm-slim pullable, then run `npm run setup` again.");
  }
  if (process.getuid?.() !== 0) {
    throw new HarnessError("E_SETUP", "no registry answers and debootstrap needs root", "Run `npm run setup` as root (or with sudo).");
  }
  const work = await mkdtemp(join(tmpdir(), "k8sm-base-"));
  const root = join(work, "rootfs");
  const log = join(opts.logDir, "debootstrap.log");
  try {
    await requireFreeSpace(work, NEED_BYTES, "debootstrap work dir");
    opts.progress(`debootstrap ${SUITE} into ${root} (log: ${log})`);
    const args = ["--variant=minbase", `--include=${BASE_PACKAGES.join(",")}`, SUITE, root];
    if (opts.mirror) args.push(opts.mirror);
    await runOk("debootstrap", "debootstrap", args, {
      logFile: log, signal: opts.signal,
      hint: `See ${log}. Check that the Debian mirror answers (\`--mirror=URL\` or K8SM_DEBIAN_MIRROR picks another), then run \`npm run setup\` again.`,
    });
    await copyFile(await realpath(process.execPath), join(root, "usr/local/bin/node"));
    // Caches and docs are not needed at run time; dropping them keeps the image smaller.
    await runOk("trimming the root file system", "sh", ["-c",
      'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* "$1"/usr/share/man/*', "sh", root]);
    opts.progress("docker import");
    await runOk("docker import of the debootstrap tree", "bash", ["-o", "pipefail", "-c",
      'tar -C "$1" -c . | docker import --change "ENV PATH=$2" --change \'CMD ["/bin/bash"]\' - "$3"', "bash", root, IMAGE_PATH, tmpTag,
    ], { logFile: log, signal: opts.signal });
  } finally {
    await removeTree(work);
  }
}

/**
 * Removes a debootstrap directory, first unmounting anything a half-finished debootstrap left
 * mounted inside it (proc, sys), and never crossing into another file system.
 */
async function removeTree(dir: string): Promise<void> {
  const mounts = (await readFile("/proc/mounts", "utf8").catch(() => ""))
    .split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(`${dir}/`))
    .sort().reverse();
  for (const m of mounts) await run("umount", ["-l", m]);
  await run("rm", ["-rf", "--one-file-system", dir]);
}
