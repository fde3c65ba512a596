/**
 * `npm run topology -- up|down|status`: the seed's topology, left running for a person to poke at.
 *
 *   up      starts it (labelled `k8sm-chaos.keep=true`, so the reaper leaves it), prints its endpoints,
 *           records the run id in build/topology-current.json, and exits leaving it running
 *   down    removes every kept topology, or the one of --run-id
 *   status  who leads each key, the active framework, per-master health
 *
 * Bad input is reported with the valid values and exit 2 before any container starts.
 */
import { accessSync, constants, mkdirSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import type Docker from "dockerode";
import { exitCodeFor, formatError, InputError, InterruptedError } from "../errors.js";
import { getDocker, dockerError } from "../docker/client.js";
import { forceRemove } from "../docker/containers.js";
import { LABELS } from "../docker/labels.js";
import { RUN_ID_PATTERN } from "../docker/run-id.js";
import { TeardownStack } from "../lifecycle/teardown-stack.js";
import { installInterruptHandlers } from "../lifecycle/signals.js";
import { PROJECT_ROOT } from "../setup/hash.js";
import { KEEP_LABEL, launchTopology, type StartedTopology } from "../topology/launch.js";
import { PORTS } from "../topology/render.js";
import { applySetOverrides, MODES, PROFILES, profileSpec, setKeysHelp, type Profile, type TopologySpec } from "../topology/spec.js";
import { pidIp, topologyStatus, type TopologyView } from "../topology/status.js";

const USAGE = `usage: npm run topology -- <up|down|status> [options]
  up      start the seed's topology and leave it running
          --masters N                  k8sm master nodes (default 2)
          --mode ${MODES.join("|")}   (default cold-standby)
          --profile ${PROFILES.join("|")}          seed: the real defaults; fast: small timers (default seed)
          --set key=value              any tunable (repeatable); keys: see below
          --log-dir DIR                append each container's log to DIR/<container>.log while up runs
  down    remove the kept topologies (all, or --run-id ID)
  status  leaders of /scheduler, /controller and the HA key, frameworks, per-master health (--run-id ID)
--set keys:
  ${setKeysHelp().join("\n  ")}`;

const CURRENT_FILE = join(PROJECT_ROOT, "build", "topology-current.json");

interface UpInput {
  readonly spec: TopologySpec;
  readonly logDir: string | undefined;
}

/** Parses and validates the command line; throws InputError (exit 2) before anything starts. */
function parseTopologyArgs(argv: string[]): { command: "up"; up: UpInput } | { command: "down" | "status"; runId: string | undefined } | { command: "help" } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        masters: { type: "string" },
        mode: { type: "string" },
        profile: { type: "string" },
        set: { type: "string", multiple: true },
        "log-dir": { type: "string" },
        "run-id": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new InputError((err as Error).message, USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  const [command, ...extra] = positionals;
  if (command === undefined) throw new InputError("missing command (up, down or status)", USAGE);
  if (extra.length > 0) throw new InputError(`unexpected argument ${JSON.stringify(extra[0])}`, USAGE);
  const runId = values["run-id"];
  if (runId !== undefined && !RUN_ID_PATTERN.test(runId)) throw new InputError(`--run-id ${JSON.stringify(runId)} is not a run id`, "run ids look like 20250101-120000-3fa2");
  const upOnly = (["masters", "mode", "profile", "set", "log-dir"] as const).filter((k) => values[k] !== undefined);
  if (command === "down" || command === "status") {
    if (upOnly.length > 0) throw new InputError(`--${upOnly[0]} is an option of \`up\`, not of \`${command}\``, USAGE);
    return { command, runId };
  }
  if (command !== "up") throw new InputError(`unknown command ${JSON.stringify(command)}`, `valid commands: up, down, status\n${USAGE}`);
  if (runId !== undefined) throw new InputError("--run-id is an option of `down` and `status`", USAGE);
  const profile = values.profile ?? "seed";
  if (!PROFILES.includes(profile as Profile)) throw new InputError(`--profile ${JSON.stringify(profile)}: valid profiles are ${PROFILES.join(", ")}`);
  const sets = [...(values.set ?? [])];
  if (values.masters !== undefined) sets.push(`masters=${values.masters}`);
  if (values.mode !== undefined) {
    if (!MODES.includes(values.mode as (typeof MODES)[number])) throw new InputError(`--mode ${JSON.stringify(values.mode)}: valid modes are ${MODES.join(", ")}`);
    sets.push(`mode=${values.mode}`);
  }
  return { command: "up", up: { spec: applySetOverrides(profileSpec(profile as Profile), sets), logDir: writableDir("--log-dir", values["log-dir"]) } };
}

/** `dir` created if need be and writable, checked before any container starts (else the launch fails half-way). */
function writableDir(option: string, dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  if (dir.trim() === "") throw new InputError(`${option} must not be empty`, USAGE);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new InputError(`${option} ${dir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "choose a directory you can write to");
  }
  return dir;
}

async function up(input: UpInput): Promise<number> {
  const controller = new AbortController();
  const teardown = new TeardownStack();
  const handlers = installInterruptHandlers({ controller, teardown });
  let topology: StartedTopology;
  try {
    const t0 = performance.now();
    topology = await launchTopology(input.spec, {
      signal: controller.signal,
      keep: true,
      logDir: input.logDir,
      onProgress: (line) => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`),
    });
  } catch (err) {
    if (controller.signal.aborted) throw new InterruptedError();
    throw err;
  } finally {
    handlers.uninstall();
  }
  await mkdir(join(PROJECT_ROOT, "build"), { recursive: true });
  await writeFile(CURRENT_FILE, `${JSON.stringify({ runId: topology.runId, network: topology.network, endpoints: topology.endpoints, spec: topology.spec }, null, 2)}\n`);
  const table = new Table({ head: ["endpoint", "address"] });
  const ep = topology.endpoints;
  table.push(
    ["run id", topology.runId],
    ["etcd (v2)", ep.etcd.join(" ")],
    ["apiserver (nginx :80)", ep.apiserver],
    ["scheduler (nginx :81)", ep.scheduler],
    ["mesos master", ep.mesosMaster ?? "(not started: emulation missing)"],
    ...ep.masters.map((m) => [`${m.role} (${m.name})`, `${m.ip}  apiserver :${PORTS.apiserver}, scheduler :${PORTS.scheduler}, controller-manager :${PORTS.controllerManager}`]),
    ...topology.nodes.agents.map((a) => [`${a.role}`, a.ip]),
  );
  console.log(table.toString());
  console.log(`left running; remove it with: npm run topology -- down   (recorded in ${CURRENT_FILE})`);
  return 0;
}

interface KeptTopology {
  readonly runId: string;
  readonly containers: Docker.ContainerInfo[];
  readonly networks: Docker.NetworkInspectInfo[];
}

/** Kept topologies (or the one of `runId`, kept or not) found by their labels. */
async function findTopologies(docker: Docker, runId: string | undefined): Promise<KeptTopology[]> {
  const label = runId ? [`${LABELS.runId}=${runId}`] : [`${KEEP_LABEL}=true`];
  const [containers, networks] = await Promise.all([
    docker.listContainers({ all: true, filters: { label } }),
    docker.listNetworks({ filters: { label } }),
  ]).catch((err: unknown) => {
    throw dockerError("list", "topology resources", err);
  });
  const byRun = new Map<string, KeptTopology>();
  const entry = (id: string): KeptTopology => {
    let e = byRun.get(id);
    if (!e) byRun.set(id, (e = { runId: id, containers: [], networks: [] }));
    return e;
  };
  for (const c of containers) entry(c.Labels[LABELS.runId] ?? "?").containers.push(c);
  for (const n of networks) entry(n.Labels?.[LABELS.runId] ?? "?").networks.push(n);
  return [...byRun.values()].sort((a, b) => a.runId.localeCompare(b.runId));
}

async function down(runId: string | undefined): Promise<number> {
  const docker = await getDocker();
  const found = await findTopologies(docker, runId);
  if (found.length === 0) {
    console.log(runId ? `no resources of run ${runId}` : "no kept topology is running");
    return 0;
  }
  let failures = 0;
  for (const t of found) {
    await Promise.all(
      t.containers.map((c) =>
        forceRemove(docker, c.Id).catch((err: unknown) => {
          failures++;
          console.error(`could not remove container ${c.Names[0]}: ${(err as Error).message}`);
        }),
      ),
    );
    for (const n of t.networks) {
      await docker.getNetwork(n.Id).remove().catch((err: unknown) => {
        if ((err as { statusCode?: number }).statusCode === 404) return;
        failures++;
        console.error(`could not remove network ${n.Name}: ${(err as Error).message}`);
      });
    }
    console.log(`removed topology ${t.runId} (${t.containers.length} containers, ${t.networks.length} network)`);
  }
  const current = await readCurrentRunId();
  if (current && found.some((t) => t.runId === current)) await rm(CURRENT_FILE, { force: true });
  return failures > 0 ? 2 : 0;
}

async function readCurrentRunId(): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(CURRENT_FILE, "utf8")) as { runId?: string }).runId;
  } catch {
    return undefined;
  }
}

/** The view of a running topology rebuilt from its containers' labels and addresses. */
function viewOf(t: KeptTopology): TopologyView {
  // A stopped or disconnected container has no address now: it shows as "(not running)".
  const all = t.containers.map((c) => ({ role: c.Labels[LABELS.role] ?? "", ip: Object.values(c.NetworkSettings?.Networks ?? {})[0]?.IPAddress ?? "" }));
  const byRole = (re: RegExp): { role: string; ip: string }[] => all.filter((x) => re.test(x.role)).sort((a, b) => a.role.localeCompare(b.role, undefined, { numeric: true }));
  const nginx = byRole(/^nginx$/)[0];
  const mesos = byRole(/^mesos-master$/)[0];
  return {
    etcd: byRole(/^etcd-\d+$/).filter((e) => e.ip).map((e) => `http://${e.ip}:${PORTS.etcd}`),
    apiserver: `http://${nginx?.ip || "nginx-not-running"}:${PORTS.nginxApiserver}`,
    ...(mesos ? { mesosMaster: `http://${mesos.ip || "mesos-master-not-running"}:${PORTS.mesosMaster}` } : {}),
    masters: byRole(/^master-\d+$/),
  };
}

async function status(runId: string | undefined): Promise<number> {
  const docker = await getDocker();
  const found = await findTopologies(docker, runId ?? (await readCurrentRunId()));
  if (found.length === 0) {
    console.log("no topology is running (start one with npm run topology -- up)");
    return 1;
  }
  for (const t of found) {
    const view = viewOf(t);
    const s = await topologyStatus(view);
    const roleOf = (ip: string | undefined): string => (ip ? (view.masters.find((m) => m.ip === ip)?.role ?? ip) : "-");
    console.log(`topology ${t.runId}: ${t.containers.length} containers, nginx ${s.nginx ? "answers" : "DOES NOT answer"} on ${view.apiserver}`);
    const leaders = new Table({ head: ["key", "holder"] });
    leaders.push(
      ["/scheduler (podmaster)", s.leaders.scheduler ? `${roleOf(s.leaders.scheduler)} (${s.leaders.scheduler})` : "-"],
      ["/controller (podmaster)", s.leaders.controller ? `${roleOf(s.leaders.controller)} (${s.leaders.controller})` : "-"],
      ["/mesos/k8sm/framework/Kubernetes/leader (--ha)", s.leaders.haScheduler ?? "-"],
    );
    console.log(leaders.toString());
    if (s.frameworks === undefined) console.log("frameworks: no Mesos master in this topology");
    else if ("error" in s.frameworks) console.log(`frameworks: cannot read state.json: ${s.frameworks.error}`);
    else {
      const fw = new Table({ head: ["framework", "name", "active", "pid", "scheduler on", "reregistered"] });
      for (const f of s.frameworks) fw.push([f.id, f.name, String(f.active), f.pid, roleOf(pidIp(f.pid)), f.reregisteredTime ? new Date(f.reregisteredTime * 1000).toISOString() : "-"]);
      console.log(s.frameworks.length ? fw.toString() : "frameworks: none registered");
    }
    const masters = new Table({ head: ["master", "ip", "apiserver :8080", "scheduler :10251", "controller-manager :10252"] });
    const mark = (b: boolean): string => (b ? "ok" : "-");
    for (const m of s.masters) masters.push([m.role, m.ip || "(not running)", mark(m.apiserver), mark(m.scheduler), mark(m.controllerManager)]);
    console.log(masters.toString());
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const cmd = parseTopologyArgs(argv);
  switch (cmd.command) {
    case "help":
      console.log(USAGE);
      return 0;
    case "up":
      return up(cmd.up);
    case "down":
      return down(cmd.runId);
    case "status":
      return status(cmd.runId);
  }
}

main(process.argv.slice(2)).then(
  // `up` leaves containers whose log streams would keep this process alive: exit explicitly.
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(formatError(err));
    process.exit(exitCodeFor(err));
  },
);
