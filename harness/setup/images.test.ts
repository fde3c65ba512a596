import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HarnessError } from "../errors.js";
import { imagesFile, readImagesFile, resolveImages, writeImagesFile } from "./images.js";

describe("build/images.json", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "k8sm-images-test-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("round-trips and leaves no temporary file behind", async () => {
    const images = { base: "k8sm-harness/base:0123456789ab", k8sm: "k8sm-harness/k8sm:ba9876543210" };
    expect(await writeImagesFile(images, root)).toBe(imagesFile(root));
    expect(await readImagesFile(root)).toEqual(images);
    expect(await readdir(join(root, "build"))).toEqual(["images.json"]);
  });

  const missing = async (p: Promise<unknown>): Promise<HarnessError> => {
    const err = (await p.catch((e: unknown) => e)) as HarnessError;
    expect(err).toBeInstanceOf(HarnessError);
    expect(err.code).toBe("E_IMAGE_MISSING");
    expect(err.hint).toBe("run npm run setup");
    return err;
  };

  it("missing, unreadable or incomplete: E_IMAGE_MISSING telling to run setup (before asking Docker)", async () => {
    expect((await missing(resolveImages({ root }))).message).toMatch(/images\.json does not exist/);
    await mkdir(join(root, "build"));
    await writeFile(imagesFile(root), "{not json");
    expect((await missing(readImagesFile(root))).message).toMatch(/not valid JSON/);
    await writeFile(imagesFile(root), '{"base":"k8sm-harness/base:x"}');
    expect((await missing(readImagesFile(root))).message).toMatch(/lacks the "base" and "k8sm" image tags/);
  });
});
