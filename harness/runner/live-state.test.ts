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

  it("a master's apiserver is routable through nginx only once it has answered for fail_timeout; a resync's repeated 'up' keeps when it came up", () => {
    const s = new LiveState();
    s.nodes = [{ name: "master-1", ip: "a" }, { name: "master-2", ip: "b" }];
    expect(s.apiserversNotRoutable(0, 10_000)).toEqual(["master-1's apiserver not observed yet", "master-2's apiserver not observed yet"]);
    s.observe({ kind: "apiserver-health", node: "master-1", up: true }, 1_000);
    s.observe({ kind: "apiserver-health", node: "master-2", up: false }, 1_000);
    expect(s.apiserversNotRoutable(5_000, 10_000)).toEqual(["master-1's apiserver answering for 4.0 s (< nginx fail_timeout 10 s)", "master-2's apiserver does not answer :8080/healthz"]);
    s.observe({ kind: "apiserver-health", node: "master-2", up: true }, 6_000);
    s.observe({ kind: "apiserver-health", node: "master-1", up: true }, 8_000);
    expect(s.apiserversNotRoutable(11_000, 10_000)).toEqual(["master-2's apiserver answering for 5.0 s (< nginx fail_timeout 10 s)"]);
    expect(s.apiserversNotRoutable(16_000, 10_000)).toEqual([]);
  });

  it("cold standby's steady state wants the framework's scheduler on the podmaster key holder, not a restarted node's stale one", () => {
    const s = new LiveState();
    expect(s.whyNotOnKeyHolder("/scheduler")).toBe("");
    s.observe({ kind: "etcd-key", key: "/scheduler", value: "10.0.0.3", node: "master-1" });
    s.observe({ kind: "framework", id: "f", name: "Kubernetes", active: true, pid: "scheduler(5)@10.0.0.4:1", node: "master-2" });
    expect(s.whyNotOnKeyHolder("/scheduler")).toBe("the active framework's scheduler runs on master-2, but master-1 holds /scheduler (a stale scheduler of a restarted node)");
    s.observe({ kind: "framework", id: "f", name: "Kubernetes", active: true, pid: "scheduler(6)@10.0.0.3:1", node: "master-1" });
    expect(s.whyNotOnKeyHolder("/scheduler")).toBe("");
  });
});
