/**
 * One place for the harness's own failures. An exception means the harness broke or the input was
 * invalid; a failure of the system under test is data (a history entry and a failed check), never
 * an exception. Each class has a stable `code` and a `hint` that tells the user what to do.
 */
export type ErrorCode =
  | "E_INPUT"
  | "E_DOCKER_UNAVAILABLE"
  | "E_IMAGE_MISSING"
  | "E_PORT_TAKEN"
  | "E_TOPOLOGY_UNHEALTHY"
  | "E_SETUP"
  | "E_DISK_FULL"
  | "E_REPORT"
  /** Releasing a run's resources failed (a fault not healed, a container not removed). */
  | "E_CLEANUP"
  | "E_INTERRUPTED"
  | "E_INTERNAL";

export class HarnessError extends Error {
  override readonly name: string = "HarnessError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad user input (unknown scenario, bad flag value, invalid topology field). Exit 2. */
export class InputError extends HarnessError {
  override readonly name = "InputError";
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super("E_INPUT", message, hint, options);
  }
}

/** No Docker engine answers, or it stopped answering. Exit 2. */
export class DockerUnavailableError extends HarnessError {
  override readonly name = "DockerUnavailableError";
  constructor(message: string, hint = "Run `npm run setup` (it installs and starts a Docker engine), or set DOCKER_HOST to an engine that answers.", options?: { cause?: unknown }) {
    super("E_DOCKER_UNAVAILABLE", message, hint, options);
  }
}

/** A part of the topology never became healthy. Names the part. Exit 2. */
export class TopologyUnhealthyError extends HarnessError {
  override readonly name = "TopologyUnhealthyError";
  constructor(readonly part: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super("E_TOPOLOGY_UNHEALTHY", message, hint, options);
  }
}

/** The run was interrupted (SIGINT/SIGTERM). Exit 130. */
export class InterruptedError extends HarnessError {
  override readonly name = "InterruptedError";
  constructor(message = "interrupted") {
    super("E_INTERRUPTED", message);
  }
}

/** Exit code for an error thrown out of a CLI: 130 interrupted, 2 anything else. */
export function exitCodeFor(err: unknown): number {
  return err instanceof HarnessError && err.code === "E_INTERRUPTED" ? 130 : 2;
}

/** One line for the user, plus the hint on its own line when there is one. */
export function formatError(err: unknown): string {
  if (err instanceof HarnessError) {
    return `error [${err.code}]: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ""}`;
  }
  if (err instanceof Error) return `error [E_INTERNAL]: ${err.stack ?? err.message}`;
  return `error [E_INTERNAL]: ${String(err)}`;
}
