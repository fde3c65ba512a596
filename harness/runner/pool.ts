/**
 * Several runs at once: the study's and the nightly job's way of using an engine's spare capacity.
 *
 * `runPool(jobs, { parallel, signal }, run)` hands jobs, in their order, to `parallel` slots as the
 * slots free up; each job is one call of `run` (normally one `executeRun`, so one topology with its
 * own run id, network, report folder). There is no queue service and no worker protocol: a slot is
 * a loop in this process. Once `signal` aborts no job is started; jobs under way get the abort
 * through their own signal and end as `executeRun` does (trial cut short, everything released).
 *
 * A job whose `run` throws is recorded with its error and the other slots go on: one broken run
 * never loses the others' results.
 *
 * Several engines are several groups of slots (harness/remote/engine-set.ts). An engine that dies
 * mid-job hands the job back: `run` throws `HandBack` (optionally with the job as it now stands,
 * e.g. the trials still to run), the job goes to the front of the queue for another slot, and the
 * slot that threw retires (takes no further job). A slot with nothing to take waits while jobs are
 * still under way elsewhere, since one of them may come back. Jobs left when every slot has retired
 * are `not-run`.
 */
import os from "node:os";

export type PoolEntry<J, R> =
  | { readonly job: J; readonly state: "done"; readonly value: R; readonly slot: number }
  | { readonly job: J; readonly state: "error"; readonly error: unknown; readonly slot: number }
  | { readonly job: J; readonly state: "not-run" };

export interface PoolOptions<J, R> {
  /** Jobs under way at once (≥ 1). */
  readonly parallel: number;
  /** Aborting it starts no further job; the jobs under way see it through their own signal. */
  readonly signal: AbortSignal;
  /** Called as each job ends, before its slot takes the next job (progress, an append-only log). */
  readonly onSettled?: (entry: PoolEntry<J, R>, index: number) => void | Promise<void>;
  /** Called when a slot hands a job back and retires, before another slot takes the job. */
  readonly onHandBack?: (handBack: HandBack<J>, job: J, slot: number) => void;
}

/**
 * Thrown by a pool's `run`: "this slot cannot run jobs any more (its engine is gone); give the job to
 * another". `job`, when given, replaces the job (what is left of it: a run whose engine died after
 * some of its trials were logged).
 */
export class HandBack<J = unknown> extends Error {
  override readonly name = "HandBack";
  constructor(message: string, readonly job?: J, opts?: { cause?: unknown }) {
    super(message, opts);
  }
}

/**
 * Runs every job, at most `parallel` at once; the entries come back in the jobs' order. An
 * `onSettled` that throws rejects the pool with its error once the other slots have run out of jobs.
 */
export async function runPool<J, R>(jobs: readonly J[], opts: PoolOptions<J, R>, run: (job: J, slot: number, signal: AbortSignal) => Promise<R>): Promise<PoolEntry<J, R>[]> {
  if (!Number.isInteger(opts.parallel) || opts.parallel < 1) throw new RangeError(`parallel must be a whole number ≥ 1, got ${opts.parallel}`);
  const entries: PoolEntry<J, R>[] = jobs.map((job) => ({ job, state: "not-run" }));
  const current: J[] = [...jobs];
  const queue: number[] = jobs.map((_, i) => i);
  let underWay = 0;
  // Woken whenever a job ends or comes back: an idle slot then looks at the queue again.
  let wake: () => void = () => {};
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = (): void => {
    const w = wake;
    changed = new Promise<void>((resolve) => (wake = resolve));
    w();
  };
  const slot = async (s: number): Promise<void> => {
    for (;;) {
      if (opts.signal.aborted) return;
      if (!queue.length) {
        if (!underWay) return;
        await changed;
        continue;
      }
      const i = queue.shift()!;
      const job = current[i]!;
      underWay++;
      try {
        entries[i] = { job, state: "done", value: await run(job, s, opts.signal), slot: s };
      } catch (error) {
        if (error instanceof HandBack) {
          underWay--;
          if (error.job !== undefined) current[i] = error.job as J;
          entries[i] = { job: current[i]!, state: "not-run" };
          queue.unshift(i);
          try {
            opts.onHandBack?.(error as HandBack<J>, job, s);
          } finally {
            // Even when the callback throws: a slot waiting for this job must see it.
            notify();
          }
          return;
        }
        entries[i] = { job, state: "error", error, slot: s };
      }
      underWay--;
      try {
        // A callback that fails (a full disk under the study's log) stops this slot, not the others.
        await opts.onSettled?.(entries[i]!, i);
      } finally {
        notify();
      }
    }
  };
  // Every slot, even with fewer jobs: a job handed back by one slot must find another (an idle slot
  // returns at once when nothing is queued or under way).
  const slots = await Promise.allSettled(Array.from({ length: opts.parallel }, (_, s) => slot(s)));
  const failed = slots.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return entries;
}

/** What one fast- or seed-profile topology holds resident (7 containers, measured with `docker stats`: ≈ 250 MiB) plus the harness's share for its probes, with room to spare. */
export const TOPOLOGY_MEMORY_BYTES = 512 * 1024 ** 2;
/** Topologies per core by default (see `defaultParallelism`). */
const PER_CORE = 2;
/** Memory left to the machine's other work whatever the parallelism. */
const RESERVED_MEMORY_BYTES = 2 * 1024 ** 3;

/**
 * The default `--parallel` for one engine on this host: topologies spend most of their time
 * waiting on timers (≈ 12 % of a core each when steady), so two per core, as many as free memory
 * carries at `TOPOLOGY_MEMORY_BYTES` each, at most 8, at least 1. Two, not three: measured on a
 * quiet 2-core machine (docs/STUDY.md "Throughput"), 6 topologies gave 4.5× the trials per hour of
 * one but a probe error p95 of 396 ms, 4 gave 3.5× at 65 ms: the default keeps the measurements
 * accurate; `--parallel` trades accuracy for speed. The reason is returned with the figure so a
 * command can print why it chose it.
 */
export function defaultParallelism(host: { cpus: number; freeBytes: number } = { cpus: os.availableParallelism(), freeBytes: os.freemem() }): { parallel: number; why: string } {
  const byCpu = host.cpus * PER_CORE;
  const byMemory = Math.floor((host.freeBytes - RESERVED_MEMORY_BYTES) / TOPOLOGY_MEMORY_BYTES);
  const parallel = Math.max(1, Math.min(8, byCpu, byMemory));
  const gib = (b: number): string => (b / 1024 ** 3).toFixed(1);
  return { parallel, why: `${host.cpus} cores × ${PER_CORE} = ${byCpu}; ${gib(host.freeBytes)} GiB free − ${gib(RESERVED_MEMORY_BYTES)} GiB reserve at ${TOPOLOGY_MEMORY_BYTES / 1024 ** 2} MiB per topology = ${Math.max(byMemory, 0)}; at most 8` };
}
