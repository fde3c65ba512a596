import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalEtcd, type LocalEtcd } from "../testing/local-etcd.js";
import { etcdHealthy, etcdKey, healthy, mesosFrameworks, pidIp } from "./status.js";

let etcd: LocalEtcd;
let server: Server;
let base: string;

beforeAll(async () => {
  etcd = await startLocalEtcd();
  // A stand-in for /healthz and Mesos 0.24's state.json, with the real field names.
  server = createServer((req, res) => {
    if (req.url === "/healthz") return void res.end("ok");
    if (req.url === "/master/state.json") {
      return void res.end(JSON.stringify({
        leader: "master@10.0.0.2:5050",
        frameworks: [
          { id: "F-0000", name: "Kubernetes", active: true, pid: "scheduler(2)@10.0.0.22:41234", registered_time: 1, reregistered_time: 2 },
          { id: "F-0001", name: "other", active: false, pid: "scheduler(1)@10.0.0.21:5000", registered_time: 1 },
        ],
      }));
    }
    res.statusCode = 500;
    res.end("boom");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await etcd?.stop();
  await new Promise<void>((r) => server.close(() => r()));
});

describe("status probes", () => {
  it("reads etcd v2 keys, undefined when absent, from the first member that answers", async () => {
    await fetch(`${etcd.url}/v2/keys/scheduler`, { method: "PUT", body: new URLSearchParams({ value: "10.0.0.21", ttl: "30" }) });
    const dead = "http://127.0.0.1:1";
    expect(await etcdKey([dead, etcd.url], "/scheduler")).toBe("10.0.0.21");
    expect(await etcdKey([etcd.url], "/controller")).toBeUndefined();
    await expect(etcdKey([dead], "/scheduler")).rejects.toThrow(/no etcd member answered for \/scheduler/);
    expect(await etcdHealthy(etcd.url)).toBe(true);
    expect(await etcdHealthy(dead)).toBe(false);
  });

  it("healthz is ok only for 200 `ok`", async () => {
    expect(await healthy(`${base}/healthz`)).toBe(true);
    expect(await healthy(`${base}/other`)).toBe(false);
    expect(await healthy("http://127.0.0.1:1/healthz")).toBe(false);
  });

  it("lists frameworks from state.json with the scheduler's address", async () => {
    const fws = await mesosFrameworks(base);
    expect(fws).toEqual([
      { id: "F-0000", name: "Kubernetes", active: true, pid: "scheduler(2)@10.0.0.22:41234", reregisteredTime: 2 },
      { id: "F-0001", name: "other", active: false, pid: "scheduler(1)@10.0.0.21:5000" },
    ]);
    expect(pidIp(fws[0]!.pid)).toBe("10.0.0.22");
  });
});
