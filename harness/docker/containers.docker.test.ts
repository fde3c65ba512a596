// The dockerode-level helpers on a real container: init, capabilities, files, exec, pause,
// kill with a signal, network disconnect/connect, readiness failures, and removal in every state.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HarnessError, TopologyUnhealthyError } from "../errors.js";
import { resolveImages } from "../setup/images.js";
import { TeardownStack } from "../lifecycle/teardown-stack.js";
import type Docker from "dockerode";
import { getDocker } from "./client.js";
import { startContainer, type ContainerSpec } from "./containers.js";
import { runLabelFilter } from "./labels.js";
import { createRunNetwork, type RunNetwork } from "./network.js";
import { newRunId } from "./run-id.js";

// A tiny HTTP server: answers "ok", prints its signals, so kill(signal) can be observed in the logs.
const SERVER_JS = `
const http = require("node:http");
for (const s of ["SIGUSR1", "SIGTERM"]) process.on(s, () => { console.log("got " + s); if (s === "SIGTERM") process.exit(0); });
http.createServer((req, res) => res.end("ok")).listen(8080, () => console.error("listening on 8080"));
`;

describe("StartedContainer on a real engine", () => {
  let docker: Docker;
  let base: string;
  const runId = newRunId();
  const stack = new TeardownStack();
  let network: RunNetwork;

  beforeAll(async () => {
    docker = await getDocker();
    ({ base } = await resolveImages({ docker, onWarning: () => {} }));
    network = stack.use(await createRunNetwork(docker, runId), "remove network");
  });
  afterAll(async () => {
    await stack.dispose();
    expect(await docker.listContainers({ all: true, filters: { label: [runLabelFilter(runId)] } })).toEqual([]);
    expect(await docker.listNetworks({ filters: { label: [runLabelFilter(runId)] } })).toEqual([]);
  });

  const server = (role: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    image: base,
    runId,
    role,
    network: network.name,
    cmd: ["node", "/srv/server.js"],
    files: [{ path: "/srv/server.js", content: SERVER_JS }],
    wait: { kind: "log", pattern: "listening on 8080" },
    ...extra,
  });

  it("runs docker-init as PID 1, adds NET_ADMIN, copies files, and execs with exit codes", async () => {
    const c = stack.use(await startContainer(docker, server("exec-1", { capAdd: ["NET_ADMIN"] })));
    expect((await c.exec(["cat", "/proc/1/comm"])).stdout.trim()).toBe("docker-init");
    const ipt = await c.exec(["iptables", "-A", "OUTPUT", "-d", "10.255.255.1", "-j", "DROP"]);
    expect(ipt).toMatchObject({ exitCode: 0 });
    const failing = await c.exec(["sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(failing).toEqual({ exitCode: 3, stdout: "out\n", stderr: "err\n" });
    // Without NET_ADMIN iptables is refused.
    const plain = stack.use(await startContainer(docker, server("exec-2")));
    expect((await plain.exec(["iptables", "-L"])).exitCode).not.toBe(0);
  });

  it("pause freezes it, unpause resumes it; kill delivers a signal through init", async () => {
    const lines: string[] = [];
    const c = stack.use(await startContainer(docker, server("pause-1", { onLogLine: (l) => lines.push(l) })));
    const url = `http://${await c.ipAddress()}:8080/`;
    expect(await (await request(url)).body.text()).toBe("ok");

    await c.pause();
    expect((await c.inspect()).paused).toBe(true);
    await expect(request(url, { headersTimeout: 500 })).rejects.toThrow(/timeout/i);
    await c.unpause();
    expect(await (await request(url)).body.text()).toBe("ok");

    await c.kill("SIGUSR1");
    await expect.poll(() => lines, { timeout: 10_000 }).toContain("got SIGUSR1");
    expect((await c.inspect()).running).toBe(true);
  });

  it("disconnect takes it off the run network (DNS too), connect puts it back with its aliases", async () => {
    const c = stack.use(await startContainer(docker, server("net-1", { aliases: ["net-1", "svc"] })));
    const client = stack.use(await startContainer(docker, server("net-2")));
    const curl = ["curl", "-sS", "--max-time", "2", "http://svc:8080/"];
    expect((await client.exec(curl)).stdout).toBe("ok");

    await c.disconnect();
    expect((await c.inspect()).ipAddress).toBeUndefined();
    await expect(c.ipAddress()).rejects.toThrow(/has no address on/);
    expect((await client.exec(curl)).exitCode).not.toBe(0);

    await c.connect();
    expect((await c.inspect()).ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await client.exec(curl)).stdout).toBe("ok");
  });

  it("start() brings a killed container back; its log file holds both lives, split by stream", async () => {
    const dir = await mkdtemp(join(tmpdir(), "k8sm-containers-"));
    stack.defer(() => rm(dir, { recursive: true, force: true }), "remove log dir");
    const seen: string[] = [];
    const logFile = join(dir, "restart-1.log");
    const c = stack.use(await startContainer(docker, server("restart-1", { logFile, onLogLine: (l, s) => seen.push(`${s}: ${l}`) })));
    await c.kill("SIGTERM");
    await expect.poll(async () => (await c.inspect()).status, { timeout: 10_000 }).toBe("exited");
    await c.start();
    await expect.poll(() => seen.filter((l) => l === "stderr: listening on 8080").length, { timeout: 10_000 }).toBe(2);
    expect(seen).toContain("stdout: got SIGTERM");
    expect(await (await request(`http://${await c.ipAddress()}:8080/`)).body.text()).toBe("ok");
    await c.remove();
    const log = await readFile(logFile, "utf8");
    expect(log.match(/listening on 8080/g)).toHaveLength(2);
    expect(log).toContain("got SIGTERM");
  });

  it("a container that exits before it is ready: an error with its exit code and last lines, and it is removed", async () => {
    const err = await startContainer(docker, {
      image: base,
      runId,
      role: "crash-1",
      network: network.name,
      cmd: ["sh", "-c", "echo about to fail >&2; exit 7"],
      wait: { kind: "log", pattern: "never printed" },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TopologyUnhealthyError);
    expect((err as TopologyUnhealthyError).part).toBe("crash-1");
    expect((err as Error).message).toMatch(/exited with code 7 before it was ready .*\n.*about to fail/);
    expect(await docker.listContainers({ all: true, filters: { label: [`k8sm-chaos.role=crash-1`, runLabelFilter(runId)] } })).toEqual([]);
  });

  it("a readiness timeout names what was awaited", async () => {
    const err = await startContainer(docker, server("slow-1", { wait: { kind: "http", port: 9999, path: "/healthz" }, startupTimeoutMs: 1_500 })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TopologyUnhealthyError);
    expect((err as Error).message).toMatch(/did not become ready: timed out after 1500 ms .* waiting for .*slow-1: HTTP 2xx from :9999\/healthz; last error: .*ECONNREFUSED/);
  });

  it("a missing image is E_IMAGE_MISSING with the setup hint", async () => {
    const err = await startContainer(docker, server("noimg-1", { image: "k8sm-harness/base:doesnotexist" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect(err).toMatchObject({ code: "E_IMAGE_MISSING", hint: expect.stringContaining("npm run setup") });
  });

  it("removes a paused container and a killed one; removal is idempotent", async () => {
    const paused = await startContainer(docker, server("rm-1"));
    const killed = await startContainer(docker, server("rm-2"));
    await paused.pause();
    await killed.kill("SIGKILL");
    await expect.poll(async () => (await killed.inspect()).running, { timeout: 10_000 }).toBe(false);
    await paused.remove();
    await killed.remove();
    await killed[Symbol.asyncDispose]();
    const left = await docker.listContainers({ all: true, filters: { label: [runLabelFilter(runId)] } });
    expect(left.map((c) => c.Labels["k8sm-chaos.role"])).not.toContain("rm-1");
    expect(left.map((c) => c.Labels["k8sm-chaos.role"])).not.toContain("rm-2");
  });

  it("an abort during start removes the container and rethrows the reason", async () => {
    const ac = new AbortController();
    const reason = new Error("run interrupted");
    setTimeout(() => ac.abort(reason), 300);
    const err = await startContainer(docker, server("abort-1", { wait: { kind: "log", pattern: "never printed" } }), { signal: ac.signal }).catch(
      (e: unknown) => e,
    );
    expect(err).toBe(reason);
    expect(await docker.listContainers({ all: true, filters: { label: ["k8sm-chaos.role=abort-1", runLabelFilter(runId)] } })).toEqual([]);
  });
});
