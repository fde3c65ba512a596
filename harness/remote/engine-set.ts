/**
 * Several Docker engines as one pool of slots (docs/ENGINES.md "Several engines at once"):
 * `--engine <url>[,parallel=N]`, repeatable, for `npm run study` and `npm run nightly`. Slot s
 * belongs to one engine; `runPool` hands jobs to slots as they free up, so a faster engine takes
 * more. There is no scheduler or worker protocol: a run on this host's engine is `executeRun`, a
 * run on another engine is `runScenarioOnEngine` (a runner container there, its report copied
 * back), and both end as a `RunOutcome` whose trials reach `onTrial`.
 *
 * An engine that dies is found by pings once a run on it did not complete, or by a watchdog's pings
 * while a remote run is under way: it is marked lost (when, why, the runs it was running), `run`
 * throws `EngineLost`, and its slots take no further job (the caller hands the job back to the
 * pool, harness/runner/pool.ts `HandBack`). Trials of a remote
 * run come back with its report only, so a remote run cut by its engine's death is rerun whole
 * elsewhere; a local run's trials were logged as they ended, so only its remaining trials are.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { DockerUnavailableError, HarnessError, InputError } from "../errors.js";
import { TeardownStack } from "../lifecycle/teardown-stack.js";
import type { RunResult, TrialResult } from "../reporting/result.js";
import type { RunEngine } from "../runner/engine.js";
import { executeRun, type RunOutcome } from "../runner/execute-run.js";
import type { RunPlan } from "../runner/plan.js";
import { defaultParallelism } from "../runner/pool.js";
import { sleep } from "../async/sleep.js";
import { childController } from "../async/timeout-signal.js";
import { historyFromNdjson } from "../history/history.js";
import { connectEngine, parseEngineUrl, type EngineTarget } from "./engine-url.js";
import { prepareEngine, runScenarioOnEngine } from "./scenario.js";

/** How often an engine running a remote run is pinged, and how many failed pings in a row mean it is gone. */
const WATCH_INTERVAL_MS = 5_000;
const WATCH_MISSES = 3;
/** After a run that did not complete: pings before an engine is taken for gone (`recheckMs` apart, 5 s unless a test says). */
const RECHECK_TRIES = 3;

/** `--engine local`: this host's engine (DOCKER_HOST, else the default socket), run in this process. */
export const LOCAL_ENGINE = "local";

export interface EngineSpec {
  /** `local` or the URL as given. */
  readonly url: string;
  /** null: this host's engine. */
  readonly target: EngineTarget | null;
  /** Runs at once on it; null: decided when the engine is asked (`EngineSet.open`). */
  readonly parallel: number | null;
  readonly parallelWhy: string;
}

const SPEC_HINT = "--engine takes URL[,parallel=N]: local, unix:///path/docker.sock, tcp://host:port or ssh://user@host (repeatable)";

/**
 * The engines of `--engine` (repeatable). None given: this host's engine alone, with `--parallel`
 * or `defaultParallelism()`. An engine without `parallel=` takes `--parallel` when given, else its
 * default: this host's from its cores and free memory; another engine's from what it reports
 * (`docker info`: NCPU and MemTotal), asked at `open`.
 */
export function parseEngineSpecs(values: readonly string[] | undefined, opts: { parallel?: number; local?: { parallel: number; why: string } } = {}): EngineSpec[] {
  const local = (): { parallel: number; why: string } => opts.local ?? defaultParallelism();
  if (!values?.length) {
    return [opts.parallel !== undefined ? { url: LOCAL_ENGINE, target: null, parallel: opts.parallel, parallelWhy: "--parallel" } : { url: LOCAL_ENGINE, target: null, parallel: local().parallel, parallelWhy: `default: ${local().why}` }];
  }
  const specs = values.map((raw): EngineSpec => {
    const [url = "", ...params] = raw.split(",").map((p) => p.trim());
    let parallel: number | null = null;
    for (const p of params) {
      const m = /^parallel=(\d+)$/.exec(p);
      if (!m) throw new InputError(`--engine ${raw}: unknown parameter ${JSON.stringify(p)}`, SPEC_HINT);
      parallel = Number(m[1]);
      if (parallel < 1 || parallel > 32) throw new InputError(`--engine ${raw}: parallel must be 1..32, got ${parallel}`, SPEC_HINT);
    }
    if (!url) throw new InputError(`--engine ${JSON.stringify(raw)}: no URL`, SPEC_HINT);
    const target = url === LOCAL_ENGINE ? null : parseEngineUrl(url);
    if (parallel !== null) return { url: target?.url ?? url, target, parallel, parallelWhy: `parallel=${parallel} given` };
    if (opts.parallel !== undefined) return { url: target?.url ?? url, target, parallel: opts.parallel, parallelWhy: "--parallel" };
    if (!target) return { url, target, parallel: local().parallel, parallelWhy: `default: ${local().why}` };
    return { url: target.url, target, parallel: null, parallelWhy: "" };
  });
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.url)) throw new InputError(`--engine ${s.url} is given twice`, "give each engine once, with its parallel=N");
    seen.add(s.url);
  }
  return specs;
}

/** What became of an engine, for reports and progress. */
export interface EngineUse {
  readonly url: string;
  readonly parallel: number;
  readonly parallelWhy: string;
  /** Runs it ended (completed or not), and their trials that ended. */
  runs: number;
  trials: number;
  /** Set once it stopped answering: when, why, and the run ids it was running then. */
  lost: { at: string; reason: string; runIds: string[] } | null;
}

/** Thrown by `EngineSet.run` when the run's engine is gone. `trials`: the run's trials that ended before (and reached `onTrial`). */
export class EngineLost extends HarnessError {
  constructor(readonly url: string, reason: string, readonly trials: readonly TrialResult[], opts?: { cause?: unknown }) {
    super("E_DOCKER_UNAVAILABLE", `engine ${url} is gone: ${reason}`, "its unfinished work goes to the other engines; check the engine, then `npm run reap -- --engine URL`", opts);
  }
}

export interface EngineRunOptions {
  readonly runId: string;
  /** Reports root: the run's report ends in `<outDir>/<scenario>/<run id>/` here, wherever it ran. */
  readonly outDir: string;
  readonly signal: AbortSignal;
  readonly progress: (line: string) => void;
  /** Each trial as it ends (local), or once its report is back (another engine). */
  readonly onTrial?: (trial: TrialResult) => void | Promise<void>;
  readonly clock?: Parameters<typeof executeRun>[1]["clock"];
  readonly invocation?: Parameters<typeof executeRun>[1]["invocation"];
}

interface Member {
  readonly use: EngineUse;
  readonly target: EngineTarget | null;
  /** The local engine's RunEngine (target null). */
  readonly local?: RunEngine;
  /** Another engine's runner image, put there (with the others) once, at `open`. */
  readonly runnerImage?: string;
  /** Resolves while the engine answers. */
  readonly ping: () => Promise<void>;
  readonly running: Set<string>;
}

export class EngineSet {
  readonly #members: Member[];
  /** slot → member index. */
  readonly #slots: number[];
  readonly #recheckMs: number;

  private constructor(members: Member[], recheckMs = 5_000) {
    this.#members = members;
    this.#recheckMs = recheckMs;
    // Interleaved (engine 1, engine 2, engine 1, ...): a pool with fewer jobs than slots spreads them over the engines.
    const rounds = Math.max(0, ...members.map((m) => m.use.parallel));
    this.#slots = Array.from({ length: rounds }, (_, r) => members.flatMap((m, i) => (r < m.use.parallel ? [i] : []))).flat();
  }

  /**
   * Connects every engine (a ping under 10 s each; one that does not answer is E_DOCKER_UNAVAILABLE
   * before anything runs), asks the remote ones without `parallel=` what they have, and puts the
   * images on every remote engine (by content hash: what is there already is not sent), all engines
   * at once.
   */
  static async open(specs: readonly EngineSpec[], opts: { signal: AbortSignal; progress: (line: string) => void; localEngine: () => Promise<RunEngine> }): Promise<EngineSet> {
    const members = await Promise.all(specs.map(async (spec): Promise<Member> => {
      if (!spec.target) {
        const local = await opts.localEngine();
        return { use: newUse(spec.url, spec.parallel ?? 1, spec.parallelWhy), target: null, local, ping: pingLocal, running: new Set() };
      }
      const docker = await connectEngine(spec.target, { signal: opts.signal });
      let { parallel, parallelWhy } = spec;
      if (parallel === null) {
        const info = (await docker.info()) as { NCPU?: number; MemTotal?: number };
        const d = defaultParallelism({ cpus: info.NCPU ?? 1, freeBytes: info.MemTotal ?? 0 });
        parallel = d.parallel;
        parallelWhy = `default from the engine's docker info: ${d.why.replace("free", "total")}`;
      }
      const runnerImage = await prepareEngine(docker, { signal: opts.signal, progress: (line) => opts.progress(`${spec.target!.url}: ${line}`) });
      const target = spec.target;
      return { use: newUse(spec.url, parallel, parallelWhy), target, runnerImage, ping: async () => void (await connectEngine(target)), running: new Set() };
    }));
    return new EngineSet(members);
  }

  /**
   * Engines run in this process (`RunEngine`s: this host's, or the fake engine in tests), each with
   * its slots and a ping (default: always answers, so a failed run is only a failed run).
   */
  static ofRunEngines(engines: readonly { url?: string; engine: RunEngine; parallel: number; parallelWhy?: string; ping?: () => Promise<void> }[], opts: { recheckMs?: number } = {}): EngineSet {
    return new EngineSet(engines.map((e, i) => ({
      use: newUse(e.url ?? (i ? `${LOCAL_ENGINE}-${i + 1}` : LOCAL_ENGINE), e.parallel, e.parallelWhy ?? "--parallel"), target: null, local: e.engine, ping: e.ping ?? (async () => {}), running: new Set<string>(),
    })), opts.recheckMs);
  }

  /** Slots over all engines: the pool's parallelism. */
  get slots(): number {
    return this.#slots.length;
  }

  /** The engines and what became of them. */
  get uses(): readonly EngineUse[] {
    return this.#members.map((m) => m.use);
  }

  /** The engine of a slot (`local` or its URL). */
  urlOf(slot: number): string {
    return this.#member(slot).use.url;
  }

  /** False once the slot's engine is lost: the slot should hand its job back. */
  alive(slot: number): boolean {
    return this.#member(slot).use.lost === null;
  }

  /**
   * One run on the slot's engine. Resolves with its outcome (its report here, in `<outDir>`); throws
   * `EngineLost` when the engine is gone (found by pings once the run did not complete, or by the
   * watchdog), with the trials that reached `onTrial` before. A remote run that failed while its engine answers is a
   * HarnessError like any run's failure.
   */
  async run(slot: number, plan: RunPlan, o: EngineRunOptions): Promise<RunOutcome> {
    const m = this.#member(slot);
    if (m.use.lost) throw new EngineLost(m.use.url, m.use.lost.reason, []);
    const trials: TrialResult[] = [];
    // Set once the run is given up (its engine stopped answering): a report that still comes back
    // later (the engine recovers) must not add trials the batch's rerun elsewhere also runs.
    let abandoned = false;
    const onTrial = async (t: TrialResult): Promise<void> => {
      if (abandoned) {
        o.progress(`dropped trial ${t.index + 1} of run ${o.runId}, whose report came back after its engine ${m.use.url} was given up (its work ran elsewhere)`);
        return;
      }
      trials.push(t);
      await o.onTrial?.(t);
    };
    m.running.add(o.runId);
    const watch = m.local ? null : this.#watch(m, o.signal);
    try {
      let outcome: RunOutcome;
      try {
        outcome = m.local
          ? await executeRun(plan, { engine: m.local, signal: o.signal, outDir: o.outDir, runId: o.runId, progress: o.progress, onTrial, ...(o.clock ? { clock: o.clock } : {}), ...(o.invocation ? { invocation: o.invocation } : {}) })
          : await Promise.race([runRemote(m.target!, m.runnerImage!, plan, { ...o, signal: watch!.signal }, onTrial), watch!.lost]);
      } catch (err) {
        if (!m.local && m.use.lost) abandoned = true;
        if (!o.signal.aborted) await this.#checkAlive(m, err, trials).catch((lost: unknown) => {
          abandoned = true;
          throw lost;
        });
        throw err;
      }
      if (outcome.result.status !== "completed" && !o.signal.aborted) await this.#checkAlive(m, outcome.result.error?.message ?? outcome.result.status, trials);
      m.use.runs += 1;
      m.use.trials += outcome.result.trials.length;
      return outcome;
    } finally {
      watch?.stop();
      m.running.delete(o.runId);
    }
  }

  /**
   * While a run is under way on another engine: a ping every WATCH_INTERVAL_MS; WATCH_MISSES in a
   * row that fail mark the engine lost, abort the run (its runner is asked to stop, which fails
   * quietly on a dead engine) and reject `lost`. The run's own calls cannot be relied on to end: a
   * container wait on an engine that died mid-request was seen never to settle.
   */
  #watch(m: Member, signal: AbortSignal): { signal: AbortSignal; lost: Promise<never>; stop: () => void } {
    const own = childController(signal);
    let misses = 0;
    let reject: (err: unknown) => void = () => {};
    const lost = new Promise<never>((_, r) => (reject = r));
    lost.catch(() => {});
    let busy = false;
    let stopped = false;
    const timer = setInterval(() => {
      if (busy || own.signal.aborted) return;
      busy = true;
      m.ping().then(
        () => void (misses = 0),
        (err: unknown) => {
          // A ping that was in flight when the run ended does not judge the engine.
          if (stopped || ++misses < WATCH_MISSES) return;
          const reason = `${(err as Error).message} (${misses} pings in a row, ${WATCH_INTERVAL_MS / 1000}s apart, while a run was under way)`;
          m.use.lost ??= { at: new Date().toISOString(), reason, runIds: [...m.running] };
          own.controller.abort(new EngineLost(m.use.url, reason, []));
          reject(new EngineLost(m.use.url, reason, [], { cause: err }));
        },
      ).finally(() => void (busy = false));
    }, WATCH_INTERVAL_MS);
    return { signal: own.signal, lost, stop: () => { stopped = true; clearInterval(timer); own.release(); } };
  }

  #member(slot: number): Member {
    const i = this.#slots[slot];
    if (i === undefined) throw new RangeError(`slot ${slot} is not one of the ${this.#slots.length} slots`);
    return this.#members[i]!;
  }

  /**
   * Pings the engine after a run that did not complete, up to RECHECK_TRIES times `recheckMs`
   * apart (one slow answer of a loaded engine is not a dead engine); none answered: marks it lost
   * and throws EngineLost.
   */
  async #checkAlive(m: Member, why: unknown, trials: readonly TrialResult[] = []): Promise<void> {
    if (m.use.lost) throw new EngineLost(m.use.url, m.use.lost.reason, trials);
    let last: unknown;
    for (let i = 0; i < RECHECK_TRIES; i++) {
      if (i) await sleep(this.#recheckMs);
      try {
        await m.ping();
        return;
      } catch (err) {
        last = err;
      }
    }
    const reason = `${(last as Error).message} (${RECHECK_TRIES} pings ${this.#recheckMs / 1000}s apart, after a run ended: ${why instanceof Error ? why.message : String(why)})`;
    m.use.lost ??= { at: new Date().toISOString(), reason, runIds: [...m.running] };
    throw new EngineLost(m.use.url, reason, trials, { cause: last });
  }
}

function newUse(url: string, parallel: number, parallelWhy: string): EngineUse {
  return { url, parallel, parallelWhy, runs: 0, trials: 0, lost: null };
}

async function pingLocal(): Promise<void> {
  await connectEngine(parseEngineUrl(localUrl()), { pingTimeoutMs: 10_000 }).catch((err: unknown) => {
    throw new DockerUnavailableError(`this host's Docker engine does not answer (${(err as Error).message})`, "start it (npm run setup starts it on this machine)", { cause: err });
  });
}

/** This host's engine as a URL (DOCKER_HOST, else the default socket). */
function localUrl(): string {
  const host = process.env.DOCKER_HOST;
  return host && host.length ? host : "unix:///var/run/docker.sock";
}

/** The scenario's command-line arguments that rebuild `plan` (profile, then the scenario's own settings, then `--set`, as `npm run scenario` resolves them). */
export function planArgs(plan: RunPlan): string[] {
  const profile = plan.options.profile;
  const sets = plan.options.sets;
  if (typeof profile !== "string" || !Array.isArray(sets)) throw new HarnessError("E_INTERNAL", `the run plan of ${plan.scenario.name} does not say its profile and sets (options.profile, options.sets): it cannot run on another engine`);
  return ["--profile", profile, "--repeat", String(plan.repeat), "--seed", String(plan.seed), ...(sets as string[]).flatMap((s) => ["--set", s])];
}

/** A run on another engine: its report comes back, and its trials then reach `onTrial` in order. */
async function runRemote(target: EngineTarget, runnerImage: string, plan: RunPlan, o: EngineRunOptions, onTrial: (t: TrialResult) => Promise<void>): Promise<RunOutcome> {
  await using teardown = new TeardownStack();
  // Its progress (stderr), without the runner's own clock; its stdout is the run's summary, which is in its report.
  const progress = lineSplitter((line) => o.progress(line.replace(/^\[\d+:\d\d\] /, "")));
  const remote = await runScenarioOnEngine({
    target, runnerImage, runId: o.runId, scenario: plan.scenario.name, args: planArgs(plan), outDir: o.outDir, signal: o.signal, teardown,
    progress: o.progress, stdout: () => {}, stderr: progress,
  });
  if (!remote.reportDir) throw new HarnessError("E_REPORT", `no report came back from the run ${o.runId} on ${target.url} (runner exit ${String(remote.code)})`, "see the run's output above");
  const result = await readRunReport(remote.reportDir);
  for (const t of result.trials) await onTrial(t);
  return { result, reportDir: remote.reportDir };
}

/** A run's result as `executeRun` returns it, from its report folder: result.json with each trial's history from history.ndjson. */
async function readRunReport(dir: string): Promise<RunResult> {
  const [json, ndjson] = await Promise.all([readFile(path.join(dir, "result.json"), "utf8"), readFile(path.join(dir, "history.ndjson"), "utf8")]).catch((err: Error) => {
    throw new HarnessError("E_REPORT", `the report that came back in ${dir} is incomplete: ${err.message}`, "see the run's output above");
  });
  const result = JSON.parse(json) as Omit<RunResult, "trials"> & { trials: Omit<TrialResult, "history">[] };
  const histories = new Map(historyFromNdjson(ndjson).map((h) => [h.trial, h.entries]));
  return { ...result, trials: result.trials.map((t) => ({ ...t, history: histories.get(t.index) ?? [] })) };
}

/** Feeds whole lines of a byte stream to `fn` (a runner's output, into the caller's progress). */
function lineSplitter(fn: (line: string) => void): (chunk: Buffer) => void {
  let rest = "";
  return (chunk) => {
    const parts = (rest + chunk.toString("utf8")).split("\n");
    rest = parts.pop() ?? "";
    for (const p of parts) if (p.trim()) fn(p.replace(/\r$/, ""));
  };
}

/** Slots over the engines as parsed (an engine still to be asked counts `unknownAs`), and a line saying why: for `--dry-run` and the start line. */
export function describeEngineSpecs(specs: readonly Pick<EngineSpec, "url" | "parallel" | "parallelWhy">[], unknownAs = 2): { slots: number; text: string } {
  const slots = specs.reduce((n, s) => n + (s.parallel ?? unknownAs), 0);
  if (specs.length === 1 && specs[0]!.url === LOCAL_ENGINE) return { slots, text: `--parallel ${slots} (${specs[0]!.parallelWhy})` };
  const each = specs.map((s) => `${s.url} × ${s.parallel === null ? `? (asked at start; ${unknownAs} assumed here)` : `${s.parallel} (${s.parallelWhy})`}`);
  return { slots, text: `${slots} slot(s) over ${specs.length} engine(s): ${each.join("; ")}` };
}

/** The engines at the end of a run of many: one line each, with what each ran and any loss. */
export function engineUseLines(uses: readonly EngineUse[]): string[] {
  return uses.map((u) => `engine ${u.url}: ${u.runs} run(s), ${u.trials} trial(s) on ${u.parallel} slot(s)${u.lost ? `; LOST at ${u.lost.at} (${u.lost.reason}); its runs ${u.lost.runIds.join(", ") || "(none under way)"} went to the other engines` : ""}`);
}

/** The reap command(s) for these engines, for a command's cleanup hint. */
export function reapCommandFor(specs: readonly Pick<EngineSpec, "url" | "target">[]): string {
  return specs.map((e) => (e.target ? `\`npm run reap -- --engine ${e.url}\`` : "`npm run reap`")).join(", ");
}
