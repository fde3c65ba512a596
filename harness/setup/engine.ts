/**
 * Host packages and a Docker engine that answers. Uses DOCKER_HOST or the local socket when an
 * engine answers there; otherwise (Debian, root) installs Debian's docker.io and starts dockerd in
 * the background (there is no systemd on these machines).
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, openSync } from "node:fs";
import { delimiter, join } from "node:path";
import { waitFor, WaitTimeoutError } from "../async/wait-for.js";
import { DockerUnavailableError } from "../errors.js";
import { lastLines, run, runOk } from "./exec.js";

/** Commands the harness uses on the host, and the Debian package that provides each. */
export const HOST_TOOLS: ReadonlyArray<{ readonly command: string; readonly pkg: string }> = [
  { command: "docker", pkg: "docker.io" },
  { command: "dockerd", pkg: "docker.io" },
  { command: "iptables", pkg: "iptables" },
  // The second engine of the remote-engine test (harness/bench/second-engine.ts) runs in a network namespace.
  { command: "ip", pkg: "iproute2" },
  { command: "debootstrap", pkg: "debootstrap" },
  { command: "etcd", pkg: "etcd-server" },
  { command: "etcdctl", pkg: "etcd-client" },
  { command: "nginx", pkg: "nginx-light" },
  // The browser test of report.html (harness/reporting/report-browser.test.ts) drives it through playwright-core.
  { command: "chromium", pkg: "chromium" },
];

const INSTALL_HINT = `As root on Debian: \`apt-get install -y docker.io iptables\`, then run \`npm run setup\` again (it starts dockerd); or set DOCKER_HOST to an engine that answers.`;
export const DOCKERD_LOG = "/var/log/dockerd.log";

/** Full path of `command` on PATH (plus the sbin directories, which a non-login root shell may lack). */
export function whichCommand(command: string, path = process.env.PATH ?? ""): string | undefined {
  const dirs = [...path.split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"].filter(Boolean);
  for (const dir of dirs) {
    const full = join(dir, command);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Debian packages whose commands are missing, without duplicates. */
export function missingPackages(path?: string): string[] {
  return [...new Set(HOST_TOOLS.filter((t) => !whichCommand(t.command, path)).map((t) => t.pkg))];
}

export function canInstallPackages(): boolean {
  return process.getuid?.() === 0 && existsSync("/etc/debian_version") && whichCommand("apt-get") !== undefined;
}

/** Installs the missing host packages when it can. Returns a line for the step summary. */
export async function ensureHostPackages(opts: { logDir: string; progress: (line: string) => void; signal?: AbortSignal }): Promise<string> {
  const missing = missingPackages();
  if (missing.length === 0) return "all present";
  if (!canInstallPackages()) {
    opts.progress(`warning: missing ${missing.join(", ")} and cannot install them (needs root on Debian); the unit tests need etcd-server, etcd-client, nginx-light and chromium`);
    return `missing: ${missing.join(", ")}`;
  }
  const log = join(opts.logDir, "apt.log");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  opts.progress(`apt-get install ${missing.join(" ")} (log: ${log})`);
  const hint = `See ${log}; check that Debian's archive answers (\`apt-get update\`).`;
  await runOk("apt-get update", "apt-get", ["update"], { env, logFile: log, hint, signal: opts.signal });
  await runOk("apt-get install", "apt-get", ["install", "-y", "--no-install-recommends", ...missing], { env, logFile: log, hint, signal: opts.signal });
  return `installed ${missing.join(", ")}`;
}

export type EngineTarget = { readonly kind: "docker-host"; readonly host: string } | { readonly kind: "local" };

/** Which engine to talk to: DOCKER_HOST when set and non-empty, else the local socket. */
export function engineTarget(env: NodeJS.ProcessEnv = process.env): EngineTarget {
  const host = env.DOCKER_HOST?.trim();
  return host ? { kind: "docker-host", host } : { kind: "local" };
}

interface EngineInfo { readonly version: string; readonly rootDir: string }

/** `docker info` with a short timeout: the server version and data root, or undefined plus why not. */
export async function probeEngine(env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<{ info?: EngineInfo; why: string }> {
  const res = await run("docker", ["info", "--format", "{{.ServerVersion}}|{{.DockerRootDir}}"], { env, timeoutMs });
  const out = res.output.trim();
  const [version, rootDir] = out.split("|");
  if (res.code === 0 && version && rootDir) return { info: { version, rootDir }, why: "" };
  return { why: res.error?.message ?? (out.split("\n").at(-1) || `exit code ${res.code}`) };
}

export interface EngineResult {
  /** One line for the step summary. */
  readonly detail: string;
  /** The engine's data root, when the engine runs on this machine (for free-space checks). */
  readonly dockerRoot?: string;
}

/**
 * Makes a Docker engine answer, or throws `E_DOCKER_UNAVAILABLE` saying what to do. A DOCKER_HOST
 * that does not answer is an error, never a silent fall-back to the local engine.
 */
export async function ensureEngine(opts: { env?: NodeJS.ProcessEnv; progress: (line: string) => void; startTimeoutMs?: number; signal?: AbortSignal }): Promise<EngineResult> {
  const env = opts.env ?? process.env;
  if (!whichCommand("docker", env.PATH)) {
    throw new DockerUnavailableError("the docker command is not installed", INSTALL_HINT);
  }
  const target = engineTarget(env);
  if (target.kind === "docker-host") {
    const { info, why } = await probeEngine(env);
    if (!info) {
      throw new DockerUnavailableError(`DOCKER_HOST=${target.host} does not answer: ${why}`,
        "Start the engine at that address, or unset DOCKER_HOST to use (or start) the local engine.");
    }
    const local = target.host.startsWith("unix://");
    return { detail: `DOCKER_HOST=${target.host} (engine ${info.version})`, dockerRoot: local ? info.rootDir : undefined };
  }
  const first = await probeEngine(env);
  if (first.info) return { detail: `local engine ${first.info.version}`, dockerRoot: first.info.rootDir };

  const dockerd = whichCommand("dockerd", env.PATH);
  if (!dockerd) {
    throw new DockerUnavailableError(`no Docker engine answers (${first.why}) and dockerd is not installed`, INSTALL_HINT);
  }
  if (process.getuid?.() !== 0) {
    throw new DockerUnavailableError(`no Docker engine answers (${first.why})`, "Start it as root: `dockerd >/var/log/dockerd.log 2>&1 &`, then run `npm run setup` again.");
  }
  opts.progress(`starting dockerd in the background (log: ${DOCKERD_LOG})`);
  const out = openSync(DOCKERD_LOG, "a");
  const child = spawn(dockerd, [], { detached: true, stdio: ["ignore", out, out], env });
  let exited: number | null | undefined;
  child.on("exit", (code) => { exited = code; });
  child.unref();
  const started = await waitFor(async () => (exited !== undefined ? "exited" : (await probeEngine(env, 5_000)).info), {
    description: "dockerd answers",
    timeoutMs: opts.startTimeoutMs ?? 60_000,
    intervalMs: 500,
    signal: opts.signal,
  }).catch((err: unknown) => {
    if (err instanceof WaitTimeoutError) return undefined;
    throw err;
  });
  if (started && started !== "exited") return { detail: `started dockerd ${started.version} (pid ${child.pid})`, dockerRoot: started.rootDir };
  const { output } = await run("tail", ["-n", "15", DOCKERD_LOG]);
  throw new DockerUnavailableError(
    `dockerd ${exited === undefined ? "did not answer in time" : `exited with code ${exited}`}; last lines of ${DOCKERD_LOG}:\n${lastLines(output)}`,
    `Read ${DOCKERD_LOG}, fix the cause (a stale /var/run/docker.pid, missing iptables), then run \`npm run setup\` again.`,
  );
}
