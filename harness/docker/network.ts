/** The run's private, labelled, user-defined bridge network `k8sm-<runId>` (DNS between containers). */
import type Docker from "dockerode";
import { dockerError, dockerStatus } from "./client.js";
import { runLabels } from "./labels.js";

export interface RunNetwork extends AsyncDisposable {
  readonly name: string;
  readonly id: string;
  readonly runId: string;
  /** Removes the network; a network already gone is fine. Idempotent. */
  remove(): Promise<void>;
}

export function networkName(runId: string): string {
  return `k8sm-${runId}`;
}

export async function createRunNetwork(docker: Docker, runId: string): Promise<RunNetwork> {
  const name = networkName(runId);
  let id: string;
  try {
    const network = await docker.createNetwork({
      Name: name,
      Driver: "bridge",
      CheckDuplicate: true,
      Labels: runLabels(runId, "network"),
    });
    id = network.id;
  } catch (err) {
    throw dockerError("create network", name, err);
  }
  let removal: Promise<void> | undefined;
  const remove = (): Promise<void> =>
    (removal ??= docker
      .getNetwork(id)
      .remove()
      .then(
        () => undefined,
        (err: unknown) => {
          if (dockerStatus(err) === 404) return;
          removal = undefined;
          throw dockerError("remove network", name, err);
        },
      ));
  return { name, id, runId, remove, [Symbol.asyncDispose]: remove };
}
