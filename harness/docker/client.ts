/**
 * The process's one dockerode client, for the engine at DOCKER_HOST or the local socket. The first
 * call pings the engine under a short timeout; no answer is a `DockerUnavailableError` that names
 * the endpoint tried. A successful client is cached; a failed attempt is not (the next call retries).
 */
import Docker from "dockerode";
import { DockerUnavailableError, HarnessError } from "../errors.js";
import { timeoutSignal } from "../async/timeout-signal.js";

export interface GetDockerOptions {
  /** How long the engine has to answer the ping, in ms. @default 5_000 */
  readonly pingTimeoutMs?: number;
}

let cached: Promise<Docker> | undefined;

/** The endpoint dockerode will use: DOCKER_HOST when set, else the local socket. */
export function dockerEndpoint(): string {
  return process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
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
    await pingable.ping({ abortSignal: timeoutSignal(pingTimeoutMs) });
  } catch (err) {
    const why = err instanceof DOMException || (err as { name?: string }).name === "AbortError"
      ? `no answer within ${pingTimeoutMs} ms`
      : errorText(err);
    throw new DockerUnavailableError(`no Docker engine answers at ${endpoint} (${why})`, undefined, { cause: err });
  }
  return docker;
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
