/**
 * One labelled container on the run's network: started with testcontainers (create, copy files in,
 * start), everything testcontainers lacks done with dockerode (docker-init as PID 1, aliases set at
 * create time so the container is on the run network only, pause/unpause, kill with a signal,
 * network disconnect/connect, fresh inspect, pause-aware removal).
 *
 * Ryuk (testcontainers' reaper) cannot be pulled here: this module sets
 * TESTCONTAINERS_RYUK_DISABLED=true (unless already set) and starts containers with
 * `withAutoCleanup(false)`, so testcontainers never asks for Ryuk. Leftovers of a crashed run are
 * removed by `reap()` (./reaper.ts) through the harness's labels.
 *
 * Every engine call runs under a deadline (`dockerCall`, ./client.ts); removal retries what a busy
 * engine answers with a 5xx or a reset connection (`retryTransient`).
 */
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";

import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import { createInterface } from "node:readline";
import type Docker from "dockerode";
import { GenericContainer, type StartedTestContainer } from "testcontainers";
import { request } from "undici";
import { HarnessError, TopologyUnhealthyError } from "../errors.js";
import { waitFor, WaitTimeoutError } from "../async/wait-for.js";
import { dockerCall, dockerError, dockerStatus, retryTransient, type DockerCallKind, type DockerCallOptions } from "./client.js";
import { runLabels } from "./labels.js";

export type LogStream = "stdout" | "stderr";

/** When a started container counts as ready. */
export type WaitSpec =
  /** A log line (stdout or stderr) matches `pattern`, `times` times (@default 1). */
  | { readonly kind: "log"; readonly pattern: RegExp | string; readonly times?: number }
  /** `GET http://<ip on the run network>:<port><path>` answers `status` (@default any 2xx). */
  | { readonly kind: "http"; readonly port: number; readonly path: string; readonly status?: number }
  /** Ready as soon as it runs. */
  | { readonly kind: "none" };

export interface ContainerSpec {
  /** Image tag, e.g. `resolveImages().base`. Must exist in the engine (no pulls here). */
  readonly image: string;
  readonly runId: string;
  /** The `k8sm-chaos.role` label, e.g. `etcd-0`; also the name suffix. */
  readonly role: string;
  /** Container name. @default `k8sm-<runId>-<role>` */
  readonly name?: string;
  /** The run network's name (`RunNetwork.name`). The container is attached to it only. */
  readonly network: string;
  /** DNS names on the run network. @default [role] */
  readonly aliases?: readonly string[];
  /** A static address on the run network (it must have a subnet: `createRunNetwork` with `subnetPrefix`). @default Docker's choice */
  readonly ipv4Address?: string;
  /** The container's hostname. @default the first alias */
  readonly hostname?: string;
  readonly cmd?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Files written into the container before it starts. `mode` @default 0o644 */
  readonly files?: readonly { readonly path: string; readonly content: string; readonly mode?: number }[];
  /** Linux capabilities to add, e.g. `["NET_ADMIN"]` for iptables. */
  readonly capAdd?: readonly string[];
  /** Run docker-init as PID 1 (reaps zombies, forwards signals). @default true */
  readonly init?: boolean;
  /** Append every log line (stdout and stderr, as they come) to this file. */
  readonly logFile?: string;
  /**
   * Called once when `logFile` cannot be written (a full disk: `E_DISK_FULL`; else `E_REPORT`):
   * the file is closed there (it is incomplete from that line on) and the lines still reach
   * `onLogLine` and the tail. Never a crash. @default a line on stderr
   */
  readonly onLogFileError?: (err: HarnessError) => void;
  /** Called for every log line. Must not throw. */
  readonly onLogLine?: (line: string, stream: LogStream) => void;
  /** @default { kind: "none" } */
  readonly wait?: WaitSpec;
  /** Time to become ready, in ms. @default 60_000 */
  readonly startupTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL when stopping, in ms (rounded up to whole seconds). @default 1_000 */
  readonly stopTimeoutMs?: number;
  /** Extra labels; the run labels always win. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface StartOptions {
  /** The run's signal: an abort during start removes the container and rethrows the reason. */
  readonly signal?: AbortSignal;
}

export interface ContainerState {
  /** Docker's status: created, running, paused, restarting, removing, exited, dead. */
  readonly status: string;
  readonly running: boolean;
  readonly paused: boolean;
  readonly exitCode: number;
  /** PID of the container's PID 1 on the host (0 when not running). */
  readonly pid: number;
  /** IPv4 address on the run network; undefined while disconnected or stopped. */
  readonly ipAddress: string | undefined;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Extends GenericContainer with what it has no builder method for. */
class HarnessGenericContainer extends GenericContainer {
  withInit(): this {
    this.hostConfig.Init = true;
    return this;
  }

  /** Attach to `network` with `aliases` (and a static address) at create time (testcontainers would connect the default bridge first). */
  withNetworkAndAliases(network: string, aliases: readonly string[], ipv4Address?: string): this {
    this.withNetworkMode(network);
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: endpointConfig(aliases, ipv4Address) } };
    return this;
  }
}

function endpointConfig(aliases: readonly string[], ipv4Address?: string): { Aliases: string[]; IPAMConfig?: { IPv4Address: string } } {
  return { Aliases: [...aliases], ...(ipv4Address ? { IPAMConfig: { IPv4Address: ipv4Address } } : {}) };
}

/** Starts a labelled container and waits until it is ready. The caller registers it on a TeardownStack. */
export async function startContainer(docker: Docker, spec: ContainerSpec, options: StartOptions = {}): Promise<StartedContainer> {
  const name = spec.name ?? `k8sm-${spec.runId}-${spec.role}`;
  const aliases = spec.aliases ?? [spec.role];
  const signal = options.signal;
  signal?.throwIfAborted();
  await requireImage(docker, spec.image, signal);

  const builder = new HarnessGenericContainer(spec.image)
    .withName(name)
    .withLabels({ ...spec.labels, ...runLabels(spec.runId, spec.role) })
    .withNetworkAndAliases(spec.network, aliases, spec.ipv4Address)
    .withAutoCleanup(false);
  const hostname = spec.hostname ?? aliases[0];
  if (hostname) builder.withHostname(hostname);
  if (spec.cmd) builder.withCommand([...spec.cmd]);
  if (spec.entrypoint) builder.withEntrypoint([...spec.entrypoint]);
  if (spec.env) builder.withEnvironment({ ...spec.env });
  if (spec.capAdd?.length) builder.withAddedCapabilities(...spec.capAdd);
  if (spec.init ?? true) builder.withInit();
  if (spec.files?.length) {
    builder.withCopyContentToContainer(spec.files.map((f) => ({ content: f.content, target: f.path, mode: f.mode ?? 0o644 })));
  }

  let started: StartedTestContainer;
  try {
    // testcontainers talks to the engine with its own client and takes no signal: a deadline only.
    started = await dockerCall(docker, "change", "start container", name, () => builder.start());
  } catch (err) {
    // A failure after create (copying files, starting) leaves a container behind: remove it.
    await forceRemove(docker, name).catch(() => {});
    throw dockerError("start container", `${name} (image ${spec.image}${spec.ipv4Address ? `, ${spec.ipv4Address}` : ""})`, err);
  }

  const container = new StartedContainer(docker, started.getId(), name, spec, aliases);
  try {
    await container.attachLogs(0);
    signal?.throwIfAborted();
    await container.waitReady(spec.wait ?? { kind: "none" }, spec.startupTimeoutMs ?? 60_000, signal);
  } catch (err) {
    await container.remove().catch(() => {});
    throw err;
  }
  return container;
}

export class StartedContainer implements AsyncDisposable {
  readonly runId: string;
  readonly role: string;
  readonly image: string;
  readonly network: string;
  readonly aliases: readonly string[];
  readonly #docker: Docker;
  readonly #spec: ContainerSpec;
  readonly #tail: string[] = [];
  readonly #matchers = new Set<(line: string) => void>();
  #logs: { ended: Promise<void>; destroy: () => void } | undefined;
  #logFile: WriteStream | undefined;
  #logFileFailed = false;
  #removal: Promise<void> | undefined;

  constructor(
    docker: Docker,
    readonly id: string,
    readonly name: string,
    spec: ContainerSpec,
    aliases: readonly string[],
  ) {
    this.#docker = docker;
    this.#spec = spec;
    this.runId = spec.runId;
    this.role = spec.role;
    this.image = spec.image;
    this.network = spec.network;
    this.aliases = aliases;
  }

  /** The last log lines seen (both streams, at most 50), for error messages. */
  logTail(lines = 20): string[] {
    return this.#tail.slice(-lines);
  }

  /** A fresh `docker inspect`. */
  async inspect(): Promise<ContainerState> {
    const info = await this.#call("read", "inspect", (abortSignal) => this.#container().inspect({ abortSignal }));
    const ip = info.NetworkSettings?.Networks?.[this.network]?.IPAddress;
    return {
      status: info.State.Status,
      running: info.State.Running,
      paused: info.State.Paused,
      exitCode: info.State.ExitCode,
      pid: info.State.Pid,
      ipAddress: ip ? ip : undefined,
    };
  }

  /** The IPv4 address on the run network right now; throws when it has none (stopped, disconnected). */
  async ipAddress(): Promise<string> {
    const state = await this.inspect();
    if (!state.ipAddress) {
      throw new HarnessError("E_INTERNAL", `${this.name} has no address on ${this.network} (status ${state.status})`);
    }
    return state.ipAddress;
  }

  /** `docker pause`: freezes every process (the cgroup freezer), connections stay open. */
  async pause(): Promise<void> {
    await this.#call("control", "pause", (abortSignal) => this.#container().pause({ abortSignal }));
  }

  async unpause(): Promise<void> {
    await this.#call("control", "unpause", (abortSignal) => this.#container().unpause({ abortSignal }));
  }

  /** `docker kill --signal`. With init (the default) docker-init forwards it to the main process. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.#call("control", `kill (${signal})`, (abortSignal) => this.#container().kill({ signal, abortSignal }));
  }

  /** `docker start` again after the container stopped or was killed; logs are followed again. */
  async start(): Promise<void> {
    // Follow only the new life's lines: those after the last stop, on the engine's clock.
    const info = await this.#call("read", "inspect", (abortSignal) => this.#container().inspect({ abortSignal }));
    const finished = Date.parse(info.State.FinishedAt);
    const since = Number.isFinite(finished) && finished > 0 ? (Math.ceil(finished) / 1000).toFixed(3) : "0";
    await this.#call("change", "start", (abortSignal) => this.#container().start({ abortSignal }));
    this.#logs?.destroy();
    await this.attachLogs(since);
  }

  /**
   * Runs `cmd` (no shell) in the container and collects its output. The whole exec, until its
   * output ends, has the client's `exec` deadline (`DOCKER_DEADLINES_MS.exec`) unless `timeoutMs` is given.
   */
  async exec(cmd: readonly string[], options: { readonly user?: string; readonly env?: Readonly<Record<string, string>>; readonly timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.#call("exec", `exec ${JSON.stringify(cmd.join(" "))} in`, async (abortSignal) => {
      const exec = await this.#container().exec({
        Cmd: [...cmd],
        AttachStdout: true,
        AttachStderr: true,
        User: options.user,
        Env: options.env ? Object.entries(options.env).map(([k, v]) => `${k}=${v}`) : undefined,
        abortSignal,
      });
      const stream = await exec.start({ hijack: true, stdin: false, abortSignal });
      abortSignal.addEventListener("abort", () => stream.destroy(), { once: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const stdout = new PassThrough().on("data", (b: Buffer) => out.push(b));
      const stderr = new PassThrough().on("data", (b: Buffer) => err.push(b));
      this.#docker.modem.demuxStream(stream, stdout, stderr);
      await new Promise<void>((resolve, reject) => {
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.on("error", reject);
      });
      const info = await exec.inspect({ abortSignal });
      return {
        exitCode: info.ExitCode ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
    }, { timeoutMs: options.timeoutMs });
  }

  /** `docker network disconnect --force` from the run network: a clean partition of this node. */
  async disconnect(): Promise<void> {
    await this.#call("control", `disconnect from ${this.network}`, (abortSignal) =>
      this.#docker.getNetwork(this.network).disconnect({ Container: this.id, Force: true, abortSignal }),
    );
  }

  /** Reconnects to the run network with the same aliases, and the same address when it was static (else Docker may hand out a new one). */
  async connect(): Promise<void> {
    await this.#call("control", `connect to ${this.network}`, (abortSignal) => {
      // dockerode honours `abortSignal` on connect; its type definitions do not declare the option.
      const options: Docker.NetworkConnectOptions & { abortSignal: AbortSignal } = { Container: this.id, EndpointConfig: endpointConfig(this.aliases, this.#spec.ipv4Address), abortSignal };
      return this.#docker.getNetwork(this.network).connect(options);
    });
  }

  /**
   * Stops (SIGTERM, then SIGKILL after `stopTimeoutMs`) and removes the container, unpausing it
   * first if needed. A container already gone is fine. A 5xx or a reset connection is tried again
   * (twice); a deadline passed is not. Idempotent.
   */
  remove(): Promise<void> {
    this.#removal ??= this.#remove().catch((err: unknown) => {
      this.#removal = undefined;
      throw err;
    });
    return this.#removal;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.remove();
  }

  async #remove(): Promise<void> {
    const c = this.#container();
    const docker = this.#docker;
    try {
      await retryTransient(async () => {
        const info = await dockerCall(docker, "read", "inspect", this.name, (abortSignal) => c.inspect({ abortSignal }));
        if (info.State.Paused) await dockerCall(docker, "control", "unpause", this.name, (abortSignal) => c.unpause({ abortSignal }));
        if (info.State.Running) {
          const t = Math.ceil((this.#spec.stopTimeoutMs ?? 1_000) / 1000);
          await dockerCall(docker, "change", "stop", this.name, (abortSignal) => c.stop({ t, abortSignal }), { extraMs: t * 1000 }).catch((err: unknown) => {
            if (dockerStatus(err) !== 304) throw err;
          });
        }
        await dockerCall(docker, "change", "remove container", this.name, (abortSignal) => c.remove({ force: true, v: true, abortSignal }));
      });
    } catch (err) {
      if (!isGone(err)) throw dockerError("remove container", this.name, err);
    } finally {
      await this.#stopLogs();
    }
  }

  /** @internal Follows the logs from `since` (epoch s, fractions allowed as "s.fff"; 0 = from the start). */
  async attachLogs(since: number | string): Promise<void> {
    const spec = this.#spec;
    if (spec.logFile && !this.#logFile && !this.#logFileFailed) {
      const file = spec.logFile;
      await mkdir(dirname(file), { recursive: true }).then(
        () => {
          // Without an 'error' listener a failed write (ENOSPC) would crash the process, mid-run.
          this.#logFile = createWriteStream(file, { flags: "a" }).on("error", (err) => this.#logFileError(file, err));
        },
        (err: unknown) => this.#logFileError(file, err),
      );
    }
    const raw = (await this.#call("stream", "follow logs of", (abortSignal) =>
      // The engine parses `since` as "seconds[.fraction]"; the typings only declare a number.
      this.#container().logs({ follow: true, stdout: true, stderr: true, since: since as number, abortSignal }),
    )) as NodeJS.ReadableStream & { destroy(): void };
    const streams = { stdout: new PassThrough(), stderr: new PassThrough() };
    this.#docker.modem.demuxStream(raw, streams.stdout, streams.stderr);
    const ended = Promise.all(
      (["stdout", "stderr"] as const).map(
        (which) =>
          new Promise<void>((resolve) => {
            const rl = createInterface({ input: streams[which], crlfDelay: Infinity });
            rl.on("line", (line) => this.#onLine(line, which));
            rl.on("close", resolve);
          }),
      ),
    ).then(() => undefined);
    const end = (): void => {
      streams.stdout.end();
      streams.stderr.end();
    };
    raw.on("end", end);
    raw.on("close", end);
    raw.on("error", end);
    this.#logs = { ended, destroy: () => raw.destroy() };
  }

  /** @internal */
  async waitReady(wait: WaitSpec, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (wait.kind === "none") return;
    let matches = 0;
    let exited = false;
    void this.#logs?.ended.then(() => (exited = true));
    let stopMatching = (): unknown => undefined;
    let what: string;
    let check: (ctx: { signal: AbortSignal }) => Promise<boolean>;
    if (wait.kind === "log") {
      const re = typeof wait.pattern === "string" ? new RegExp(escapeRegExp(wait.pattern)) : wait.pattern;
      const times = wait.times ?? 1;
      what = `log line /${re.source}/${times > 1 ? ` ${times} times` : ""}`;
      const matcher = (line: string): void => {
        if (re.test(line)) matches++;
      };
      this.#tail.forEach(matcher); // lines that arrived before this wait began
      this.#matchers.add(matcher);
      stopMatching = () => this.#matchers.delete(matcher);
      check = async () => matches >= times;
    } else {
      what = `HTTP ${wait.status ?? "2xx"} from :${wait.port}${wait.path}`;
      check = async ({ signal: s }) => {
        const ip = await this.ipAddress();
        const res = await request(`http://${ip}:${wait.port}${wait.path}`, { signal: s, headersTimeout: 5_000, bodyTimeout: 5_000 });
        await res.body.dump();
        const ok = wait.status === undefined ? res.statusCode >= 200 && res.statusCode < 300 : res.statusCode === wait.status;
        if (!ok) throw new Error(`got HTTP ${res.statusCode}`);
        return true;
      };
    }
    try {
      const result = await waitFor(
        async (ctx) => {
          if (await check(ctx)) return "ready" as const;
          return exited ? ("exited" as const) : false;
        },
        { description: `${this.name}: ${what}`, intervalMs: 100, timeoutMs, signal },
      );
      if (result === "exited") {
        const state = await this.inspect();
        throw new TopologyUnhealthyError(
          this.role,
          `${this.name} exited with code ${state.exitCode} before it was ready (waiting for ${what})${this.#tailText()}`,
        );
      }
    } catch (err) {
      if (err instanceof WaitTimeoutError) {
        throw new TopologyUnhealthyError(this.role, `${this.name} did not become ready: ${err.message}${this.#tailText()}`, undefined, { cause: err });
      }
      throw err;
    } finally {
      stopMatching();
    }
  }

  #onLine(line: string, stream: LogStream): void {
    this.#tail.push(line);
    if (this.#tail.length > 50) this.#tail.shift();
    this.#logFile?.write(`${line}\n`);
    for (const m of this.#matchers) m(line);
    this.#spec.onLogLine?.(line, stream);
  }

  /** The log file could not be written: closed (once), and said. */
  #logFileError(file: string, err: unknown): void {
    if (this.#logFileFailed) return;
    this.#logFileFailed = true;
    this.#logFile?.destroy();
    this.#logFile = undefined;
    const code = (err as NodeJS.ErrnoException).code;
    const full = code === "ENOSPC" || code === "EDQUOT";
    const e = new HarnessError(
      full ? "E_DISK_FULL" : "E_REPORT",
      `the log of ${this.name} cannot be written to ${file}: ${(err as Error).message}; it is incomplete from here`,
      full ? `free space on the file system of ${dirname(file)} (df -h ${dirname(file)}), or write the reports elsewhere (--out)` : `check the permissions of ${dirname(file)}`,
      { cause: err },
    );
    if (this.#spec.onLogFileError) this.#spec.onLogFileError(e);
    else process.stderr.write(`${e.message}\n`);
  }

  #tailText(): string {
    const tail = this.logTail();
    return tail.length === 0 ? "; it logged nothing" : `; last log lines:\n  ${tail.join("\n  ")}`;
  }

  /** Lets the log stream of a stopped container deliver its last lines (up to 1 s), then closes it and the file. */
  async #stopLogs(): Promise<void> {
    const logs = this.#logs;
    if (logs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([logs.ended, new Promise((r) => (timer = setTimeout(r, 1_000)))]);
      clearTimeout(timer);
      logs.destroy();
    }
    const file = this.#logFile;
    this.#logFile = undefined;
    // Ends on 'finish', or on an 'error' while flushing (already reported by #logFileError).
    if (file) await finished(file.end()).catch(() => {});
  }

  #container(): Docker.Container {
    return this.#docker.getContainer(this.id);
  }

  /** One engine call under the deadline of `kind`, its errors named with this container. */
  async #call<T>(kind: DockerCallKind, action: string, fn: (abortSignal: AbortSignal) => Promise<T>, options: DockerCallOptions = {}): Promise<T> {
    try {
      return await dockerCall(this.#docker, kind, action, this.name, fn, options);
    } catch (err) {
      throw dockerError(action, this.name, err);
    }
  }
}

async function requireImage(docker: Docker, image: string, signal?: AbortSignal): Promise<void> {
  try {
    // Image inspect takes no abortSignal in dockerode: the deadline alone ends a hang.
    await dockerCall(docker, "read", "inspect image", image, () => docker.getImage(image).inspect(), { signal });
  } catch (err) {
    if (dockerStatus(err) === 404) {
      throw new HarnessError("E_IMAGE_MISSING", `image ${image} is not in the Docker engine`, "Run `npm run setup` to build the images.", { cause: err });
    }
    throw dockerError("inspect image", image, err);
  }
}

/**
 * Unpauses if paused, then force-removes container `idOrName`; a missing container is fine. A 5xx
 * or a reset connection is tried again (twice).
 */
export async function forceRemove(docker: Docker, idOrName: string): Promise<void> {
  const c = docker.getContainer(idOrName);
  try {
    await retryTransient(async () => {
      const info = await dockerCall(docker, "read", "inspect", idOrName, (abortSignal) => c.inspect({ abortSignal }));
      if (info.State.Paused) await dockerCall(docker, "control", "unpause", idOrName, (abortSignal) => c.unpause({ abortSignal }));
      await dockerCall(docker, "change", "remove container", idOrName, (abortSignal) => c.remove({ force: true, v: true, abortSignal }));
    });
  } catch (err) {
    if (!isGone(err)) throw dockerError("remove container", idOrName, err);
  }
}

/** 404 no such container, or 409 removal already in progress (someone else is removing it). */
function isGone(err: unknown): boolean {
  const status = dockerStatus(err);
  return status === 404 || (status === 409 && /already in progress/i.test(String((err as Error).message)));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
