import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type Docker from "dockerode";
import { createRunNetwork, getDocker, newRunId, runLabelFilter, startContainer, type RunNetwork, type StartedContainer } from "../docker/index.js";
import { resolveImages } from "../setup/images.js";
import type { EntryPayload } from "../history/types.js";
import { dockerEventsProbe, logsProbe } from "./logs.js";

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
      cmd: ["sh", "-c", "sleep 1; echo 'I1125 offers.go:0] Declining incompatible offer 42-O7'; echo other line; sleep 600"],
      wait: { kind: "none" },
    });
  });
  afterAll(async () => {
    await c?.remove();
    await net?.remove();
  });

  it("records the incompatible-offer line in every life of the container, once, sees pause/unpause, and ends promptly on abort", async () => {
    const seen: EntryPayload[] = [];
    const ac = new AbortController();
    const targets = { etcdUrls: [], apiUrl: "", mesosUrl: "", frameworkName: "Kubernetes", intervalMs: 100, masters: [{ name: "master-1", ip: "", container: c.name }] };
    const runs = [logsProbe(docker, targets).run((p) => seen.push(p), ac.signal), dockerEventsProbe(docker, runLabelFilter(runId)).run((p) => seen.push(p), ac.signal)];
    // Eventual states of a real container on a possibly loaded machine: a generous bound on the wait, no claim on speed.
    const until = async (f: () => boolean) => {
      for (const end = Date.now() + 60_000; !f(); await new Promise((r) => setTimeout(r, 100))) if (Date.now() > end) throw new Error("not seen within 60 s");
    };
    await until(() => seen.some((p) => p.kind === "log-match"));
    // A killed and restarted container (the runner's converge step) is followed again, from its new life only.
    await c.kill("SIGKILL");
    await c.start();
    await until(() => seen.filter((p) => p.kind === "log-match").length >= 2);
    await c.pause();
    await until(() => seen.some((p) => p.kind === "docker-event" && p.action === "pause"));
    await c.unpause();
    ac.abort();
    // The container runs on and its log stream never ends by itself: only the abort can end the
    // probes. The guard only turns a hang into a clear failure before the tier's 300 s test timeout.
    const ended = await Promise.race([Promise.all(runs).then(() => "ended"), new Promise((r) => setTimeout(() => r("still running 60 s after the abort"), 60_000))]);
    expect(ended).toBe("ended");
    const matches = seen.filter((p) => p.kind === "log-match");
    expect(matches).toHaveLength(2);
    expect(matches[0]).toMatchObject({ container: c.name, pattern: "incompatible-offer" });
    expect(seen.filter((p) => p.kind === "docker-event").map((p) => (p as { action: string }).action)).toEqual(expect.arrayContaining(["pause", "unpause"]));
  });
});
