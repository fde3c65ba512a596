import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalEtcd } from "./local-etcd.js";

describe("startLocalEtcd's wait for the server", () => {
  let dir: string;
  let silent: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8sm-local-etcd-test-"));
    // Runs, never listens: an etcd that does not come up.
    silent = join(dir, "silent-etcd");
    await writeFile(silent, "#!/bin/sh\nexec sleep 60\n");
    await chmod(silent, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("fails at once, with its output, when the binary exits", async () => {
    await expect(startLocalEtcd({ binary: "/bin/false", startTimeoutMs: 20_000 })).rejects.toThrow(/local etcd \(\/bin\/false\) did not start/);
  });

  it("fails after its start timeout when nothing answers", async () => {
    await expect(startLocalEtcd({ binary: silent, startTimeoutMs: 300 })).rejects.toThrow(/did not start on http:\/\/127\.0\.0\.1:\d+/);
  });

  it("stops waiting when the caller aborts, with its reason", async () => {
    const ac = new AbortController();
    const reason = new Error("test over");
    setTimeout(() => ac.abort(reason), 100);
    await expect(startLocalEtcd({ binary: silent, startTimeoutMs: 60_000, signal: ac.signal })).rejects.toBe(reason);
  });
});
