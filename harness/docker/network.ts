/** The run's private, labelled, user-defined bridge network `k8sm-<runId>` (DNS between containers). */
import type Docker from "dockerode";
import { sleep } from "../async/index.js";
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
    (removal ??= removeNetwork(docker, id, name).catch((err: unknown) => {
      removal = undefined;
      throw err;
    }));
  return { name, id, runId, remove, [Symbol.asyncDispose]: remove };
}

/** Rounds of "force-disconnect what is still attached, remove again" before giving up. */
const ENDPOINT_ROUNDS = 3;

/**
 * Removes a network; one already gone (404) is fine, a 5xx or a reset connection is tried again.
 * The engine may refuse with "has active endpoints" just after the network's containers were
 * force-removed (libnetwork releases endpoints asynchronously; seen once under load, a paused
 * container's): then every container still listed is force-disconnected and the removal tried
 * again, up to `ENDPOINT_ROUNDS` times, half a second apart. Throws a `HarnessError` naming it.
 */
export async function removeNetwork(docker: Docker, id: string, name: string): Promise<void> {
  const network = docker.getNetwork(id);
  for (let round = 0; ; round++) {
    try {
      await retryTransient(() => dockerCall(docker, "change", "remove network", name, (abortSignal) => network.remove({ abortSignal })));
      return;
    } catch (err) {
      if (dockerStatus(err) === 404) return;
      if (round >= ENDPOINT_ROUNDS || !/active endpoints/i.test(String((err as Error).message))) throw dockerError("remove network", name, err);
    }
    await sleep(500);
    const info = (await dockerCall(docker, "read", "inspect network", name, () => network.inspect()).catch(() => null)) as { Containers?: Record<string, unknown> } | null;
    for (const container of Object.keys(info?.Containers ?? {})) {
      await dockerCall(docker, "change", "disconnect from network", name, (abortSignal) => network.disconnect({ Container: container, Force: true, abortSignal })).catch(() => undefined);
    }
  }
}
