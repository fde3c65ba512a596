import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HarnessError } from "../errors.js";
import { baseTag, ensureBaseImage } from "./base-image.js";
import { run } from "./exec.js";
import { whichCommand } from "./engine.js";

const workDirs = async (): Promise<string[]> => (await readdir(tmpdir())).filter((n) => n.startsWith("k8sm-base-"));
const imageId = async (tag: string): Promise<string> =>
  (await run("docker", ["image", "inspect", "--format", "{{.Id}}", tag])).output.trim();

describe.skipIf(process.getuid?.() !== 0 || !whichCommand("debootstrap"))("base image build failures", () => {
  it("a debootstrap that fails leaves no work dir, no temporary tag, and the good tag untouched", async () => {
    const tag = await baseTag();
    const idBefore = await imageId(tag);
    const dirsBefore = await workDirs();
    const logDir = await mkdtemp(join(tmpdir(), "k8sm-logs-"));
    const err = (await ensureBaseImage({
      from: "debootstrap", force: true, mirror: "file:///nonexistent/k8sm-mirror", logDir, progress: () => {},
    }).catch((e: unknown) => e)) as HarnessError;
    await rm(logDir, { recursive: true, force: true });
    expect(err).toBeInstanceOf(HarnessError);
    expect(err.code).toBe("E_SETUP");
    expect(err.message).toMatch(/^debootstrap failed \(debootstrap: exit code \d+\)/);
    expect(err.hint).toMatch(/mirror/);
    expect(await workDirs()).toEqual(dirsBefore);
    expect((await run("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", "k8sm-harness/base"])).output).not.toMatch(/-tmp\d+/);
    expect(await imageId(tag)).toBe(idBefore);
  });
});
