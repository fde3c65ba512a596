/**
 * What the topology needs from Docker beyond harness/docker: a run network with a /24 of our
 * choosing and containers with a static address in it, so the seed's manifests and nginx.conf can be
 * rendered with real IPs before any container starts (the seed's MY_IP, ETCD_IP, MESOS_IP, NGINX_IP).
 * DNS names would not do: `--address` and `--whoami` are IPs in the seed, nginx resolves upstream
 * names once at start (a dead master would stop it from starting), and probes map a leader's IP
 * (the podmaster key's value, the framework's pid) back to a node.
 *
 * Everything else (logs, exec, pause, kill, removal) is harness/docker's `StartedContainer`.
 * TODO(harness/docker): once `createRunNetwork` takes a subnet and `ContainerSpec` an `ipv4Address`,
 * this file shrinks to the subnet choice.
 */
import { networkInterfaces } from "node:os";
import { randomInt } from "node:crypto";
import type Docker from "dockerode";
import { GenericContainer } from "testcontainers";
import { HarnessError } from "../errors.js";
import { dockerError, dockerStatus } from "../docker/client.js";
import { forceRemove, StartedContainer, type ContainerSpec, type StartOptions } from "../docker/containers.js";
import { runLabels } from "../docker/labels.js";
import { networkName, type RunNetwork } from "../docker/network.js";

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
  const networks = await docker.listNetworks().catch((err: unknown) => {
    throw dockerError("list", "networks", err);
  });
  for (const n of networks) for (const c of n.IPAM?.Config ?? []) add(c.Subnet);
  return used;
}

/**
 * Creates `k8sm-<runId>` as a bridge network on a free 10.213.x.0/24 (x random among the free
 * ones); a collision with a network created meanwhile (the engine says the pool overlaps) is
 * retried on another /24.
 */
export async function createSubnetNetwork(docker: Docker, runId: string, extraLabels: Readonly<Record<string, string>> = {}): Promise<SubnetNetwork> {
  const name = networkName(runId);
  for (let attempt = 1; ; attempt++) {
    const used = await prefixesInUse(docker);
    const free = Array.from({ length: 254 }, (_, i) => `10.213.${i + 1}`).filter((p) => !used.has(p));
    if (free.length === 0) throw new HarnessError("E_SETUP", "no free /24 in 10.213.0.0/16 for the topology network", "run `npm run reap` to remove leftovers");
    const prefix = free[randomInt(free.length)]!;
    let id: string;
    try {
      const network = await docker.createNetwork({
        Name: name,
        Driver: "bridge",
        CheckDuplicate: true,
        IPAM: { Driver: "default", Config: [{ Subnet: `${prefix}.0/24`, Gateway: `${prefix}.1` }] },
        Labels: { ...extraLabels, ...runLabels(runId, "network") },
      });
      id = network.id;
    } catch (err) {
      if (attempt < 5 && /overlap/i.test(String((err as Error).message))) continue;
      throw dockerError("create network", `${name} (${prefix}.0/24)`, err);
    }
    let removal: Promise<void> | undefined;
    const remove = (): Promise<void> =>
      (removal ??= docker
        .getNetwork(id)
        .remove()
        .then(
          () => undefined,
          (err: unknown) => {
            removal = undefined;
            if (dockerStatus(err) !== 404) throw dockerError("remove network", name, err);
          },
        ));
    return { name, id, runId, prefix, remove, [Symbol.asyncDispose]: remove };
  }
}

class StaticIpContainer extends GenericContainer {
  configure(network: string, aliases: readonly string[], ip: string, init: boolean): this {
    this.withNetworkMode(network);
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: [...aliases], IPAMConfig: { IPv4Address: ip } } } };
    if (init) this.hostConfig.Init = true;
    return this;
  }
}

/**
 * harness/docker's `startContainer` with a static address: same labels, names, files, logs and
 * readiness wait; returns its `StartedContainer`.
 */
export async function startStaticContainer(
  docker: Docker,
  spec: ContainerSpec & { readonly ipv4Address: string },
  options: StartOptions = {},
): Promise<StartedContainer> {
  const name = spec.name ?? `k8sm-${spec.runId}-${spec.role}`;
  const aliases = spec.aliases ?? [spec.role];
  options.signal?.throwIfAborted();
  const builder = new StaticIpContainer(spec.image)
    .configure(spec.network, aliases, spec.ipv4Address, spec.init ?? true)
    .withName(name)
    .withLabels({ ...spec.labels, ...runLabels(spec.runId, spec.role) })
    .withHostname(spec.hostname ?? aliases[0] ?? spec.role)
    .withAutoCleanup(false);
  if (spec.cmd) builder.withCommand([...spec.cmd]);
  if (spec.entrypoint) builder.withEntrypoint([...spec.entrypoint]);
  if (spec.env) builder.withEnvironment({ ...spec.env });
  if (spec.capAdd?.length) builder.withAddedCapabilities(...spec.capAdd);
  if (spec.files?.length) builder.withCopyContentToContainer(spec.files.map((f) => ({ content: f.content, target: f.path, mode: f.mode ?? 0o644 })));
  let id: string;
  try {
    id = (await builder.start()).getId();
  } catch (err) {
    await forceRemove(docker, name).catch(() => {});
    if (dockerStatus(err) === 404 || /no such image/i.test(String((err as Error).message))) {
      throw new HarnessError("E_IMAGE_MISSING", `image ${spec.image} is not in the Docker engine`, "Run `npm run setup` to build the images.", { cause: err });
    }
    throw dockerError("start container", `${name} (image ${spec.image}, ${spec.ipv4Address})`, err);
  }
  const container = new StartedContainer(docker, id, name, spec, aliases);
  try {
    await container.attachLogs(0);
    options.signal?.throwIfAborted();
    await container.waitReady(spec.wait ?? { kind: "none" }, spec.startupTimeoutMs ?? 60_000, options.signal);
  } catch (err) {
    await container.remove().catch(() => {});
    throw err;
  }
  return container;
}

/** Reconnects `container` to its network with its static address (StartedContainer.connect would let Docker pick one). */
export async function reconnectStatic(docker: Docker, container: StartedContainer, ip: string): Promise<void> {
  try {
    await docker.getNetwork(container.network).connect({
      Container: container.id,
      EndpointConfig: { Aliases: [...container.aliases], IPAMConfig: { IPv4Address: ip } },
    });
  } catch (err) {
    throw dockerError(`connect to ${container.network}`, container.name, err);
  }
}
