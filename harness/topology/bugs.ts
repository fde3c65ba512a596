/**
 * Planted bugs: switchable defects of the emulations, each a real failure mode of k8sm
 * HA or a trap the seed warns about, turned on with `--set bug.<name>=true` (spec.ts) and rendered
 * into the containers of their component as `K8SM_BUGS=a,b` (nginx: a change of its nginx.conf;
 * render.ts). An oracle is only trusted once each of its checks has been seen to fail: this is the
 * catalogue the proof matrix reads, one place on the harness side. Plain data without imports, so
 * harness/testing/index.ts can hand it to the emulations' test that their own list
 * (fixtures/emulations/common/bugs.ts) names the same bugs.
 *
 * `targets` is the expected proof: the scenario that exists to catch the bug, the check that must
 * fail, and what the scenario needs for the bug to bite. Checks marked "(proposed)" in a note are
 * not in harness/checks yet.
 */

export type BugComponent = "podmaster" | "scheduler" | "kubelet" | "mesos-master" | "nginx";

export interface BugTarget {
  /** Scenario name (scenarios/<name>.ts). */
  readonly scenario: string;
  /** The check (harness/checks) whose verdict the bug turns to `fail`. */
  readonly check: string;
  /** Extra `--set` the scenario needs for the bug to have an effect. @default [] */
  readonly sets?: readonly string[];
  /** Why this check catches it, and under which condition. */
  readonly note?: string;
  /**
   * Trials the proof runs (scenarios/matrix.docker.test.ts) when one trial catches the bug only
   * with some probability p: enough that (1 − p)^trials stays under 1 %. @default 2
   */
  readonly trials?: number;
  /** Set when no check catches the bug yet: why. The proof matrix lists it as not proven and does not run it. */
  readonly unproven?: string;
}

/** A catalogue entry; its name is the key. */
interface BugEntry {
  readonly component: BugComponent;
  /** What the defective component does, in one line. */
  readonly description: string;
  /** The real failure it models (docs/k8sm-ha-behaviour.md section, the seed's ha.md). */
  readonly models: string;
  readonly targets: readonly BugTarget[];
}

export interface BugDefinition extends BugEntry {
  readonly name: BugName;
}

const CATALOGUE = {
  "podmaster-keeps-manifest": {
    component: "podmaster",
    description: "a podmaster that lost the key never deletes its --dest-file, so its kubelet keeps restarting the old scheduler",
    models:
      "§1.3 step 3 (not master, dest present → delete dest) skipped: a former leader that comes back fights the new one under crash-loop backoff without end (§6.1)",
    targets: [
      { scenario: "pause-leader", check: "single-active-scheduler", note: "the fight starts at the unpause: the trial must observe S + F + a few kubelet restarts after the heal" },
      { scenario: "partition-etcd", check: "single-active-scheduler", trials: 6, note: "the ping-pong goes on after the heal instead of ending within F + 2 s: needs observation after the heal. Caught in 1 of 2 trials of the matrix run (fast): 6 trials" },
    ],
  },
  "podmaster-holds-lease-when-cut": {
    component: "podmaster",
    description: "a variant B/C podmaster that, while etcd answers with errors, never gives up its lease (no \"Too much time has elapsed, giving up lease.\") and keeps its manifest",
    models:
      "§1.5: a B/C podmaster whose client returns errors deletes its manifest within [T − S, T] of the cut; one that does not leaves its scheduler acting next to the standby's, fenced only by Mesos",
    targets: [
      {
        scenario: "partition-etcd",
        check: "single-active-scheduler",
        sets: ["podmaster-variant=C"],
        unproven:
          "no scenario can tell it from the correct podmaster yet: under partition-etcd (packets dropped) every variant keeps its manifest for the whole cut, since A and B block in GET by design and C's client-v2 request hangs on its kept-alive connection, so no error reaches the give-up check (docs/k8sm-ha-behaviour.md §1). The bug shows only where etcd answers with errors (a partition that rejects, or etcd stopped): the correct C podmaster then gives up within T and its scheduler stops, the buggy one keeps it. Needs such a scenario and a check on scheduler processes on the cut node after cut + T + F",
        note:
          "variants A and B (go-etcd 2.0.0-3) block in GET and keep the manifest by design; the released C (client-v2, no per-request timeout) blocks likewise on a dropped path",
      },
    ],
  },
  "podmaster-slow-poll": {
    component: "podmaster",
    description: "a podmaster that sleeps 3 × --sleep between iterations",
    models: "a podmaster slower than configured: the standby notices the expired key after D1 ∈ [0, 3S) instead of [0, S) (§6.1 step 2)",
    targets: [
      {
        scenario: "kill-leader",
        check: "election-delay",
        trials: 8,
        note: "the new holder comes D1 ∈ [0, 3S) after the expiry against a bound of S + 0.5 s + 2 probe intervals: about half the trials fail in the fast profile (S = 1 s), two in three in the seed profile; 5 trials catch it with ≈ 95 %. The timing oracle's wider window rarely sees it",
      },
    ],
  },
  "podmaster-clock-skew": {
    component: "podmaster",
    description: "a podmaster whose clock runs one ttl behind etcd's: its key always looks fresh, so it never refreshes it and loses it every ttl",
    models: "§1.3 \"Clock skew matters\": the refresh compares etcd's expiration with the local clock; a skew beyond T/2 makes the leader refresh too late and lose the key",
    targets: [
      {
        scenario: "baseline",
        check: "no-failover",
        note: "the leader key expires every ttl and is recreated by the old holder or the standby (a failover in about half the expiries); the key is absent for up to S of every T, so a trial whose fault time lands in that gap has no healthy baseline (unknown, about 1 in 7 in the fast profile)",
      },
      { scenario: "kill-etcd-leader", check: "no-failover" },
    ],
  },
  "podmaster-pinned-etcd-member": {
    component: "podmaster",
    description: "a podmaster that sends every etcd request to the member that led raft when it started; when that member dies it blocks forever (go-etcd 2.0.0-3 retries a network error without end)",
    models:
      "an etcd client without member failover (the seed's manifests name a single ${ETCD_IP}; ha.md asks for an HA etcd): losing the etcd leader stops every podmaster, the key expires and nobody takes it",
    targets: [
      { scenario: "kill-etcd-leader", check: "no-failover", trials: 6, note: "the scheduler keeps running but the leader key expires ≤ T after the kill and stays empty: the check must see the key holder change. Caught in 1 of 2 trials of the matrix run (the killed member was not always the pinned one): 6 trials" },
    ],
  },
  "scheduler-usr1-child-survives": {
    component: "scheduler",
    description: "the scheduler's USR1 re-exec'd child escapes its container (the kubelet's kill of the pod misses it) and keeps running on the node, outside any pod",
    models:
      "§3.5 [inferred] the trap usr1-failover exists for: PID 1's exit should kill the detached child; where it does not (an init, a shared PID namespace) a scheduler runs beyond the kubelet's control",
    targets: [
      {
        scenario: "usr1-failover",
        check: "single-active-scheduler",
        note: "two scheduler processes on the leader node: the child re-registers at once, the kubelet's restart of the container registers again (its HTTP bind retries beside the child's :10251) and Mesos fences the child, a fencing where a correct USR1 failover has none; invisible to a count of nodes. The trial must observe past the kubelet's restart (Y + T_b after the fault), not stop at the child's registration",
      },
    ],
  },
  "scheduler-new-framework": {
    component: "scheduler",
    description: "a scheduler that ignores the framework id stored in etcd and registers a new framework instead of failing over with it",
    models:
      "§3.4: the id in /mesos/k8sm/frameworkid is what lets a new scheduler take over the running tasks; without it Mesos keeps the old framework (failover_timeout ≈ 146 years) and its tasks are orphaned",
    targets: [
      { scenario: "kill-leader", check: "timing-oracle", note: "timeToNewSchedulerMs is not-observed (\"registered under a new id\"), which fails the oracle" },
      { scenario: "kill-scheduler", check: "timing-oracle" },
      { scenario: "usr1-failover", check: "timing-oracle" },
      { scenario: "hot-standby-kill-leader", check: "timing-oracle" },
    ],
  },
  "scheduler-no-compat-check": {
    component: "scheduler",
    description: "a scheduler whose offer compatibility check always passes: it never logs \"Declining incompatible offer\"",
    models:
      "the seed's --advertised-address warning (§3.8, §3.9): schedulers with different executor ids share agents, and Mesos runs a second, differently configured executor next to the old one",
    targets: [{ scenario: "incompatible-executor", check: "incompatible-offer-declines" }],
  },
  "scheduler-ha-standby-stuck": {
    component: "scheduler",
    description: "an --ha standby that stops polling the election once it has seen a leader (a watch that missed the key's expiry), so it never takes over",
    models: "§3.3 / §6.2: the standby's poll every 24 s is what turns a dead leader's expired key into a takeover",
    targets: [{ scenario: "hot-standby-kill-leader", check: "timing-oracle", note: "no new scheduler: timeToNewSchedulerMs is not-observed" }],
  },
  "kubelet-no-restart": {
    component: "kubelet",
    description: "a kubelet that never restarts a dead container of a static pod",
    models: "§2.4: static pods restart on any exit, 0 included; the cold-standby answer to a crashed or USR1'd scheduler is that restart",
    targets: [
      { scenario: "kill-scheduler", check: "timing-oracle", note: "no new scheduler: timeToNewSchedulerMs is not-observed" },
      { scenario: "usr1-failover", check: "timing-oracle" },
    ],
  },
  "nginx-no-next-upstream": {
    component: "nginx",
    description: "nginx.conf with `proxy_next_upstream off;` (removing the seed's line would leave nginx's default `error timeout`)",
    models: "the seed's nginx.conf: proxy_next_upstream hides a dead apiserver from clients; without it requests routed to it fail until the kubelet restarts it",
    targets: [{ scenario: "kill-apiserver", check: "api-reroute", note: "apiErrorRate > 0 after the kill (proposed check: no failed request through nginx)" }],
  },
  "mesos-no-fence": {
    component: "mesos-master",
    description: "a Mesos master that, on a failover re-registration, keeps the old scheduler's stream instead of sending it \"Framework failed over\": both get offers and launch tasks",
    models: "§4.1 failoverFramework; §3.3 and §6.2: Mesos, not etcd, is the effective fence of a scheduler that lost its lease",
    targets: [
      {
        scenario: "partition-etcd",
        check: "single-active-scheduler",
        trials: 6,
        note: "caught in 1 of 2 trials of the matrix run (fast): 6 trials. The cut-off leader is never fenced: two schedulers act for the rest of the partition. Not pause-leader: there the old podmaster removes the old scheduler within S + F + 2 s of the unpause, before or just after the takeover (no overlap in the fast profile)",
      },
    ],
  },
} as const satisfies Record<string, BugEntry>;

export type BugName = keyof typeof CATALOGUE;

/** Every planted bug, in catalogue order. */
export const BUGS: readonly BugDefinition[] = Object.freeze(
  Object.entries(CATALOGUE).map(([name, d]) => Object.freeze({ name: name as BugName, ...d })),
);

export const BUG_NAMES: readonly BugName[] = Object.freeze(BUGS.map((b) => b.name));

export function isBugName(name: string): name is BugName {
  return Object.hasOwn(CATALOGUE, name);
}

export function bugDefinition(name: BugName): BugDefinition {
  return BUGS.find((b) => b.name === name)!;
}

/** The bugs of `active` that live in `component`, in catalogue order. */
export function bugsOf(component: BugComponent, active: readonly string[]): BugName[] {
  return BUGS.filter((b) => b.component === component && active.includes(b.name)).map((b) => b.name);
}
