/**
 * The process's one dockerode client, for the engine at DOCKER_HOST or the local socket. The first
 * call pings the engine under a short timeout; no answer is a `DockerUnavailableError` that names
 * the endpoint tried. A successful client is cached; a failed attempt is not (the next call retries).
 *
 * Every engine call the harness makes goes through `dockerCall` (a deadline per kind of call, see
 * `DOCKER_DEADLINES_MS`): an engine that accepts connections but never answers ends the call in
 * `DockerUnavailableError` naming the endpoint and the call, never in a hang. Once a call went
 * unanswered, the client's next calls ping first (`HUNG_PING_MS`) and fail at once while the engine
 * does not answer that either.
 */
import Docker from "dockerode";
import pRetry from "p-retry";
import { DockerUnavailableError, HarnessError } from "../errors.js";

export interface GetDockerOptions {
  /** How long the engine has to answer the ping, in ms. @default 5_000 */
  readonly pingTimeoutMs?: number;
}

let cached: Promise<Docker> | undefined;

/** The endpoint dockerode will use: DOCKER_HOST when set, else the local socket. */
export function dockerEndpoint(): string {
  return process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

/** The endpoint a client talks to, as DOCKER_HOST would spell it. */
export function endpointOf(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown } | undefined;
  if (typeof modem?.socketPath === "string") return `unix://${modem.socketPath}`;
  if (typeof modem?.host === "string" && modem.host !== "") {
    const scheme = modem.protocol === "ssh" ? "ssh" : "tcp";
    return `${scheme}://${modem.host}${modem.port ? `:${String(modem.port)}` : ""}`;
  }
  return dockerEndpoint();
}

export function getDocker(options: GetDockerOptions = {}): Promise<Docker> {
  cached ??= connect(options.pingTimeoutMs ?? 5_000).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function connect(pingTimeoutMs: number): Promise<Docker> {
  const endpoint = dockerEndpoint();
  let docker: Docker;
  try {
    // With no options docker-modem reads DOCKER_HOST (and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) itself.
    docker = new Docker();
  } catch (err) {
    throw new DockerUnavailableError(`cannot use the Docker endpoint ${endpoint}: ${errorText(err)}`, undefined, { cause: err });
  }
  try {
    // dockerode 4 honours `abortSignal` on ping; its type definitions do not declare the option.
    const pingable = docker as unknown as { ping(opts: { abortSignal: AbortSignal }): Promise<unknown> };
    await withDeadline("ping", "", pingTimeoutMs, (abortSignal) => pingable.ping({ abortSignal }), { endpoint });
  } catch (err) {
    if (err instanceof HarnessError) throw err;
    throw new DockerUnavailableError(`no Docker engine answers at ${endpoint} (${errorText(err)})`, undefined, { cause: err });
  }
  return docker;
}

/** What an engine call does, for its deadline. */
export type DockerCallKind = "read" | "control" | "change" | "exec" | "stream";

/**
 * Default deadlines of engine calls, by kind, in ms. Generous next to what a healthy engine needs
 * (milliseconds for a read): they are there to end a hang, and this is a loaded 2-core machine
 * where a false "engine unavailable" would fail a run. A stop adds its SIGTERM grace to `change`.
 */
export const DOCKER_DEADLINES_MS: Readonly<Record<DockerCallKind, number>> = {
  /** inspect (container, image), list, version, info, one-shot stats, logs of an exited container. */
  read: 10_000,
  /** kill, pause, unpause, network connect/disconnect: the engine acts and answers at once. */
  control: 10_000,
  /** create, start, stop, remove, wait (container or network), testcontainers' start (create, copy files, start). */
  change: 60_000,
  /** One exec, from its creation until its output ends (the harness execs short commands: iptables, pkill, curl --max-time). */
  exec: 30_000,
  /** Establishing a followed stream (logs -f, events): until the engine sends its headers; the stream then runs on. */
  stream: 10_000,
};

const deadlineOverrides = new WeakMap<Docker, Partial<Record<DockerCallKind, number>>>();

/** Other deadlines (ms) for the calls made with this client: tests, a slow remote engine. Returns the client. */
export function setDockerDeadlines(docker: Docker, deadlines: Partial<Record<DockerCallKind, number>>): Docker {
  deadlineOverrides.set(docker, { ...deadlineOverrides.get(docker), ...deadlines });
  return docker;
}

/** The deadline of `kind` for this client, in ms. */
export function dockerDeadline(docker: Docker, kind: DockerCallKind): number {
  return deadlineOverrides.get(docker)?.[kind] ?? DOCKER_DEADLINES_MS[kind];
}

export interface DeadlineOptions {
  /** The caller's signal (the run's): its abort ends the call at once, rejecting with its reason. */
  readonly signal?: AbortSignal | undefined;
  /** The engine named in the error. @default dockerEndpoint() */
  readonly endpoint?: string;
}

/**
 * Runs one engine call with a deadline of `ms`. `fn` gets a signal to pass to dockerode as
 * `abortSignal`; it aborts only when the deadline passes (or `options.signal` aborts) before the
 * call settles, so a stream the call returns lives on. Whether or not the call honours the signal
 * (image inspect, testcontainers do not), the promise rejects at the deadline with a
 * `DockerUnavailableError` naming the endpoint and the call. Errors of the call pass unchanged.
 */
export function withDeadline<T>(action: string, target: string, ms: number, fn: (signal: AbortSignal) => Promise<T>, options: DeadlineOptions = {}): Promise<T> {
  const outer = options.signal;
  if (outer?.aborted) return Promise.reject(outer.reason);
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const fail = (reason: unknown): void => {
      settle();
      controller.abort(reason);
      reject(reason);
    };
    const onAbort = (): void => fail(outer?.reason);
    const timer = setTimeout(() => {
      const endpoint = options.endpoint ?? dockerEndpoint();
      fail(new DockerDeadlineError(`no answer within ${ms} ms from the Docker engine at ${endpoint} to ${[action, target].filter(Boolean).join(" ")}`));
    }, ms);
    const settle = (): void => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    };
    outer?.addEventListener("abort", onAbort, { once: true });
    let call: Promise<T>;
    try {
      call = fn(controller.signal);
    } catch (err) {
      call = Promise.reject(err);
    }
    call.then(
      (value) => {
        settle();
        resolve(value);
      },
      (err: unknown) => {
        settle();
        reject(err);
      },
    );
  });
}

const HUNG_HINT = "The engine accepts connections but does not answer: check it with `docker info` (restart dockerd if that hangs too), or set DOCKER_HOST to an engine that answers.";

/** An engine call that passed its deadline (or a call not tried because the engine still did not answer a ping). */
export class DockerDeadlineError extends DockerUnavailableError {
  constructor(message: string) {
    super(message, HUNG_HINT);
  }
}

/** How long the engine has to answer a ping after one of its calls went unanswered, in ms (at most the client's `read` deadline). */
export const HUNG_PING_MS = 5_000;

/**
 * Clients whose last call passed its deadline, so the engine may be hung: what went unanswered, the
 * ping under way, and when the last ping went unanswered too.
 */
const unanswered = new WeakMap<Docker, { what: string; ping?: Promise<void>; failedAt?: number }>();

/**
 * After a call of this client went unanswered, the next calls ask the engine first: a ping under
 * `HUNG_PING_MS`, shared by the calls made meanwhile. No answer, and every call fails at once for
 * as long again (so a teardown of many containers through a hung engine takes seconds, not one
 * deadline per container); an answer, and calls go on as before.
 */
async function answersAgain(docker: Docker, action: string, target: string): Promise<void> {
  const state = unanswered.get(docker);
  if (!state) return;
  const pingMs = Math.min(HUNG_PING_MS, dockerDeadline(docker, "read"));
  const refused = (): DockerDeadlineError =>
    new DockerDeadlineError(`the Docker engine at ${endpointOf(docker)} did not answer ${state.what} nor a ping within ${pingMs} ms: not trying to ${[action, target].filter(Boolean).join(" ")}`);
  if (state.failedAt !== undefined && performance.now() - state.failedAt < pingMs) throw refused();
  // dockerode 4 honours `abortSignal` on ping; its type definitions do not declare the option.
  const pingable = docker as unknown as { ping(opts: { abortSignal: AbortSignal }): Promise<unknown> };
  state.ping ??= withDeadline("ping", "", pingMs, (abortSignal) => pingable.ping({ abortSignal }), { endpoint: endpointOf(docker) }).then(
    () => void unanswered.delete(docker),
    () => {
      state.failedAt = performance.now();
      state.ping = undefined;
    },
  );
  await state.ping;
  if (unanswered.has(docker)) throw refused();
}

export interface DockerCallOptions {
  /** The caller's signal: its abort ends the call at once, rejecting with its reason. */
  readonly signal?: AbortSignal | undefined;
  /** This call's deadline in ms, instead of the client's for its kind. */
  readonly timeoutMs?: number | undefined;
  /** Added to the deadline, in ms (a stop's SIGTERM grace). @default 0 */
  readonly extraMs?: number;
}

/**
 * One engine call of `kind` with this client's deadline for it (`dockerDeadline`), naming the
 * client's endpoint in the error: `withDeadline` for a client.
 */
export async function dockerCall<T>(docker: Docker, kind: DockerCallKind, action: string, target: string, fn: (signal: AbortSignal) => Promise<T>, options: DockerCallOptions = {}): Promise<T> {
  const ms = (options.timeoutMs ?? dockerDeadline(docker, kind)) + (options.extraMs ?? 0);
  options.signal?.throwIfAborted();
  await answersAgain(docker, action, target);
  try {
    return await withDeadline(action, target, ms, fn, { signal: options.signal, endpoint: endpointOf(docker) });
  } catch (err) {
    if (err instanceof DockerDeadlineError && !unanswered.has(docker)) unanswered.set(docker, { what: `${[action, target].filter(Boolean).join(" ")} within ${ms} ms` });
    throw err;
  }
}

/**
 * True for what another try may fix: a 5xx answer (a busy engine: "device or resource busy") or
 * a reset connection. Not a 4xx, not a refused connection (no engine), not a deadline passed
 * (another try would only wait as long again).
 */
export function isTransientDockerError(err: unknown): boolean {
  if (err instanceof HarnessError) return false;
  const status = dockerStatus(err);
  if (status !== undefined) return status >= 500;
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ECONNRESET" || code === "EPIPE";
}

/**
 * Runs `fn`, trying again after a transient engine error (`isTransientDockerError`): for teardown,
 * where a busy engine must not leave a container behind. Other errors pass at once, unchanged.
 */
export function retryTransient<T>(fn: () => Promise<T>, options: { readonly signal?: AbortSignal; readonly retries?: number } = {}): Promise<T> {
  return pRetry(fn, {
    retries: options.retries ?? 2,
    minTimeout: 250,
    signal: options.signal,
    shouldRetry: ({ error }) => isTransientDockerError(error),
  });
}

/** HTTP status of a dockerode error, if it has one. */
export function dockerStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * Wraps an error from a Docker call: a lost engine becomes `DockerUnavailableError`, anything else
 * a `HarnessError` naming the action and the container or network it was for.
 */
export function dockerError(action: string, target: string, err: unknown): HarnessError {
  if (err instanceof HarnessError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED" || code === "ENOENT" || code === "ECONNRESET" || code === "EPIPE") {
    return new DockerUnavailableError(
      `the Docker engine at ${dockerEndpoint()} stopped answering while trying to ${action} ${target}: ${errorText(err)}`,
      undefined,
      { cause: err },
    );
  }
  return new HarnessError("E_INTERNAL", `docker: cannot ${action} ${target}: ${errorText(err)}`, undefined, { cause: err });
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // dockerode puts the engine's own message in `json.message`; its `message` repeats the HTTP status.
  const engine = (err as { json?: { message?: unknown } }).json?.message;
  return typeof engine === "string" ? engine : err.message;
}
