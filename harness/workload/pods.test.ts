import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { EntryPayload } from "../history/types.js";
import { HEALTH_LABEL, podsUrl, sleepPod, WORKLOAD_LABEL } from "./manifest.js";
import { createWorkloadPod, deleteWorkloadPod, workloadPod } from "./pods.js";

/**
 * A real apiserver stand-in: each POST gets the next answer of `answers` (the last one repeats);
 * `"hang"` never answers. `onPost(n)` runs as the n-th POST (1-based) is answered.
 */
async function apiserver(answers: readonly (number | "hang")[], onPost?: (n: number) => void): Promise<{ url: string; posts: unknown[]; deletes: string[] }> {
  const posts: unknown[] = [];
  const deletes: string[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (req.method === "DELETE") {
        deletes.push(req.url ?? "");
        res.writeHead(200).end("{}");
        return;
      }
      posts.push(JSON.parse(body));
      const a = answers[Math.min(posts.length, answers.length) - 1]!;
      if (a !== "hang") res.writeHead(a, { "content-type": "application/json" }).end(JSON.stringify({ code: a }));
      onPost?.(posts.length);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts, deletes };
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe("the pod manifest", () => {
  it("is one sleeping container for the workload and the launch's health check alike, told apart by a label", () => {
    const w = sleepPod("a", WORKLOAD_LABEL);
    const h = sleepPod("a", HEALTH_LABEL);
    expect(w.metadata.labels).toEqual({ "k8sm-chaos/workload": "true" });
    expect(h.metadata.labels).toEqual({ "k8sm-chaos/health": "true" });
    expect(h.spec).toEqual(w.spec);
    expect(workloadPod("a")).toEqual(w);
    expect(w.spec.containers).toHaveLength(1);
    expect(podsUrl("http://n:80")).toBe("http://n:80/api/v1/namespaces/default/pods");
  });
});

describe("createWorkloadPod", () => {
  it("tries again through 5xx (nginx without upstream, apiserver without etcd) and records one create", async () => {
    const api = await apiserver([502, 503, 500, 201]);
    const sink: EntryPayload[] = [];
    expect(await createWorkloadPod(api.url, "p1", (e) => sink.push(e), { deadlineMs: 20_000 })).toBe(true);
    expect(api.posts).toHaveLength(4);
    expect(api.posts[0]).toEqual(workloadPod("p1"));
    expect(sink.filter((e) => e.kind === "workload")).toEqual([{ kind: "workload", action: "create-pod", namespace: "default", name: "p1" }]);
    // Every attempt is an apiserver request through nginx, as the pods probe's are.
    expect(sink.filter((e) => e.kind === "api-request").map((e) => [e.ok, e.status, e.op])).toEqual([
      [false, 502, "POST /api/v1/namespaces/default/pods"], [false, 503, "POST /api/v1/namespaces/default/pods"], [false, 500, "POST /api/v1/namespaces/default/pods"], [true, 201, "POST /api/v1/namespaces/default/pods"],
    ]);
  });

  it("counts 409 AlreadyExists as created", async () => {
    const api = await apiserver([409]);
    expect(await createWorkloadPod(api.url, "p1", () => {})).toBe(true);
  });

  it("does not retry an answer that will not change (422 Invalid)", async () => {
    const api = await apiserver([422]);
    expect(await createWorkloadPod(api.url, "p1", () => {}, { deadlineMs: 20_000 })).toBe(false);
    expect(api.posts).toHaveLength(1);
  });

  // pods.ts bounds each request at 5 s (REQUEST_TIMEOUT_MS): a create that waited for a hung request
  // instead of cutting it could not end sooner. That (less a margin for timer rounding) is the bound
  // below: the broken code's earliest end, not a guess at how fast this machine is.
  const BROKEN_EARLIEST_MS = 4_500;

  it("gives up at its deadline even with a request in flight", async () => {
    const api = await apiserver(["hang"]);
    const t0 = performance.now();
    expect(await createWorkloadPod(api.url, "p1", () => {}, { deadlineMs: 200 })).toBe(false);
    expect(performance.now() - t0).toBeLessThan(BROKEN_EARLIEST_MS);
    expect(api.posts).toHaveLength(1);
  });

  it("stops at an abort between tries and in flight, and resolves false", async () => {
    // Aborted as the first 503 goes out: whether the answer is still on its way or the pause has
    // begun, no second try may follow.
    const between = new AbortController();
    const first = await apiserver([503], () => between.abort(new Error("stop")));
    expect(await createWorkloadPod(first.url, "p1", () => {}, { signal: between.signal, deadlineMs: 60_000 })).toBe(false);
    expect(first.posts).toHaveLength(1);
    server!.closeAllConnections();
    await new Promise<void>((r) => server!.close(() => r()));

    // Aborted while the second try hangs.
    const inFlight = new AbortController();
    const second = await apiserver([503, "hang"], (n) => n === 2 && inFlight.abort(new Error("stop")));
    const t0 = performance.now();
    expect(await createWorkloadPod(second.url, "p2", () => {}, { signal: inFlight.signal, deadlineMs: 60_000 })).toBe(false);
    expect(second.posts).toHaveLength(2);
    expect(performance.now() - t0).toBeLessThan(BROKEN_EARLIEST_MS);

    expect(await createWorkloadPod(second.url, "p3", () => {}, { signal: AbortSignal.abort() })).toBe(false);
  });
});

describe("deleteWorkloadPod", () => {
  it("deletes at once and records it; a dead apiserver is no error", async () => {
    const api = await apiserver([201]);
    const sink: EntryPayload[] = [];
    await deleteWorkloadPod(api.url, "p1", (e) => sink.push(e));
    expect(api.deletes).toEqual(["/api/v1/namespaces/default/pods/p1?gracePeriodSeconds=0"]);
    expect(sink).toEqual([{ kind: "workload", action: "delete-pod", namespace: "default", name: "p1" }]);
    await deleteWorkloadPod("http://127.0.0.1:1", "p1", () => {});
  });
});
