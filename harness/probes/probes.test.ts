import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../async/wait-for.js";
import type { EntryPayload } from "../history/types.js";
import { startLocalEtcd, type LocalEtcd } from "../testing/local-etcd.js";
import { etcdKeysProbe, ipOfPid, mesosProbe, podsProbe, schedulerProbe, type Probe, type ProbeTargets } from "./index.js";

/** A real HTTP server whose answers the test changes as it goes. */
async function server(routes: Record<string, () => [number, string]>): Promise<{ url: string; ip: string; port: number; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => {
    const route = routes[req.url ?? ""];
    const [status, body] = route ? route() : [404, "not found"];
    res.writeHead(status).end(body);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, ip: "127.0.0.1", port, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

/**
 * Generous on purpose: it bounds the wait for something the probe must see, it is no claim on how
 * fast (the machine may be loaded). Far below vitest's 30 s test timeout.
 */
const SEES_MS = 20_000;

/**
 * Runs `probe` while `during` drives the system under it. `during` gets `sees(what, test)`, which
 * waits until the recorded entries pass `test`: every change is made only once the probe has
 * recorded the state before it, so what a probe records depends on its logic, not on how fast the
 * machine polls.
 */
async function collect(probe: Probe, during: (sees: (what: string, test: (seen: EntryPayload[]) => boolean) => Promise<void>) => Promise<void>): Promise<EntryPayload[]> {
  const out: EntryPayload[] = [];
  const ac = new AbortController();
  const running = probe.run((p) => out.push(p), ac.signal);
  const sees = async (what: string, test: (seen: EntryPayload[]) => boolean): Promise<void> => {
    await waitFor(() => test(out), { description: `the ${probe.name} probe to record ${what}`, intervalMs: 10, timeoutMs: SEES_MS });
  };
  try {
    await during(sees);
  } finally {
    ac.abort();
    await running;
  }
  return out;
}

const has = (seen: EntryPayload[], want: Record<string, unknown>): boolean =>
  seen.some((p) => Object.entries(want).every(([k, v]) => (p as unknown as Record<string, unknown>)[k] === v));

const base = (over: Partial<ProbeTargets>): ProbeTargets => ({ etcdUrls: [], apiUrl: "", mesosUrl: "", masters: [], frameworkName: "Kubernetes", intervalMs: 50, ...over });

describe("etcdKeysProbe against a real etcd", () => {
  let etcd: LocalEtcd;
  beforeAll(async () => { etcd = await startLocalEtcd(); });
  afterAll(async () => { await etcd?.stop(); });

  it("sees a key appear, change holder and expire by TTL, and maps the holder IP to its node", async () => {
    const put = (body: string) => fetch(`${etcd.url}/v2/keys/scheduler`, { method: "PUT", body: new URLSearchParams(body), headers: { "content-type": "application/x-www-form-urlencoded" } });
    const targets = base({ etcdUrls: [etcd.url], masters: [{ name: "master-1", ip: "10.0.0.3", container: "c1" }] });
    const seen = await collect(etcdKeysProbe(targets, ["/scheduler"]), async (sees) => {
      await sees("the missing key", (s) => has(s, { kind: "etcd-key", value: null }));
      await put("value=10.0.0.3&ttl=1");
      await sees("the key", (s) => has(s, { kind: "etcd-key", value: "10.0.0.3" }));
      // TTL 1 s + etcd's expiry sync: the expiry arrives through the long-poll.
      await sees("the key's expiry", (s) => s.filter((p) => p.kind === "etcd-key").length >= 3);
    });
    const values = seen.filter((p) => p.kind === "etcd-key").map((p) => (p as { value: string | null }).value);
    expect(values).toEqual([null, "10.0.0.3", null]);
    expect(seen.find((p) => p.kind === "etcd-key" && p.value === "10.0.0.3")).toMatchObject({ node: "master-1", ttl: 1 });
  });
});

describe("etcdKeysProbe resync", () => {
  let etcd: LocalEtcd;
  beforeAll(async () => { etcd = await startLocalEtcd(); });
  afterAll(async () => { await etcd?.stop(); });

  it("re-records the current value at once after a resync, without waiting for the long-poll", async () => {
    await fetch(`${etcd.url}/v2/keys/controller`, { method: "PUT", body: new URLSearchParams("value=10.0.0.4"), headers: { "content-type": "application/x-www-form-urlencoded" } });
    const probe = etcdKeysProbe(base({ etcdUrls: [etcd.url] }), ["/controller"]);
    const at: number[] = [];
    const seen = await collect({ ...probe, run: (sink, signal) => probe.run((p) => (at.push(performance.now()), sink(p)), signal) }, async (sees) => {
      await sees("the key", (s) => s.length === 1);
      probe.resync();
      await sees("the key again", (s) => s.length === 2);
    });
    const records = seen.filter((p) => p.kind === "etcd-key");
    expect(records.map((p) => (p as { value: string }).value)).toEqual(["10.0.0.4", "10.0.0.4"]);
    // Nothing changes in etcd: without the resync's abort only the end of the long-poll, bounded at
    // 5 s in etcd-keys.ts and begun after the first record, would re-read the key. So a broken
    // resync cannot re-record sooner than 5 s after the first record; a working one takes one GET.
    expect(at[1]! - at[0]!).toBeLessThan(4_000);
  });
});

describe("mesosProbe", () => {
  it("records framework changes (failover: new pid, reregistered_time) and metric changes only", async () => {
    let fw = { id: "fw-1", name: "Kubernetes", active: true, pid: "scheduler(1)@10.0.0.3:4000", registered_time: 100 } as Record<string, unknown>;
    let reregs = 0;
    const srv = await server({
      "/master/state.json": () => [200, JSON.stringify({ frameworks: [fw, { id: "other", name: "Marathon", active: true }] })],
      "/metrics/snapshot": () => [200, JSON.stringify({ "master/frameworks_active": fw.active ? 1 : 0, "master/messages_reregister_framework": reregs })],
    });
    try {
      const targets = base({ mesosUrl: srv.url, masters: [{ name: "master-1", ip: "10.0.0.3", container: "a" }, { name: "master-2", ip: "10.0.0.4", container: "b" }] });
      const seen = await collect(mesosProbe(targets, { metricsEveryMs: 50 }), async (sees) => {
        await sees("the active framework and the metrics", (s) => has(s, { kind: "framework", active: true }) && has(s, { kind: "mesos-metrics" }));
        fw = { ...fw, active: false };
        await sees("the inactive framework", (s) => has(s, { kind: "framework", active: false }));
        fw = {
          ...fw, active: true, pid: "scheduler(1)@10.0.0.4:5000", reregistered_time: 105,
          // state.json's executors: the artifact URI's host is the --advertised-address of the scheduler that prepared it.
          executors: [
            { executor_id: "a1_k8sm-executor", slave_id: "s1", command: { uris: [{ value: "http://10.0.0.3:10251/km" }] } },
            { executor_id: "b2_k8sm-executor", slave_id: "s2", command: { uris: [{ value: "http://10.0.0.9:10251/km" }] } },
          ],
        };
        reregs = 1;
        await sees("the failed-over framework and the counter", (s) =>
          has(s, { kind: "framework", node: "master-2" }) &&
          s.some((p) => p.kind === "mesos-metrics" && p.values["master/messages_reregister_framework"] === 1));
      });
      const fws = seen.filter((p) => p.kind === "framework");
      expect(fws.map((f) => [f.active, f.node])).toEqual([[true, "master-1"], [false, "master-1"], [true, "master-2"]]);
      expect(fws[2]).toMatchObject({ reregisteredTime: 105 });
      expect(fws[2]!.executors).toEqual([{ id: "a1_k8sm-executor", agent: "s1", artifactNode: "master-1" }, { id: "b2_k8sm-executor", agent: "s2" }]);
      expect(fws[0]).not.toHaveProperty("executors");
      const metrics = seen.filter((p) => p.kind === "mesos-metrics").map((m) => JSON.stringify(m.values));
      expect(JSON.parse(metrics[metrics.length - 1]!)).toEqual({ "master/frameworks_active": 1, "master/messages_reregister_framework": 1 });
      expect(metrics.every((m, i) => i === 0 || m !== metrics[i - 1])).toBe(true); // recorded on change only
    } finally {
      await srv.close();
    }
  });

  it("parses a libprocess pid's address", () => {
    expect(ipOfPid("scheduler(1)@172.28.0.11:41234")).toBe("172.28.0.11");
    expect(ipOfPid("")).toBeUndefined();
  });
});

describe("schedulerProbe", () => {
  it("tracks healthz up/down per node and the compat decline counter", async () => {
    let up = true;
    let metrics = 'mesos_offers_declined{hostname="a",reason="expired"} 7\n';
    const srv = await server({ "/healthz": () => (up ? [200, "ok"] : [503, "no"]), "/metrics": () => [200, metrics] });
    try {
      // A request timeout far above any stall of a loaded machine: a slow answer must not read as "down".
      const probe = schedulerProbe(base({ masters: [{ name: "master-1", ip: "127.0.0.1", container: "x" }, { name: "master-2", ip: "127.0.0.2", container: "y" }] }), { metricsEveryMs: 50, port: srv.port, timeoutMs: SEES_MS });
      const seen = await collect(probe, async (sees) => {
        await sees("both nodes and the first counter", (s) =>
          has(s, { kind: "scheduler-health", node: "master-1" }) && has(s, { kind: "scheduler-health", node: "master-2" }) && has(s, { kind: "scheduler-metrics", declinedCompat: 0 }));
        metrics += 'mesos_offers_declined{hostname="a",reason="compat"} 2\nmesos_offers_declined{hostname="b",reason="compat"} 1\n';
        await sees("the new counter", (s) => has(s, { kind: "scheduler-metrics", declinedCompat: 3 }));
        up = false;
        await sees("master-1 down", (s) => has(s, { kind: "scheduler-health", node: "master-1", up: false }));
      });
      const m1 = seen.filter((p) => p.kind === "scheduler-health" && p.node === "master-1").map((p) => (p as { up: boolean }).up);
      expect(m1).toEqual([true, false]);
      expect(seen.filter((p) => p.kind === "scheduler-health" && p.node === "master-2").map((p) => (p as { up: boolean }).up)).toEqual([false]);
      expect(seen.filter((p) => p.kind === "scheduler-metrics").map((p) => (p as { declinedCompat: number }).declinedCompat)).toEqual([0, 3]);
    } finally {
      await srv.close();
    }
  });
});

describe("podsProbe", () => {
  it("records requests, pod changes, deletions, and ignores mirror pods", async () => {
    let status = 200;
    let items: unknown[] = [
      { metadata: { name: "p1", namespace: "default", uid: "u1" }, spec: {}, status: { phase: "Pending" } },
      { metadata: { name: "kube-scheduler-10.0.0.3", namespace: "kube-system", uid: "m", annotations: { "kubernetes.io/config.mirror": "x" } }, status: { phase: "Running" } },
    ];
    const srv = await server({ "/api/v1/pods": () => [status, status === 200 ? JSON.stringify({ items }) : "upstream down"] });
    try {
      const seen = await collect(podsProbe(base({ apiUrl: srv.url }), { timeoutMs: SEES_MS }), async (sees) => {
        await sees("the pending pod", (s) => has(s, { kind: "pod", phase: "Pending" }));
        items = [{ metadata: { name: "p1", namespace: "default", uid: "u1" }, spec: { nodeName: "agent-1" }, status: { phase: "Running" } }];
        await sees("the running pod", (s) => has(s, { kind: "pod", phase: "Running" }));
        status = 502;
        await sees("a failed request", (s) => has(s, { kind: "api-request", status: 502 }));
        status = 200;
        items = [];
        await sees("the deletion", (s) => has(s, { kind: "pod", deleted: true }));
      });
      const pods = seen.filter((p) => p.kind === "pod");
      expect(pods.map((p) => [p.name, p.phase, p.deleted ?? false])).toEqual([["p1", "Pending", false], ["p1", "Running", false], ["p1", "Unknown", true]]);
      const reqs = seen.filter((p) => p.kind === "api-request");
      expect(reqs.filter((r) => !r.ok).every((r) => r.status === 502 && r.error === "upstream down")).toBe(true);
      // Every answer is a request entry: at least the three lists that showed the three states.
      expect(reqs.filter((r) => r.ok).length).toBeGreaterThanOrEqual(3);
    } finally {
      await srv.close();
    }
  });
});

describe("podsProbe under a hung upstream", () => {
  it("keeps polling while one request hangs, and an old answer does not overwrite a newer one", async () => {
    const body = (phase: string) => JSON.stringify({ items: [{ metadata: { name: "p", namespace: "default", uid: "u" }, status: { phase } }] });
    // The first request hangs (nginx waiting on a frozen apiserver) until the test lets it answer,
    // with the older state; the others answer at once, until `hold` makes every later one hang too.
    let first: http.ServerResponse | undefined;
    let hold = false;
    let answered = 0;
    const srv = http.createServer((_req, res) => {
      if (!first) first = res;
      else if (!hold) { answered++; res.writeHead(200).end(body("Running")); }
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const seen = await collect(podsProbe(base({ apiUrl: url }), { timeoutMs: SEES_MS }), async (sees) => {
        // Not blocked behind the hung one: later requests are sent, answered and recorded meanwhile.
        await sees("five answers while the first request hangs", (s) => s.filter((p) => p.kind === "api-request").length >= 5);
        hold = true;
        const total = answered + 1;
        first!.writeHead(200).end(body("Pending"));
        // Nothing else is answered now: `total` entries means the late answer is among them.
        await sees("the hung request's late answer", (s) => s.filter((p) => p.kind === "api-request").length === total);
      });
      const reqs = seen.filter((p) => p.kind === "api-request");
      expect(reqs.every((r) => r.ok)).toBe(true);
      expect(seen.filter((p) => p.kind === "pod").map((p) => (p as { phase: string }).phase)).toEqual(["Running"]);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});


describe("everyInterval", () => {
  it("leaves no abort listener behind per tick", async () => {
    const { EventEmitter } = await import("node:events");
    const { everyInterval } = await import("./probe.js");
    const ac = new AbortController();
    let ticks = 0;
    const run = everyInterval(5, ac.signal, async () => { ticks++; });
    await waitFor(() => ticks > 20, { description: "21 ticks", intervalMs: 10, timeoutMs: SEES_MS });
    const listeners = EventEmitter.getEventListeners(ac.signal, "abort").length;
    ac.abort();
    await run;
    expect(listeners).toBeLessThanOrEqual(1);
  });
});
