/**
 * A second, independent Docker engine on this machine that stands in for a remote host, for the
 * Docker tests of harness/remote/ and `npm run bench -- engines` (so it lives in bench/, not in a
 * testing/ folder, which only tests may import). dockerd runs inside a network namespace of its
 * own (`ip netns add`), with its own data root, exec root, pidfile, cgroup parent, config file and
 * unix socket under one temporary folder, and its own docker0 bridge and iptables rules (both live in that namespace). No veth joins the
 * namespace to the host: the host can reach the engine only through its socket (a file, so it
 * works across namespaces), never its containers' addresses, as with a remote engine. Images get
 * in over the engine API (harness/remote/images.ts: save from one engine, load into the other).
 *
 * `ip netns exec` gives dockerd a private mount namespace too, so its overlay mounts never appear
 * on the host. The main engine (/var/run/docker.sock, /var/lib/docker, /var/run/docker, the host's
 * iptables) is never touched. Needs root, `ip` and `dockerd`.
 *
 * Disposing stops dockerd (SIGTERM: it stops its containers; SIGKILL after `stopTimeoutMs`), kills
 * whatever still runs in the namespace or was started from the folder (containerd, shims), deletes
 * the namespace, the cgroups and the folder, and checks that each is gone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, closeSync } from "node:fs";
import { mkdtemp, readdir, readFile, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import Docker from "dockerode";
import { sleep } from "../async/sleep.js";
import { waitFor } from "../async/wait-for.js";
import { isAlive } from "../docker/reaper.js";
import { run, runOk } from "../setup/exec.js";

export interface SecondEngine extends AsyncDisposable {
  /** `unix://<dir>/docker.sock`: what `--engine` takes. */
  readonly url: string;
  readonly socket: string;
  /** The network namespace's name (`ip netns list`). */
  readonly netns: string;
  /** The folder holding everything the engine writes. */
  readonly dir: string;
  readonly pid: number;
  /** A client of this engine. */
  readonly docker: Docker;
  /** The last lines of dockerd's log. */
  logTail(lines?: number): Promise<string>;
  /** Kills dockerd at once (SIGKILL), as a host that dies; `stop()` still removes everything. */
  kill(): void;
  /** Stops and removes everything (idempotent); throws naming what could not be removed. */
  stop(): Promise<void>;
}

export interface SecondEngineOptions {
  /** How long dockerd has to answer after it starts, in ms. @default 60_000 */
  readonly startTimeoutMs?: number;
  /** How long dockerd has to stop after SIGTERM before SIGKILL, in ms. @default 30_000 */
  readonly stopTimeoutMs?: number;
  /** Parent folder of the engine's folder (a short path: unix socket paths are limited to 107 bytes). @default /tmp */
  readonly parentDir?: string;
}

const PREFIX = "k8sm-e2-";
/** The pid of the process that started the engine, in its folder. */
const OWNER_FILE = "owner.pid";
/** A folder without an owner file younger than this is a start under way (another test process), not stale, in ms. */
const OWNERLESS_GRACE_MS = 60_000;

export async function startSecondEngine(opts: SecondEngineOptions = {}): Promise<SecondEngine> {
  if (process.getuid?.() !== 0) throw new Error("startSecondEngine needs root (ip netns, dockerd)");
  const dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].find((p) => existsSync(p));
  if (!dockerd) throw new Error("startSecondEngine: dockerd is not installed");
  const parent = opts.parentDir ?? "/tmp";
  // What a test process killed before its teardown left (its owner pid is gone): removed first.
  await removeStaleSecondEngines(parent);
  const dir = await mkdtemp(path.join(parent, PREFIX));
  // The folder, the namespace and the cgroup share one name: whoever finds one finds the others.
  const netns = path.basename(dir);
  const cgroupParent = netns;
  const socket = path.join(dir, "docker.sock");
  const logFile = path.join(dir, "dockerd.log");
  await writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`);
  let child: ChildProcess | undefined;
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> => (stopped ??= (async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child!.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const t = setTimeout(() => child?.kill("SIGKILL"), opts.stopTimeoutMs ?? 30_000);
      await exited;
      clearTimeout(t);
    }
    await removeEngine(dir);
  })());

  try {
    await runOk(`ip netns add ${netns}`, "ip", ["netns", "add", netns]);
    await runOk("bringing lo up", "ip", ["netns", "exec", netns, "ip", "link", "set", "lo", "up"]);
    // An empty config file: /etc/docker/daemon.json (the main engine's) must not apply here.
    await writeFile(path.join(dir, "daemon.json"), "{}\n");
    const out = openSync(logFile, "a");
    // `ip netns exec` remounts /sys for the namespace (so dockerd sees its own interfaces there, not
    // the host's), which hides the cgroup hierarchies mounted under it: they are mounted again,
    // as on the host, in its private mount namespace, before dockerd starts.
    child = spawn("ip", ["netns", "exec", netns, "sh", "-ec", `${await cgroupMountScript()}\nexec "$@"`, "sh", dockerd,
      "--config-file", path.join(dir, "daemon.json"),
      "--data-root", path.join(dir, "data"),
      "--exec-root", path.join(dir, "exec"),
      "--pidfile", path.join(dir, "dockerd.pid"),
      "--host", `unix://${socket}`,
      "--cgroup-parent", cgroupParent,
      "--log-level", "warn",
    ], { stdio: ["ignore", out, out] });
    closeSync(out);
    const started = child;
    let exitCode: number | null | undefined;
    started.on("exit", (code) => void (exitCode = code));
    const docker = new Docker({ socketPath: socket });
    const answered = await waitFor(async () => {
      if (exitCode !== undefined) return "exited";
      return existsSync(socket) && (await docker.ping().then(() => "up", () => false));
    }, { description: `the second engine answers at ${socket}`, timeoutMs: opts.startTimeoutMs ?? 60_000, intervalMs: 250 });
    if (answered === "exited") throw new Error(`dockerd exited with code ${String(exitCode)}`);
    return {
      url: `unix://${socket}`,
      socket,
      netns,
      dir,
      pid: started.pid!,
      docker,
      logTail: (lines = 30) => tail(logFile, lines),
      kill: () => void started.kill("SIGKILL"),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    const log = await tail(logFile, 15);
    await stop().catch(() => {});
    throw new Error(`the second engine did not start: ${(err as Error).message}${log ? `\ndockerd log:\n${log}` : ""}`, { cause: err });
  }
}

/**
 * Removes a second engine by its folder: dockerd (by its pidfile: SIGTERM, SIGKILL after
 * `stopTimeoutMs`) if it still runs, whatever runs in its namespace or from its folder
 * (containerd, shims), the namespace, its cgroups, the folder. Throws naming what could not be removed.
 */
async function removeEngine(dir: string, stopTimeoutMs = 30_000): Promise<void> {
  const netns = path.basename(dir);
  const cgroupParent = netns;
  const problems: string[] = [];
  const dockerdPid = Number((await readFile(path.join(dir, "dockerd.pid"), "utf8").catch(() => "")).trim());
  if (Number.isInteger(dockerdPid) && dockerdPid > 0 && isAlive(dockerdPid) && (await readFile(`/proc/${dockerdPid}/cmdline`, "utf8").catch(() => "")).includes(dir)) {
    process.kill(dockerdPid, "SIGTERM");
    const deadline = performance.now() + stopTimeoutMs;
    while (isAlive(dockerdPid) && performance.now() < deadline) await sleep(200);
  }
  // containerd, its shims and any container process left in the namespace, or started from the folder.
  for (let attempt = 0; attempt < 10; attempt++) {
    const pids = await leftoverPids(netns, dir);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch { /* gone meanwhile */ }
    }
    await sleep(300);
    if (attempt === 9) problems.push(`processes still running: ${(await leftoverPids(netns, dir)).join(", ")}`);
  }
  const del = await run("ip", ["netns", "del", netns], { timeoutMs: 10_000 });
  if (del.code !== 0 && (await netnsExists(netns))) problems.push(`ip netns del ${netns}: ${del.output.trim()}`);
  for (const hierarchy of await readdir("/sys/fs/cgroup").catch(() => [] as string[])) {
    const cg = path.join("/sys/fs/cgroup", hierarchy, cgroupParent);
    if (!existsSync(cg)) continue;
    // Children first (a container's cgroup under the parent), then the parent.
    for (const sub of await readdir(cg, { withFileTypes: true }).catch(() => [])) if (sub.isDirectory()) await rmdir(path.join(cg, sub.name)).catch(() => {});
    await rmdir(cg).catch((err: unknown) => problems.push(`cgroup ${cg}: ${(err as Error).message}`));
  }
  // Mounts are in dockerd's private mount namespace, gone with its processes; any that reached the host's are undone first.
  const mounts = (await readFile("/proc/mounts", "utf8")).split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(`${dir}/`));
  for (const m of mounts.sort().reverse()) await run("umount", ["-l", m], { timeoutMs: 10_000 });
  const removed = await run("rm", ["-rf", "--one-file-system", dir], { timeoutMs: 120_000 });
  if (removed.code !== 0 || existsSync(dir)) problems.push(`rm -rf ${dir}: ${removed.output.trim() || "still there"}`);
  if (problems.length) throw new Error(`second engine ${netns} not fully removed: ${problems.join("; ")}`);
}

/** Second engines under `parent` whose owner process is gone (a test killed before its teardown), removed. */
export async function removeStaleSecondEngines(parent = "/tmp"): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(parent, name);
    const owner = Number((await readFile(path.join(dir, OWNER_FILE), "utf8").catch(() => "")).trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) continue;
    // No owner yet: another process between its mkdtemp and writing the file, unless the folder is old.
    if (!(Number.isInteger(owner) && owner > 0) && Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? 0) < OWNERLESS_GRACE_MS) continue;
    await removeEngine(dir);
    removed.push(dir);
  }
  return removed;
}

/**
 * Pids of processes in the namespace (`ip netns pids`), whose command line names the folder
 * (containerd, shims), or in the engine's cgroups (its containers, each in a network namespace of
 * its own: they outlive a dockerd that was killed, as on a host whose engine died).
 */
async function leftoverPids(netns: string, dir: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const hierarchy of await readdir("/sys/fs/cgroup").catch(() => [] as string[])) {
    for (const pid of await cgroupPids(path.join("/sys/fs/cgroup", hierarchy, netns))) pids.add(pid);
  }
  if (await netnsExists(netns)) {
    const r = await run("ip", ["netns", "pids", netns], { timeoutMs: 10_000 });
    for (const l of r.output.split("\n")) if (/^\d+$/.test(l.trim())) pids.add(Number(l.trim()));
  }
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(dir)) pids.add(Number(entry));
  }
  return [...pids];
}

/** The pids in a cgroup and every cgroup below it. */
async function cgroupPids(cg: string): Promise<number[]> {
  const own = (await readFile(path.join(cg, "cgroup.procs"), "utf8").catch(() => "")).split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
  const subs = (await readdir(cg, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory());
  return [...own, ...(await Promise.all(subs.map((d) => cgroupPids(path.join(cg, d.name))))).flat()];
}

/** Shell lines that mount the cgroup hierarchies (and the tmpfs holding them) as the host has them under /sys/fs/cgroup. */
async function cgroupMountScript(): Promise<string> {
  const lines: string[] = [];
  for (const line of (await readFile("/proc/self/mounts", "utf8")).split("\n")) {
    const [source, target, type, options] = line.split(" ");
    if (!source || !target || !type || !options || !(target === "/sys/fs/cgroup" || target.startsWith("/sys/fs/cgroup/"))) continue;
    if (!["tmpfs", "cgroup", "cgroup2"].includes(type)) continue;
    lines.push(`mkdir -p '${target}'`, `mount -t ${type} -o '${options}' '${source}' '${target}'`);
  }
  return lines.join("\n");
}

async function netnsExists(netns: string): Promise<boolean> {
  return existsSync(path.join("/run/netns", netns));
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trim().split("\n").slice(-lines).join("\n");
}
