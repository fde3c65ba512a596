import { describe, expect, it } from "vitest";
import { TopologyUnhealthyError } from "../errors.js";
import { watchCrashLoops } from "./crash-loop.js";

const M2 = "k8sm-20261130-193336-d6e2-master-2";
// What a master node logged with `--set scheduler.bogus-flag=1` (its kubelet restarts the scheduler pod).
const STARTED = '{"ts":1796067227350,"component":"kubelet","node":"master-2","event":"container-started","pod":"kube-scheduler-master-2","container":"kube-scheduler","pid":53}';
const USAGE = ["Error: unknown flag: --bogus-flag", "Usage of km scheduler:", '      --address string   The IP address to serve on (default "127.0.0.1")'];
const EXITED = (code: number | null, signal: string | null = null) =>
  `{"ts":1796067228430,"component":"kubelet","node":"master-2","event":"container-exited","pod":"kube-scheduler-master-2","container":"kube-scheduler","code":${code},"signal":${signal === null ? "null" : `"${signal}"`},"ranMs":1430}`;

function feed(lines: string[]) {
  const w = watchCrashLoops((c) => `/reports/logs/${c}.log`);
  for (const l of lines) w.onLine("master-2", M2, l);
  return w.signal;
}

describe("watchCrashLoops", () => {
  it("a bad flag said again after a restart: the launch fails naming the line, the container and its log", () => {
    const once = feed([STARTED, ...USAGE, EXITED(2)]);
    expect(once.aborted).toBe(false);
    const twice = feed([STARTED, ...USAGE, EXITED(2), STARTED, ...USAGE]);
    expect(twice.aborted).toBe(true);
    const err = twice.reason as TopologyUnhealthyError;
    expect(err).toBeInstanceOf(TopologyUnhealthyError);
    expect(err.part).toBe("master-2");
    expect(err.message).toMatch(`in ${M2} (master-2) during the launch; it says: Error: unknown flag: --bogus-flag`);
    expect(err.hint).toMatch(`/reports/logs/${M2}.log`);
  });

  it("a static pod exiting with a failure three times is a crash loop, named with its exit code and its last error line", () => {
    const lines = (n: number) => Array.from({ length: n }, () => [STARTED, "F1130 19:33:47.000000 53 server.go:12] cannot bind :10251", EXITED(255)]).flat();
    expect(feed(lines(2)).aborted).toBe(false);
    const s = feed(lines(3));
    expect((s.reason as Error).message).toMatch(/pod kube-scheduler-master-2 crash-loops: its container kube-scheduler exited 3 times \(last exit code 255\).*it says: F1130 .*cannot bind :10251/);
  });

  it("a pod stopped by the kubelet (a signal, exit 0) or other pods' exits are no crash loop", () => {
    expect(feed([EXITED(null, "SIGTERM"), EXITED(null, "SIGTERM"), EXITED(null, "SIGTERM"), EXITED(0), EXITED(0), EXITED(0)]).aborted).toBe(false);
    const other = EXITED(1).replace(/kube-scheduler-master-2/, "other-pod");
    expect(feed([EXITED(1), other, EXITED(1), other]).aborted).toBe(false);
  });
});
