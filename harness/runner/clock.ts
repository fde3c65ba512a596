/**
 * The runner's time: a monotonic clock and an abortable sleep. The process's clock in a run; a
 * virtual one (harness/testing/virtual-clock.ts) in the runner's unit tests, so a 60 s trial runs
 * in milliseconds and deterministically.
 */
import { sleep } from "../async/sleep.js";

export interface Clock {
  /** ms on a monotonic clock (arbitrary origin). */
  now(): number;
  /** Epoch ms of a reading of `now()`. */
  epochAt(mono: number): number;
  /** Resolves after `ms`; rejects with `signal.reason` when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  epochAt: (mono) => performance.timeOrigin + mono,
  sleep,
};

/**
 * Polls `cond` every `everyMs` until it holds (true) or `timeoutMs` passes (false). Rejects when
 * `signal` aborts. The runner's waits are conditions on what the probes saw, so they need no more.
 */
export async function until(clock: Clock, cond: () => boolean, timeoutMs: number, everyMs: number, signal: AbortSignal): Promise<boolean> {
  const end = clock.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    if (cond()) return true;
    if (clock.now() >= end) return false;
    await clock.sleep(Math.min(everyMs, Math.max(0, end - clock.now())), signal);
  }
}
