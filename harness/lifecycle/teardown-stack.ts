/**
 * A LIFO stack of async cleanups (Node 20 has `Symbol.asyncDispose` but no `AsyncDisposableStack`).
 * Disposal runs every step, last added first, even when some throw, and then throws one
 * `AggregateError` whose errors each name their step. Disposal is idempotent: a second call
 * returns the first call's promise.
 *
 * A step added while the stack is being disposed still runs in the same disposal. A step added
 * after disposal finished (a container whose start completed after Ctrl-C) runs at once, and its
 * failure is reported on stderr, so nothing started late can outlive the run.
 */
export type TeardownStep = () => unknown;

interface Entry {
  readonly label: string;
  readonly fn: TeardownStep;
}

export class TeardownStack implements AsyncDisposable {
  readonly #entries: Entry[] = [];
  #disposal: Promise<void> | undefined;
  #finished = false;

  /** Number of steps not yet run. */
  get size(): number {
    return this.#entries.length;
  }

  /** True once `dispose()` has been called. */
  get disposed(): boolean {
    return this.#disposal !== undefined;
  }

  /** Adds a cleanup step; `label` names it in errors ("remove container k8sm-…-etcd-0"). */
  defer(fn: TeardownStep, label: string): void {
    if (this.#finished) {
      void runLate(fn, label);
      return;
    }
    this.#entries.push({ fn, label });
  }

  /** Adds `resource`'s `[Symbol.asyncDispose]` (or `[Symbol.dispose]`) as a step; returns it. */
  use<T extends AsyncDisposable | Disposable>(resource: T, label = describe(resource)): T {
    const fn =
      Symbol.asyncDispose in resource
        ? () => (resource as AsyncDisposable)[Symbol.asyncDispose]()
        : () => (resource as Disposable)[Symbol.dispose]();
    this.defer(fn, label);
    return resource;
  }

  /** Runs every step (LIFO). Throws an `AggregateError` naming the steps that failed. */
  dispose(): Promise<void> {
    this.#disposal ??= this.#run();
    return this.#disposal;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  async #run(): Promise<void> {
    const failures: Error[] = [];
    let total = 0;
    for (let entry = this.#entries.pop(); entry; entry = this.#entries.pop()) {
      total++;
      try {
        await entry.fn();
      } catch (err) {
        failures.push(labelled(entry.label, err));
      }
    }
    this.#finished = true;
    if (failures.length > 0) {
      throw new AggregateError(
        failures,
        `teardown: ${failures.length} of ${total} steps failed: ${failures.map((f) => f.message).join("; ")}`,
      );
    }
  }
}

function labelled(label: string, err: unknown): Error {
  const text = err instanceof Error ? err.message : String(err);
  return new Error(`${label}: ${text}`, { cause: err });
}

async function runLate(fn: TeardownStep, label: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    process.stderr.write(`teardown (late step) ${labelled(label, err).message}\n`);
  }
}

function describe(resource: object): string {
  const name = (resource as { name?: unknown }).name;
  return typeof name === "string" ? `dispose ${name}` : `dispose ${resource.constructor?.name ?? "resource"}`;
}
