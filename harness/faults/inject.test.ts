import { describe, expect, it } from "vitest";
import { FakeCluster } from "../testing/fake-engine.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { inject } from "./inject.js";
import type { LeaderView } from "./targets.js";

/** The fake cluster records every call; exec answers from a table. Tests the fault logic, not Docker. */
function cluster(execExit: (cmd: readonly string[]) => number = () => 0) {
  const clock = new VirtualClock();
  const c = new FakeCluster(clock, { execExit, callMs: 0 });
  return { c, run: <T>(p: Promise<T>) => clock.run(p) };
}
const leader: LeaderView = { leaderNode: () => ({ node: "master-1", how: "test" }) };

describe("inject", () => {
  it("resolves scheduler-leader and -standby from the leader view, and records how", async () => {
    const { c, run } = cluster();
    expect((await run(inject({ kind: "kill-container", target: "scheduler-standby" }, c, leader))).targets).toEqual([
      { node: "master-2", container: "k8sm-fake-master-2", how: "not the leader (master-1: test)" },
    ]);
    await expect(run(inject({ kind: "kill-container", target: "scheduler-leader" }, c, { leaderNode: () => undefined }))).rejects.toMatchObject({ code: "E_TOPOLOGY_UNHEALTHY" });
    expect(c.calls).toEqual(["kill master-2 SIGKILL"]);
  });

  it("pause lasts durationTtl × ttl and heals once", async () => {
    const { c, run } = cluster();
    const f = await run(inject({ kind: "pause", target: "scheduler-leader", durationTtl: 2 }, c, leader));
    expect(f.durationMs).toBe(2 * c.spec.podmaster.ttlSecs * 1000);
    await run(Promise.all([f.heal(), f.heal()]));
    await run(f.heal());
    expect(c.calls).toEqual(["pause master-1", "unpause master-1"]);
  });

  it("partition-etcd drops both directions to every member and removes exactly those rules", async () => {
    const { c, run } = cluster();
    const f = await run(inject({ kind: "partition-etcd", target: "scheduler-leader", durationMs: 500 }, c, leader));
    await run(f.heal());
    const added = c.calls.filter((x) => x.includes("iptables -A"));
    expect(added).toEqual(["exec master-1 iptables -A OUTPUT -d 10.9.0.2 -j DROP", "exec master-1 iptables -A INPUT -s 10.9.0.2 -j DROP"]);
    expect(c.calls.filter((x) => x.includes("iptables -D")).map((x) => x.replace("-D", "-A")).sort()).toEqual([...added].sort());
  });

  it("partition-etcd rolls back the rules it applied when one fails", async () => {
    let n = 0;
    const { c, run } = cluster((cmd) => (cmd[1] === "-A" && ++n === 2 ? 1 : 0));
    await expect(run(inject({ kind: "partition-etcd", target: "scheduler-leader" }, c, leader))).rejects.toMatchObject({ hint: expect.stringMatching(/CAP_NET_ADMIN/) });
    expect(c.calls.filter((x) => x.includes("iptables -D"))).toHaveLength(1);
  });

  it("signal-process goes through the cluster port and records whether anything matched", async () => {
    const { c, run } = cluster();
    await run(c.kill("master-1"));
    const f = await run(inject({ kind: "signal-process", target: "scheduler-leader", process: "scheduler", signal: "SIGUSR1" }, c, leader));
    expect(c.calls.at(-1)).toBe("signal master-1 scheduler SIGUSR1");
    expect(f.detail).toMatchObject({ matched: false });
  });
});
