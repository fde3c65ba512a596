/**
 * `npm run reap -- --engine <url>`: the reaper on another engine, where this process can check
 * neither the pids nor the host of what runs there. Two steps: runner containers (harness/remote/
 * runner.ts) whose process here is gone are removed from here (their labels name this host);
 * then `npm run reap` itself runs in a runner on that engine (its host's network and pids), so
 * what runs whose process there is gone left behind is judged exactly as a local reap judges it.
 */
import { hostname } from "node:os";
import type Docker from "dockerode";
import { dockerCall, dockerError } from "../docker/client.js";
import { forceRemove } from "../docker/containers.js";
import { LABELS } from "../docker/labels.js";
import { isAlive, type ReapedResource } from "../docker/reaper.js";
import { newRunId } from "../docker/run-id.js";
import type { EngineTarget } from "./engine-url.js";
import { RUNNER_LABEL, startRunner } from "./runner.js";

export interface RemoteReapResult {
  /** Runner containers removed from here. */
  readonly runners: readonly ReapedResource[];
  /** The reap runner's exit code (0: everything orphaned is gone). */
  readonly code: number | null;
}

/** Runner containers of processes gone (this host's; any host's with `all`), removed. */
export async function reapRunners(docker: Docker, opts: { all?: boolean; keepId?: string } = {}): Promise<ReapedResource[]> {
  let list: Docker.ContainerInfo[];
  try {
    list = await dockerCall(docker, "read", "list", "containers", (abortSignal) => docker.listContainers({ all: true, filters: { label: [RUNNER_LABEL] }, abortSignal }));
  } catch (err) {
    throw dockerError("list", "containers", err);
  }
  const removed: ReapedResource[] = [];
  for (const c of list) {
    const id = c.Labels[RUNNER_LABEL] ?? "?";
    if (id === opts.keepId) continue;
    const host = c.Labels[LABELS.host];
    const pid = Number(c.Labels[LABELS.pid]);
    const here = host === undefined || host === hostname();
    const orphaned = here ? !(Number.isInteger(pid) && pid > 0 && isAlive(pid)) : opts.all === true;
    if (!orphaned) continue;
    await forceRemove(docker, c.Id);
    removed.push({ kind: "container", name: c.Names[0]?.replace(/^\//, "") ?? c.Id, runId: id, pid: c.Labels[LABELS.pid], host });
  }
  return removed;
}

/**
 * Both steps on the engine; the reap runner's output goes to `stdout`/`stderr`. `image` is the
 * runner image (already on the engine).
 */
export async function reapEngine(docker: Docker, target: EngineTarget, opts: { image: string; all?: boolean; stdout: (c: Buffer) => void; stderr: (c: Buffer) => void; signal?: AbortSignal }): Promise<RemoteReapResult> {
  const runners = await reapRunners(docker, { all: opts.all });
  const id = `reap-${newRunId()}`;
  const runner = await startRunner({
    docker, target, image: opts.image, id,
    cmd: ["harness/cli/reap.ts", ...(opts.all ? ["--all"] : [])],
    stdout: opts.stdout, stderr: opts.stderr, signal: opts.signal,
  });
  try {
    return { runners, code: await runner.exited };
  } finally {
    await runner.remove();
  }
}
