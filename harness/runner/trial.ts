/**
 * One trial, as named phases over a trial context (docs/RUN.md):
 *
 *   steady → inject → observe (→ heal when the fault's time is up) → heal → converge → evaluate → done
 *
 * - steady: the workload pods Running and a healthy baseline, recorded in this trial's own history.
 *   Without one the fault is not injected and the verdict is `unknown`.
 * - inject: after a seeded random phase offset within the renewal period (waited in this phase),
 *   the fault fires at a target resolved from what the probes see at that moment, in the steady
 *   state only: lost meanwhile, it is waited for again and the offset drawn anew.
 * - observe: until the probes see the system recovered (a new scheduler when one is expected, the
 *   workload and a pod created during the outage Running) or the observe budget runs out. A fault
 *   with a duration is healed when its time is up, and observation goes on.
 * - heal: a fault still in force is healed.
 * - converge (between trials only): what the fault killed is started again, as a reboot would, and
 *   the trial waits on the probes until the restarted node has settled; the outage pod is deleted
 *   meanwhile. Not part of the experiment: `evaluate` judges only what came before `converge`.
 * - evaluate: measures and checks, pure functions of the history (harness/measures, harness/checks).
 *
 * Every phase boundary is a `phase` entry in the history, so timings (the bench) come from it.
 * A failure of the system under test is data; an exception (the harness broke, the run was
 * interrupted, a probe died) cuts the trial short: it is recorded with what was seen and verdict
 * `unknown`, and thrown on as `TrialCutShort`.
 */
import { evaluateTrial, type TrialEvaluation } from "../checks/checks.js";
import { inject, type ActiveFault } from "../faults/inject.js";
import { describeFault } from "../faults/types.js";
import type { History } from "../history/history.js";
import type { RunnerPhase } from "../history/types.js";
import type { TrialFault, TrialResult } from "../reporting/result.js";
import type { Cluster } from "../topology/cluster.js";
import { waitFor, WaitTimeoutError } from "../async/wait-for.js";
import { SEED_NGINX } from "../timing-oracle/windows.js";
import type { Clock } from "./clock.js";
import type { Workload } from "./engine.js";
import type { Observer } from "./observer.js";
import { planForTrial, type ResolvedPlan } from "./plan.js";

export interface TrialContext {
  readonly plan: ResolvedPlan;
  readonly cluster: Cluster;
  readonly workload: Workload;
  readonly observer: Observer;
  readonly clock: Clock;
  /** Aborts on Ctrl-C and when a probe dies. */
  readonly signal: AbortSignal;
  /** Seeded: the fault's phase offsets. */
  readonly random: () => number;
  readonly progress: (line: string) => void;
  /** Faults in force; the run heals whatever is left in it at its end. */
  readonly faults: Set<ActiveFault>;
  /** The run's earlier trials: the kubelet's crash-loop backoff they left sets this trial's model (plan.ts `planForTrial`). @default none */
  readonly earlier?: readonly TrialResult[];
}

/** A trial ended by an exception: `trial` is what it saw (verdict `unknown`), `reason` the exception. */
export class TrialCutShort extends Error {
  constructor(
    readonly trial: TrialResult,
    readonly reason: unknown,
  ) {
    super(`trial ${trial.index + 1} cut short: ${reason instanceof Error ? reason.message : String(reason)}`, { cause: reason });
  }
}

/**
 * How long the engine may take to deliver a fault, in ms, before the trial is not judged: a
 * healthy engine takes milliseconds (a kill, a pause) to a second or two (iptables rules on a
 * loaded machine); a late one blurs the fault's time by as much.
 */
export const FAULT_DELIVERY_BUDGET_MS = 5_000;

/** How often the steady state may be lost during the offset before the trial gives up (unknown). */
const MAX_STEADY_LOSSES = 5;

const fmtS = (ms: number | null | undefined): string => (ms === null || ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);

export async function runTrial(ctx: TrialContext, k: number): Promise<TrialResult> {
  const { plan, observer, signal } = ctx;
  const h = observer.beginTrial();
  const tag = `trial ${k + 1}/${plan.repeat}`;
  const phase = (name: RunnerPhase): number => h.recordNow({ kind: "phase", name });
  let fault: TrialFault | null = null;
  let active: ActiveFault | undefined;
  let judgedUntil: number | undefined;
  const result = (ev: TrialEvaluation, verdict = ev.verdict): TrialResult => ({
    index: k, originEpochMs: h.originEpochMs, fault, measures: ev.measures, checks: ev.checks, verdict, history: h.entries(),
  });
  try {
    phase("steady");
    ctx.progress(`${tag}: waiting for steady state`);
    const noBaseline = (why: string): TrialResult => {
      h.recordNow({ kind: "note", text: `no steady state within ${plan.steadyBudgetMs} ms: ${why}; fault not injected` });
      ctx.progress(`${tag}: no healthy baseline (${why}); verdict unknown`);
      phase("evaluate");
      const ev = evaluate(ctx, h);
      phase("done");
      return result(ev);
    };
    const unhealthy = await steady(ctx);
    if (unhealthy) return noBaseline(unhealthy);

    phase("inject");
    let offsetMs = Math.round(ctx.random() * plan.renewalMs);
    await ctx.clock.sleep(offsetMs, signal);
    // The fault fires in the steady state or not at all: a stale scheduler may come back while the
    // offset is waited (the kubelet restarts it until its manifest is deleted). Then wait for the
    // steady state again and draw a new offset.
    for (let lost = notSteady(ctx), losses = 1; lost; lost = notSteady(ctx), losses++) {
      // A state that never holds through an offset is no baseline either (bounded, never a loop).
      if (losses > MAX_STEADY_LOSSES) return noBaseline(`steady state lost ${MAX_STEADY_LOSSES} times before the fault, last: ${lost}`);
      h.recordNow({ kind: "note", text: `steady state lost before the fault: ${lost}; waiting for it again` });
      ctx.progress(`${tag}: steady state lost before the fault (${lost}); waiting for it again`);
      const why = await steady(ctx);
      if (why) return noBaseline(why);
      offsetMs = Math.round(ctx.random() * plan.renewalMs);
      await ctx.clock.sleep(offsetMs, signal);
    }
    const preFaultPid = observer.live.activePid();
    // The fault's time is the moment it is fired, not when the engine acknowledged it: what the
    // probes see of it (a node going down) may be recorded before inject() returns.
    const injectT = h.now();
    active = await inject(plan.scenario.fault, ctx.cluster, observer.live, signal);
    // Only a fault with a duration has something to undo.
    if (active.durationMs !== undefined) ctx.faults.add(active);
    // An engine slow to deliver the fault blurs its time: its delay is not the system's to be judged.
    const deliveredMs = h.now() - injectT;
    const late = deliveredMs > FAULT_DELIVERY_BUDGET_MS;
    const description = describeFault(plan.scenario.fault);
    fault = { kind: plan.scenario.fault.kind, description, targets: active.targets.map((t) => ({ ...t })), offsetMs, injectedAtMs: injectT, detail: active.detail };
    h.record({ t: injectT, kind: "fault", name: active.name, action: "inject", targets: active.targets.map((t) => t.node), detail: { ...active.detail, description, offsetMs, resolved: fault.targets, deliveredMs } });
    ctx.progress(`${tag}: ${description} → ${active.targets.map((t) => `${t.node} (${t.how})`).join(", ") || "—"}`);
    if (late) {
      const text = `fault delivered ${fmtS(deliveredMs)} after it was fired (more than ${fmtS(FAULT_DELIVERY_BUDGET_MS)}): the engine's delay blurs the fault's time, so this trial's timings are not judged; verdict unknown`;
      h.recordNow({ kind: "note", text });
      ctx.progress(`${tag}: ${text}`);
    }
    // From here on, this trial's plan: its model knows the backoff the earlier trials left.
    ctx = { ...ctx, plan: planForTrial(plan, fault, ctx.earlier ?? [], h.originEpochMs) };

    const outagePod = `outage-${k + 1}`;
    await observe(ctx, h, active, preFaultPid, outagePod, tag);

    if (ctx.faults.has(active)) await heal(ctx, h, active);

    judgedUntil = phase("converge");
    if (k + 1 < plan.repeat) await converge(ctx, h, active, outagePod, tag);

    phase("evaluate");
    const ev = evaluate(ctx, h, judgedUntil);
    const m = ev.measures;
    const verdict = late ? "unknown" : ev.verdict;
    ctx.progress(`${tag}: ${verdict.toUpperCase()} — time to new scheduler ${fmtS(m.timeToNewSchedulerMs)}, pod recovery ${fmtS(m.podRecoveryMs)}, dual ${fmtS(m.dualSchedulerMs)}, declines ${m.incompatibleOfferDeclines ?? "—"}`);
    phase("done");
    return result(ev, verdict);
  } catch (err) {
    // What was seen still goes into the report, each check judged on it; the verdict is unknown:
    // checks judged on a truncated observation "fail" for lack of time, which is no finding.
    h.recordNow({ kind: "note", text: `trial cut short: ${err instanceof Error ? err.message : String(err)}` });
    // A fault still in force is healed now, so this trial's history records it (the run's teardown would, too late for it).
    if (active && ctx.faults.has(active)) {
      const f = active;
      await f.heal().then(
        () => {
          ctx.faults.delete(f);
          h.recordNow({ kind: "fault", name: f.name, action: "heal", targets: f.targets.map((t) => t.node) });
        },
        (e: unknown) => h.recordNow({ kind: "note", text: `could not heal ${f.name}: ${e instanceof Error ? e.message : String(e)}` }),
      );
    }
    throw new TrialCutShort(result(evaluate(ctx, h, judgedUntil), "unknown"), err);
  } finally {
    observer.endTrial();
  }
}

/** Waits for steady state; returns "" when reached, else why not (for the note and the user). */
async function steady(ctx: TrialContext): Promise<string> {
  const { plan, observer, signal } = ctx;
  const live = observer.live;
  const pods = plan.steadyPodNames;
  await Promise.all(pods.filter((n) => !live.podRunning(n)).map((n) => ctx.workload.createPod(n, { signal })));
  const ok = await holds(ctx, "steady state", () => notSteady(ctx) === "", plan.steadyBudgetMs);
  return ok ? "" : notSteady(ctx);
}

/**
 * "" when the system is in its steady state now, else why not. Healthy as the probes see it,
 * recorded in this trial's own history, every workload pod Running; in cold standby exactly one
 * scheduler up, on the podmaster key holder, and the framework's (a restarted node may run a stale
 * scheduler from its old manifest, which can register and fence the rightful one, again after each
 * kubelet restart, until its podmaster deletes the manifest); every master's apiserver answering
 * for longer than nginx's fail_timeout (a master restarted by the last trial's converge may still
 * be skipped by nginx, and a fault on the other one would leave the new leader no apiserver: its
 * bootstrap fails on a 502 and it restarts, seen as a 17 s hot-standby failover).
 */
function notSteady(ctx: TrialContext): string {
  const { plan, observer } = ctx;
  const live = observer.live;
  if (!observer.seenThisTrial(`etcd-key:${plan.leaderKey}`) || !observer.seenThisTrial("framework")) return "not seen in this trial's history yet";
  const cold = plan.spec.mode !== "hot-standby";
  const keyHolder = cold ? live.leaderKeyNode(plan.leaderKey) : undefined;
  return [
    live.whyUnhealthy(plan.leaderKey, plan.steadyPodNames),
    !cold || live.schedulersUp() === 1 ? "" : `${live.schedulersUp()} schedulers up`,
    keyHolder && live.schedulerUp(keyHolder) !== true ? `the key holder ${keyHolder}'s scheduler does not answer` : "",
    cold ? live.whyNotOnKeyHolder(plan.leaderKey) : "",
    ...live.apiserversNotRoutable(ctx.clock.now(), SEED_NGINX.failTimeoutMs),
  ].filter(Boolean).join("; ");
}

/** Observes until recovered or out of budget, healing a fault with a duration when its time is up. */
async function observe(ctx: TrialContext, h: History, fault: ActiveFault, preFaultPid: string | undefined, outagePod: string, tag: string): Promise<void> {
  const { plan, observer, clock, signal } = ctx;
  const live = observer.live;
  // A pod created during the outage must run after it: created through the outage, concurrently.
  const outage = new AbortController();
  const outageCreated = ctx.workload.createPod(outagePod, { signal: AbortSignal.any([signal, outage.signal]), deadlineMs: plan.observeBudgetMs }).catch(() => false);
  try {
    h.recordNow({ kind: "phase", name: "observe" });
    const start = clock.now();
    const elapsed = (): number => clock.now() - start;
    const failover = plan.scenario.expect.failover;
    const failedOver = (): boolean => live.activePid() !== undefined && live.activePid() !== preFaultPid;
    const recovered = (): boolean =>
      !ctx.faults.has(fault) &&
      (!failover || failedOver()) &&
      elapsed() >= plan.minObserveMs &&
      [...plan.steadyPodNames, outagePod].every((n) => live.podRunning(n));
    let reported = false;
    while (!recovered() && elapsed() < plan.observeBudgetMs) {
      if (ctx.faults.has(fault) && elapsed() >= fault.durationMs!) {
        await heal(ctx, h, fault);
        ctx.progress(`${tag}: healed after ${fmtS(fault.durationMs)}`);
      }
      if (failover && !reported && failedOver()) {
        reported = true;
        ctx.progress(`${tag}: new scheduler active on ${live.activeNode() ?? "?"} after ${fmtS(elapsed())}`);
      }
      await clock.sleep(plan.intervalMs, signal);
    }
    if (!recovered()) h.recordNow({ kind: "note", text: `not recovered within the observe budget of ${plan.observeBudgetMs} ms` });
  } finally {
    outage.abort();
    await outageCreated;
  }
}

async function heal(ctx: TrialContext, h: History, fault: ActiveFault): Promise<void> {
  h.recordNow({ kind: "phase", name: "heal" });
  await fault.heal();
  ctx.faults.delete(fault);
  h.recordNow({ kind: "fault", name: fault.name, action: "heal", targets: fault.targets.map((t) => t.node) });
}

/**
 * Brings back what the fault killed, and waits on the probes until the restarted node settled:
 * in cold standby its stale scheduler (started by its kubelet from the old manifest) seen up and
 * then gone; in hot standby its scheduler up again as a standby. The outage pod is deleted meanwhile.
 */
async function converge(ctx: TrialContext, h: History, fault: ActiveFault, outagePod: string, tag: string): Promise<void> {
  const { plan, observer, clock, signal } = ctx;
  const killed = fault.name === "kill-container" ? fault.targets : [];
  const settle = async (node: string): Promise<void> => {
    await ctx.cluster.start(node);
    let seenUp = false;
    const settled = await holds(
      ctx,
      `${node} settled`,
      () => {
        const up = observer.live.schedulerUp(node);
        seenUp ||= up === true;
        return plan.spec.mode === "hot-standby" ? up === true : seenUp && up === false;
      },
      plan.convergeBudgetMs,
    );
    const what = plan.spec.mode === "hot-standby" ? "its standby scheduler up" : seenUp ? "its stale scheduler gone" : "its stale scheduler never seen";
    h.recordNow({ kind: "note", text: `converge: restarted ${node}; ${settled ? what : `not settled within ${plan.convergeBudgetMs} ms (${what})`}` });
  };
  const t0 = clock.now();
  await Promise.all([ctx.workload.deletePod(outagePod, signal), ...killed.map((t) => settle(t.node))]);
  if (killed.length) ctx.progress(`${tag}: restarted ${killed.map((t) => t.node).join(", ")}; settled in ${fmtS(clock.now() - t0)}`);
}

/** Polls `cond` on the run's clock every probe interval; false when `timeoutMs` passed first. */
async function holds(ctx: TrialContext, description: string, cond: () => boolean, timeoutMs: number): Promise<boolean> {
  try {
    await waitFor(cond, { description, timeoutMs, intervalMs: ctx.plan.intervalMs, signal: ctx.signal, clock: ctx.clock });
    return true;
  } catch (err) {
    if (err instanceof WaitTimeoutError) return false;
    throw err;
  }
}

/** Measures and checks on the history before `untilT` (the converge boundary), else all of it. */
function evaluate(ctx: TrialContext, h: History, untilT?: number): TrialEvaluation {
  const entries = untilT === undefined ? h.entries() : h.entries().filter((e) => e.t < untilT);
  return evaluateTrial({ originEpochMs: h.originEpochMs, entries }, ctx.plan.checks, {
    model: ctx.plan.window ?? undefined,
    leaderKey: ctx.plan.leaderKey,
    logsWatched: true,
  });
}
