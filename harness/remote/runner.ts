/**
 * A runner container: the harness (the runner image, harness/setup/runner-image.ts) run as a
 * command on a Docker engine, beside what it launches there. It shares the engine host's network
 * and pid namespaces, so inside it the harness is what it is on a local host: its probes reach the
 * topology's bridge addresses from the host's side (outside the system under test, as locally),
 * the labels it writes carry the host's name and real pids, and the reaper's liveness check works
 * for every run on that host. The engine's socket is mounted at /var/run/docker.sock: the unix
 * URL's own path, or /var/run/docker.sock on the engine's host for tcp:// and ssh://.
 *
 * A runner is labelled `k8sm-chaos.runner=<id>` with this process's pid and host, never with
 * `k8sm-chaos.run-id`: the harness's reaper (inside other runners too) never sees it; `npm run reap
 * -- --engine` removes one whose local process is gone (harness/remote/reap.ts).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import type Docker from "dockerode";
import { dockerCall, dockerStatus } from "../docker/client.js";
import { forceRemove } from "../docker/containers.js";
import { LABELS } from "../docker/labels.js";
import { HarnessError } from "../errors.js";
import type { EngineTarget } from "./engine-url.js";

export const RUNNER_LABEL = "k8sm-chaos.runner";

/**
 * How long a runner has, after SIGTERM, to do what the harness does on Ctrl-C (heal, remove its
 * topology, write its reports) before it is killed, in s.
 */
export const RUNNER_STOP_GRACE_S = 120;

/** Where the engine's socket is on the engine's host: the runner mounts it. */
export function engineSocketOnHost(target: EngineTarget): string {
  return target.socketPath ?? "/var/run/docker.sock";
}

export interface RunnerSpec {
  readonly docker: Docker;
  readonly target: EngineTarget;
  readonly image: string;
  /** Names the container `k8sm-runner-<id>` and fills its label. */
  readonly id: string;
  /** After the image's `node --import tsx`: a script and its arguments. */
  readonly cmd: readonly string[];
  readonly env?: readonly string[];
  /** The runner's stdout and stderr, as they come. */
  readonly stdout: (chunk: Buffer) => void;
  readonly stderr: (chunk: Buffer) => void;
  readonly signal?: AbortSignal;
}

export interface Runner {
  readonly name: string;
  /** Its exit code once it ended (null when the engine could not say). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceS`; resolves once it ended. */
  stop(graceS?: number): Promise<void>;
  /** Copies the folder `containerPath` out into `localParent` (whole, under its own name); false when it is not there. */
  copyOut(containerPath: string, localParent: string): Promise<boolean>;
  /** Removes the container (idempotent). */
  remove(): Promise<void>;
}

export async function startRunner(spec: RunnerSpec): Promise<Runner> {
  const { docker } = spec;
  const name = `k8sm-runner-${spec.id}`;
  const socket = engineSocketOnHost(spec.target);
  let container: Docker.Container;
  try {
    container = await dockerCall(docker, "change", "create", name, (abortSignal) => docker.createContainer({
      name,
      Image: spec.image,
      Cmd: [...spec.cmd],
      Env: [...(spec.env ?? [])],
      Labels: { [RUNNER_LABEL]: spec.id, [LABELS.pid]: String(process.pid), [LABELS.host]: hostname(), [LABELS.startedAt]: new Date().toISOString() },
      Tty: false,
      HostConfig: { NetworkMode: "host", PidMode: "host", Binds: [`${socket}:/var/run/docker.sock`], AutoRemove: false },
      abortSignal,
    } as Docker.ContainerCreateOptions), { signal: spec.signal });
  } catch (err) {
    if (err instanceof HarnessError) throw err;
    throw new HarnessError("E_DOCKER_UNAVAILABLE", `cannot create the runner ${name} on ${spec.target.url}: ${(err as Error).message}`,
      `The engine's socket is mounted from ${socket} on its host; check that it exists there.`, { cause: err });
  }
  let removed: Promise<void> | undefined;
  const remove = (): Promise<void> => (removed ??= forceRemove(docker, container.id).catch((err: unknown) => {
    removed = undefined;
    throw err;
  }));
  try {
    // Attached before it starts: not a line of its output is missed.
    const stream = await dockerCall(docker, "stream", "attach", name, () => container.attach({ stream: true, stdout: true, stderr: true }), { signal: spec.signal });
    const sink = (fn: (c: Buffer) => void): Writable => new Writable({ write: (chunk: Buffer, _e, cb) => { fn(chunk); cb(); } });
    const ended = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", () => resolve());
    });
    docker.modem.demuxStream(stream, sink(spec.stdout), sink(spec.stderr));
    await dockerCall(docker, "change", "start", name, (abortSignal) => container.start({ abortSignal }), { signal: spec.signal });
    // No deadline: a run takes as long as it takes. The engine going away ends the wait with an error.
    const exited = container.wait().then(
      async (r: { StatusCode?: number }) => {
        // The output's last bytes may trail the exit: let the attach stream end (briefly).
        await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2_000))]);
        return typeof r.StatusCode === "number" ? r.StatusCode : null;
      },
      () => null,
    );
    const stop = async (graceS = RUNNER_STOP_GRACE_S): Promise<void> => {
      await dockerCall(docker, "change", "stop", name, (abortSignal) => container.stop({ t: graceS, abortSignal }), { extraMs: graceS * 1000 }).catch((err: unknown) => {
        // 304: it had stopped already; 404: gone.
        if (dockerStatus(err) !== 304 && dockerStatus(err) !== 404) throw err;
      });
      await exited;
    };
    const copyOut = async (containerPath: string, localParent: string): Promise<boolean> => {
      let archive: NodeJS.ReadableStream;
      try {
        archive = await dockerCall(docker, "stream", "copy out", `${name}:${containerPath}`, (abortSignal) =>
          container.getArchive({ path: containerPath, abortSignal } as { path: string }));
      } catch (err) {
        if (dockerStatus(err) === 404) return false;
        throw err;
      }
      // Unpacked beside its place, then renamed into it: whole or absent, like the reports themselves.
      const staging = path.join(localParent, `.${path.basename(containerPath)}.copy-${process.pid}-${randomBytes(3).toString("hex")}`);
      await mkdir(staging, { recursive: true });
      try {
        await untar(archive, staging);
        const dest = path.join(localParent, path.basename(containerPath));
        await rm(dest, { recursive: true, force: true });
        await rename(path.join(staging, path.basename(containerPath)), dest);
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
      return true;
    };
    return { name, exited, stop, copyOut, remove };
  } catch (err) {
    await remove().catch(() => {});
    throw err;
  }
}

/** Unpacks a tar stream into `dir` with the system's tar. */
export function untar(archive: NodeJS.ReadableStream, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn("tar", ["-x", "-C", dir], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    tar.stderr.on("data", (c: Buffer) => void (err += c.toString()));
    // A tar that ends early (full disk, bad archive) makes writes to its stdin fail (EPIPE): its exit
    // code says what happened; the rest of the archive is dropped (the engine's connection closed).
    tar.stdin.on("error", () => {});
    tar.on("error", reject);
    tar.on("close", (code) => {
      if (code === 0) return resolve();
      (archive as NodeJS.ReadableStream & { destroy(): void }).destroy();
      reject(new HarnessError("E_REPORT", `unpacking the reports failed (tar exit ${code}): ${err.trim()}`, "Check free space in --out."));
    });
    archive.on("error", (e: Error) => tar.stdin.destroy(e));
    archive.pipe(tar.stdin);
  });
}
