/** The runner's report unpacking (harness/remote/runner.ts `untar`), without Docker. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { untar } from "./runner.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("untar", () => {
  it("an archive tar rejects early is an E_REPORT, its stream closed, and no EPIPE escapes", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "k8sm-untar-"));
    // A gzip header (tar without -z gives up at once: "not recoverable"), then more than a pipe
    // holds: tar exits while the archive is still being written to it.
    let sent = 0;
    const archive = new Readable({
      read() {
        sent += 64 * 1024;
        this.push(sent === 64 * 1024 ? Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(64 * 1024 - 4)]) : sent > 64 * 1024 ** 2 ? null : Buffer.alloc(64 * 1024, 0x41));
      },
    });
    await expect(untar(archive, dir)).rejects.toMatchObject({ code: "E_REPORT" });
    expect(archive.destroyed).toBe(true);
  });
});
