import { describe, expect, it } from "vitest";
import { inject, type FaultRuntime } from "./inject.js";

/** A runtime that records calls; exec answers from a table. Tests the fault logic, not Docker. */
function recorder(execExit: (cmd: string[]) => number = () => 0) {
  const calls: string[] = [];
  const rt: FaultRuntime = {
    resolve: async (target) => ({ node: "master-1", container: "k8sm-x-master-1", how: `test:${target}` }),
    kill: async (c, s) => void calls.push(`kill ${c} ${s}`),
    pause: async (c) => void calls.push(`pause ${c}`),
    unpause: async (c) => void calls.push(`unpause ${c}`),
    exec: async (c, cmd) => {
      calls.push(`exec ${c} ${cmd.join(" ")}`);
      const exitCode = execExit(cmd);
      return { exitCode, stdout: "", stderr: exitCode ? "boom" : "" };
    },
    etcdIps: () => ["10.0.0.2", "10.0.0.9"],
    ttlSecs: () => 6,
  };
  return { rt, calls };
}

describe("inject", () => {
  it("pause lasts durationTtl × ttl and heals once", async () => {
    const { rt, calls } = recorder();
    const f = await inject({ kind: "pause", target: "scheduler-leader", durationTtl: 2 }, rt);
    expect(f.durationMs).toBe(12_000);
    await Promise.all([f.heal(), f.heal()]);
    await f.heal();
    expect(calls).toEqual(["pause k8sm-x-master-1", "unpause k8sm-x-master-1"]);
  });

  it("partition-etcd drops both directions to every member and removes exactly those rules", async () => {
    const { rt, calls } = recorder();
    const f = await inject({ kind: "partition-etcd", target: "scheduler-leader", durationMs: 500 }, rt);
    await f.heal();
    expect(calls.filter((c) => c.includes("iptables -A"))).toHaveLength(4);
    expect(calls.filter((c) => c.includes("iptables -D")).map((c) => c.replace("-D", "-A")).sort()).toEqual(calls.filter((c) => c.includes("iptables -A")).sort());
  });

  it("partition-etcd rolls back the rules it applied when one fails", async () => {
    let n = 0;
    const { rt, calls } = recorder((cmd) => (cmd[1] === "-A" && ++n === 3 ? 1 : 0));
    await expect(inject({ kind: "partition-etcd", target: "scheduler-leader" }, rt)).rejects.toThrow(/CAP_NET_ADMIN/);
    expect(calls.filter((c) => c.includes("iptables -D"))).toHaveLength(2);
  });

  it("signal-process sends the signal by pattern and records whether anything matched", async () => {
    const { rt, calls } = recorder((cmd) => (cmd[0] === "pkill" ? 1 : 0));
    const f = await inject({ kind: "signal-process", target: "scheduler-leader", process: "scheduler", signal: "SIGUSR1" }, rt);
    expect(calls[0]).toBe("exec k8sm-x-master-1 pkill -USR1 -f km(\\.cjs)? scheduler");
    expect(f.detail).toMatchObject({ matched: false });
  });
});
