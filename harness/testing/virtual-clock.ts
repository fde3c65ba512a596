/**
 * Test support: a virtual clock for the runner's unit tests. Time stands still while anything can
 * still run; when every task waits on a `sleep`, `run()` jumps to the earliest wake-up. A 60 s
 * trial so takes milliseconds, and the same inputs give the same history every time.
 */
import type { Clock } from "../runner/clock.js";

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/**
 * Turns of the event loop (each at least 5 ms) that `run()` lets pass with no timer pending and no
 * I/O request in flight before it calls the work stalled: about 2 s on an idle machine. Counted in
 * turns, not in ms, and not while I/O is under way: a loaded machine that deschedules this process,
 * or a slow disk, must not look like work that waits on nothing.
 */
const STALL_TURNS = 400;

/** An fs, dns or socket write/connect request of this process is in flight (libuv request types). */
function ioUnderWay(): boolean {
  return process.getActiveResourcesInfo().some((r) => /Req|^(Write|Shutdown|Connect|Send)Wrap$/.test(r));
}

export class VirtualClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];
  readonly origin: number;

  constructor(originEpochMs = Date.UTC(2026, 0, 1)) {
    this.origin = originEpochMs;
  }

  now(): number {
    return this.#now;
  }

  epochAt(mono: number): number {
    return this.origin + mono;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Calls `fn` when virtual time reaches `atMs` (e.g. to abort a run in a given phase). */
  at(atMs: number, fn: () => void): void {
    this.#timers.push({ at: atMs, seq: this.#seq++, fire: fn });
  }

  /** Drives virtual time until `work` settles; rejects when nothing is left to wake it, or past `limitMs`. */
  async run<T>(work: Promise<T>, limitMs = 24 * 3_600_000): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    let idleTurns = 0;
    while (!settled) {
      await new Promise((r) => setImmediate(r));
      if (settled) break;
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift();
      if (!next) {
        idleTurns = ioUnderWay() ? 0 : idleTurns + 1;
        if (idleTurns > STALL_TURNS) throw new Error(`virtual clock: stalled at ${this.#now} ms (no timer pending and the work is not done)`);
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      idleTurns = 0;
      if (next.at > limitMs) throw new Error(`virtual clock: past the limit of ${limitMs} ms`);
      this.#now = Math.max(this.#now, next.at);
      next.fire();
    }
    return work;
  }
}
