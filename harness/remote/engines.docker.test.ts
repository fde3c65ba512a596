/**
 * Runs on another engine (`--engine`, docs/ENGINES.md), proven on this machine: a second dockerd in
 * a network namespace of its own (harness/bench/second-engine.ts), whose containers this host
 * cannot reach, stands in for a remote host. A whole run there, its report back here; a Ctrl-C here
 * that stops it there; `npm run reap -- --engine` after a runner was killed; nothing left on either
 * engine; the second engine gone afterwards.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readlink, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDocker } from "../docker/client.js";
import { readImagesFile } from "../setup/images.js";
import { harnessLeftovers, onlyRunId, readResult, runCli, runResources, spawnCli } from "../testing/cli-process.js";
import { startSecondEngine, type SecondEngine } from "../bench/second-engine.js";
import { RUNNER_REPO } from "../setup/runner-image.js";
import { ensureImagesOn, pruneRunnerTags } from "./images.js";

const SCENARIO = "kill-leader";
const RUN_ARGS = [SCENARIO, "--profile", "fast", "--repeat", "1"];

let e2: SecondEngine | undefined;
const outs: string[] = [];

async function newOut(): Promise<string> {
  const out = await mkdtemp(path.join(os.tmpdir(), "k8sm-engines-"));
  outs.push(out);
  return out;
}

describe("runs on another Docker engine (--engine)", () => {
  beforeAll(async () => {
    e2 = await startSecondEngine();
  });

  afterAll(async () => {
    const engine = e2;
    if (engine) {
      await engine.stop();
      // The second engine is gone: its namespace, its folder, its processes.
      expect(existsSync(`/run/netns/${engine.netns}`)).toBe(false);
      expect(existsSync(engine.dir)).toBe(false);
      expect(() => process.kill(engine.pid, 0)).toThrow();
    }
    for (const out of outs) await rm(out, { recursive: true, force: true });
  });

  it("this host cannot reach the second engine's containers (the premise: as a remote host's)", async () => {
    const docker = e2!.docker;
    const { base } = await readImagesFile();
    await ensureImagesOn(docker, await getDocker(), [base]);
    // An HTTP server on a private network of the second engine (not port 80: a transparent proxy on
    // this machine's way out may answer any port-80 request).
    const net = await docker.createNetwork({ Name: "k8sm-e2-premise", Driver: "bridge", IPAM: { Driver: "default", Config: [{ Subnet: "10.199.77.0/24" }] } });
    const server = "require('node:http').createServer((q, s) => s.end('e2')).listen(8080)";
    const c = await docker.createContainer({ Image: base, Cmd: ["node", "-e", server], HostConfig: { NetworkMode: "k8sm-e2-premise" } });
    try {
      await c.start();
      const ip = (await c.inspect()).NetworkSettings.Networks["k8sm-e2-premise"]!.IPAddress;
      // From the engine's host (its namespace), as a runner sees it: it answers.
      const probe = await docker.createContainer({ Image: base, Cmd: ["curl", "-sS", "--retry", "5", "--retry-connrefused", "--max-time", "5", `http://${ip}:8080/`], HostConfig: { NetworkMode: "host" } });
      await probe.start();
      await probe.wait();
      expect((await probe.logs({ stdout: true })).toString()).toContain("e2");
      await probe.remove({ force: true });
      // From this host: no route but the default one, and the container never answers (this machine's
      // egress proxy answers any HTTP request with a 404 of its own).
      expect(execFileSync("ip", ["route", "get", ip], { encoding: "utf8" })).not.toMatch(/dev (docker0|br-)/);
      const seen = await request(`http://${ip}:8080/`, { headersTimeout: 3_000, bodyTimeout: 3_000, signal: AbortSignal.timeout(3_000) }).then((res) => res.body.text(), () => null);
      expect(seen).not.toBe("e2");
    } finally {
      await c.remove({ force: true });
      await net.remove();
    }
  });

  it("runner tags on an engine do not pile up: all but the current and the two newest others are removed", async () => {
    const docker = e2!.docker;
    const { base } = await readImagesFile();
    await ensureImagesOn(docker, await getDocker(), [base]);
    const tags = ["000000000001", "000000000002", "000000000003", "000000000004"];
    for (const tag of tags) await docker.getImage(base).tag({ repo: RUNNER_REPO, tag });
    // One image under four tags, all as new: which two of the others stay is arbitrary.
    const removed = await pruneRunnerTags(docker, `${RUNNER_REPO}:000000000004`);
    expect(removed).toHaveLength(1);
    const left = (await docker.listImages({ filters: { reference: [RUNNER_REPO] } } as object)).flatMap((i) => i.RepoTags ?? []);
    expect(left).toContain(`${RUNNER_REPO}:000000000004`);
    expect(left).toHaveLength(3);
    for (const t of left) await docker.getImage(t).remove();
    // The base image itself is untouched.
    expect((await docker.getImage(base).inspect()).RepoTags).toContain(base);
  });

  it(`${RUN_ARGS.join(" ")} --engine: the run goes there, its report comes back here and validates, nothing is left on either engine`, async () => {
    const out = await newOut();
    const local = await getDocker();
    const t0 = performance.now();
    const r = await runCli("scenarios/main.ts", [...RUN_ARGS, "--engine", e2!.url, "--out", out]);
    const wallS = (performance.now() - t0) / 1000;
    console.log(`remote ${RUN_ARGS.join(" ")}: ${wallS.toFixed(1)} s wall`);
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const runId = await onlyRunId(out, SCENARIO);
    const result = await readResult(out, SCENARIO, runId);
    expect(result.status).toBe("completed");
    expect(result.trials).toHaveLength(1);
    expect(await readlink(path.join(out, SCENARIO, "latest"))).toBe(runId);
    expect(existsSync(path.join(out, SCENARIO, "index.html"))).toBe(true);
    // The topology ran on the second engine, not here.
    expect(r.stderr).toContain(`running in k8sm-runner-${runId} on ${e2!.url}`);
    expect(await harnessLeftovers(e2!.docker)).toEqual([]);
    expect(await runResources(local, runId)).toEqual({ containers: [], networks: [] });
    expect(await harnessLeftovers(local).then((l) => l.filter((x) => x.includes(runId)))).toEqual([]);
  });

  it("Ctrl-C here stops the run there: the harness there tears down, the interrupted report comes back, exit 130, nothing left", async () => {
    const out = await newOut();
    const cli = spawnCli("scenarios/main.ts", [...RUN_ARGS, "--engine", e2!.url, "--out", out]);
    await cli.waitForStderr(/trial 1\/1: waiting for steady state/, 240_000);
    cli.signalGroup("SIGINT");
    const r = await cli.exitWithin(240_000);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopping the run on unix:\/\//);
    const result = await readResult(out, SCENARIO, await onlyRunId(out, SCENARIO));
    expect(result.status).toBe("interrupted");
    expect(await harnessLeftovers(e2!.docker)).toEqual([]);
  });

  it("npm run reap -- --engine removes a runner whose process here is gone and what it left there", async () => {
    const out = await newOut();
    const cli = spawnCli("scenarios/main.ts", [...RUN_ARGS, "--engine", e2!.url, "--out", out]);
    await cli.waitForStderr(/trial 1\/1: waiting for steady state/, 240_000);
    // This process dies at once (no teardown); the runner there goes on.
    cli.signalGroup("SIGKILL");
    await cli.exitWithin(30_000);
    expect((await harnessLeftovers(e2!.docker)).length).toBeGreaterThan(0);
    const r = await runCli("harness/cli/reap.ts", ["--engine", e2!.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed runner container k8sm-runner-/);
    expect(await harnessLeftovers(e2!.docker)).toEqual([]);
  });
});
