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
    const until = async (f: () => boolean) => { for (let i = 0; i < 100 && !f(); i++) await new Promise((r) => setTimeout(r, 100)); };
    await until(() => seen.some((p) => p.kind === "log-match"));
    // A killed and restarted container (the runner's converge step) is followed again, from its new life only.
    await c.kill("SIGKILL");
    await c.start();
    await until(() => seen.filter((p) => p.kind === "log-match").length >= 2);
    await c.pause();
    await until(() => seen.some((p) => p.kind === "docker-event" && p.action === "pause"));
    await c.unpause();
    const t0 = Date.now();
    ac.abort();
    await Promise.all(runs);
    expect(Date.now() - t0).toBeLessThan(2_000);
    const matches = seen.filter((p) => p.kind === "log-match");
    expect(matches).toHaveLength(2);
    expect(matches[0]).toMatchObject({ container: c.name, pattern: "incompatible-offer" });
    expect(seen.filter((p) => p.kind === "docker-event").map((p) => (p as { action: string }).action)).toEqual(expect.arrayContaining(["pause", "unpause"]));
  });
});
