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
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Table from "cli-table3";
import type Docker from "dockerode";
import { InputError } from "../errors.js";
import { dockerCall, dockerError, getDocker } from "../docker/client.js";
import { forceRemove } from "../docker/containers.js";
import { LABELS } from "../docker/labels.js";
import { removeNetwork } from "../docker/network.js";
import { WATCHED_KEYS } from "../history/types.js";
import { RUN_ID_PATTERN } from "../docker/run-id.js";
import { PROJECT_ROOT } from "../paths.js";
import { launchTopology, type StartedTopology } from "../topology/launch.js";
import { PORTS } from "../topology/render.js";
import { applySetOverrides, MODES, PROFILES, profileSpec, SEED_SPEC, setKeysHelp, validateTopologySpec, type Profile, type TopologySpec } from "../topology/spec.js";
import { formatTimestamp } from "../reporting/text.js";
import { pidIp, topologyStatus, type TopologyView } from "../topology/status.js";
import { intOption, writableDirOption } from "./args.js";
import { tableStyle } from "./color.js";
import { defineCommand, runCommand, type CommandArgs, type CommandContext } from "./shell.js";

const COMMANDS = ["up", "down", "status"] as const;

const OPTIONS = {
  masters: { type: "string" },
  mode: { type: "string" },
  profile: { type: "string" },
  set: { type: "string", multiple: true },
  "log-dir": { type: "string" },
  "run-id": { type: "string" },
  json: { type: "boolean" },
} as const;

const CURRENT_FILE = join(PROJECT_ROOT, "build", "topology-current.json");

interface UpInput {
  readonly spec: TopologySpec;
  readonly logDir: string | undefined;
}

type TopologyInput =
  | { readonly command: "up"; readonly up: UpInput }
  | { readonly command: "down"; readonly runId: string | undefined }
  | { readonly command: "status"; readonly runId: string | undefined; readonly json: boolean };

/** Validates the command line; throws InputError (exit 2) before anything starts. */
async function parseTopologyArgs({ values, positionals }: CommandArgs<typeof OPTIONS>): Promise<TopologyInput> {
  const command = positionals[0] as (typeof COMMANDS)[number]; // the shell checked it is one of COMMANDS
  const runId = values["run-id"];
  if (runId !== undefined && !RUN_ID_PATTERN.test(runId)) throw new InputError(`--run-id ${JSON.stringify(runId)} is not a run id`, "run ids look like 20250101-120000-3fa2");
  const upOnly = (["masters", "mode", "profile", "set", "log-dir"] as const).filter((k) => values[k] !== undefined);
  if (values.json && command !== "status") throw new InputError(`--json is an option of \`status\`, not of \`${command}\``);
  if (command === "down" || command === "status") {
    if (upOnly.length > 0) throw new InputError(`--${upOnly[0]} is an option of \`up\`, not of \`${command}\``);
    return command === "status" ? { command, runId, json: values.json ?? false } : { command, runId };
  }
  if (runId !== undefined) throw new InputError("--run-id is an option of `down` and `status`");
  const profile = values.profile ?? "seed";
  if (!PROFILES.includes(profile as Profile)) throw new InputError(`--profile ${JSON.stringify(profile)}: valid profiles are ${PROFILES.join(", ")}`);
  // --masters and --mode are checked as themselves: an error names the flag the user typed, not a --set they did not.
  const masters = values.masters === undefined ? undefined : intOption("masters", values.masters, SEED_SPEC.masters, 1, 9);
  if (values.mode !== undefined && !MODES.includes(values.mode as (typeof MODES)[number])) {
    throw new InputError(`--mode ${JSON.stringify(values.mode)}: valid modes are ${MODES.join(", ")}`);
  }
  const flags = { ...(masters !== undefined ? { masters } : {}), ...(values.mode !== undefined ? { mode: values.mode } : {}) };
  const spec = validateTopologySpec(flags, applySetOverrides(profileSpec(profile as Profile), values.set ?? []));
  // Checked (and created) before any container starts, else the launch would fail half-way.
  const logDir = values["log-dir"] === undefined ? undefined : await writableDirOption("log-dir", values["log-dir"], "");
  return { command: "up", up: { spec, logDir } };
}

async function up(ctx: CommandContext<typeof OPTIONS, TopologyInput>, input: UpInput): Promise<number> {
  const topology: StartedTopology = await launchTopology(input.spec, { signal: ctx.signal, keep: true, logDir: input.logDir, onProgress: ctx.progress });
  await mkdir(join(PROJECT_ROOT, "build"), { recursive: true });
  await writeFile(CURRENT_FILE, `${JSON.stringify({ runId: topology.runId, network: topology.network, endpoints: topology.endpoints, spec: topology.spec }, null, 2)}\n`);
  const table = new Table({ head: ["endpoint", "address"], style: tableStyle() });
  const ep = topology.endpoints;
  table.push(
    ["run id", topology.runId],
    ["etcd (v2)", ep.etcd.join(" ")],
    ["apiserver (nginx :80)", ep.apiserver],
    ["scheduler (nginx :81)", ep.scheduler],
    ["mesos master", ep.mesosMaster ?? "(not started: emulation missing)"],
    ...ep.masters.map((m) => [`${m.role} (${m.name})`, m.ip]),
    ...topology.nodes.agents.map((a) => [`${a.role}`, a.ip]),
  );
  ctx.out(table.toString());
  ctx.out(`on each master: apiserver :${PORTS.apiserver}, scheduler :${PORTS.scheduler}, controller-manager :${PORTS.controllerManager}`);
  ctx.out(`left running; remove it with: npm run topology -- down   (recorded in ${CURRENT_FILE})`);
  return 0;
}

interface KeptTopology {
  readonly runId: string;
  readonly containers: Docker.ContainerInfo[];
  readonly networks: Docker.NetworkInspectInfo[];
}

/** Kept topologies (or the one of `runId`, kept or not) found by their labels. */
async function findTopologies(docker: Docker, runId: string | undefined): Promise<KeptTopology[]> {
  const label = runId ? [`${LABELS.runId}=${runId}`] : [`${LABELS.keep}=true`];
  const [containers, networks] = await Promise.all([
    dockerCall(docker, "read", "list", "containers", (abortSignal) => docker.listContainers({ all: true, filters: { label }, abortSignal })),
    dockerCall(docker, "read", "list", "networks", (abortSignal) => docker.listNetworks({ filters: { label }, abortSignal })),
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

async function down(ctx: CommandContext<typeof OPTIONS, TopologyInput>, runId: string | undefined): Promise<number> {
  const docker = await getDocker();
  const found = await findTopologies(docker, runId);
  if (found.length === 0) {
    ctx.out(runId ? `no resources of run ${runId}` : "no kept topology is running");
    return 0;
  }
  let failures = 0;
  for (const t of found) {
    await Promise.all(
      t.containers.map((c) =>
        forceRemove(docker, c.Id).catch((err: unknown) => {
          failures++;
          ctx.progress(`could not remove container ${c.Names[0]}: ${(err as Error).message}`);
        }),
      ),
    );
    for (const n of t.networks) {
      await removeNetwork(docker, n.Id, n.Name).catch((err: unknown) => {
        failures++;
        ctx.progress(`could not remove network ${n.Name}: ${(err as Error).message}`);
      });
    }
    ctx.out(`removed topology ${t.runId} (${t.containers.length} containers, ${t.networks.length} network)`);
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

/** `status --json`: one object per topology, the same facts as the tables. */
function statusJson(t: KeptTopology, view: TopologyView, s: Awaited<ReturnType<typeof topologyStatus>>, roleOf: (ip: string | undefined) => string): object {
  const holder = (ip: string | undefined) => (ip ? { ip, role: roleOf(ip) } : null);
  return {
    runId: t.runId,
    containers: t.containers.length,
    nginx: { answers: s.nginx, apiserver: view.apiserver },
    leaders: {
      [WATCHED_KEYS.scheduler]: holder(s.leaders.scheduler),
      [WATCHED_KEYS.controller]: holder(s.leaders.controller),
      [WATCHED_KEYS.haLeader()]: s.leaders.haScheduler ?? null,
    },
    frameworks:
      s.frameworks === undefined ? null
      : "error" in s.frameworks ? { error: s.frameworks.error }
      : s.frameworks.map((f) => ({ ...f, schedulerOn: roleOf(pidIp(f.pid)) })),
    masters: s.masters,
  };
}

async function status(ctx: CommandContext<typeof OPTIONS, TopologyInput>, runId: string | undefined, json: boolean): Promise<number> {
  const docker = await getDocker();
  const found = await findTopologies(docker, runId ?? (await readCurrentRunId()));
  if (found.length === 0) {
    ctx.out(json ? "[]" : "no topology is running (start one with npm run topology -- up)");
    return 1;
  }
  const all: object[] = [];
  for (const t of found) {
    const view = viewOf(t);
    const s = await topologyStatus(view);
    const roleOf = (ip: string | undefined): string => (ip ? (view.masters.find((m) => m.ip === ip)?.role ?? ip) : "-");
    if (json) {
      all.push(statusJson(t, view, s, roleOf));
      continue;
    }
    ctx.out(`topology ${t.runId}: ${t.containers.length} containers, nginx ${s.nginx ? "answers" : "DOES NOT answer"} on ${view.apiserver}`);
    const leaders = new Table({ head: ["key", "holder"], style: tableStyle() });
    leaders.push(
      [`${WATCHED_KEYS.scheduler} (podmaster)`, s.leaders.scheduler ? `${roleOf(s.leaders.scheduler)} (${s.leaders.scheduler})` : "-"],
      [`${WATCHED_KEYS.controller} (podmaster)`, s.leaders.controller ? `${roleOf(s.leaders.controller)} (${s.leaders.controller})` : "-"],
      [`${WATCHED_KEYS.haLeader()} (--ha)`, s.leaders.haScheduler ?? "-"],
    );
    ctx.out(leaders.toString());
    if (s.frameworks === undefined) ctx.out("frameworks: no Mesos master in this topology");
    else if ("error" in s.frameworks) ctx.out(`frameworks: cannot read state.json: ${s.frameworks.error}`);
    else {
      // Two lines per framework keep the table within 120 columns.
      const fw = new Table({ head: ["framework", "active", "scheduler pid", "reregistered"], style: tableStyle() });
      for (const f of s.frameworks) fw.push([`${f.id}\n${f.name}`, String(f.active), `${f.pid}\non ${roleOf(pidIp(f.pid))}`, f.reregisteredTime ? formatTimestamp(f.reregisteredTime * 1000) : "-"]);
      ctx.out(s.frameworks.length ? fw.toString() : "frameworks: none registered");
    }
    const masters = new Table({ head: ["master", "ip", "apiserver :8080", "scheduler :10251", "controller-manager :10252"], style: tableStyle() });
    const mark = (b: boolean): string => (b ? "ok" : "-");
    for (const m of s.masters) masters.push([m.role, m.ip || "(not running)", mark(m.apiserver), mark(m.scheduler), mark(m.controllerManager)]);
    ctx.out(masters.toString());
  }
  if (json) ctx.out(JSON.stringify(all, null, 2));
  return 0;
}

const topologyCommand = defineCommand({
  name: "topology",
  usage: "npm run topology -- <up|down|status> [options]",
  summary: `The seed's topology, left running for a person to poke at.

commands:
  up      start it and leave it running (the reaper leaves it); prints its endpoints
  down    remove the kept topologies (all, or --run-id ID)
  status  leaders of /scheduler, /controller and the HA key, frameworks, per-master health`,
  options: OPTIONS,
  optionHelp: {
    masters: ["N", "up: k8sm master nodes (default 2)"],
    mode: ["MODE", `up: ${MODES.join(" | ")} (default cold-standby)`],
    profile: ["P", `up: ${PROFILES.join(" | ")}; seed: the real defaults, fast: small timers (default seed)`],
    set: ["key=value", "up: any tunable (repeatable); keys: see below"],
    "log-dir": ["DIR", "up: append each container's log to DIR/<container>.log while up runs"],
    "run-id": ["ID", "down, status: that run's topology only"],
    json: "status: print it as JSON (one object per topology; [] and exit 1 when none runs)",
  },
  positionals: { name: "command", choices: COMMANDS },
  epilog: `--set keys:\n  ${setKeysHelp().join("\n  ")}`,
  parse: parseTopologyArgs,
  run: (ctx) => {
    const input = ctx.input;
    switch (input.command) {
      case "up":
        return up(ctx, input.up);
      case "down":
        return down(ctx, input.runId);
      case "status":
        return status(ctx, input.runId, input.json);
    }
  },
});

// `up` leaves containers whose log streams would keep this process alive: exit explicitly.
process.exit(await runCommand(topologyCommand, process.argv.slice(2)));
