/**
 * The topology's network: a /24 of our choosing, so that every container gets a static address
 * (`ContainerSpec.ipv4Address`) and the seed's manifests and nginx.conf can be rendered with real
 * IPs before any container starts (the seed's MY_IP, ETCD_IP, MESOS_IP, NGINX_IP).
 * DNS names would not do: `--address` and `--whoami` are IPs in the seed, nginx resolves upstream
 * names once at start (a dead master would stop it from starting), and probes map a leader's IP
 * (the podmaster key's value, the framework's pid) back to a node.
 */
import { networkInterfaces } from "node:os";
import { randomInt } from "node:crypto";
import type Docker from "dockerode";
import pRetry from "p-retry";
import { HarnessError } from "../errors.js";
import { dockerCall, dockerError } from "../docker/client.js";
import { createRunNetwork, type RunNetwork } from "../docker/network.js";

export interface SubnetNetwork extends RunNetwork {
  /** The first three octets of the /24, e.g. `10.213.7`. */
  readonly prefix: string;
}

/** /24s in use by Docker networks or host interfaces, as `a.b.c` prefixes. */
async function prefixesInUse(docker: Docker): Promise<Set<string>> {
  const used = new Set<string>();
  const add = (ip: string | undefined): void => {
    const m = ip?.match(/^(\d+\.\d+\.\d+)\./);
    if (m) used.add(m[1]!);
  };
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (i.family === "IPv4") add(i.address);
  const networks = await dockerCall(docker, "read", "list", "networks", (abortSignal) => docker.listNetworks({ abortSignal })).catch((err: unknown) => {
    throw dockerError("list", "networks", err);
  });
  for (const n of networks) for (const c of n.IPAM?.Config ?? []) add(c.Subnet);
  return used;
}

/**
 * Creates `k8sm-<runId>` as a bridge network on a free 10.213.x.0/24 (x random among the free
 * ones); a collision with a network created meanwhile (the engine says the pool overlaps) is
 * retried on another /24, up to four times.
 */
export async function createSubnetNetwork(docker: Docker, runId: string, labels: Readonly<Record<string, string>> = {}): Promise<SubnetNetwork> {
  return pRetry(
    async () => {
      const used = await prefixesInUse(docker);
      const free = Array.from({ length: 254 }, (_, i) => `10.213.${i + 1}`).filter((p) => !used.has(p));
      if (free.length === 0) throw new HarnessError("E_SETUP", "no free /24 in 10.213.0.0/16 for the topology network", "run `npm run reap` to remove leftovers");
      const prefix = free[randomInt(free.length)]!;
      return { ...(await createRunNetwork(docker, runId, { subnetPrefix: prefix, labels })), prefix };
    },
    { retries: 4, minTimeout: 0, shouldRetry: ({ error }) => /overlap/i.test(error.message) },
  );
}
