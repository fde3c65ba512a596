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
