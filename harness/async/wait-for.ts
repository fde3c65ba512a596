/**
 * Poll a condition until it yields a value (p-wait-for's shape, with the harness's needs: a
 * description for the error, errors thrown by the condition are retried and remembered, and an
 * abort of the caller's signal is told apart from running out of time).
 */
import { sleep } from "./sleep.js";

export interface WaitForOptions {
  /** What is awaited, for the timeout message ("etcd-0 answers on :2379"). */
  readonly description: string;
  /** Pause between the end of one check and the start of the next, in ms. @default 250 */
  readonly intervalMs?: number;
  /** Give up after this long, in ms (`Infinity` waits until `signal` aborts). @default 30_000 */
  readonly timeoutMs?: number;
  /** Aborting it stops the wait at once and rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** Whose time the interval and the timeout are on. @default the process's timers (a test passes a virtual clock) */
  readonly clock?: { sleep(ms: number, signal?: AbortSignal): Promise<void> };
}

/** What a condition gets: a signal that aborts when the wait ends (timeout or caller abort). */
export interface WaitForContext {
  readonly signal: AbortSignal;
  /** 1 for the first check. */
  readonly attempt: number;
}

/** The wait ran out of time. `cause` is the last error the condition threw, if any. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  constructor(
    readonly description: string,
    readonly timeoutMs: number,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(
      `timed out after ${timeoutMs} ms (${attempts} checks) waiting for ${description}` +
        (lastError === undefined ? "" : `; last error: ${errorText(lastError)}`),
      { cause: lastError },
    );
  }
}

/**
 * Resolves with the first value of `condition` that is not `false`, `undefined` or `null`.
 * A condition that throws counts as "not yet"; its error is kept for the timeout message.
 * Rejects with `WaitTimeoutError` after `timeoutMs`, or with `signal.reason` when `signal` aborts.
 */
export async function waitFor<T>(
  condition: (ctx: WaitForContext) => T | false | undefined | null | Promise<T | false | undefined | null>,
  options: WaitForOptions,
): Promise<T> {
  const intervalMs = options.intervalMs ?? 250;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new RangeError(`Expected \`intervalMs\` to be a finite number >= 0, got ${intervalMs}`);
  }
  if (!(timeoutMs > 0)) throw new RangeError(`Expected \`timeoutMs\` to be > 0, got ${timeoutMs}`);
  const outer = options.signal;
  outer?.throwIfAborted();

  // One controller ends the wait for both sleeps and in-flight checks.
  const done = new AbortController();
  const onOuterAbort = (): void => done.abort(outer?.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  const clock = options.clock ?? { sleep };
  if (Number.isFinite(timeoutMs)) clock.sleep(timeoutMs, done.signal).then(() => done.abort(TIMED_OUT), () => {});

  let attempts = 0;
  let lastError: unknown;
  const ended = new Promise<never>((_, reject) => {
    done.signal.addEventListener("abort", () => reject(done.signal.reason), { once: true });
  });
  ended.catch(() => {});
  try {
    for (;;) {
      attempts++;
      try {
        const value = await Promise.race([condition({ signal: done.signal, attempt: attempts }), ended]);
        if (value !== false && value !== undefined && value !== null) return value;
      } catch (err) {
        if (done.signal.aborted) break;
        lastError = err;
      }
      if (done.signal.aborted) break;
      try {
        await clock.sleep(intervalMs, done.signal);
      } catch {
        break;
      }
    }
    if (done.signal.reason === TIMED_OUT) {
      throw new WaitTimeoutError(options.description, timeoutMs, attempts, lastError);
    }
    throw done.signal.reason;
  } finally {
    outer?.removeEventListener("abort", onOuterAbort);
    if (!done.signal.aborted) done.abort(new Error("waitFor finished"));
  }
}

const TIMED_OUT = Symbol("waitFor timed out");

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.message}${typeof code === "string" && !err.message.includes(code) ? ` (${code})` : ""}`;
  }
  return String(err);
}
