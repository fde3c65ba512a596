// Issue 6, robustness: the harness's own failures. A missing image, a container of the system under
// test that exits at startup, and an engine that stops answering mid-run each end in a clear error
// naming the part, exit 2, a report, and nothing left behind (for the engine: nothing once it is
// back and `npm run reap` ran, since nothing can be removed through an engine that does not answer).
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerEndpoint, getDocker } from "../docker/client.js";
import { newRunId } from "../docker/run-id.js";
import { resolveImages } from "../setup/images.js";
import { healthBudgets } from "../topology/launch.js";
import { SEED_SPEC } from "../topology/spec.js";
import { readResult, removeRun, runCli, runResources, spawnCli } from "../testing/cli-process.js";

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
});

/** A TCP endpoint in front of the real engine (DOCKER_HOST for a child) that can be cut at once. */
async function engineProxy(): Promise<{ url: string; cut: () => void }> {
  const upstream = dockerEndpoint();
  const target = upstream.startsWith("unix://")
    ? { path: upstream.slice("unix://".length) }
    : (() => {
        const u = new URL(upstream.replace(/^tcp:/, "http:"));
        return { host: u.hostname, port: Number(u.port) };
      })();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const engine = connect(target as never);
    for (const s of [client, engine]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(engine).pipe(client);
    client.on("close", () => engine.destroy());
    engine.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
