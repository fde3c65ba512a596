/**
 * `build/images.json`: the image tags `npm run setup` built, which the harness runs. `resolveImages()`
 * is the harness's way in: it reads the file and checks both tags with the Docker engine.
 */
import { readFile, rename, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import Docker from "dockerode";
import { DockerUnavailableError, HarnessError } from "../errors.js";
import { dockerCall, dockerStatus } from "../docker/client.js";
import { fixtureHash } from "./fixture-image.js";
import { PROJECT_ROOT } from "../paths.js";

export { fixtureHash } from "./fixture-image.js";

export interface Images {
  /** `k8sm-harness/base:<hash>` */
  readonly base: string;
  /** `k8sm-harness/k8sm:<hash>` */
  readonly k8sm: string;
}

/** Set by a runner's caller to the fixture image tag whose sources it checked (harness/remote/scenario.ts). */
export const FIXTURES_CHECKED_ENV = "K8SM_FIXTURES_CHECKED";
export const STALE_FIXTURES_WARNING = "fixtures changed since the image was built; run npm run build:fixtures";

export function imagesFile(root = PROJECT_ROOT): string {
  return join(root, "build", "images.json");
}

/** Writes build/images.json atomically (temp file, then rename). */
export async function writeImagesFile(images: Images, root = PROJECT_ROOT): Promise<string> {
  const file = imagesFile(root);
  await mkdir(join(root, "build"), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify({ base: images.base, k8sm: images.k8sm }, null, 2)}\n`);
  await rename(tmp, file);
  return file;
}

const missing = (message: string): HarnessError => new HarnessError("E_IMAGE_MISSING", message, "run npm run setup");

/** Reads build/images.json; `E_IMAGE_MISSING` when it is absent or not what setup writes. */
export async function readImagesFile(root = PROJECT_ROOT): Promise<Images> {
  const file = imagesFile(root);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw missing(`${file} does not exist: the images have not been built`);
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw missing(`${file} is not valid JSON`);
  }
  const { base, k8sm } = (parsed ?? {}) as Partial<Record<keyof Images, unknown>>;
  if (typeof base !== "string" || typeof k8sm !== "string") throw missing(`${file} lacks the "base" and "k8sm" image tags`);
  return { base, k8sm };
}

export interface ResolveImagesOptions {
  /** @default the repository root */
  readonly root?: string;
  /** @default `new Docker()` (honours DOCKER_HOST) */
  readonly docker?: Docker;
  /** Called with STALE_FIXTURES_WARNING when fixtures/ changed since the image was built. @default console.warn */
  readonly onWarning?: (message: string) => void;
}

/**
 * The images to run. Throws `E_IMAGE_MISSING` when build/images.json is missing or a tag is not in
 * the engine, `E_DOCKER_UNAVAILABLE` when the engine does not answer. Warns (does not fail) when
 * the fixture sources no longer match the fixture image.
 */
export async function resolveImages(opts: ResolveImagesOptions = {}): Promise<Images> {
  const root = opts.root ?? PROJECT_ROOT;
  const images = await readImagesFile(root);
  const docker = opts.docker ?? new Docker();
  for (const tag of [images.base, images.k8sm]) {
    try {
      await dockerCall(docker, "read", "inspect image", tag, () => docker.getImage(tag).inspect());
    } catch (err) {
      if (dockerStatus(err) === 404) throw missing(`image ${tag} (from ${imagesFile(root)}) is not in the Docker engine`);
      if (err instanceof HarnessError) throw err;
      throw new DockerUnavailableError(`cannot inspect image ${tag}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }
  // A runner on another engine (harness/remote/) holds the fixtures without their tests, so its own
  // hash differs; its caller checked the full sources against this very tag and says so.
  if (process.env[FIXTURES_CHECKED_ENV] === images.k8sm) return images;
  const current = await fixtureHash({ root, baseTag: images.base });
  if (!images.k8sm.endsWith(`:${current}`)) (opts.onWarning ?? console.warn)(STALE_FIXTURES_WARNING);
  return images;
}
