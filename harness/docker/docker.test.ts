// Unit tier: no Docker engine needed (the endpoints here are real local sockets that misbehave).
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { DockerUnavailableError } from "../errors.js";
import { dockerEndpoint, getDocker } from "./client.js";
import { LABELS, runLabelFilter, runLabels } from "./labels.js";
import { isAlive } from "./reaper.js";
import { newRunId, RUN_ID_PATTERN } from "./run-id.js";

describe("newRunId", () => {
  it("is <yyyymmdd-hhmmss>-<4 hex> in UTC, and differs between calls", () => {
    const id = newRunId(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)));
    expect(id).toMatch(/^20250102-030405-[0-9a-f]{4}$/);
    expect(newRunId()).toMatch(RUN_ID_PATTERN);
    const ids = new Set(Array.from({ length: 50 }, () => newRunId()));
    expect(ids.size).toBeGreaterThan(40);
  });
});

describe("runLabels", () => {
  it("carries run id, this pid, this host, the role and an ISO start time", () => {
    const at = new Date("2025-01-02T03:04:05.000Z");
    expect(runLabels("r1", "etcd-0", at)).toEqual({
      "k8sm-chaos.run-id": "r1",
      "k8sm-chaos.pid": String(process.pid),
      "k8sm-chaos.host": hostname(),
      "k8sm-chaos.role": "etcd-0",
      "k8sm-chaos.started-at": "2025-01-02T03:04:05.000Z",
    });
    expect(runLabelFilter()).toBe(LABELS.runId);
    expect(runLabelFilter("r1")).toBe("k8sm-chaos.run-id=r1");
  });
});

describe("isAlive", () => {
  it("is true for this process and false for a process that has exited", async () => {
    expect(isAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => child.on("exit", r));
    expect(isAlive(child.pid!)).toBe(false);
  });
});

describe("getDocker", () => {
  const saved = process.env.DOCKER_HOST;
  let server: Server | undefined;
  afterEach(async () => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function listen(onConnection: (s: import("node:net").Socket) => void): Promise<number> {
    server = createServer(onConnection);
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return (server.address() as AddressInfo).port;
  }

  it("names the endpoint when nothing listens there", async () => {
    const port = await listen(() => {});
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    expect(dockerEndpoint()).toBe(`tcp://127.0.0.1:${port}`);
    const err = await getDocker().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect((err as Error).message).toContain(`no Docker engine answers at tcp://127.0.0.1:${port}`);
  });

  it("gives up after the ping timeout when the endpoint accepts but never answers, and retries on the next call", async () => {
    const sockets: import("node:net").Socket[] = [];
    const port = await listen((s) => void sockets.push(s));
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    // Only the ping's own timeout says "no answer within 300 ms"; a ping that waited on the silent
    // endpoint instead would never end (and fail by the test timeout), however loaded the machine.
    const err = await getDocker({ pingTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect((err as Error).message).toMatch(/no answer within 300 ms/);
    // Not cached: a second call tries again (and fails the same way).
    await expect(getDocker({ pingTimeoutMs: 100 })).rejects.toThrow(/within 100 ms/);
    for (const s of sockets) s.destroy();
  });
});
