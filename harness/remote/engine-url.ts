/**
 * `--engine <url>`: a Docker engine named as DOCKER_HOST would name it (unix://, tcp://, ssh://),
 * turned into dockerode options the way docker-modem reads DOCKER_HOST: TLS (https) when
 * DOCKER_TLS_VERIFY=1 or the port is 2376, with ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH;
 * ssh through the agent at SSH_AUTH_SOCK. Parsed before anything starts (bad input: E_INPUT);
 * `connectEngine` pings under a deadline (no answer: E_DOCKER_UNAVAILABLE).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { withDeadline } from "../docker/client.js";
import { DockerUnavailableError, HarnessError, InputError } from "../errors.js";

export interface EngineTarget {
  /** The URL as given (a trailing slash removed). */
  readonly url: string;
  readonly scheme: "unix" | "tcp" | "ssh";
  /** dockerode's options for it. */
  readonly options: Docker.DockerOptions;
  /** For unix://: the socket's path, on the engine's host (it is this host). */
  readonly socketPath?: string;
}

const SCHEMES_HINT = "--engine takes unix:///path/to/docker.sock, tcp://host:port (TLS with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH) or ssh://user@host";

/** Parses an engine URL; throws InputError saying what is wrong with it. */
export function parseEngineUrl(raw: string, env: NodeJS.ProcessEnv = process.env): EngineTarget {
  const url = raw.trim().replace(/\/+$/, "");
  if (url.startsWith("unix://")) {
    const socketPath = url.slice("unix://".length);
    if (!path.isAbsolute(socketPath)) throw new InputError(`--engine ${raw}: a unix:// URL needs an absolute socket path`, SCHEMES_HINT);
    return { url, scheme: "unix", socketPath, options: { socketPath } };
  }
  let parsed: URL;
  try {
    // As docker-modem reads DOCKER_HOST: `host:port` without a scheme is tcp://.
    parsed = new URL(url.includes("//") ? url : `tcp://${url}`);
  } catch {
    throw new InputError(`--engine ${JSON.stringify(raw)} is not a URL`, SCHEMES_HINT);
  }
  if (!parsed.hostname) throw new InputError(`--engine ${raw}: no host`, SCHEMES_HINT);
  if (parsed.protocol === "ssh:") {
    return {
      url, scheme: "ssh",
      options: { protocol: "ssh", host: parsed.hostname, ...(parsed.port ? { port: parsed.port } : {}), username: decodeURIComponent(parsed.username) || undefined, sshOptions: { agent: env.SSH_AUTH_SOCK } },
    };
  }
  if (parsed.protocol !== "tcp:") throw new InputError(`--engine ${raw}: unknown scheme ${parsed.protocol.replace(/:$/, "")}`, SCHEMES_HINT);
  if (!parsed.port) throw new InputError(`--engine ${raw}: a tcp:// URL needs a port (2375 plain, 2376 TLS)`, SCHEMES_HINT);
  const tls = env.DOCKER_TLS_VERIFY === "1" || parsed.port === "2376";
  const options: Docker.DockerOptions = { protocol: tls ? "https" : "http", host: parsed.hostname, port: parsed.port };
  if (env.DOCKER_CERT_PATH) {
    const read = (file: string): Buffer => {
      try {
        return readFileSync(path.join(env.DOCKER_CERT_PATH!, file));
      } catch (err) {
        throw new InputError(`--engine ${raw}: cannot read ${file} in DOCKER_CERT_PATH=${env.DOCKER_CERT_PATH}: ${(err as Error).message}`,
          "DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem (as for the docker command); unset it for a plain tcp:// engine");
      }
    };
    Object.assign(options, { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") });
  } else if (tls) {
    throw new InputError(`--engine ${raw}: TLS (${env.DOCKER_TLS_VERIFY === "1" ? "DOCKER_TLS_VERIFY=1" : "port 2376"}) without DOCKER_CERT_PATH`,
      "Set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem, or use port 2375 without DOCKER_TLS_VERIFY for a plain engine");
  }
  return { url, scheme: "tcp", options };
}

/** A client of the engine once it answered a ping within `pingTimeoutMs` (default 10 s); E_DOCKER_UNAVAILABLE otherwise. */
export async function connectEngine(target: EngineTarget, opts: { pingTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<Docker> {
  const docker = new Docker(target.options);
  const pingable = docker as unknown as { ping(o: { abortSignal: AbortSignal }): Promise<unknown> };
  try {
    await withDeadline("ping", "", opts.pingTimeoutMs ?? 10_000, (abortSignal) => pingable.ping({ abortSignal }), { endpoint: target.url, signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const why = err instanceof HarnessError ? err.message : (err as Error).message;
    throw new DockerUnavailableError(`no Docker engine answers at ${target.url} (${why})`,
      `Check that the engine runs and that this URL reaches it (\`DOCKER_HOST=${target.url} docker info\`)${target.scheme === "tcp" ? "; a TLS engine needs DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH" : ""}${target.scheme === "ssh" ? "; ssh needs a key in the agent (SSH_AUTH_SOCK)" : ""}.`,
      { cause: err });
  }
  return docker;
}
