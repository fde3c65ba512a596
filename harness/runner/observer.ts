/**
 * The run's eyes: the probes run for the whole run (across trials); every observation updates the
 * live state (who leads now, which pods run) and is recorded in the current trial's history.
 *
 * A probe is an outside observer and never throws for a failure of the system under test. One that
 * stops on its own anyway (a harness bug, a broken engine) makes every later verdict blind in its
 * part: the observer records it and aborts `failed`, which cuts the trial short and fails the run.
 */
import { HarnessError } from "../errors.js";
import { History } from "../history/history.js";
import type { EntryPayload } from "../history/types.js";
import type { Probe } from "../probes/probe.js";
import type { Clock } from "./clock.js";
import { LiveState } from "./live-state.js";

/** How long stopping may wait for a probe that ignores its abort, ms. */
const PROBE_STOP_GRACE_MS = 5_000;

export class Observer {
  readonly live = new LiveState();
  readonly #probes: readonly Probe[];
  readonly #clock: Clock;
  readonly #stop = new AbortController();
  readonly #failed = new AbortController();
  readonly #runs: Promise<void>[] = [];
  #history: History | undefined;
  /** Kinds (and `etcd-key:<key>`) seen since the current trial began. */
  readonly #seen = new Set<string>();

  constructor(probes: readonly Probe[], clock: Clock, masters: readonly { name: string; ip: string }[]) {
    this.#probes = probes;
    this.#clock = clock;
    this.live.nodes = masters;
  }

  /** Aborts (reason: a HarnessError naming the probe) when a probe stopped before `stop()`. */
  get failed(): AbortSignal {
    return this.#failed.signal;
  }

  /** The current trial's history. */
  get history(): History | undefined {
    return this.#history;
  }

  start(): void {
    const sink = (p: EntryPayload): void => this.#observe(p);
    for (const probe of this.#probes) {
      this.#runs.push(
        Promise.resolve()
          .then(() => probe.run(sink, this.#stop.signal))
          .then(
            () => this.#ended(probe, undefined),
            (err: unknown) => this.#ended(probe, err),
          ),
      );
    }
  }

  /** A new trial: a new history from this instant, the probes re-record their current view into it. */
  beginTrial(): History {
    this.#history = History.start(this.#clock);
    this.#seen.clear();
    for (const p of this.#probes) p.resync();
    return this.#history;
  }

  /** Later observations go to no trial (between the end of a trial and the next `beginTrial`). */
  endTrial(): void {
    this.#history = undefined;
  }

  /** Whether this trial's history has an entry of that kind (`etcd-key:<key>` for one key). */
  seenThisTrial(what: string): boolean {
    return this.#seen.has(what);
  }

  /** Records a payload in the current trial (the runner's own workload writes go through here too). */
  record(p: EntryPayload): void {
    this.#observe(p);
  }

  /** Stops every probe; resolves false when one did not stop within the grace period (it is abandoned). */
  async stop(): Promise<boolean> {
    this.#stop.abort();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<false>((resolve) => {
      // Not unref'd: a probe that never settles must still get its grace period, not a drained event loop.
      timer = setTimeout(() => resolve(false), PROBE_STOP_GRACE_MS);
    });
    const ended = await Promise.race([Promise.all(this.#runs).then(() => true as const), grace]);
    clearTimeout(timer);
    return ended;
  }

  #observe(p: EntryPayload): void {
    this.live.observe(p, this.#clock.now());
    if (!this.#history) return;
    this.#history.recordNow(p);
    this.#seen.add(p.kind === "etcd-key" ? `etcd-key:${p.key}` : p.kind);
  }

  #ended(probe: Probe, err: unknown): void {
    if (this.#stop.signal.aborted || this.#failed.signal.aborted) return;
    const why = err === undefined ? "returned" : err instanceof Error ? err.message : String(err);
    this.#history?.recordNow({ kind: "note", text: `probe ${probe.name} stopped during the run: ${why}` });
    // A HarnessError already names what failed (the engine gone: E_DOCKER_UNAVAILABLE with its address).
    this.#failed.abort(
      err instanceof HarnessError
        ? err
        : new HarnessError("E_INTERNAL", `the ${probe.name} probe stopped during the run (${why}): what it watches is no longer observed`, "a probe must run until the end of the run; see the history's last notes and report this as a harness bug", { cause: err }),
    );
  }
}
