// Unit tier: no Docker engine needed. The engine here is a real HTTP server on a unix socket that
// accepts every request and answers only the routes a test gives it: the rest hang forever, as a
// wedged dockerd does. Every Docker call of the harness must end in E_DOCKER_UNAVAILABLE (or, for
// the probes and the sampler, give up on its own), never hang.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../async/wait-for.js";
import { DockerUnavailableError, HarnessError } from "../errors.js";
import { machineInfo } from "../bench/machine.js";
import { startMemorySampler } from "../bench/memory.js";
import { dockerEventsProbe, logsProbe } from "../probes/logs.js";
import { resolveImages } from "../setup/images.js";
import { createSubnetNetwork } from "../topology/static-ip.js";
import { dockerCall, DOCKER_DEADLINES_MS, setDockerDeadlines, withDeadline, type DockerCallKind } from "./client.js";
import { forceRemove, startContainer, StartedContainer, type ContainerSpec } from "./containers.js";
import { createRunNetwork } from "./network.js";
import { reap } from "./reaper.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Short deadlines for the test client (the real ones are seconds to a minute). */
const SHORT: Readonly<Record<DockerCallKind, number>> = { read: 100, control: 100, change: 150, exec: 150, stream: 100 };

let dir: string;
let socketPath: string;
let server: Server;
/** `METHOD path-without-query` → handler; anything else hangs. */
let routes = new Map<string, Handler>();
const hanging: ServerResponse[] = [];
const requests: string[] = [];

function answer(status: number, body: unknown = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "k8sm-hung-engine-"));
  socketPath = join(dir, "docker.sock");
  server = createServer((req, res) => {
    const key = `${req.method} ${(req.url ?? "").split("?")[0]}`;
    requests.push(key);
    const handler = routes.get(key);
    if (handler) handler(req, res);
    else hanging.push(res);
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
});

beforeEach(() => {
  // The engine answers pings unless a test says otherwise: after a call went unanswered, the client
  // pings before its next call (dockerCall), and these tests are about each call's own deadline.
  routes.set("GET /_ping", (_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("OK"));
});

afterEach(() => {
  routes = new Map();
  requests.length = 0;
  for (const res of hanging.splice(0)) res.destroy();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

function client(): Docker {
  return setDockerDeadlines(new Docker({ socketPath }), SHORT);
}

/**
 * Runs `call`, expects E_DOCKER_UNAVAILABLE naming the socket and `action`, not before `deadlineMs`.
 * Only the deadline's timer makes that error ("no answer within N ms"): a call that waited for the
 * hung engine instead never ends, and fails by vitest's test timeout, whatever the machine's load.
 */
async function expectDeadline(call: () => Promise<unknown>, deadlineMs: number, action: RegExp): Promise<void> {
  const t0 = performance.now();
  const err = await call().then(
    () => new Error("resolved"),
    (e: unknown) => e,
  );
  const elapsed = performance.now() - t0;
  expect(err).toBeInstanceOf(DockerUnavailableError);
  const e = err as DockerUnavailableError;
  expect(e.code).toBe("E_DOCKER_UNAVAILABLE");
  expect(e.message).toContain(`no answer within ${deadlineMs} ms from the Docker engine at unix://${socketPath}`);
  expect(e.message).toMatch(action);
  expect(e.hint).toMatch(/docker info/);
  expect(elapsed).toBeGreaterThanOrEqual(deadlineMs - 5);
}

const SPEC: ContainerSpec = { image: "img:1", runId: "20250101-000000-abcd", role: "etcd-0", network: "k8sm-net" };
const ID = "c0ffee";

function started(docker: Docker): StartedContainer {
  return new StartedContainer(docker, ID, "k8sm-test-etcd-0", SPEC, ["etcd-0"]);
}

const STOPPED = { State: { Status: "exited", Running: false, Paused: false, ExitCode: 0, Pid: 0, FinishedAt: "2025-01-01T00:00:00Z" }, NetworkSettings: { Networks: {} } };

describe("withDeadline", () => {
  it("rejects at the deadline and aborts the signal it gave the call", async () => {
    let given: AbortSignal | undefined;
    await expectDeadline(
      () => withDeadline("inspect", "x", 50, (s) => ((given = s), new Promise(() => {})), { endpoint: `unix://${socketPath}` }),
      50,
      /to inspect x$/,
    );
    expect(given?.aborted).toBe(true);
  });

  it("leaves the signal alone once the call answered (a stream lives on) and passes the call's own errors unchanged", async () => {
    let given: AbortSignal | undefined;
    expect(await withDeadline("follow logs of", "x", 30, async (s) => ((given = s), "stream"))).toBe("stream");
    await new Promise((r) => setTimeout(r, 80));
    expect(given?.aborted).toBe(false);
    const own = Object.assign(new Error("no such container"), { statusCode: 404 });
    await expect(withDeadline("inspect", "x", 1_000, () => Promise.reject(own))).rejects.toBe(own);
  });

  it("rejects at once with the caller's reason when the caller aborts", async () => {
    const ac = new AbortController();
    const reason = new Error("interrupted");
    setTimeout(() => ac.abort(reason), 20);
    await expect(withDeadline("inspect", "x", 60_000, () => new Promise(() => {}), { signal: ac.signal })).rejects.toBe(reason);
    await expect(withDeadline("inspect", "x", 60_000, () => Promise.resolve(1), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it("documents a default for every kind, none shorter than a second", () => {
    for (const ms of Object.values(DOCKER_DEADLINES_MS)) expect(ms).toBeGreaterThanOrEqual(1_000);
  });
});

describe("an engine that accepts but never answers", () => {
  it("read: container inspect, image inspect, list, stats-less machine info", async () => {
    const docker = client();
    await expectDeadline(() => started(docker).inspect(), SHORT.read, /to inspect k8sm-test-etcd-0$/);
    await expectDeadline(() => startContainer(docker, SPEC), SHORT.read, /to inspect image img:1$/);
    await expectDeadline(() => reap({ docker }), SHORT.read, /to list containers$/);
    await expectDeadline(() => forceRemove(docker, ID), SHORT.read, new RegExp(`to inspect ${ID}$`));
    await expectDeadline(() => createSubnetNetwork(docker, "r"), SHORT.read, /to list networks$/);
    await expectDeadline(() => machineInfo(docker), SHORT.read, /to read the version$|to read the info$|to list containers$/);
  });

  it("read: resolveImages checks the built tags", async () => {
    const root = join(dir, "root");
    await mkdir(join(root, "build"), { recursive: true });
    await writeFile(join(root, "build", "images.json"), JSON.stringify({ base: "k8sm-harness/base:x", k8sm: "k8sm-harness/k8sm:y" }));
    await expectDeadline(() => resolveImages({ root, docker: client() }), SHORT.read, /to inspect image k8sm-harness\/base:x$/);
  });

  it("control: pause, unpause, kill, network connect and disconnect", async () => {
    const c = started(client());
    await expectDeadline(() => c.pause(), SHORT.control, /to pause k8sm-test-etcd-0$/);
    await expectDeadline(() => c.unpause(), SHORT.control, /to unpause/);
    await expectDeadline(() => c.kill("SIGTERM"), SHORT.control, /to kill \(SIGTERM\)/);
    await expectDeadline(() => c.disconnect(), SHORT.control, /to disconnect from k8sm-net/);
    await expectDeadline(() => c.connect(), SHORT.control, /to connect to k8sm-net/);
  });

  it("change: start, stop, remove, network create and remove; a stop's grace is added", async () => {
    const docker = client();
    routes.set(`GET /containers/${ID}/json`, answer(200, STOPPED));
    await expectDeadline(() => started(docker).start(), SHORT.change, /to start k8sm-test-etcd-0$/);
    await expectDeadline(() => started(docker).remove(), SHORT.change, /to remove container k8sm-test-etcd-0$/);
    routes.set(`GET /containers/${ID}/json`, answer(200, { ...STOPPED, State: { ...STOPPED.State, Running: true } }));
    const graceful = new StartedContainer(docker, ID, "k8sm-test-etcd-0", { ...SPEC, stopTimeoutMs: 1_000 }, ["etcd-0"]);
    await expectDeadline(() => graceful.remove(), SHORT.change + 1_000, /to stop k8sm-test-etcd-0$/);
    await expectDeadline(() => createRunNetwork(docker, "r1"), SHORT.change, /to create network k8sm-r1$/);
    routes.set("POST /networks/create", answer(201, { Id: "n1" }));
    const network = await createRunNetwork(docker, "r1");
    await expectDeadline(() => network.remove(), SHORT.change, /to remove network k8sm-r1$/);
  });

  it("change: testcontainers' start, with its own client on the same engine", async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${socketPath}`;
    try {
      routes.set("GET /images/img:1/json", answer(200, { Id: "sha256:1" }));
      // Then testcontainers' own calls hang; so does the clean-up's inspect, under its own deadline.
      await expectDeadline(() => startContainer(client(), SPEC), SHORT.change, /to start container k8sm-20250101-000000-abcd-etcd-0$/);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it("exec: the whole exec, or the caller's own deadline", async () => {
    const c = started(client());
    await expectDeadline(() => c.exec(["true"]), SHORT.exec, /to exec "true" in k8sm-test-etcd-0$/);
    await expectDeadline(() => c.exec(["true"], { timeoutMs: 60 }), 60, /to exec "true"/);
  });

  it("stream: establishing the log stream", async () => {
    await expectDeadline(() => started(client()).attachLogs(0), SHORT.stream, /to follow logs of k8sm-test-etcd-0$/);
  });

  it("the events probe ends on its own with E_DOCKER_UNAVAILABLE, the logs probe ends at its abort, the memory sampler stops", async () => {
    const docker = client();
    const ac = new AbortController();
    // Ends although its signal never aborts (a hang fails by the test timeout): the engine's failure, named.
    await expect(dockerEventsProbe(docker, "k8sm-chaos.run-id=r").run(() => {}, ac.signal)).rejects.toThrow(/no answer within 100 ms .* to follow events/);

    const logs = logsProbe(docker, { etcdUrls: [], apiUrl: "", mesosUrl: "", masters: [{ name: "master-1", ip: "10.0.0.2", container: "m1" }], frameworkName: "k", intervalMs: 100 }).run(() => {}, ac.signal);
    // Deadline (100 ms), the probe's pause (500 ms), the next attempt: a hung stream is given up and tried again.
    await waitFor(() => requests.filter((r) => r === "GET /containers/m1/logs").length >= 2, { description: "a second logs request", intervalMs: 20, timeoutMs: 20_000 });
    ac.abort();
    await logs;

    const sampler = startMemorySampler(docker, "k8sm-chaos.run-id=r", { intervalMs: 10 });
    await new Promise((r) => setTimeout(r, 50));
    const summary = await sampler.stop();
    expect(summary.samples).toBe(0);
  });

  it("a call that answers in time is unaffected; its result passes through", async () => {
    routes.set(`GET /containers/${ID}/json`, answer(200, STOPPED));
    expect(await started(client()).inspect()).toMatchObject({ status: "exited", running: false });
  });
});

describe("an engine whose call went unanswered", () => {
  it("is pinged before the next call: no answer, and that call and the next ones fail at once, naming what went unanswered", async () => {
    routes.delete("GET /_ping");
    const docker = client();
    const c = started(docker);
    await expectDeadline(() => c.kill("SIGKILL"), SHORT.control, /to kill \(SIGKILL\)/);
    requests.length = 0;
    const errs = await Promise.all([c.inspect(), c.remove(), reap({ docker })].map((p) => p.then(() => undefined, (e: unknown) => e as Error)));
    const second = await c.inspect().then(() => undefined, (e: unknown) => e as Error);
    for (const e of [...errs, second]) {
      expect(e).toBeInstanceOf(DockerUnavailableError);
      expect(e!.message).toMatch(new RegExp(`the Docker engine at unix://${socketPath} did not answer kill \\(SIGKILL\\) k8sm-test-etcd-0 within ${SHORT.control} ms nor a ping within ${SHORT.read} ms: not trying to `));
    }
    // One ping for the calls made meanwhile; none of them sent; the one after (within the ping's time) not even pinged.
    expect(requests).toEqual(["GET /_ping"]);
  });

  it("answers a ping: the calls go on as before", async () => {
    const docker = client();
    await expectDeadline(() => started(docker).pause(), SHORT.control, /to pause/);
    routes.set(`GET /containers/${ID}/json`, answer(200, STOPPED));
    requests.length = 0;
    expect(await started(docker).inspect()).toMatchObject({ status: "exited" });
    expect(await started(docker).inspect()).toMatchObject({ status: "exited" });
    expect(requests).toEqual(["GET /_ping", `GET /containers/${ID}/json`, `GET /containers/${ID}/json`]);
  });
});

describe("an engine that is gone or busy", () => {
  it("a refused connection is still DockerUnavailableError at once (dockerError's mapping), not a deadline", async () => {
    const docker = setDockerDeadlines(new Docker({ socketPath: join(dir, "nothing.sock") }), { read: 60_000 });
    const err = await started(docker).inspect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect((err as Error).message).toMatch(/stopped answering while trying to inspect k8sm-test-etcd-0/);
  });

  it("removal tries a 5xx again, not a 4xx, and not past its tries", async () => {
    const docker = client();
    routes.set(`GET /containers/${ID}/json`, answer(200, STOPPED));
    let n = 0;
    routes.set(`DELETE /containers/${ID}`, (req, res) => (++n < 2 ? answer(500, { message: "device or resource busy" }) : answer(204, ""))(req, res));
    await forceRemove(docker, ID);
    expect(n).toBe(2);

    routes.set(`DELETE /containers/${ID}`, answer(500, { message: "device or resource busy" }));
    requests.length = 0;
    const err = await forceRemove(docker, ID).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as Error).message).toMatch(/cannot remove container c0ffee: device or resource busy/);
    expect(requests.filter((r) => r === `DELETE /containers/${ID}`)).toHaveLength(3);

    routes.set(`DELETE /containers/${ID}`, answer(409, { message: "cannot remove: conflict" }));
    requests.length = 0;
    await expect(forceRemove(docker, ID)).rejects.toThrow(/conflict/);
    expect(requests.filter((r) => r === `DELETE /containers/${ID}`)).toHaveLength(1);
  });

  it("dockerCall names the client's endpoint", async () => {
    const docker = new Docker({ host: "127.0.0.1", port: 1 });
    const err = await dockerCall(docker, "read", "inspect", "x", () => new Promise(() => {}), { timeoutMs: 20 }).catch((e: unknown) => e);
    expect((err as Error).message).toContain("at tcp://127.0.0.1:1 to inspect x");
  });
});
