import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { HarnessError } from "../errors.js";
import { diskFullError, freeBytes, looksLikeDiskFull, requireFreeSpace } from "./disk.js";
import { runOk } from "./exec.js";

// statfs as it is, but each call's path is recorded: which file system was asked is the behaviour
// under test, not two readings of a live disk that other writers change in between.
const statfsPaths = vi.hoisted(() => [] as string[]);
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...real,
    statfs: (path: string, opts?: { bigint?: false }) => {
      statfsPaths.push(path);
      return real.statfs(path, opts);
    },
  };
});

describe("requireFreeSpace", () => {
  it("passes when enough is free", async () => {
    expect(await freeBytes(tmpdir())).toBeGreaterThan(0);
    await expect(requireFreeSpace(tmpdir(), 1, "test")).resolves.toBeUndefined();
  });

  it("fails with E_DISK_FULL naming the consumer, the path, what is free and what is needed", async () => {
    const err = await requireFreeSpace(tmpdir(), 2 ** 60, "debootstrap work dir").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    const e = err as HarnessError;
    expect(e.code).toBe("E_DISK_FULL");
    expect(e.message).toMatch(new RegExp(`debootstrap work dir at ${tmpdir()}: [\\d.]+ (GiB|MiB) free, 1073741824\\.0 GiB needed`));
    expect(e.hint).toMatch(/Free at least .* \(or point TMPDIR at a roomier file system\), then run `npm run setup` again/);
  });

  it("measures a path that does not exist yet on its nearest existing parent", async () => {
    const parent = await mkdtemp(join(tmpdir(), "k8sm-disk-test-"));
    try {
      statfsPaths.length = 0;
      expect(await freeBytes(join(parent, "does-not-exist", "deeper"))).toBeGreaterThanOrEqual(0);
      expect(statfsPaths).toEqual([parent]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe("full-disk messages", () => {
  it("recognises the usual spellings", () => {
    expect(looksLikeDiskFull("write /var/lib/docker/tmp/x: no space left on device")).toBe(true);
    expect(looksLikeDiskFull("Error: ENOSPC: no space left")).toBe(true);
    expect(looksLikeDiskFull("E: Unable to locate package foo")).toBe(false);
  });

  it("quotes the line that says so", () => {
    const e = diskFullError("docker import", "tar: x\nwrite /x: No space left on device\nmore");
    expect(e.code).toBe("E_DISK_FULL");
    expect(e.message).toBe("docker import: the disk is full (write /x: No space left on device)");
  });

  it("a command that fails for lack of space becomes E_DISK_FULL, any other failure E_SETUP with its output", async () => {
    const full = await runOk("copying", "sh", ["-c", "echo 'cp: error writing x: No space left on device' >&2; exit 1"]).catch((e: unknown) => e);
    expect((full as HarnessError).code).toBe("E_DISK_FULL");
    const other = await runOk("copying", "sh", ["-c", "echo 'cp: cannot stat x' >&2; exit 3"]).catch((e: unknown) => e);
    expect((other as HarnessError).code).toBe("E_SETUP");
    expect((other as HarnessError).message).toMatch(/copying failed \(sh: exit code 3\):\n {4}cp: cannot stat x/);
  });
});
