/**
 * `launchTopology(spec, { signal, runId, logDir })`: the seed's topology in Docker, on a private
 * labelled network with static addresses. Returns only when it is healthy (see `waitHealthy`); on
 * any failure or abort everything started so far is removed before the error propagates.
 *
 * Containers (docs/CONTRACTS.md names): etcd-0..2 and nginx on the base image; mesos-master,
 * master-1..N (the kubelet emulation as main process under docker-init, the seed's manifests copied
 * in) and agent-1..M on the k8sm fixture image.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type Docker from "dockerode";
import { request } from "undici";
import { HarnessError, InputError, TopologyUnhealthyError } from "../errors.js";
import { sleep } from "../async/sleep.js";
import { waitFor, WaitTimeoutError } from "../async/wait-for.js";
import { dockerCall, dockerError, dockerStatus, getDocker } from "../docker/client.js";
import { forceRemove, startContainer, type StartedContainer } from "../docker/containers.js";
import { newRunId, RUN_ID_PATTERN } from "../docker/run-id.js";
import { LABELS, runLabels } from "../docker/labels.js";
import { TeardownStack } from "../lifecycle/teardown-stack.js";
import { WATCHED_KEYS } from "../history/types.js";
import { resolveImages } from "../setup/images.js";
import { DETECTOR_REPOLL_MS } from "../timing-oracle/windows.js";
import { HEALTH_LABEL, podsUrl, sleepPod } from "../workload/manifest.js";
import {
  DEFAULT_FIXTURES_DIR, etcdCommand, etcdServers, kubeletCommand, loadTemplates, mesosAgentCommand, mesosMasterCommand,
  bugEnv, NGINX_CONF_PATH, nginxCommand, planAddresses, PORTS, renderMasterFiles, renderNginxConf, type TopologyAddresses,
} from "./render.js";
import { validateTopologySpec, type ImagesSpec, type TopologySpec } from "./spec.js";
import type { Cluster, NodeProcess } from "./cluster.js";
import { watchCrashLoops } from "./crash-loop.js";
import { createSubnetNetwork } from "./static-ip.js";
import { etcdHealthy, etcdKey, healthy, mesosFrameworks, type TopologyView } from "./status.js";

export interface LaunchOptions {
  /** Aborting it stops the launch and removes what was started. */
  readonly signal?: AbortSignal;
  /** @default a new run id */
  readonly runId?: string;
  /** Each container's log is appended to `<logDir>/<container name>.log`. */
  readonly logDir?: string;
  /** Where the manifest and nginx templates are read from. @default `<repo>/fixtures` */
  readonly fixturesDir?: string;
  /** Label everything `k8sm-chaos.keep=true` so the reaper leaves it when this process is gone. @default false */
  readonly keep?: boolean;
  /** The engine to launch on. @default getDocker(): DOCKER_HOST or the local socket */
  readonly docker?: Docker;
  /** Progress lines ("etcd healthy"). @default none */
  readonly onProgress?: (line: string) => void;
  /**
   * Refuse, before any topology container starts, images that cannot carry the Mesos side (a
   * scenario's fault and probes need the master, agents, scheduler and executor). @default false:
   * warn and launch without it
   */
  readonly requireMesos?: boolean;
}

export type NodeKind = "etcd" | "mesos-master" | "master" | "agent" | "nginx";

export interface TopologyNode {
  readonly kind: NodeKind;
  /** `master-1`, `etcd-0`, `nginx`, ...: the container's role label and DNS name. */
  readonly role: string;
  /** The container name, `k8sm-<runId>-<role>`. */
  readonly name: string;
  /** Static address on the run network. */
  readonly ip: string;
  readonly container: StartedContainer;
}

export interface TopologyEndpoints {
  /** etcd v2 client URLs, port 4001 (the seed's). */
  readonly etcd: readonly string[];
  /** etcd v3 endpoints `<ip>:2379` (for the etcd3 package). */
  readonly etcdV3: readonly string[];
  /** nginx → apiservers (`http://<nginx>:80`). */
  readonly apiserver: string;
  /** nginx → schedulers (`http://<nginx>:81`). */
  readonly scheduler: string;
  /** `http://<mesos-master>:5050`, when the Mesos side runs. */
  readonly mesosMaster: string | undefined;
  readonly masters: readonly {
    readonly role: string;
    readonly name: string;
    readonly ip: string;
    readonly apiserver: string;
    readonly scheduler: string;
    readonly controllerManager: string;
  }[];
}

/** Which emulations the images carry (checked once per launch, before any topology container starts). */
export interface Components {
  readonly mesosMaster: boolean;
  readonly mesosAgent: boolean;
  readonly scheduler: boolean;
  readonly executor: boolean;
  readonly controllerManager: boolean;
}

/**
 * A running topology: the `Cluster` port (what the run engine acts through) plus what the topology
 * CLI and the tests look at.
 */
export interface StartedTopology extends Cluster, AsyncDisposable {
  readonly network: string;
  readonly addresses: TopologyAddresses;
  readonly endpoints: TopologyEndpoints;
  readonly components: Components;
  readonly nodes: {
    readonly etcd: readonly TopologyNode[];
    readonly mesosMaster: TopologyNode | undefined;
    readonly masters: readonly TopologyNode[];
    readonly agents: readonly TopologyNode[];
    readonly nginx: TopologyNode;
  };
  /** The view `topologyStatus()` takes. */
  readonly view: TopologyView;
  /** A node by role (`master-1`) or container name. Throws naming the valid ones. */
  node(roleOrName: string): TopologyNode;
  /** The master node with this address (a podmaster key's value, a framework pid's host). */
  masterByIp(ip: string): TopologyNode | undefined;
  /** Cuts the node off the run network. */
  disconnect(roleOrName: string): Promise<void>;
  /** Reattaches it with its static address. */
  connect(roleOrName: string): Promise<void>;
  /** Removes every container and the network. Idempotent. */
  stop(): Promise<void>;
}

/** Allowance for a container to start and its processes to come up on a loaded CI machine, in ms. */
const STARTUP_ALLOWANCE_MS = 60_000;
/** Mesos `refuse_seconds` default (§4.2): resources declined just before may come back this late. */
const REFUSE_MS = 5_000;

/** Health-wait budgets derived from the spec's timers (§6.1 terms), in ms. */
export function healthBudgets(spec: TopologySpec): Record<"etcd" | "apiserver" | "leaderKeys" | "controllerManager" | "framework" | "testPod", number> {
  const S = spec.podmaster.sleepMs;
  const F = spec.kubelet.fileCheckFrequencyMs;
  const Y = spec.kubelet.syncFrequencyMs;
  return {
    etcd: STARTUP_ALLOWANCE_MS,
    // The kubelet's first scan is immediate; a crash of a pod started before etcd answered restarts within Y.
    apiserver: STARTUP_ALLOWANCE_MS + Y,
    // Fresh etcd: the first podmaster iteration creates the key; allow a failed iteration or two.
    leaderKeys: STARTUP_ALLOWANCE_MS + 2 * S + Y,
    // Key taken → dest written in the same iteration → next kubelet scan within F → start.
    controllerManager: STARTUP_ALLOWANCE_MS + S + F + Y,
    // Scheduler start as above, then T_b with a possibly failed first detector poll.
    framework: STARTUP_ALLOWANCE_MS + S + F + Y + DETECTOR_REPOLL_MS,
    // T_o + T_p (offer, launch, executor, bind, Running), with declined resources held back.
    testPod: STARTUP_ALLOWANCE_MS + spec.mesos.allocationIntervalMs + REFUSE_MS,
  };
}

export async function launchTopology(input: TopologySpec, options: LaunchOptions = {}): Promise<StartedTopology> {
  const spec = validateTopologySpec(input, input);
  const { signal } = options;
  const runId = options.runId ?? newRunId();
  if (!RUN_ID_PATTERN.test(runId)) throw new InputError(`invalid run id ${JSON.stringify(runId)}`, "expected <yyyymmdd-hhmmss>-<4 hex>");
  const progress = options.onProgress ?? (() => {});
  // Without a progress sink, warnings go to stderr: a skipped check must not pass unnoticed.
  const warn = (line: string): void => (options.onProgress ? progress(line) : void process.stderr.write(`topology: ${line}\n`));
  const templates = await loadTemplates(options.fixturesDir ?? DEFAULT_FIXTURES_DIR);
  signal?.throwIfAborted();
  const docker = options.docker ?? (await getDocker());
  const needBuilt = [spec.images.etcd, spec.images.nginx, spec.images.mesosMaster, spec.images.mesosAgent, spec.images.masterNode].some((i) => i === undefined);
  const built = needBuilt ? await resolveImages({ docker, onWarning: (w) => warn(`warning: ${w}`) }) : undefined;
  const image = {
    etcd: spec.images.etcd ?? built!.base,
    nginx: spec.images.nginx ?? built!.base,
    mesosMaster: spec.images.mesosMaster ?? built!.k8sm,
    mesosAgent: spec.images.mesosAgent ?? built!.k8sm,
    masterNode: spec.images.masterNode ?? built!.k8sm,
  };
  await requireImages(docker, image, spec.images);
  const labels: Record<string, string> = options.keep ? { [LABELS.keep]: "true" } : {};

  const stack = new TeardownStack();
  // A container that exits during the launch fails it at once, named, with its exit code and last
  // log lines (rather than a health phase timing out a minute later without saying why).
  const started: TopologyNode[] = [];
  const launchDone = new AbortController();
  const died = watchExits(started, launchDone.signal);
  // A component that can never come up (a bad flag, a static pod crash-looping) fails the launch at once, named.
  const crashLoops = watchCrashLoops((name) => (options.logDir ? join(options.logDir, `${name}.log`) : "npm run topology -- up --log-dir DIR keeps every container's log"));
  // A container log that cannot be written (a full disk) fails the launch, and later the run (`failed`).
  const logFailed = new AbortController();
  const launchSignal = AbortSignal.any([...(signal ? [signal] : []), died, crashLoops.signal, logFailed.signal]);
  try {
    const components = await probeComponents(docker, image, runId, labels);
    if (!components.controllerManager) {
      throw new TopologyUnhealthyError("controller-manager", `the image ${image.masterNode} has no km controller-manager emulation`, "rebuild the fixture image with `npm run build:fixtures` once fixtures/emulations/controller-manager is in place");
    }
    const mesos = components.mesosMaster && components.mesosAgent && components.scheduler && components.executor;
    if (!mesos) {
      const missing = (["mesosMaster", "mesosAgent", "scheduler", "executor"] as const).filter((c) => !components[c]);
      if (options.requireMesos) {
        throw new HarnessError("E_IMAGE_MISSING", `the images lack the ${missing.join(", ")} emulation(s): this topology cannot carry a scenario (it needs the Mesos side)`, "rebuild the images with `npm run setup` (or `npm run build:fixtures`), or point --set image.<part> at images that have them");
      }
      warn(
        `WARNING: the images lack the ${missing.join(", ")} emulation(s): the Mesos side (mesos-master, agents) is NOT started ` +
          "and its health checks (one active framework, a test pod Running) are SKIPPED. Rebuild with `npm run build:fixtures`.",
      );
    }

    const network = await createSubnetNetwork(docker, runId, labels);
    stack.defer(() => network.remove(), `remove network ${network.name}`);
    const addrs = planAddresses(spec, network.prefix);
    progress(`network ${network.name} ${addrs.subnet}`);

    const start = async (kind: NodeKind, role: string, ip: string, rest: { image: string; cmd: string[]; files?: { path: string; content: string }[]; env?: Record<string, string>; capAdd?: string[] }): Promise<TopologyNode> => {
      const name = `k8sm-${runId}-${role}`;
      const container = await startContainer(
        docker,
        {
          ...rest,
          runId,
          role,
          name,
          network: network.name,
          ipv4Address: ip,
          labels,
          stopTimeoutMs: 0,
          onLogLine: (line) => void (launchDone.signal.aborted || crashLoops.onLine(role, name, line)),
          ...(options.logDir
            ? {
                logFile: join(options.logDir, `${name}.log`),
                onLogFileError: (e: HarnessError) => {
                  if (logFailed.signal.aborted) return;
                  warn(e.message);
                  logFailed.abort(e);
                },
              }
            : {}),
        },
        { signal: launchSignal },
      );
      stack.defer(() => container.remove(), `remove container ${name}`);
      const node: TopologyNode = { kind, role, name, ip, container };
      started.push(node);
      return node;
    };

    const token = `k8sm-${runId}`;
    const etcd = await Promise.all(addrs.etcd.map((ip, i) => start("etcd", `etcd-${i}`, ip, { image: image.etcd, cmd: etcdCommand(addrs, i, token) })));
    const nginx = await start("nginx", "nginx", addrs.nginx, {
      image: image.nginx,
      cmd: nginxCommand(),
      files: [{ path: NGINX_CONF_PATH, content: renderNginxConf(templates.nginx, addrs, spec.bugs) }],
    });
    const mesosMaster = mesos ? await start("mesos-master", "mesos-master", addrs.mesosMaster, { image: image.mesosMaster, cmd: mesosMasterCommand(spec, addrs), env: bugEnv(spec, "mesos-master") }) : undefined;

    const etcdUrls = etcdServers(addrs).split(",");
    await phase("etcd", healthBudgets(spec).etcd, launchSignal, `etcd answers /health on ${etcdUrls.join(", ")}`, async ({ signal: s }) => {
      for (const url of etcdUrls) if (!(await etcdHealthy(url, s))) return false;
      return true;
    });
    progress("etcd healthy");
    if (mesosMaster) {
      // Before the schedulers start: a failed first detector poll would cost them 30 s (§3.2).
      const url = `http://${mesosMaster.ip}:${PORTS.mesosMaster}`;
      await phase("mesos-master", healthBudgets(spec).etcd, launchSignal, `${url}/master/state.json answers`, async ({ signal: s }) => {
        await mesosFrameworks(url, s);
        return true;
      }, [mesosMaster]);
      progress("mesos-master answers");
    }

    const masters = await Promise.all(
      addrs.masters.map((ip, i) =>
        start("master", `master-${i + 1}`, ip, {
          image: image.masterNode,
          cmd: kubeletCommand(spec),
          env: { K8SM_NODE: `master-${i + 1}`, ...bugEnv(spec, "kubelet") },
          // NET_ADMIN: the partition-etcd fault adds iptables rules in the node's own netns (so removing
          // the container also removes the rules; nothing is ever changed on the host).
          capAdd: ["NET_ADMIN"],
          files: Object.entries(renderMasterFiles(spec, addrs, i + 1, templates)).map(([path, content]) => ({ path, content })),
        }),
      ),
    );
    const agents = mesos
      ? await Promise.all(addrs.agents.map((ip, i) => start("agent", `agent-${i + 1}`, ip, { image: image.mesosAgent, cmd: mesosAgentCommand(addrs, i + 1), env: { K8SM_NODE: `agent-${i + 1}` } })))
      : [];

    const endpoints: TopologyEndpoints = {
      etcd: etcdUrls,
      etcdV3: addrs.etcd.map((ip) => `${ip}:${PORTS.etcdV3}`),
      apiserver: `http://${addrs.nginx}:${PORTS.nginxApiserver}`,
      scheduler: `http://${addrs.nginx}:${PORTS.nginxScheduler}`,
      mesosMaster: mesosMaster ? `http://${addrs.mesosMaster}:${PORTS.mesosMaster}` : undefined,
      masters: masters.map((m) => ({
        role: m.role,
        name: m.name,
        ip: m.ip,
        apiserver: `http://${m.ip}:${PORTS.apiserver}`,
        scheduler: `http://${m.ip}:${PORTS.scheduler}`,
        controllerManager: `http://${m.ip}:${PORTS.controllerManager}`,
      })),
    };
    const all = [...etcd, ...(mesosMaster ? [mesosMaster] : []), ...masters, ...agents, nginx];
    const topology = makeTopology({ runId, spec, network: network.name, addrs, endpoints, components, all, docker, stack, etcd, mesosMaster, masters, agents, nginx, failed: logFailed.signal });

    await waitHealthy(topology, mesos, launchSignal, progress);
    return topology;
  } catch (err) {
    await stack.dispose().catch((teardownErr: unknown) => {
      process.stderr.write(`topology: teardown after a failed launch: ${(teardownErr as Error).message}\n`);
    });
    throw err;
  } finally {
    launchDone.abort();
  }
}

/**
 * A signal that aborts, with a `TopologyUnhealthyError` naming the container, when one of `nodes`
 * (a list that grows as the launch starts containers) is no longer running. Polls until `until` aborts.
 */
function watchExits(nodes: readonly TopologyNode[], until: AbortSignal): AbortSignal {
  const died = new AbortController();
  void (async () => {
    while (!until.aborted) {
      for (const n of [...nodes]) {
        const state = await n.container.inspect().catch(() => undefined);
        if (!state || state.running || until.aborted) continue;
        // Give the log stream of the dead container a moment to deliver its last lines.
        await waitFor(() => n.container.logTail(1).length > 0, { description: `${n.name} logs`, timeoutMs: 1_000, intervalMs: 50 }).catch(() => {});
        const tail = n.container.logTail(15);
        died.abort(
          new TopologyUnhealthyError(
            n.role,
            `${n.name} (${n.role}, image ${n.container.image}) exited with code ${state.exitCode} during the launch` +
              (tail.length ? `; last log lines:\n  ${tail.join("\n  ")}` : "; it logged nothing"),
            "check the image (--set image.<part>) and the flags rendered for this part (--set)",
          ),
        );
        return;
      }
      await sleep(250, until).catch(() => {});
    }
  })();
  return died.signal;
}

/** Every image the launch needs is in the engine; a missing one is named with the parts that use it. */
async function requireImages(docker: Docker, image: Readonly<Record<string, string>>, given: ImagesSpec): Promise<void> {
  const partsOf: Record<string, string[]> = {};
  for (const [part, img] of Object.entries(image)) (partsOf[img] ??= []).push(part);
  for (const [img, parts] of Object.entries(partsOf)) {
    try {
      await dockerCall(docker, "read", "inspect image", img, () => docker.getImage(img).inspect());
    } catch (err) {
      if (dockerStatus(err) !== 404) throw dockerError("inspect image", img, err);
      const set = parts.filter((p) => given[p as keyof ImagesSpec] !== undefined).map((p) => `image.${p}`);
      throw new HarnessError(
        "E_IMAGE_MISSING",
        `image ${img} (for ${parts.join(", ")}) is not in the Docker engine`,
        set.length ? `it comes from --set ${set.join(", ")}: build or tag that image, or drop the override` : "Run `npm run setup` to build the images.",
        { cause: err },
      );
    }
  }
}

/** The emulated commands the launch needs, by component. */
const COMPONENT_COMMANDS = {
  mesosMaster: "/usr/local/bin/mesos-master",
  mesosAgent: "/usr/local/bin/mesos-slave",
  scheduler: "/opt/kubernetes/km scheduler",
  executor: "/opt/kubernetes/km executor",
  controllerManager: "/opt/kubernetes/km controller-manager",
} as const;

/**
 * Which emulations an image really has: `<command> --help` in a throw-away container of each
 * distinct image. Exit 127 (no binary) or "emulation not built" (the placeholders) means missing.
 */
async function probeComponents(docker: Docker, image: { mesosMaster: string; mesosAgent: string; masterNode: string }, runId: string, labels: Record<string, string>): Promise<Components> {
  const byImage: Record<string, (keyof Components)[]> = {};
  const imageOf: Record<keyof Components, string> = {
    mesosMaster: image.mesosMaster,
    mesosAgent: image.mesosAgent,
    executor: image.mesosAgent,
    scheduler: image.masterNode,
    controllerManager: image.masterNode,
  };
  for (const [c, img] of Object.entries(imageOf) as [keyof Components, string][]) (byImage[img] ??= []).push(c);
  const found: Partial<Record<keyof Components, boolean>> = {};
  await Promise.all(
    Object.entries(byImage).map(async ([img, comps]) => {
      const script = comps
        .map((c) => `( out=$(timeout 10 ${COMPONENT_COMMANDS[c]} --help 2>&1 </dev/null); code=$?; if [ $code -eq 127 ] || echo "$out" | grep -q "emulation not built"; then echo "${c}=no"; else echo "${c}=yes"; fi ) &`)
        .join("\n");
      const out = await runOnce(docker, img, `${script}\nwait`, runId, labels);
      for (const c of comps) found[c] = new RegExp(`^${c}=yes$`, "m").test(out);
    }),
  );
  return found as Components;
}

async function runOnce(docker: Docker, image: string, script: string, runId: string, labels: Record<string, string>): Promise<string> {
  const name = `k8sm-${runId}-probe-${randomBytes(2).toString("hex")}`;
  try {
    const c = await dockerCall(docker, "change", "create container", name, (abortSignal) =>
      docker.createContainer({
        name,
        Image: image,
        Entrypoint: ["/bin/sh", "-c", script],
        Labels: { ...labels, ...runLabels(runId, "probe") },
        HostConfig: { NetworkMode: "none" },
        abortSignal,
      }),
    );
    await dockerCall(docker, "change", "start", name, (abortSignal) => c.start({ abortSignal }));
    await dockerCall(docker, "change", "wait for", name, (abortSignal) => c.wait({ abortSignal }));
    return demux((await dockerCall(docker, "read", "read logs of", name, (abortSignal) => c.logs({ stdout: true, stderr: false, abortSignal }))) as Buffer);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new HarnessError("E_IMAGE_MISSING", `image ${image} is not in the Docker engine`, "Run `npm run setup` to build the images.", { cause: err });
    }
    throw err;
  } finally {
    await forceRemove(docker, name).catch(() => {});
  }
}

function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(parts).toString("utf8");
}

/** One health phase: waits for `check`, turning a timeout into `TopologyUnhealthyError(part)`. */
async function phase<T>(
  part: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  description: string,
  check: (ctx: { signal: AbortSignal }) => Promise<T | false | undefined>,
  logsOf: readonly TopologyNode[] = [],
): Promise<T> {
  try {
    return await waitFor(check, { description, timeoutMs, intervalMs: 250, signal });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const tails = logsOf.map((n) => `\n--- last log lines of ${n.name}:\n  ${n.container.logTail(15).join("\n  ")}`).join("");
    throw new TopologyUnhealthyError(
      part,
      `${part} never came up: ${err.message}${tails}`,
      "every container's full log is in the run's report folder, logs/ (npm run topology -- up: in --log-dir DIR); the budgets are healthBudgets() in harness/topology/launch.ts",
      { cause: err },
    );
  }
}

async function waitHealthy(t: StartedTopology, mesos: boolean, signal: AbortSignal | undefined, progress: (line: string) => void): Promise<void> {
  const budget = healthBudgets(t.spec);
  const { endpoints: ep, nodes } = t;
  const masters = nodes.masters;

  await phase("apiserver", budget.apiserver, signal, `every apiserver answers /healthz directly and through nginx`, async ({ signal: s }) => {
    for (const m of ep.masters) if (!(await healthy(`${m.apiserver}/healthz`, s))) throw new Error(`${m.role} (${m.apiserver}) does not answer /healthz`);
    if (!(await healthy(`${ep.apiserver}/healthz`, s))) throw new Error(`nginx (${ep.apiserver}) does not answer /healthz`);
    return true;
  }, masters);
  progress("apiservers healthy (direct and through nginx)");

  const podmasterKeys = t.spec.mode === "cold-standby" ? [WATCHED_KEYS.scheduler, WATCHED_KEYS.controller] : [WATCHED_KEYS.controller];
  const holders = await phase("podmaster", budget.leaderKeys, signal, `one master holds each of ${podmasterKeys.join(", ")}`, async ({ signal: s }) => {
    const values: Record<string, string> = {};
    for (const key of podmasterKeys) {
      const v = await etcdKey(ep.etcd, key, s);
      if (v === undefined) throw new Error(`${key} is not set`);
      if (!t.masterByIp(v)) throw new Error(`${key} = ${JSON.stringify(v)}, which is no master's address`);
      values[key] = v;
    }
    return values;
  }, masters);
  progress(`leaders: ${Object.entries(holders).map(([k, v]) => `${k}=${t.masterByIp(v)!.role}`).join(" ")}`);

  const cmLeader = t.masterByIp(holders[WATCHED_KEYS.controller]!)!;
  await phase("controller-manager", budget.controllerManager, signal, `the controller-manager answers on ${cmLeader.role} (${cmLeader.ip}:${PORTS.controllerManager}) only`, async ({ signal: s }) => {
    if (!(await healthy(`http://${cmLeader.ip}:${PORTS.controllerManager}/healthz`, s))) throw new Error(`no /healthz on ${cmLeader.ip}:${PORTS.controllerManager}`);
    for (const m of masters) {
      if (m !== cmLeader && (await healthy(`http://${m.ip}:${PORTS.controllerManager}/healthz`, s))) {
        throw new Error(`a controller-manager also runs on ${m.role}, which does not hold ${WATCHED_KEYS.controller}`);
      }
    }
    return true;
  }, [cmLeader]);
  progress(`controller-manager running on ${cmLeader.role}`);

  if (!mesos || !ep.mesosMaster) return;
  const mesosUrl = ep.mesosMaster;
  const framework = await phase("framework", budget.framework, signal, `exactly one active framework in ${mesosUrl}/master/state.json`, async ({ signal: s }) => {
    if (t.spec.mode === "hot-standby" && (await etcdKey(ep.etcd, WATCHED_KEYS.haLeader(), s)) === undefined) {
      throw new Error(`no scheduler holds ${WATCHED_KEYS.haLeader()}`);
    }
    const active = (await mesosFrameworks(mesosUrl, s)).filter((f) => f.active);
    if (active.length > 1) throw new Error(`${active.length} active frameworks: ${active.map((f) => f.pid).join(", ")}`);
    return active[0];
  }, [...masters, ...(nodes.mesosMaster ? [nodes.mesosMaster] : [])]);
  progress(`framework ${framework.id} active (${framework.pid})`);

  await runTestPod(t, budget.testPod, signal);
  progress("test pod reached Running through nginx");
}

/** Creates a pod through nginx, waits for Running, deletes it. */
async function runTestPod(t: StartedTopology, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const name = `k8sm-health-${randomBytes(3).toString("hex")}`;
  const base = podsUrl(t.endpoints.apiserver);
  const pod = sleepPod(name, HEALTH_LABEL);
  await phase("test-pod", 30_000, signal, `POST ${base} answers 201`, async ({ signal: s }) => {
    const res = await request(base, { method: "POST", body: JSON.stringify(pod), headers: { "content-type": "application/json" }, signal: s });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    return true;
  });
  try {
    await phase("test-pod", timeoutMs, signal, `pod default/${name} reaches Running`, async ({ signal: s }) => {
      const res = await request(`${base}/${name}`, { signal: s });
      const body = (await res.body.json()) as { status?: { phase?: string } };
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      const phase = body.status?.phase;
      if (phase !== "Running") throw new Error(`phase ${phase ?? "(none)"}`);
      return true;
    }, [...t.nodes.agents, ...t.nodes.masters]);
  } finally {
    await request(`${base}/${name}?gracePeriodSeconds=0`, { method: "DELETE", signal: AbortSignal.timeout(5_000) }).then((r) => r.body.dump()).catch(() => {});
  }
}

interface Parts {
  runId: string;
  spec: TopologySpec;
  network: string;
  addrs: TopologyAddresses;
  endpoints: TopologyEndpoints;
  components: Components;
  all: TopologyNode[];
  docker: Docker;
  stack: TeardownStack;
  etcd: TopologyNode[];
  mesosMaster: TopologyNode | undefined;
  masters: TopologyNode[];
  agents: TopologyNode[];
  nginx: TopologyNode;
  failed: AbortSignal;
}

/**
 * How `signalProcess` finds a static pod's process in a master node of the emulated topology: the
 * kubelet emulation runs pods as processes of the node container, so `pkill -f` on the command
 * line. A topology of real images (the kubelet runs pods as sibling containers) signals the pod's
 * container instead.
 */
export const PROCESS_PATTERNS: Readonly<Record<NodeProcess, string>> = {
  scheduler: "km(\\.cjs)? scheduler",
  apiserver: "km(\\.cjs)? apiserver",
  podmaster: "podmaster(\\.cjs)? ",
};

function makeTopology(p: Parts): StartedTopology {
  const node = (key: string): TopologyNode => {
    const n = p.all.find((x) => x.role === key || x.name === key);
    if (!n) throw new InputError(`no node ${JSON.stringify(key)} in topology ${p.runId}`, `nodes: ${p.all.map((x) => x.role).join(", ")}`);
    return n;
  };
  const stop = (): Promise<void> => p.stack.dispose();
  const clusterNode = (n: TopologyNode) => ({ name: n.role, ip: n.ip, container: n.name });
  const signalProcess: Cluster["signalProcess"] = async (key, process, signal) => {
    const n = node(key);
    const res = await n.container.exec(["pkill", `-${signal.replace(/^SIG/, "")}`, "-f", PROCESS_PATTERNS[process]]);
    // pkill: 0 = signalled, 1 = no process matched; anything else is the harness's failure.
    if (res.exitCode > 1) throw new HarnessError("E_INTERNAL", `pkill ${process} in ${n.name} failed (exit ${res.exitCode}): ${res.stderr.trim()}`);
    return { matched: res.exitCode === 0 };
  };
  return {
    runId: p.runId,
    spec: p.spec,
    network: p.network,
    addresses: p.addrs,
    endpoints: p.endpoints,
    components: p.components,
    nodes: { etcd: p.etcd, mesosMaster: p.mesosMaster, masters: p.masters, agents: p.agents, nginx: p.nginx },
    masters: p.masters.map(clusterNode),
    etcdMembers: p.etcd.map(clusterNode),
    labelFilter: `${LABELS.runId}=${p.runId}`,
    images: Object.fromEntries(p.all.map((n) => [n.role, n.container.image])),
    view: { etcd: p.endpoints.etcd, mesosMaster: p.endpoints.mesosMaster, apiserver: p.endpoints.apiserver, masters: p.masters.map((m) => ({ role: m.role, ip: m.ip })) },
    node,
    masterByIp: (ip) => p.masters.find((m) => m.ip === ip),
    exec: (key, cmd) => node(key).container.exec(cmd),
    kill: (key, signal = "SIGKILL") => node(key).container.kill(signal),
    pause: (key) => node(key).container.pause(),
    unpause: (key) => node(key).container.unpause(),
    start: (key) => node(key).container.start(),
    signalProcess,
    failed: p.failed,
    disconnect: (key) => node(key).container.disconnect(),
    connect: (key) => node(key).container.connect(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
