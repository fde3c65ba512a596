import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HarnessError } from "../errors.js";
import { engineTarget, ensureEngine, whichCommand } from "./engine.js";

describe("engineTarget", () => {
  it("uses DOCKER_HOST when set and non-empty, else the local socket", () => {
    expect(engineTarget({ DOCKER_HOST: "tcp://10.0.0.5:2375" })).toEqual({ kind: "docker-host", host: "tcp://10.0.0.5:2375" });
    expect(engineTarget({ DOCKER_HOST: "  unix:///run/docker.sock " })).toEqual({ kind: "docker-host", host: "unix:///run/docker.sock" });
    expect(engineTarget({ DOCKER_HOST: "" })).toEqual({ kind: "local" });
    expect(engineTarget({})).toEqual({ kind: "local" });
  });
});

describe("whichCommand", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8sm-which-test-"));
    await writeFile(join(dir, "k8sm-tool"), "#!/bin/sh\n");
    await chmod(join(dir, "k8sm-tool"), 0o755);
    await writeFile(join(dir, "k8sm-not-executable"), "");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("finds executables on the given PATH only", () => {
    expect(whichCommand("k8sm-tool", dir)).toBe(join(dir, "k8sm-tool"));
    expect(whichCommand("k8sm-not-executable", dir)).toBeUndefined();
    expect(whichCommand("k8sm-tool", "/nonexistent")).toBeUndefined();
  });
});

describe("ensureEngine", () => {
  it("without the docker command, says to install docker.io", async () => {
    const err = (await ensureEngine({ env: { PATH: "/nonexistent" }, progress: () => {} }).catch((e: unknown) => e)) as HarnessError;
    expect(err.code).toBe("E_DOCKER_UNAVAILABLE");
    expect(err.message).toBe("the docker command is not installed");
    expect(err.hint).toMatch(/apt-get install -y docker\.io iptables/);
  });

  it.skipIf(!whichCommand("docker"))("a DOCKER_HOST that does not answer is an error naming it, not a fall-back to the local engine", async () => {
    // A port that was free a moment ago: nothing listens, so the connection is refused.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const { port: p } = srv.address() as { port: number };
        srv.close(() => resolve(p));
      });
    });
    const host = `tcp://127.0.0.1:${port}`;
    const lines: string[] = [];
    const err = (await ensureEngine({ env: { ...process.env, DOCKER_HOST: host }, progress: (l) => lines.push(l) }).catch((e: unknown) => e)) as HarnessError;
    expect(err).toBeInstanceOf(HarnessError);
    expect(err.code).toBe("E_DOCKER_UNAVAILABLE");
    expect(err.message).toContain(`DOCKER_HOST=${host} does not answer`);
    expect(err.hint).toMatch(/unset DOCKER_HOST/);
    expect(lines).toEqual([]); // no dockerd started
  });
});
