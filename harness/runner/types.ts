import type { FaultSpec } from "../faults/types.js";
import type { FailoverCase } from "../timing-oracle/windows.js";

/**
 * A scenario is plain data (style-anchors: Jepsen test map, etcd TestScenario): which topology,
 * which fault, which §6 model predicts the failover, and what the checks must expect. The runner
 * (`executeRun`, harness/runner/execute-run.ts) does the rest.
 */
export interface ScenarioDefinition {
  /** kebab-case; equals the file name in scenarios/. */
  readonly name: string;
  /** One sentence for `--list` and the report. */
  readonly description: string;
  /**
   * Topology overrides in the `--set key=value` language of the topology CLI (applied after the
   * profile, before the user's own `--set`), e.g. `["mode=hot-standby"]`, `["etcd-members=3"]`.
   */
  readonly topology: readonly string[];
  readonly fault: FaultSpec;
  /** The §6 case whose window the timing oracle uses; null when the scenario has no failover to time. */
  readonly model: FailoverCase | null;
  readonly expect: ScenarioExpectations;
}

export interface ScenarioExpectations {
  /** "none": any `Declining incompatible offer` fails the run; "required": at least one must appear. */
  readonly incompatibleDeclines: "none" | "required";
  /** "none": two schedulers must never act at once; "bounded": an overlap is expected, bounded by the model. */
  readonly dualScheduler: "none" | "bounded";
  /**
   * Whether a new scheduler must take over. false (baseline, faults that must not cause one): the
   * `no-failover` check asserts the framework's pid and the leader key's holder do not change.
   */
  readonly failover: boolean;
  /**
   * The fault kills an apiserver behind nginx, and nginx must hide it: no apiserver request through
   * nginx sent after the fault took effect may fail (`api-reroute` check; the seed's
   * `proxy_next_upstream error ...`). @default false
   */
  readonly apiRerouted?: boolean;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Validates eagerly and freezes: a malformed scenario is a programming error found at load time. */
export function defineScenario(def: ScenarioDefinition): ScenarioDefinition {
  if (!NAME.test(def.name)) throw new TypeError(`scenario name "${def.name}" is not kebab-case`);
  if (!def.description.trim()) throw new TypeError(`scenario ${def.name}: empty description`);
  if (def.expect.failover && def.model === null) throw new TypeError(`scenario ${def.name}: a failover scenario needs a model`);
  if (def.fault.kind === "none" && def.expect.failover) throw new TypeError(`scenario ${def.name}: no fault cannot expect a failover`);
  return Object.freeze({ ...def, topology: Object.freeze([...def.topology]), expect: Object.freeze({ ...def.expect }) });
}
