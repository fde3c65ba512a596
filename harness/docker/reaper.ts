/**
 * Removes what crashed runs left behind: containers and networks labelled `k8sm-chaos.run-id`
 * whose `k8sm-chaos.pid` is no live process on this host. Resources of another host
 * (`k8sm-chaos.host` ≠ os.hostname()) are left alone unless `all`; resources of a live process on
 * this host are never touched, not even with `all`. A resource without a usable pid label is
 * treated as orphaned (only the harness sets these labels, always with a pid).
 *
 * Resources labelled `k8sm-chaos.keep=true` (a topology left running by `npm run topology -- up`)
 * are never reaped; `npm run topology -- down` removes them.
 *
 * A pid that was reused by an unrelated process keeps its resources until that process ends: the
 * safe side of the race.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type Docker from "dockerode";
import { dockerCall, dockerError } from "./client.js";
import { forceRemove } from "./containers.js";
import { LABELS, runLabelFilter } from "./labels.js";
import { removeNetwork } from "./network.js";

export interface ReapOptions {
  readonly docker: Docker;
  /** Also remove resources created on other hosts (their pids cannot be checked from here). @default false */
  readonly all?: boolean;
}

export interface ReapedResource {
  readonly kind: "container" | "network";
  readonly name: string;
  readonly runId: string;
  readonly pid: string | undefined;
  readonly host: string | undefined;
}

export interface ReapResult {
  readonly removed: readonly ReapedResource[];
  /** Resources that should have gone but could not be removed, with why. */
  readonly failed: readonly { readonly resource: ReapedResource; readonly error: Error }[];
}

export async function reap(options: ReapOptions): Promise<ReapResult> {
  const { docker } = options;
  const all = options.all ?? false;
  const here = hostname();
  const removed: ReapedResource[] = [];
  const failed: { resource: ReapedResource; error: Error }[] = [];
  const filters = { label: [runLabelFilter()] };

  const orphaned = (labels: Record<string, string> | undefined): boolean => {
    // Kept on purpose (`npm run topology -- up`, `--keep`): only `topology down` removes them.
    if (labels?.[LABELS.keep] === "true") return false;
    const host = labels?.[LABELS.host];
    const pid = Number(labels?.[LABELS.pid]);
    const ownedHere = host === undefined || host === here;
    if (ownedHere && Number.isInteger(pid) && pid > 0 && isAlive(pid)) return false;
    return ownedHere || all;
  };
  const describe = (kind: ReapedResource["kind"], name: string, labels: Record<string, string> | undefined): ReapedResource => ({
    kind,
    name,
    runId: labels?.[LABELS.runId] ?? "?",
    pid: labels?.[LABELS.pid],
    host: labels?.[LABELS.host],
  });

  let containers: Docker.ContainerInfo[];
  try {
    containers = await dockerCall(docker, "read", "list", "containers", (abortSignal) => docker.listContainers({ all: true, filters, abortSignal }));
  } catch (err) {
    throw dockerError("list", "containers", err);
  }
  for (const c of containers) {
    if (!orphaned(c.Labels)) continue;
    const resource = describe("container", c.Names[0]?.replace(/^\//, "") ?? c.Id, c.Labels);
    try {
      await forceRemove(docker, c.Id);
      removed.push(resource);
    } catch (err) {
      failed.push({ resource, error: err as Error });
    }
  }

  let networks: Docker.NetworkInspectInfo[];
  try {
    networks = await dockerCall(docker, "read", "list", "networks", (abortSignal) => docker.listNetworks({ filters, abortSignal }));
  } catch (err) {
    throw dockerError("list", "networks", err);
  }
  for (const n of networks) {
    if (!orphaned(n.Labels)) continue;
    const resource = describe("network", n.Name, n.Labels);
    try {
      await removeNetwork(docker, n.Id, n.Name);
      removed.push(resource);
    } catch (err) {
      failed.push({ resource, error: err as Error });
    }
  }
  return { removed, failed };
}

/**
 * True when a process with this pid is running on this host (EPERM: it exists, owned by someone
 * else). A zombie is dead: a SIGKILLed harness stays one until its new parent reaps it, and where
 * PID 1 is no reaping init (many containers) that is never, so `kill(pid, 0)` alone would keep its
 * leftovers forever.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/** `/proc/<pid>/stat` state `Z` (Linux; elsewhere no /proc, so never a zombie). */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  // "<pid> (<comm>) <state> ...": comm may hold spaces and parentheses, the state follows the last ")".
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
}
