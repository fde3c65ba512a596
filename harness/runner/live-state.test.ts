import { describe, expect, it } from "vitest";
import { LiveState } from "./live-state.js";

describe("LiveState", () => {
  it("resolves the leader by the active framework pid, else by the podmaster key holder", () => {
    const s = new LiveState();
    expect(s.leaderNode()).toBeUndefined();
    s.observe({ kind: "etcd-key", key: "/scheduler", value: "10.0.0.4", node: "master-2" });
    expect(s.leaderNode()).toMatchObject({ node: "master-2" });
    s.observe({ kind: "framework", id: "f", name: "Kubernetes", active: true, pid: "scheduler(1)@10.0.0.3:1", node: "master-1" });
    expect(s.leaderNode()).toEqual({ node: "master-1", how: "active framework pid scheduler(1)@10.0.0.3:1" });
    s.observe({ kind: "framework", id: "f", name: "Kubernetes", active: false, pid: "scheduler(1)@10.0.0.3:1", node: "master-1" });
    expect(s.activePid()).toBeUndefined();
  });

  it("is healthy only with an active framework on a master, the leader key, a scheduler and the apiserver", () => {
    const s = new LiveState();
    expect(s.whyUnhealthy("/scheduler", ["p"])).toMatch(/no active framework.*leader key.*healthz.*apiserver.*pods not Running: p/);
    s.observe({ kind: "framework", id: "f", name: "Kubernetes", active: true, pid: "x@1.1.1.1:1", node: "master-1" });
    s.observe({ kind: "etcd-key", key: "/scheduler", value: "1.1.1.1" });
    s.observe({ kind: "scheduler-health", node: "master-1", up: true });
    s.observe({ kind: "api-request", ok: true, latencyMs: 1 });
    s.observe({ kind: "pod", namespace: "default", name: "p", uid: "u", phase: "Running" });
    expect(s.whyUnhealthy("/scheduler", ["p"])).toBe("");
    s.observe({ kind: "pod", namespace: "default", name: "p", uid: "u", phase: "Unknown", deleted: true });
    expect(s.podRunning("p")).toBe(false);
  });
});
