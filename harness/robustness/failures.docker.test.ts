// Robustness: the harness's own failures. A missing image, a container of the system under test that
// exits at startup or rejects its flags, an engine that stops answering or hangs mid-run, a full
// disk and a closed pipe each end in a clear error naming the part, exit 2, a complete report (or
// none, never a partial one), and nothing left behind (for the engine: nothing once it is back and
// `npm run reap` ran, since nothing can be removed through an engine that does not answer).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDocker } from "../docker/client.js";
import { newRunId } from "../docker/run-id.js";
import { resolveImages } from "../setup/images.js";
import { healthBudgets } from "../topology/launch.js";
import { SEED_SPEC } from "../topology/spec.js";
import { onlyRunId, readResult, removeRun, runCli, runResources, runShell, spawnCli } from "../testing/cli-process.js";
import { engineProxy } from "../testing/engine-proxy.js";

let docker: Docker;
let out: string;
const runs: string[] = [];
/** An image whose entrypoint prints a line and exits 3, whatever command it is given. */
const EXITS_IMAGE = `k8sm-harness/robustness-exits:${newRunId().replace(/^.*-/, "")}`;

beforeAll(async () => {
  docker = await getDocker();
  out = await mkdtemp(path.join(os.tmpdir(), "k8sm-robust-"));
  const { base } = await resolveImages({ docker, onWarning: () => {} });
  const c = await docker.createContainer({ Image: base, Cmd: ["true"] });
  try {
    const [repo, tag] = EXITS_IMAGE.split(":") as [string, string];
    // dockerode's typings lack commit's `changes`; the engine API takes it.
    await c.commit({ repo, tag, changes: ['ENTRYPOINT ["/bin/sh", "-c", "echo robustness: this image exits at startup >&2; exit 3", "--"]'] } as Record<string, unknown>);
  } finally {
    await c.remove({ force: true });
  }
});
afterAll(async () => {
  for (const id of runs) await removeRun(docker, id);
  await docker.getImage(EXITS_IMAGE).remove({ force: true }).catch(() => {});
  await rm(out, { recursive: true, force: true });
});

/** Runs `baseline` (fast) with these extra args to its end; returns the exit and the run id. */
async function baseline(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cli = spawnCli("scenarios/main.ts", ["baseline", "--profile", "fast", "--out", out, ...args], env);
  const runId = await cli.runId();
  runs.push(runId);
  return { runId, exit: await cli.exited };
}

describe("the harness's own failures end in a clear error, exit 2, nothing left", () => {
  it("an image that is missing: named with the part that uses it and the --set it came from", async () => {
    const { runId, exit } = await baseline(["--set", "image.masterNode=k8sm-harness/nope:1"]);
    expect(exit.code, exit.stderr).toBe(2);
    expect(exit.stdout).toMatch(/E_IMAGE_MISSING: image k8sm-harness\/nope:1 \(for masterNode\) is not in the Docker engine/);
    expect(await readResult(out, "baseline", runId)).toMatchObject({
      status: "failed",
      verdict: "unknown",
      error: { code: "E_IMAGE_MISSING", hint: expect.stringMatching(/--set image\.masterNode/) },
    });
    expect(await runResources(docker, runId)).toEqual({ containers: [], networks: [] });
  });

  it("a container that exits at startup: named (role, image, exit code, its last log line) at once, not after a health budget", async () => {
    const t0 = performance.now();
    const { runId, exit } = await baseline(["--set", `image.etcd=${EXITS_IMAGE}`]);
    expect(exit.code, exit.stderr).toBe(2);
    expect(exit.stdout).toMatch(new RegExp(`E_TOPOLOGY_UNHEALTHY: k8sm-${runId}-etcd-0 \\(etcd-0, image ${EXITS_IMAGE}\\) exited with code 3 during the launch`));
    expect(exit.stdout).toMatch(/robustness: this image exits at startup/);
    // The exit itself is detected: a launch that waited out etcd's health budget instead (begun
    // after t0) could not end sooner than that budget. The broken code's earliest end, not a guess at speed.
    expect(performance.now() - t0).toBeLessThan(healthBudgets(SEED_SPEC).etcd);
    expect(await readResult(out, "baseline", runId)).toMatchObject({ status: "failed", error: { code: "E_TOPOLOGY_UNHEALTHY" } });
    expect(await runResources(docker, runId)).toEqual({ containers: [], networks: [] });
  });

  it("an engine that stops answering mid-trial: E_DOCKER_UNAVAILABLE naming the engine, exit 2, a report; npm run reap removes the rest once it is back", async () => {
    const proxy = await engineProxy();
    try {
      const cli = spawnCli("scenarios/main.ts", ["pause-leader", "--profile", "fast", "--out", out], { DOCKER_HOST: proxy.url });
      const runId = await cli.runId();
      runs.push(runId);
      const node = (await cli.waitForStderr(/docker pause the scheduler-leader .*→ (master-\d+) /, 120_000))[1]!;
      proxy.cut(); // every connection dropped, no new one accepted
      // The fault heals after 2 × ttl (12 s): the first engine call after the cut.
      const exit = await cli.exitWithin(90_000);
      expect(exit.code, exit.stderr).toBe(2);
      const said = exit.stdout + exit.stderr;
      expect(said).toMatch(new RegExp(`E_DOCKER_UNAVAILABLE: the Docker engine at ${proxy.url.replace(/\./g, "\\.")} stopped answering`));
      expect(exit.stderr).toMatch(new RegExp(`cleanup: .*remove container k8sm-${runId}-`));
      expect(exit.stderr).toMatch(new RegExp(`hint: what is left is labelled k8sm-chaos\\.run-id=${runId}; \`npm run reap\` removes it`));
      expect(exit.stderr).not.toMatch(/ at TeardownStack/); // a message for people, not a stack trace
      expect(await readResult(out, "pause-leader", runId)).toMatchObject({ status: "failed", verdict: "unknown", error: { code: "E_DOCKER_UNAVAILABLE" } });

      // The engine is back (the real one never went away): what the run could not remove is still there, paused node included.
      expect((await runResources(docker, runId)).containers).toContainEqual({ name: `k8sm-${runId}-${node}`, state: "paused" });
      const reaped = await runCli("harness/cli/reap.ts", []);
      expect(reaped.code, reaped.stderr).toBe(0);
      expect(await runResources(docker, runId)).toEqual({ containers: [], networks: [] });
    } finally {
      proxy.cut();
    }
  });

  it("an engine that hangs mid-trial (a proxy that stops forwarding): its calls end by their deadlines, the trial unknown (never a failed check), exit 2, a report", async () => {
    const proxy = await engineProxy();
    let runId: string | undefined;
    try {
      const cli = spawnCli("scenarios/main.ts", ["kill-leader", "--profile", "fast", "--out", out], { DOCKER_HOST: proxy.url });
      runId = await cli.runId();
      runs.push(runId);
      await cli.waitForStderr(/trial 1\/1: waiting for steady state/, 120_000);
      proxy.freeze(); // a wedged dockerd: connections open, nothing answered
      // The kill's deadline (10 s), then the teardown through an engine that answers no ping either: seconds.
      const exit = await cli.exitWithin(120_000);
      expect(exit.code, exit.stderr).toBe(2);
      // What ends it depends on which call hangs first: the fault's kill (until its 10 s deadline), or
      // a probe's call (the trial's probes follow logs and events again as it begins), after which
      // the kill is not even tried while the engine answers no ping either. Either way it is named.
      const engine = `the Docker engine at ${proxy.url.replace(/\./g, "\\.")}`;
      expect(exit.stdout + exit.stderr).toMatch(new RegExp(`E_DOCKER_UNAVAILABLE\\]?:? (no answer within \\d+ ms from ${engine} to |${engine} did not answer .* nor a ping within 5000 ms: not trying to )`));
      expect(exit.stdout).not.toMatch(/\bFAIL\b/); // the engine's delay is never judged as the system's
      const result = await readResult(out, "kill-leader", runId);
      expect(result).toMatchObject({ status: "failed", verdict: "unknown", error: { code: "E_DOCKER_UNAVAILABLE" } });
      expect(result.trials.map((t) => t.verdict)).toEqual(["unknown"]);
      expect(result.trials[0]!.checks.filter((c) => c.verdict === "fail")).toEqual([]);
    } finally {
      proxy.cut();
    }
    const reaped = await runCli("harness/cli/reap.ts", []);
    expect(reaped.code, reaped.stderr).toBe(0);
    expect(await runResources(docker, runId!)).toEqual({ containers: [], networks: [] });
  });

  it("a scheduler flag the component rejects: named with its error line and log file within seconds, not after a health budget", async () => {
    const { runId, exit } = await baseline(["--set", "scheduler.bogus-flag=1"]);
    expect(exit.code, exit.stderr).toBe(2);
    expect(exit.stdout + exit.stderr).toMatch(new RegExp(`E_TOPOLOGY_UNHEALTHY.*in k8sm-${runId}-master-\\d \\(master-\\d\\) during the launch; it says: Error: unknown flag: --bogus-flag`));
    expect(exit.stdout + exit.stderr).toMatch(new RegExp(`Full log: ${out.replace(/[.]/g, "\\.")}/baseline/${runId}/logs/k8sm-${runId}-master-\\d\\.log`));
    expect(exit.stdout + exit.stderr).not.toMatch(/--log-dir/); // scenario takes no --log-dir
    expect(await readResult(out, "baseline", runId)).toMatchObject({ status: "failed", error: { code: "E_TOPOLOGY_UNHEALTHY" } });
    expect(await runResources(docker, runId)).toEqual({ containers: [], networks: [] });
  });
});

describe("a full disk (--out on a tiny tmpfs)", () => {
  let mounts: string[] = [];
  const tmpfs = async (size: string): Promise<string | undefined> => {
    const dir = path.join(out, `tmpfs-${size}`);
    await mkdir(dir, { recursive: true });
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    } catch {
      return undefined; // not root: nothing to test with
    }
    mounts.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const m of mounts) execFileSync("umount", ["-l", m]);
    mounts = [];
  });

  // 64 KiB fills during the launch, 112 KiB during the trial or the cleanup (container logs grow all along).
  it.each(["64k", "112k"])("%s: no crash, exit 2 naming the full disk, the topology removed, a report complete or none", async (size) => {
    const dir = await tmpfs(size);
    if (!dir) return void console.warn("skipped: mounting a tmpfs needs root");
    const cli = spawnCli("scenarios/main.ts", ["kill-leader", "--profile", "fast", "--out", dir]);
    const runId = await cli.runId();
    runs.push(runId);
    const exit = await cli.exitWithin(180_000);
    expect(exit.code, exit.stderr).toBe(2);
    expect(exit.stderr).not.toMatch(/Unhandled 'error' event|node:events/);
    expect(exit.stdout + exit.stderr).toMatch(/E_DISK_FULL|E_REPORT/);
    expect(exit.stdout + exit.stderr).toMatch(/ENOSPC|no space left/i);
    expect(await runResources(docker, runId)).toEqual({ containers: [], networks: [] });
    if (existsSync(path.join(dir, "kill-leader", runId, "result.json"))) await readResult(dir, "kill-leader", runId);
  });
});

describe("a closed stdout or stderr, through npm as a user pipes it", () => {
  // The issue's own command lines (one trial here): output errors never stop the run nor its cleanup.
  it.each([
    ["2>/dev/null | head -c 10", "the summary's write fails"],
    ["2>&1 | head -n 6", "progress writes fail from the launch on"],
  ])("npm run scenario -- kill-leader ... %s (%s): exit 2, the report complete, nothing left", async (pipe) => {
    const own = await mkdtemp(path.join(os.tmpdir(), "k8sm-robust-pipe-"));
    try {
      const r = await runShell(`npm run scenario -- kill-leader --profile fast --out ${own} ${pipe}`);
      const runId = await onlyRunId(own, "kill-leader");
      runs.push(runId);
      const result = await readResult(own, "kill-leader", runId);
      expect(result.status).toBe("completed");
      // A pass whose output was lost is exit 2; a failed check stays 1.
      expect(r.pipestatus[0], r.stderr).toBe(result.verdict === "pass" ? 2 : 1);
      expect(await runResources(docker, runId)).toEqual({ containers: [], networks: [] });
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
