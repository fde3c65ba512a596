/**
 * Images onto another engine by content hash, without a registry: the tags the target lacks are
 * saved from the source engine in one archive (`GET /images/get`, so layers the images share go
 * once) and streamed into the target (`POST /images/load`): `docker save | docker load` over the
 * engine API. A tag names its content (harness/setup/hash.ts), so a tag present is the right image.
 * The runner image is built on the engine itself, FROM its deps image loaded so: its own layer is
 * the sources (a few MB), which change with every edit, where a save would send all 350 MB again.
 */
import path from "node:path";
import type Docker from "dockerode";
import { childController } from "../async/timeout-signal.js";
import { dockerCall, dockerStatus } from "../docker/client.js";
import { HarnessError } from "../errors.js";
import { PROJECT_ROOT } from "../paths.js";
import type { Images } from "../setup/images.js";
import { ensureRunnerDepsImage, RUNNER_REPO, runnerTags, writeRunnerContext } from "../setup/runner-image.js";

export interface ImageTransfer {
  /** Tags loaded into the target (those it lacked). */
  readonly loaded: readonly string[];
  /** Bytes streamed (0 when nothing was missing). */
  readonly bytes: number;
  readonly ms: number;
}

/** Tags of `tags` the engine does not have. */
export async function missingImages(docker: Docker, tags: readonly string[], signal?: AbortSignal): Promise<string[]> {
  const missing: string[] = [];
  for (const tag of tags) {
    try {
      await dockerCall(docker, "read", "inspect image", tag, () => docker.getImage(tag).inspect(), { signal });
    } catch (err) {
      if (dockerStatus(err) !== 404) throw err;
      missing.push(tag);
    }
  }
  return missing;
}

/**
 * Makes `tags` present on `target`, loading from `source` those it lacks. Throws E_IMAGE_MISSING
 * when the source lacks one too, E_SETUP when the load does not leave every tag on the target.
 */
export async function ensureImagesOn(target: Docker, source: Docker, tags: readonly string[], opts: { signal?: AbortSignal; progress?: (line: string) => void; stallMs?: number } = {}): Promise<ImageTransfer> {
  const t0 = performance.now();
  const missing = await missingImages(target, tags, opts.signal);
  if (missing.length === 0) return { loaded: [], bytes: 0, ms: performance.now() - t0 };
  const notHere = await missingImages(source, missing, opts.signal);
  if (notHere.length) {
    throw new HarnessError("E_IMAGE_MISSING", `image(s) ${notHere.join(", ")} are on neither engine`, "Run `npm run setup` (it builds them on the local engine), then run again.");
  }
  opts.progress?.(`loading ${missing.join(", ")} into the engine (docker save | docker load)`);
  let bytes = 0;
  const stall = stallGuard(`loading ${missing.join(", ")}`, opts.signal, opts.stallMs);
  const archive = await dockerCall(source, "stream", "save", missing.join(" "), (abortSignal) =>
    (source as unknown as { getImages(o: { names: string[]; abortSignal: AbortSignal }): Promise<NodeJS.ReadableStream> }).getImages({ names: missing, abortSignal }), { signal: opts.signal });
  archive.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    stall.touch();
  });
  // Once all is sent, a quiet load says nothing until it has unpacked every layer: give that longer.
  archive.on("end", () => stall.touch(3 * (opts.stallMs ?? TRANSFER_STALL_MS)));
  let body: string;
  try {
    // The load answers once the whole archive is read; its body is JSON lines, an `error` in one on failure.
    const response = (await target.loadImage(archive, { quiet: true, abortSignal: stall.signal } as object)) as NodeJS.ReadableStream;
    body = await new Promise<string>((resolve, reject) => {
      let text = "";
      response.on("data", (c: Buffer) => void (text += c.toString()));
      response.on("end", () => resolve(text));
      response.on("error", reject);
      stall.signal.addEventListener("abort", () => reject(stall.signal.reason), { once: true });
    });
  } catch (err) {
    // A load that failed (target gone, Ctrl-C, stalled) leaves the save unread: close it, or the source engine's connection stays open.
    (archive as NodeJS.ReadableStream & { destroy(): void }).destroy();
    throw stall.signal.aborted && !opts.signal?.aborted ? stall.signal.reason : err;
  } finally {
    stall.stop();
  }
  const failure = body.split("\n").flatMap((l) => {
    try {
      const m = JSON.parse(l) as { error?: string };
      return m.error ? [m.error] : [];
    } catch {
      return [];
    }
  });
  const still = await missingImages(target, missing, opts.signal);
  if (failure.length || still.length) {
    throw new HarnessError("E_SETUP", `loading ${missing.join(", ")} into the engine failed: ${failure.join("; ") || `${still.join(", ")} still missing`}`,
      "Check the engine's free disk space (`docker system df` there), then run again.");
  }
  return { loaded: missing, bytes, ms: performance.now() - t0 };
}

/** How long an image transfer or build may go without a byte or a progress message before it is taken for a hung engine, ms. */
export const TRANSFER_STALL_MS = 300_000;

/**
 * A signal that aborts when `touch()` was not called for `idleMs` (an engine that stopped answering
 * mid-transfer: a load or build has no overall deadline, as its length depends on its size), or
 * when `outer` aborts.
 */
export function stallGuard(what: string, outer: AbortSignal | undefined, idleMs = TRANSFER_STALL_MS): { signal: AbortSignal; touch: (nextIdleMs?: number) => void; stop: () => void } {
  const own = childController(outer);
  let limit = idleMs;
  const fire = (): void => own.controller.abort(new HarnessError("E_DOCKER_UNAVAILABLE", `${what}: no progress for ${limit / 1000}s; the engine stopped answering`, "Check the engine (`DOCKER_HOST=<url> docker info`) and the network to it, then run again."));
  let timer = setTimeout(fire, idleMs);
  return {
    signal: own.signal,
    touch: (nextIdleMs = idleMs) => {
      clearTimeout(timer);
      limit = nextIdleMs;
      timer = setTimeout(fire, limit);
    },
    stop: () => {
      clearTimeout(timer);
      own.release();
    },
  };
}

/**
 * Makes the runner image of this checkout present on `target`: its deps image loaded from `source`
 * (built there first when missing), then the runner built on `target` from a context of the
 * sources (`POST /build`). Returns its tag and whether it was built.
 */
export async function ensureRunnerOn(target: Docker, source: Docker, images: Images, opts: { signal?: AbortSignal; progress: (line: string) => void }): Promise<{ tag: string; built: boolean; ms: number }> {
  const t0 = performance.now();
  const tags = await runnerTags(images);
  if ((await missingImages(target, [tags.runner], opts.signal)).length === 0) return { tag: tags.runner, built: false, ms: performance.now() - t0 };
  if ((await missingImages(target, [tags.deps], opts.signal)).length) {
    await ensureRunnerDepsImage({ images, logDir: path.join(PROJECT_ROOT, "build", "logs"), progress: opts.progress, signal: opts.signal }, tags);
    await ensureImagesOn(target, source, [tags.deps], opts);
  }
  await using ctx = await writeRunnerContext(tags, images, tags.inputs.sources);
  opts.progress(`building ${tags.runner} on the engine (${ctx.files.length} files)`);
  const stall = stallGuard(`building ${tags.runner}`, opts.signal);
  const errors = await (async () => {
    const stream = await dockerCall(target, "stream", "build", tags.runner, (abortSignal) =>
      target.buildImage({ context: ctx.dir, src: [...ctx.files] }, { t: tags.runner, rm: true, forcerm: true, abortSignal } as object), { signal: stall.signal });
    return new Promise<string[]>((resolve, reject) => {
      stall.signal.addEventListener("abort", () => reject(stall.signal.reason), { once: true });
      target.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => (err ? reject(err) : resolve((output ?? []).flatMap((m) => (m.error ? [m.error] : [])))), () => stall.touch());
    });
  })().finally(() => stall.stop());
  if (errors.length || (await missingImages(target, [tags.runner], opts.signal)).length) {
    throw new HarnessError("E_SETUP", `building ${tags.runner} on the engine failed: ${errors.join("; ") || "no image after the build"}`, "Check the engine's free disk space, then run again.");
  }
  await pruneRunnerTags(target, tags.runner);
  return { tag: tags.runner, built: true, ms: performance.now() - t0 };
}

/**
 * Removes the engine's runner tags other than `keep` and the `alsoKeep` newest others (another
 * checkout's run may be about to use one), so builds after edits do not pile up. Without force:
 * an image a container uses stays. Failures are ignored: this is housekeeping.
 */
export async function pruneRunnerTags(docker: Docker, keep: string, alsoKeep = 2): Promise<string[]> {
  const list = await dockerCall(docker, "read", "list", "images", (abortSignal) => docker.listImages({ filters: { reference: [RUNNER_REPO] }, abortSignal } as object)).catch(() => []);
  const old = list
    .flatMap((i) => (i.RepoTags ?? []).filter((t) => t.startsWith(`${RUNNER_REPO}:`) && t !== keep).map((t) => ({ t, created: i.Created })))
    .sort((a, b) => b.created - a.created)
    .slice(alsoKeep);
  const removed: string[] = [];
  for (const { t } of old) {
    const ok = await dockerCall(docker, "change", "remove image", t, (abortSignal) => docker.getImage(t).remove({ abortSignal } as object)).then(() => true, () => false);
    if (ok) removed.push(t);
  }
  return removed;
}
