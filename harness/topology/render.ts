/**
 * Renders the seed's files for real addresses: the manifests of each master node, mesos-cloud.conf
 * and nginx.conf, from the templates in fixtures/manifests/ and fixtures/nginx/ (read as files: the
 * harness may not import fixtures/). Templates keep the seed's text and its shell variables
 * (`${MY_IP}`, `${ETCD_IP}`, ...); rendering substitutes them, then applies the spec (podmaster
 * timers, scheduler flags, hot-standby) on the parsed Pod. Also the command lines of the containers,
 * and the planted bugs (bugs.ts): `K8SM_BUGS` in the environment of their component's containers,
 * nginx's as a change of its nginx.conf.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { HarnessError } from "../errors.js";
import { PROJECT_ROOT } from "../paths.js";
import { bugsOf, type BugComponent } from "./bugs.js";
import { formatGoDuration } from "./go-duration.js";
import type { TopologySpec } from "./spec.js";

/** The seed's ports (docs/CONTRACTS.md). */
export const PORTS = {
  etcd: 4001,
  etcdV3: 2379,
  etcdPeer: 2380,
  mesosMaster: 5050,
  mesosAgent: 5051,
  apiserver: 8080,
  scheduler: 10251,
  controllerManager: 10252,
  nginxApiserver: 80,
  nginxScheduler: 81,
} as const;

export const DEFAULT_FIXTURES_DIR = join(PROJECT_ROOT, "fixtures");

/** Static addresses of one topology in its /24 (the seed's MESOS_IP, ETCD_IP, K8S_<n>_IP, NGINX_IP). */
export interface TopologyAddresses {
  /** e.g. `10.213.7.0/24` */
  readonly subnet: string;
  readonly gateway: string;
  readonly mesosMaster: string;
  readonly nginx: string;
  readonly etcd: readonly string[];
  /** Index 0 is `master-1`. */
  readonly masters: readonly string[];
  /** Index 0 is `agent-1`. */
  readonly agents: readonly string[];
}

/** Lays the topology out in `<prefix>.0/24`: mesos .2, nginx .5, etcd .10+, masters .21+, agents .41+. */
export function planAddresses(spec: TopologySpec, prefix: string): TopologyAddresses {
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(prefix)) throw new RangeError(`not a /24 prefix: ${prefix}`);
  const ip = (n: number): string => `${prefix}.${n}`;
  const range = (start: number, count: number): string[] => Array.from({ length: count }, (_, i) => ip(start + i));
  return {
    subnet: `${prefix}.0/24`,
    gateway: ip(1),
    mesosMaster: ip(2),
    nginx: ip(5),
    etcd: range(10, spec.etcdMembers),
    masters: range(21, spec.masters),
    agents: range(41, spec.agents),
  };
}

export interface Templates {
  readonly apiserver: string;
  readonly podmaster: string;
  readonly scheduler: string;
  readonly controllerManager: string;
  readonly mesosCloud: string;
  readonly nginx: string;
}

const TEMPLATE_FILES: Readonly<Record<keyof Templates, string>> = {
  apiserver: "manifests/apiserver.yaml.template",
  podmaster: "manifests/podmaster.yaml.template",
  scheduler: "manifests/scheduler.yaml.template",
  controllerManager: "manifests/controller-mgr.yaml.template",
  mesosCloud: "manifests/mesos-cloud.conf.template",
  nginx: "nginx/nginx.conf.template",
};

export async function loadTemplates(fixturesDir = DEFAULT_FIXTURES_DIR): Promise<Templates> {
  const entries = await Promise.all(
    Object.entries(TEMPLATE_FILES).map(async ([key, rel]) => {
      const file = join(fixturesDir, rel);
      try {
        return [key, await readFile(file, "utf8")] as const;
      } catch (err) {
        throw new HarnessError("E_SETUP", `cannot read the template ${file}: ${(err as Error).message}`, "pass the repository's fixtures directory as `fixturesDir`", { cause: err });
      }
    }),
  );
  return Object.fromEntries(entries) as unknown as Templates;
}

/** Replaces every `${NAME}`; a name without a value is an error naming the template. */
export function substitute(template: string, vars: Readonly<Record<string, string | number>>, what: string): string {
  return template.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new HarnessError("E_INTERNAL", `${what}: no value for \${${name}}`);
    return String(v);
  });
}

function seedVars(addrs: TopologyAddresses, myIp: string): Record<string, string | number> {
  return {
    MY_IP: myIp,
    ETCD_IP: addrs.etcd[0]!,
    ETCD_PORT: PORTS.etcd,
    MESOS_IP: addrs.mesosMaster,
    MESOS_PORT: PORTS.mesosMaster,
    NGINX_IP: addrs.nginx,
    NGINX_APISERVER_PORT: PORTS.nginxApiserver,
    NGINX_SCHEDULER_PORT: PORTS.nginxScheduler,
    K8S_APISERVER_PORT: PORTS.apiserver,
    K8S_SCHEDULER_PORT: PORTS.scheduler,
  };
}

/** Comma-separated etcd client URLs on the seed's port 4001. */
export function etcdServers(addrs: TopologyAddresses): string {
  return addrs.etcd.map((ip) => `http://${ip}:${PORTS.etcd}`).join(",");
}

// ---------------------------------------------------------------------------------------------
// Planted bugs

/** The environment variable through which an emulation learns its planted bugs (fixtures/emulations/common/bugs.ts). */
export const BUGS_ENV = "K8SM_BUGS";

/** `{ K8SM_BUGS: "a,b" }` for the spec's bugs of `component`, `{}` when it has none. */
export function bugEnv(spec: TopologySpec, component: Exclude<BugComponent, "nginx">): Record<string, string> {
  const bugs = bugsOf(component, spec.bugs);
  return bugs.length ? { [BUGS_ENV]: bugs.join(",") } : {};
}

/** Sets (or, with no bugs, leaves out) `K8SM_BUGS` in a pod container's env, after what is there. */
function setBugEnv(c: PodContainer, env: Record<string, string>): void {
  const value = env[BUGS_ENV];
  if (value === undefined) return;
  c.env = [...(c.env ?? []).filter((e) => e.name !== BUGS_ENV), { name: BUGS_ENV, value }];
}

// ---------------------------------------------------------------------------------------------
// Pods

interface PodContainer {
  name: string;
  image?: string;
  command: string[];
  env?: { name: string; value: string }[];
}
interface Pod {
  metadata: { name: string };
  spec: { containers: PodContainer[] };
}

function parsePod(text: string, what: string): Pod {
  const pod = parse(text) as Pod;
  if (!pod?.spec?.containers?.every((c) => Array.isArray(c.command))) {
    throw new HarnessError("E_SETUP", `${what} is not a Pod with container commands`);
  }
  return pod;
}

const flagName = (arg: string): string | undefined => arg.match(/^--?([^=]+)/)?.[1]?.replace(/_/g, "-");

/** Sets `--name=value` in a command (replacing an existing `--name`, else appending); "" renders `--name`. */
export function setFlag(command: string[], name: string, value: string): void {
  const arg = value === "" ? `--${name}` : `--${name}=${value}`;
  const at = command.findIndex((a) => flagName(a) === name.replace(/_/g, "-"));
  if (at >= 0) command[at] = arg;
  else command.push(arg);
}

/** The value of `--name` in a command, `""` for a bare flag, undefined when absent. */
export function flagValue(command: readonly string[], name: string): string | undefined {
  const arg = command.find((a) => flagName(a) === name);
  if (arg === undefined) return undefined;
  const eq = arg.indexOf("=");
  return eq < 0 ? "" : arg.slice(eq + 1);
}

/**
 * The scheduler flags that feed the executor-id hash (seed "Command Line Arguments"; §3.8): two
 * schedulers whose values differ here are incompatible after a failover.
 */
export const EXECUTOR_HASH_FLAG_PATTERNS: readonly RegExp[] = [
  /^allow-privileged$/, /^api-servers$/, /^auth-path$/, /^cluster-/, /^executor-/, /^kubelet-/, /^km-path$/,
  /^mesos-cgroup-prefix$/, /^mesos-launch-grace-period$/, /^minion-/, /^profiling$/, /^proxy-/, /^static-pods-config$/,
];

/** `--advertised-address` is not in the seed's list but is an input of the executor URIs, hence of the id (§3.8). */
export function hashedSchedulerArgs(command: readonly string[]): string[] {
  return command.filter((a) => {
    const name = flagName(a);
    return name !== undefined && (name === "advertised-address" || EXECUTOR_HASH_FLAG_PATTERNS.some((p) => p.test(name)));
  });
}

/** Where each rendered file goes in a master-node container. */
export const MASTER_PATHS = {
  manifestDir: "/etc/kubernetes/manifests",
  sourceDir: "/srv/kubernetes/manifests",
  mesosCloud: "/etc/kubernetes/mesos-cloud.conf",
} as const;

/**
 * The files of master `index` (1-based): container path → content. Cold standby: apiserver and
 * podmaster in the manifest dir, scheduler and controller-manager in the source dir (the seed).
 * Hot standby: a `--ha` scheduler in the manifest dir on every master, and the podmaster pod
 * elects only the controller-manager.
 */
export function renderMasterFiles(spec: TopologySpec, addrs: TopologyAddresses, index: number, templates: Templates): Record<string, string> {
  const myIp = addrs.masters[index - 1];
  if (myIp === undefined) throw new RangeError(`master ${index} does not exist (masters: ${addrs.masters.length})`);
  const vars = seedVars(addrs, myIp);
  const etcd = etcdServers(addrs);
  const render = (text: string, what: string, edit: (pod: Pod) => void): string => {
    const pod = parsePod(substitute(text, vars, what), what);
    for (const c of pod.spec.containers) if (flagValue(c.command, "etcd-servers") !== undefined) setFlag(c.command, "etcd-servers", etcd);
    edit(pod);
    return `# Rendered by harness/topology for master-${index} (${myIp}) from fixtures/${what}.\n${stringify(pod)}`;
  };
  const hot = spec.mode === "hot-standby";
  const { podmaster: pm } = spec;

  const podmaster = render(templates.podmaster, TEMPLATE_FILES.podmaster, (pod) => {
    if (hot) pod.spec.containers = pod.spec.containers.filter((c) => !c.command.includes("--key=scheduler"));
    for (const c of pod.spec.containers) {
      c.image = spec.images.podmasterPod;
      setFlag(c.command, "ttl-secs", String(pm.ttlSecs));
      setFlag(c.command, "sleep", formatGoDuration(pm.sleepMs));
      if (pm.variant !== "A") setFlag(c.command, "variant", pm.variant);
      if (pm.etcdApi !== "v2") setFlag(c.command, "etcd-api", pm.etcdApi);
      setBugEnv(c, bugEnv(spec, "podmaster"));
    }
  });
  const k8smImage = (pod: Pod): void => {
    for (const c of pod.spec.containers) c.image = spec.images.k8smPod;
  };
  const scheduler = render(templates.scheduler, TEMPLATE_FILES.scheduler, (pod) => {
    k8smImage(pod);
    const c = pod.spec.containers[0]!;
    setFlag(c.command, "v", String(spec.scheduler.v));
    if (spec.mesos.failoverTimeoutSecs !== undefined) setFlag(c.command, "failover-timeout", String(spec.mesos.failoverTimeoutSecs));
    if (spec.scheduler.compatVariant !== "v1.1") setFlag(c.command, "compat-variant", spec.scheduler.compatVariant);
    if (hot) setFlag(c.command, "ha", "");
    const flags = { ...spec.scheduler.flags, ...spec.masterOverrides[index]?.schedulerFlags };
    for (const [name, value] of Object.entries(flags)) setFlag(c.command, name, substitute(value, vars, `scheduler flag --${name}`));
    const env = Object.entries(spec.scheduler.env);
    if (env.length > 0) c.env = env.map(([name, value]) => ({ name, value: substitute(value, vars, `scheduler env ${name}`) }));
    setBugEnv(c, bugEnv(spec, "scheduler"));
  });
  const apiserver = render(templates.apiserver, TEMPLATE_FILES.apiserver, k8smImage);
  const controllerManager = render(templates.controllerManager, TEMPLATE_FILES.controllerManager, k8smImage);

  return {
    [`${MASTER_PATHS.manifestDir}/apiserver.yaml`]: apiserver,
    [`${MASTER_PATHS.manifestDir}/podmaster.yaml`]: podmaster,
    [`${hot ? MASTER_PATHS.manifestDir : MASTER_PATHS.sourceDir}/scheduler.yaml`]: scheduler,
    [`${MASTER_PATHS.sourceDir}/controller-mgr.yaml`]: controllerManager,
    [MASTER_PATHS.mesosCloud]: substitute(templates.mesosCloud, vars, TEMPLATE_FILES.mesosCloud),
  };
}

/**
 * The seed's nginx.conf for the real addresses. Each run of `server ${K8S_<n>_IP}:<port>;` lines
 * (the seed lists its two masters) becomes one line per master of the topology. The planted bug
 * `nginx-no-next-upstream` turns every `proxy_next_upstream` into `off`: deleting the line would
 * leave nginx's default (`error timeout`), which still reroutes around a dead apiserver.
 */
export function renderNginxConf(template: string, addrs: TopologyAddresses, bugs: readonly string[] = []): string {
  const line = /^(\s*)server \$\{K8S_\d+_IP\}:(\$\{\w+\});\s*$/;
  const nextUpstream = /^(\s*)proxy_next_upstream\s.*;\s*$/;
  const noNextUpstream = bugsOf("nginx", bugs).includes("nginx-no-next-upstream");
  const out: string[] = [];
  let inRun = false;
  for (const l of template.split("\n")) {
    const m = l.match(line);
    const nu = noNextUpstream ? l.match(nextUpstream) : null;
    if (!m) {
      inRun = false;
      out.push(nu ? `${nu[1]}proxy_next_upstream     off;  # planted bug nginx-no-next-upstream` : l);
    } else if (!inRun) {
      inRun = true;
      out.push(...addrs.masters.map((_, i) => `${m[1]}server \${K8S_${i + 1}_IP}:${m[2]};`));
    }
  }
  const vars: Record<string, string | number> = seedVars(addrs, "");
  addrs.masters.forEach((ip, i) => (vars[`K8S_${i + 1}_IP`] = ip));
  return substitute(out.join("\n"), vars, TEMPLATE_FILES.nginx);
}

// ---------------------------------------------------------------------------------------------
// Container command lines

/** The seed's kubelet command line ("Start Kubelet") plus the spec's timers. */
export function kubeletCommand(spec: TopologySpec): string[] {
  return [
    "/usr/local/bin/kubelet",
    `--api_servers=http://127.0.0.1:${PORTS.apiserver}`,
    "--register-node=false",
    "--allow-privileged=true",
    `--config=${MASTER_PATHS.manifestDir}`,
    `--file-check-frequency=${formatGoDuration(spec.kubelet.fileCheckFrequencyMs)}`,
    `--sync-frequency=${formatGoDuration(spec.kubelet.syncFrequencyMs)}`,
  ];
}

/**
 * One etcd member. Deviation from the seed (etcd v2.0.12 listening on 4001 only): Debian's etcd 3.4,
 * which needs `--enable-v2` for the keys API podmaster uses; clients on 4001 (the seed's) and 2379.
 */
export function etcdCommand(addrs: TopologyAddresses, member: number, clusterToken: string): string[] {
  const ip = addrs.etcd[member]!;
  const cluster = addrs.etcd.map((p, i) => `etcd-${i}=http://${p}:${PORTS.etcdPeer}`).join(",");
  return [
    "/usr/bin/etcd",
    `--name=etcd-${member}`,
    "--data-dir=/var/lib/etcd/data",
    "--enable-v2=true",
    `--listen-client-urls=http://0.0.0.0:${PORTS.etcd},http://0.0.0.0:${PORTS.etcdV3}`,
    `--advertise-client-urls=http://${ip}:${PORTS.etcd},http://${ip}:${PORTS.etcdV3}`,
    `--listen-peer-urls=http://${ip}:${PORTS.etcdPeer}`,
    `--initial-advertise-peer-urls=http://${ip}:${PORTS.etcdPeer}`,
    `--initial-cluster=${cluster}`,
    "--initial-cluster-state=new",
    `--initial-cluster-token=${clusterToken}`,
  ];
}

export const NGINX_CONF_PATH = "/etc/nginx/nginx.conf";
export function nginxCommand(): string[] {
  return ["/usr/sbin/nginx", "-c", NGINX_CONF_PATH, "-g", "daemon off; error_log stderr info;"];
}

/** Mesos 0.24 flag style (`--allocation_interval=1secs`). */
const mesosDuration = (ms: number): string => (ms % 1_000 === 0 ? `${ms / 1_000}secs` : `${ms}ms`);

export function mesosMasterCommand(spec: TopologySpec, addrs: TopologyAddresses): string[] {
  return [
    "/usr/local/bin/mesos-master",
    `--ip=${addrs.mesosMaster}`,
    `--port=${PORTS.mesosMaster}`,
    "--work_dir=/var/lib/mesos",
    `--allocation_interval=${mesosDuration(spec.mesos.allocationIntervalMs)}`,
  ];
}

export function mesosAgentCommand(addrs: TopologyAddresses, index: number): string[] {
  return [
    "/usr/local/bin/mesos-slave",
    `--master=${addrs.mesosMaster}:${PORTS.mesosMaster}`,
    `--ip=${addrs.agents[index - 1]!}`,
    `--port=${PORTS.mesosAgent}`,
    `--hostname=agent-${index}`,
    "--work_dir=/var/lib/mesos",
  ];
}
