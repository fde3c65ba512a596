// removeNetwork against a real engine: a network that still has an endpoint (the engine refuses
// with "has active endpoints", as it did once under load just after the run's containers were
// force-removed) is emptied by force-disconnecting and then removed.
import { describe, expect, it } from "vitest";
import { resolveImages } from "../setup/images.js";
import { getDocker } from "./client.js";
import { forceRemove } from "./containers.js";
import { runLabels } from "./labels.js";
import { removeNetwork } from "./network.js";
import { newRunId } from "./run-id.js";

describe("removeNetwork", () => {
  it("removes a network a container is still attached to (force-disconnect, then remove), and one already gone", async () => {
    const docker = await getDocker();
    const { base } = await resolveImages({ docker, onWarning: () => {} });
    const runId = newRunId();
    const name = `k8sm-${runId}`;
    const net = await docker.createNetwork({ Name: name, Labels: runLabels(runId, "network") });
    const c = await docker.createContainer({ name: `${name}-attached`, Image: base, Cmd: ["sleep", "600"], Labels: runLabels(runId, "attached"), HostConfig: { Init: true, NetworkMode: name } });
    try {
      await c.start();
      // The premise: a plain removal is refused while the endpoint is there.
      await expect(net.remove()).rejects.toThrow(/active endpoints/);
      await removeNetwork(docker, net.id, name);
      await expect(net.inspect()).rejects.toMatchObject({ statusCode: 404 });
      await removeNetwork(docker, net.id, name);
    } finally {
      await forceRemove(docker, c.id).catch(() => undefined);
      await net.remove().catch(() => undefined);
    }
  });
});
