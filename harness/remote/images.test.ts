/** ensureImagesOn against fake engines: what a failed load leaves open (no Docker needed). */
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { ensureImagesOn } from "./images.js";

/** An engine holding `tags`; its save hands out `archive`, its load fails with `loadError` (or, given `loadResponse`, answers with it). */
function fakeEngine(tags: readonly string[], archive?: PassThrough, loadError?: Error, loadResponse?: PassThrough): Docker {
  const notFound = Object.assign(new Error("no such image"), { statusCode: 404 });
  return {
    modem: {},
    getImage: (tag: string) => ({ inspect: async () => (tags.includes(tag) ? { Id: tag } : Promise.reject(notFound)) }),
    getImages: async () => archive,
    loadImage: async () => (loadResponse ?? Promise.reject(loadError)),
  } as unknown as Docker;
}

describe("ensureImagesOn", () => {
  it("a load that fails closes the save it was reading (the source engine's connection)", async () => {
    const archive = new PassThrough();
    archive.write(Buffer.alloc(1024));
    const source = fakeEngine(["k8sm-harness/base:abc"], archive);
    const target = fakeEngine([], undefined, new Error("connection reset by the engine"));
    await expect(ensureImagesOn(target, source, ["k8sm-harness/base:abc"])).rejects.toThrow(/connection reset/);
    expect(archive.destroyed).toBe(true);
  });

  it("a load that stops moving (an engine that hangs mid-transfer) fails after the idle limit instead of waiting forever", async () => {
    const archive = new PassThrough();
    archive.write(Buffer.alloc(1024));
    const source = fakeEngine(["k8sm-harness/base:abc"], archive);
    // The target takes the archive and never answers.
    const target = fakeEngine([], undefined, undefined, new PassThrough());
    await expect(ensureImagesOn(target, source, ["k8sm-harness/base:abc"], { stallMs: 200 })).rejects.toThrow(/loading k8sm-harness\/base:abc: no progress for 0.2s; the engine stopped answering/);
    expect(archive.destroyed).toBe(true);
  });

  it("loads nothing when the target has every tag", async () => {
    const engine = fakeEngine(["k8sm-harness/base:abc"]);
    expect(await ensureImagesOn(engine, engine, ["k8sm-harness/base:abc"])).toMatchObject({ loaded: [], bytes: 0 });
  });
});
