/** The run's private, labelled, user-defined bridge network `k8sm-<runId>` (DNS between containers). */
import type Docker from "dockerode";
import { dockerCall, dockerError, dockerStatus, retryTransient } from "./client.js";
import { runLabels } from "./labels.js";

export interface RunNetwork extends AsyncDisposable {
  readonly name: string;
  readonly id: string;
  readonly runId: string;
  /** Removes the network; a network already gone is fine, a 5xx or a reset connection is tried again. Idempotent. */
  remove(): Promise<void>;
}

export function networkName(runId: string): string {
  return `k8sm-${runId}`;
}

export interface RunNetworkOptions {
  /** An IPv4 /24 as its first three octets (`10.213.7`): the network gets `<prefix>.0/24`, gateway `<prefix>.1`. @default Docker's choice */
  readonly subnetPrefix?: string;
  /** Extra labels (the run's own are always set). */
  readonly labels?: Readonly<Record<string, string>>;
}

export async function createRunNetwork(docker: Docker, runId: string, options: RunNetworkOptions = {}): Promise<RunNetwork> {
  const name = networkName(runId);
  const prefix = options.subnetPrefix;
  let id: string;
  try {
    const network = await dockerCall(docker, "change", "create network", name, (abortSignal) =>
      docker.createNetwork({
        Name: name,
        Driver: "bridge",
        CheckDuplicate: true,
        ...(prefix ? { IPAM: { Driver: "default", Config: [{ Subnet: `${prefix}.0/24`, Gateway: `${prefix}.1` }] } } : {}),
        Labels: { ...options.labels, ...runLabels(runId, "network") },
        abortSignal,
      }),
    );
    id = network.id;
  } catch (err) {
    throw dockerError("create network", prefix ? `${name} (${prefix}.0/24)` : name, err);
  }
  let removal: Promise<void> | undefined;
  const remove = (): Promise<void> =>
    (removal ??= retryTransient(() =>
      dockerCall(docker, "change", "remove network", name, (abortSignal) => docker.getNetwork(id).remove({ abortSignal })),
    ).then(
      () => undefined,
      (err: unknown) => {
        if (dockerStatus(err) === 404) return;
        removal = undefined;
        throw dockerError("remove network", name, err);
      },
    ));
  return { name, id, runId, remove, [Symbol.asyncDispose]: remove };
}
