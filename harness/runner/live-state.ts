/**
 * The runner's view of "now", folded from the same probe observations that go into the history:
 * who leads (by the active framework pid, else by the leader key), which pods run, whether the
 * system is healthy. Fault targets are resolved from it at the moment the fault fires.
 */
import { WATCHED_KEYS, type EntryPayload } from "../history/types.js";

interface Fw { active: boolean; pid: string; node?: string }

export class LiveState {
  nodes: readonly { name: string; ip: string }[] = [];
  readonly #frameworks = new Map<string, Fw>();
  readonly #keys = new Map<string, { value: string | null; node?: string }>();
  readonly #pods = new Map<string, { phase: string; deleted: boolean }>();
  readonly #health = new Map<string, boolean>();
  /** Per master: since when (the runner's clock) its apiserver answers directly; null while it does not. */
  readonly #apiserverUpSince = new Map<string, number | null>();
  #lastApiOk = false;

  /** `now`: the runner's clock when the probe saw it (what `apiserversNotRoutable` measures from). */
  observe(p: EntryPayload, now = 0): void {
    switch (p.kind) {
      case "framework": this.#frameworks.set(p.id, { active: p.active, pid: p.pid, node: p.node }); break;
      case "etcd-key": this.#keys.set(p.key, { value: p.value, node: p.node }); break;
      case "pod": this.#pods.set(`${p.namespace}/${p.name}`, { phase: p.phase, deleted: p.deleted ?? false }); break;
      case "scheduler-health": this.#health.set(p.node, p.up); break;
      // A probe resync repeats "up": keep when it came up.
      case "apiserver-health": this.#apiserverUpSince.set(p.node, p.up ? (this.#apiserverUpSince.get(p.node) ?? now) : null); break;
      case "api-request": this.#lastApiOk = p.ok; break;
      default: break;
    }
  }

  #active(): Fw | undefined {
    return [...this.#frameworks.values()].find((f) => f.active);
  }

  activePid(): string | undefined {
    return this.#active()?.pid;
  }

  activeNode(): string | undefined {
    return this.#active()?.node;
  }

  /** The leading master: the node of the active framework's pid, else the podmaster key holder. */
  leaderNode(): { node: string; how: string } | undefined {
    const fw = this.#active();
    if (fw?.node) return { node: fw.node, how: `active framework pid ${fw.pid}` };
    const key = this.#keys.get(WATCHED_KEYS.scheduler);
    if (key?.node) return { node: key.node, how: `podmaster /scheduler holder ${key.value}` };
    return undefined;
  }

  /**
   * "" when the active framework's scheduler runs on the node holding the podmaster key `leaderKey`
   * (cold standby's steady state), else why not: a restarted node's stale scheduler (its old
   * manifest) can register and fence the rightful one until its podmaster deletes the manifest.
   */
  whyNotOnKeyHolder(leaderKey: string): string {
    const fw = this.#active()?.node;
    const key = this.leaderKeyNode(leaderKey);
    if (!fw || !key || fw === key) return "";
    return `the active framework's scheduler runs on ${fw}, but ${key} holds ${leaderKey} (a stale scheduler of a restarted node)`;
  }

  /** The node holding the podmaster key `leaderKey`, when known. */
  leaderKeyNode(leaderKey: string): string | undefined {
    return this.#keys.get(leaderKey)?.node;
  }

  /** Whether that node's scheduler answered /healthz at the last poll; undefined before any poll. */
  schedulerUp(node: string): boolean | undefined {
    return this.#health.get(node);
  }

  /** How many master nodes' schedulers answer /healthz. */
  schedulersUp(): number {
    return [...this.#health.values()].filter(Boolean).length;
  }

  /**
   * Masters whose apiserver nginx may still skip at `now`, with why: not answering directly, or
   * answering for less than `failTimeoutMs` (nginx's `fail_timeout`: after a failed attempt it sends
   * that server nothing for so long, so with the other master down every request fails). A trial
   * that kills the other master then would measure nginx's memory, not the failover.
   */
  apiserversNotRoutable(now: number, failTimeoutMs: number): string[] {
    return this.nodes.flatMap(({ name }) => {
      const since = this.#apiserverUpSince.get(name);
      if (since === undefined) return [`${name}'s apiserver not observed yet`];
      if (since === null) return [`${name}'s apiserver does not answer :8080/healthz`];
      const up = now - since;
      return up < failTimeoutMs ? [`${name}'s apiserver answering for ${(up / 1000).toFixed(1)} s (< nginx fail_timeout ${failTimeoutMs / 1000} s)`] : [];
    });
  }

  podRunning(name: string, namespace = "default"): boolean {
    const p = this.#pods.get(`${namespace}/${name}`);
    return !!p && !p.deleted && p.phase === "Running";
  }

  healthy(leaderKey: string): boolean {
    return this.whyUnhealthy(leaderKey, []) === "";
  }

  /** "" when healthy; else what is missing, for the user. */
  whyUnhealthy(leaderKey: string, pods: readonly string[]): string {
    const problems: string[] = [];
    const fw = this.#active();
    if (!fw) problems.push("no active framework in Mesos");
    else if (!fw.node) problems.push(`active framework pid ${fw.pid} is not on a known master`);
    if (!this.#keys.get(leaderKey)?.value) problems.push(`leader key ${leaderKey} not held`);
    if (![...this.#health.values()].some(Boolean)) problems.push("no scheduler answers /healthz");
    if (!this.#lastApiOk) problems.push("the apiserver does not answer through nginx");
    const notRunning = pods.filter((n) => !this.podRunning(n));
    if (notRunning.length) problems.push(`pods not Running: ${notRunning.join(", ")}`);
    return problems.join("; ");
  }
}
