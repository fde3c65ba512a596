import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type Docker from "dockerode";
import { createRunNetwork, getDocker, newRunId, runLabelFilter, startContainer, type RunNetwork, type StartedContainer } from "../docker/index.js";
import { resolveImages } from "../setup/images.js";
import type { EntryPayload } from "../history/types.js";
import { dockerEventsProbe, logsProbe } from "./logs.js";

/** A glog line's prefix, as km writes it. */
const GLOG = "I1125 19:22:59.823000      66";
const KUBELET = "I1125 19:22:59.900000       7";

describe("log and Docker-event probes against a real container", () => {
  let docker: Docker;
  let net: RunNetwork;
  let c: StartedContainer;
  const runId = newRunId();
  beforeAll(async () => {
    docker = await getDocker();
    const images = await resolveImages({ docker });
    net = await createRunNetwork(docker, runId);
    c = await startContainer(docker, {
      image: images.base, runId, role: "master-1", network: net.name,
      // The decline line, a kubelet line and two lines of the scheduler's own glog output.
      cmd: ["sh", "-c", `sleep 1; echo 'I1125 offers.go:0] Declining incompatible offer 42-O7'; echo '${KUBELET} kubelet.go:0] Back-off'; echo '${GLOG} service.go:0] self-electing in non-HA mode'; echo '${GLOG} scheduler.go:0] Framework registered'; sleep 600`],
      wait: { kind: "none" },
    });
  });
  afterAll(async () => {
    await c?.remove();
    await net?.remove();
  });

  it("records the incompatible-offer line in every life of the container, once, and the scheduler's output once per trial; sees pause/unpause, and ends promptly on abort", async () => {
    const seen: EntryPayload[] = [];
    const ac = new AbortController();
    const targets = { etcdUrls: [], apiUrl: "", mesosUrl: "", frameworkName: "Kubernetes", intervalMs: 100, masters: [{ name: "master-1", ip: "", container: c.name }] };
    const logs = logsProbe(docker, targets);
    const runs = [logs.run((p) => seen.push(p), ac.signal), dockerEventsProbe(docker, runLabelFilter(runId)).run((p) => seen.push(p), ac.signal)];
    const matching = (pattern: string) => seen.filter((p) => p.kind === "log-match" && p.pattern === pattern);
    // Eventual states of a real container on a possibly loaded machine: a generous bound on the wait, no claim on speed.
    const until = async (f: () => boolean) => {
      for (const end = Date.now() + 60_000; !f(); await new Promise((r) => setTimeout(r, 100))) if (Date.now() > end) throw new Error("not seen within 60 s");
    };
    await until(() => matching("scheduler-output").length > 0 && matching("incompatible-offer").length > 0);
    // A new trial (the runner resyncs its probes): the scheduler's output is recorded again, once.
    logs.resync();
    // A killed and restarted container (the runner's converge step) is followed again, from its new life only.
    await c.kill("SIGKILL");
    await c.start();
    await until(() => matching("incompatible-offer").length >= 2 && matching("scheduler-output").length >= 2);
    await c.pause();
    await until(() => seen.some((p) => p.kind === "docker-event" && p.action === "pause"));
    await c.unpause();
    // The engine reports the event after it answered the call: wait for it, or the abort may come first.
    await until(() => seen.some((p) => p.kind === "docker-event" && p.action === "unpause"));
    ac.abort();
    // The container runs on and its log stream never ends by itself: only the abort can end the
    // probes. The guard only turns a hang into a clear failure before the tier's 300 s test timeout.
    const ended = await Promise.race([Promise.all(runs).then(() => "ended"), new Promise((r) => setTimeout(() => r("still running 60 s after the abort"), 60_000))]);
    expect(ended).toBe("ended");
    expect(matching("incompatible-offer")).toHaveLength(2);
    expect(matching("incompatible-offer")[0]).toMatchObject({ container: c.name });
    // One per trial, from the scheduler's own first line (not the kubelet's, not the decline's).
    expect(matching("scheduler-output").map((p) => (p as { line: string }).line)).toEqual([`${GLOG} service.go:0] self-electing in non-HA mode`, `${GLOG} service.go:0] self-electing in non-HA mode`]);
    expect(seen.filter((p) => p.kind === "log-match")).toHaveLength(4);
    expect(seen.filter((p) => p.kind === "docker-event").map((p) => (p as { action: string }).action)).toEqual(expect.arrayContaining(["pause", "unpause"]));
  });
});
