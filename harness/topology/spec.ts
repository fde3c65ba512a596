/**
 * `TopologySpec`: the seed's topology (contrib/mesos/docs/ha.md) as data. Every tunable of the seed
 * is a field with the real component's default (docs/k8sm-ha-behaviour.md §1.2, §2.1, §3.1, §4.2), the
 * unit in its name. `validateTopologySpec` checks a user's (partial) spec once, before anything
 * starts, and names the offending field; `applySetOverrides` is the flat `--set key=value` form.
 */
import { InputError } from "../errors.js";
import { BUG_NAMES, bugDefinition, isBugName, type BugName } from "./bugs.js";
import { parseGoDurationMs } from "./go-duration.js";

export type TopologyMode = "cold-standby" | "hot-standby";
export type PodmasterVariant = "A" | "B" | "C";
export type EtcdApi = "v2" | "v3";
export type CompatVariant = "v1.1" | "v0.7";
export type Profile = "seed" | "fast";

export const MODES: readonly TopologyMode[] = ["cold-standby", "hot-standby"];
export const PODMASTER_VARIANTS: readonly PodmasterVariant[] = ["A", "B", "C"];
export const ETCD_APIS: readonly EtcdApi[] = ["v2", "v3"];
export const COMPAT_VARIANTS: readonly CompatVariant[] = ["v1.1", "v0.7"];
export const PROFILES: readonly Profile[] = ["seed", "fast"];

export interface PodmasterSpec {
  /** `--ttl-secs`: TTL of the election key, in seconds. @default 30 */
  readonly ttlSecs: number;
  /** `--sleep`: pause after each loop iteration, in ms. @default 5000 */
  readonly sleepMs: number;
  /** Error handling of podmaster:1.1 (§1.1): A (panic on a GET error), B (gives up the lease), C (non-exclusive create). @default "A" */
  readonly variant: PodmasterVariant;
  /** Which etcd API the podmaster uses: the real v2 keys API, or v3 leases (a study variant). @default "v2" */
  readonly etcdApi: EtcdApi;
}

export interface KubeletSpec {
  /** `--file-check-frequency`: manifest directory scan period, in ms. @default 20000 */
  readonly fileCheckFrequencyMs: number;
  /** `--sync-frequency`: resync period and initial crash back-off, in ms. @default 10000 */
  readonly syncFrequencyMs: number;
}

export interface SchedulerSpec {
  /** `--v`: glog verbosity of the seed's manifest. @default 10 */
  readonly v: number;
  /** Extra `km scheduler` flags (name without dashes → value; "" renders a bare `--name`), on every master. @default {} */
  readonly flags: Readonly<Record<string, string>>;
  /** Offer compatibility check (§3.9): the v1.1 executor-group check, or v0.7 node labels + group. @default "v1.1" */
  readonly compatVariant: CompatVariant;
  /** Environment of the scheduler process (e.g. the emulation's HA election knobs). @default {} */
  readonly env: Readonly<Record<string, string>>;
}

export interface MasterOverride {
  /** Scheduler flags for this master only; they win over `scheduler.flags`. */
  readonly schedulerFlags?: Readonly<Record<string, string>>;
}

export interface MesosSpec {
  /** Mesos master `--allocation_interval`, in ms. @default 1000 */
  readonly allocationIntervalMs: number;
  /**
   * `km scheduler --failover-timeout`, in seconds. `undefined` leaves km's default, the largest Go
   * duration (≈ 4.611686018e9 s, §3.1), i.e. the flag is not passed. @default undefined
   */
  readonly failoverTimeoutSecs: number | undefined;
}

/** Docker images. Container images left undefined come from build/images.json (`npm run setup`). */
export interface ImagesSpec {
  /** etcd member containers. @default the base image */
  readonly etcd?: string;
  /** nginx container. @default the base image */
  readonly nginx?: string;
  /** Mesos master container. @default the k8sm fixture image */
  readonly mesosMaster?: string;
  /** Mesos agent containers. @default the k8sm fixture image */
  readonly mesosAgent?: string;
  /** k8sm master-node containers (kubelet as main process). @default the k8sm fixture image */
  readonly masterNode?: string;
  /** `image:` of the podmaster pod's containers in the manifests. @default the seed's */
  readonly podmasterPod: string;
  /** `image:` of the apiserver, scheduler and controller-manager pods in the manifests. @default the seed's */
  readonly k8smPod: string;
}

export interface TopologySpec {
  /** cold-standby: podmaster elects the scheduler (the seed); hot-standby: a `--ha` scheduler on every master. @default "cold-standby" */
  readonly mode: TopologyMode;
  /** k8sm master nodes. @default 2 */
  readonly masters: number;
  /** etcd members. @default 1 */
  readonly etcdMembers: 1 | 3;
  /** Mesos agents. @default 2 */
  readonly agents: number;
  readonly podmaster: PodmasterSpec;
  readonly kubelet: KubeletSpec;
  readonly scheduler: SchedulerSpec;
  /** Per-master overrides, keyed by 1-based master index (`master-1` is 1). @default {} */
  readonly masterOverrides: Readonly<Record<number, MasterOverride>>;
  readonly mesos: MesosSpec;
  readonly images: ImagesSpec;
  /** Planted bugs switched on (harness/topology/bugs.ts), in catalogue order. @default [] */
  readonly bugs: readonly BugName[];
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends readonly unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };
export type TopologySpecInput = DeepPartial<TopologySpec>;

/** The seed's topology with the real components' defaults. */
export const SEED_SPEC: TopologySpec = Object.freeze({
  mode: "cold-standby",
  masters: 2,
  etcdMembers: 1,
  agents: 2,
  podmaster: { ttlSecs: 30, sleepMs: 5_000, variant: "A", etcdApi: "v2" },
  kubelet: { fileCheckFrequencyMs: 20_000, syncFrequencyMs: 10_000 },
  scheduler: { v: 10, flags: {}, compatVariant: "v1.1", env: {} },
  masterOverrides: {},
  mesos: { allocationIntervalMs: 1_000, failoverTimeoutSecs: undefined },
  images: { podmasterPod: "gcr.io/google_containers/podmaster:1.1", k8smPod: "haih/k8sm:latest" },
  bugs: [],
}) as TopologySpec;

/**
 * Small timers for CI: podmaster ttl 6 s / sleep 1 s, kubelet file-check and sync 1 s. The
 * scheduler's HA election constants (TTL 30 s, period 24 s = 80 % of it, §3.3) are fixed in km; the
 * emulation reads `K8SM_HA_TTL_SECS` / `K8SM_HA_PERIOD_SECS` (not real knobs) so hot-standby trials are short.
 */
export const FAST_SPEC: TopologySpec = {
  ...SEED_SPEC,
  podmaster: { ...SEED_SPEC.podmaster, ttlSecs: 6, sleepMs: 1_000 },
  kubelet: { fileCheckFrequencyMs: 1_000, syncFrequencyMs: 1_000 },
  scheduler: { ...SEED_SPEC.scheduler, env: { K8SM_HA_TTL_SECS: "6", K8SM_HA_PERIOD_SECS: "4.8" } },
};

export function profileSpec(profile: Profile): TopologySpec {
  return profile === "fast" ? FAST_SPEC : SEED_SPEC;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** A field's rule: its kind and range. Ranges reject the absurd (0, negative, hours of TTL...). */
type Rule =
  | { kind: "int"; min: number; max: number }
  | { kind: "number"; min: number; max: number; optional?: boolean }
  | { kind: "enum"; values: readonly (string | number)[] }
  | { kind: "string" }
  | { kind: "flags" }
  | { kind: "overrides" }
  | { kind: "bugs" };

const HOUR_MS = 3_600_000;
const RULES: Readonly<Record<string, Rule>> = {
  mode: { kind: "enum", values: MODES },
  masters: { kind: "int", min: 1, max: 9 },
  etcdMembers: { kind: "enum", values: [1, 3] },
  agents: { kind: "int", min: 1, max: 16 },
  // At most an hour: every budget of a trial scales with it (steady state alone waits 2 × ttl).
  "podmaster.ttlSecs": { kind: "int", min: 1, max: 3_600 },
  "podmaster.sleepMs": { kind: "int", min: 10, max: HOUR_MS },
  "podmaster.variant": { kind: "enum", values: PODMASTER_VARIANTS },
  "podmaster.etcdApi": { kind: "enum", values: ETCD_APIS },
  "kubelet.fileCheckFrequencyMs": { kind: "int", min: 100, max: HOUR_MS },
  "kubelet.syncFrequencyMs": { kind: "int", min: 100, max: HOUR_MS },
  "scheduler.v": { kind: "int", min: 0, max: 10 },
  "scheduler.flags": { kind: "flags" },
  "scheduler.compatVariant": { kind: "enum", values: COMPAT_VARIANTS },
  "scheduler.env": { kind: "flags" },
  masterOverrides: { kind: "overrides" },
  "mesos.allocationIntervalMs": { kind: "int", min: 10, max: HOUR_MS },
  "mesos.failoverTimeoutSecs": { kind: "number", min: 0, max: 4.611686018e9, optional: true },
  "images.etcd": { kind: "string" },
  "images.nginx": { kind: "string" },
  "images.mesosMaster": { kind: "string" },
  "images.mesosAgent": { kind: "string" },
  "images.masterNode": { kind: "string" },
  "images.podmasterPod": { kind: "string" },
  "images.k8smPod": { kind: "string" },
  bugs: { kind: "bugs" },
};
/**
 * The seed's shell variables. Scheduler flag values may use them (`--set
 * master.2.scheduler.advertised-address=${MY_IP}:10251`, the seed's own counter-example); they
 * are filled in per master when the manifests are rendered.
 */
export const SEED_VARIABLES: readonly string[] = [
  "MY_IP", "ETCD_IP", "ETCD_PORT", "MESOS_IP", "MESOS_PORT", "NGINX_IP", "NGINX_APISERVER_PORT", "NGINX_SCHEDULER_PORT",
  "K8S_APISERVER_PORT", "K8S_SCHEDULER_PORT",
];

const GROUPS = new Set(Object.keys(RULES).filter((k) => k.includes(".")).map((k) => k.split(".")[0]!));
const FLAG_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

function invalid(field: string, message: string): InputError {
  return new InputError(`invalid topology spec: \`${field}\` ${message}`);
}

function checkValue(field: string, rule: Rule, value: unknown): void {
  switch (rule.kind) {
    case "int":
    case "number": {
      if (value === undefined && rule.kind === "number" && rule.optional) return;
      if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(field, `must be a number, got ${show(value)}`);
      if (rule.kind === "int" && !Number.isInteger(value)) throw invalid(field, `must be an integer, got ${value}`);
      if (value < rule.min || value > rule.max) throw invalid(field, `must be between ${rule.min} and ${rule.max}, got ${value}`);
      return;
    }
    case "enum":
      if (!rule.values.includes(value as string | number)) {
        throw invalid(field, `must be one of ${rule.values.map(show).join(", ")}, got ${show(value)}`);
      }
      return;
    case "string":
      if (typeof value !== "string" || value.trim() === "") throw invalid(field, `must be a non-empty string, got ${show(value)}`);
      return;
    case "flags":
      if (!isRecord(value)) throw invalid(field, `must be an object of name → string value`);
      for (const [name, v] of Object.entries(value)) {
        if (!FLAG_NAME.test(name)) throw invalid(`${field}.${name}`, "is not a valid flag or variable name");
        if (typeof v !== "string") throw invalid(`${field}.${name}`, `must be a string, got ${show(v)}`);
        for (const [, variable] of v.matchAll(/\$\{([^}]*)\}/g)) {
          if (!SEED_VARIABLES.includes(variable!)) {
            throw invalid(`${field}.${name}`, `uses \${${variable}}, which is not one of the seed's variables (${SEED_VARIABLES.join(", ")})`);
          }
        }
      }
      return;
    case "overrides":
      if (!isRecord(value)) throw invalid(field, "must be an object keyed by master index (1-based)");
      for (const [index, o] of Object.entries(value)) {
        if (!/^[1-9]\d*$/.test(index)) throw invalid(`${field}.${index}`, "is not a master index (1, 2, ...)");
        if (!isRecord(o)) throw invalid(`${field}.${index}`, "must be an object");
        for (const key of Object.keys(o)) {
          if (key !== "schedulerFlags") throw invalid(`${field}.${index}.${key}`, "is not a known field (valid: schedulerFlags)");
        }
        if (o.schedulerFlags !== undefined) checkValue(`${field}.${index}.schedulerFlags`, { kind: "flags" }, o.schedulerFlags);
      }
      return;
    case "bugs": {
      if (!Array.isArray(value)) throw invalid(field, "must be an array of planted bug names");
      const unknown = value.find((v) => typeof v !== "string" || !isBugName(v));
      if (unknown !== undefined) throw new InputError(`invalid topology spec: \`${field}\` names an unknown bug ${show(unknown)}`, `valid bugs: ${BUG_NAMES.join(", ")}`);
      if (new Set(value).size !== value.length) throw invalid(field, "names a bug twice");
      return;
    }
  }
}

/**
 * Merges `input` (a partial spec, e.g. from JSON) over `base` and validates the result. Throws
 * `InputError` naming the first bad field: unknown fields, wrong types, values out of range, and
 * master overrides for masters that do not exist.
 */
export function validateTopologySpec(input: unknown, base: TopologySpec = SEED_SPEC): TopologySpec {
  if (input === undefined) input = {};
  if (!isRecord(input)) throw new InputError("invalid topology spec: expected an object");
  const merged: Record<string, unknown> = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (GROUPS.has(key)) {
      if (!isRecord(value)) throw invalid(key, "must be an object");
      const group = merged[key] as Record<string, unknown>;
      for (const [sub, v] of Object.entries(value)) {
        const field = `${key}.${sub}`;
        if (!(field in RULES)) throw unknownField(field);
        // Records of flags replace, so a user can also remove the base's entries.
        group[sub] = v;
      }
    } else if (key in RULES) {
      merged[key] = value;
    } else {
      throw unknownField(key);
    }
  }
  for (const [field, rule] of Object.entries(RULES)) {
    const [a, b] = field.split(".") as [string, string | undefined];
    const value = b === undefined ? merged[a] : (merged[a] as Record<string, unknown>)[b];
    if (value === undefined && field.startsWith("images.") && !["images.podmasterPod", "images.k8smPod"].includes(field)) continue;
    checkValue(field, rule, value);
  }
  merged.bugs = BUG_NAMES.filter((b) => (merged.bugs as string[]).includes(b));
  const spec = merged as unknown as TopologySpec;
  for (const index of Object.keys(spec.masterOverrides)) {
    if (Number(index) > spec.masters) {
      throw invalid(`masterOverrides.${index}`, `names master ${index}, but the topology has ${spec.masters} master(s)`);
    }
  }
  return deepFreeze(spec);
}

function unknownField(field: string): InputError {
  const group = field.includes(".") ? `${field.split(".")[0]}.` : undefined;
  const names = group ? Object.keys(RULES).filter((k) => k.startsWith(group)) : [...new Set(Object.keys(RULES).map((k) => k.split(".")[0]!))];
  return new InputError(`invalid topology spec: unknown field \`${field}\``, `valid fields: ${names.join(", ")}`);
}

function deepFreeze<T>(o: T): T {
  if (isRecord(o)) for (const v of Object.values(o)) deepFreeze(v);
  return Object.freeze(o);
}

// ---------------------------------------------------------------------------------------------
// `--set key=value`

/** One flat `--set` key: what it sets and how its value is read. */
interface SetKey {
  readonly help: string;
  readonly apply: (spec: MutableSpec, value: string, key: string) => void;
}
type MutableSpec = { -readonly [K in keyof TopologySpec]: TopologySpec[K] extends object ? { -readonly [J in keyof TopologySpec[K]]: TopologySpec[K][J] } : TopologySpec[K] };

const toInt = (key: string, raw: string): number => {
  if (!/^-?\d+$/.test(raw.trim())) throw new InputError(`--set ${key}: expected an integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
};
const toNumber = (key: string, raw: string): number => {
  // Decimal only: Number() would also take "0x10" or "0b1", which nobody means here.
  const n = Number(raw);
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(raw) || !Number.isFinite(n)) throw new InputError(`--set ${key}: expected a decimal number, got ${JSON.stringify(raw)}`);
  return n;
};
const toDurationMs = (key: string, raw: string): number => {
  try {
    return parseGoDurationMs(raw.trim());
  } catch (err) {
    throw new InputError(`--set ${key}: ${(err as Error).message.replace(/^time: /, "")}`, "durations are Go style: 500ms, 5s, 1m30s");
  }
};

const SET_KEYS: Readonly<Record<string, SetKey>> = {
  mode: { help: MODES.join("|"), apply: (s, v) => void (s.mode = v as TopologyMode) },
  masters: { help: "k8sm master nodes (int)", apply: (s, v, k) => void (s.masters = toInt(k, v)) },
  agents: { help: "Mesos agents (int)", apply: (s, v, k) => void (s.agents = toInt(k, v)) },
  "etcd-members": { help: "1|3", apply: (s, v, k) => void (s.etcdMembers = toInt(k, v) as 1 | 3) },
  "ttl-secs": { help: "podmaster --ttl-secs (int seconds)", apply: (s, v, k) => void (s.podmaster = { ...s.podmaster, ttlSecs: toInt(k, v) }) },
  sleep: { help: "podmaster --sleep (duration)", apply: (s, v, k) => void (s.podmaster = { ...s.podmaster, sleepMs: toDurationMs(k, v) }) },
  "podmaster-variant": { help: PODMASTER_VARIANTS.join("|"), apply: (s, v) => void (s.podmaster = { ...s.podmaster, variant: v as PodmasterVariant }) },
  "etcd-api": { help: ETCD_APIS.join("|"), apply: (s, v) => void (s.podmaster = { ...s.podmaster, etcdApi: v as EtcdApi }) },
  "file-check-frequency": { help: "kubelet --file-check-frequency (duration)", apply: (s, v, k) => void (s.kubelet = { ...s.kubelet, fileCheckFrequencyMs: toDurationMs(k, v) }) },
  "sync-frequency": { help: "kubelet --sync-frequency (duration)", apply: (s, v, k) => void (s.kubelet = { ...s.kubelet, syncFrequencyMs: toDurationMs(k, v) }) },
  "compat-variant": { help: COMPAT_VARIANTS.join("|"), apply: (s, v) => void (s.scheduler = { ...s.scheduler, compatVariant: v as CompatVariant }) },
  v: { help: "scheduler --v (int)", apply: (s, v, k) => void (s.scheduler = { ...s.scheduler, v: toInt(k, v) }) },
  "allocation-interval": { help: "mesos-master --allocation_interval (duration)", apply: (s, v, k) => void (s.mesos = { ...s.mesos, allocationIntervalMs: toDurationMs(k, v) }) },
  "failover-timeout": { help: "km scheduler --failover-timeout (seconds)", apply: (s, v, k) => void (s.mesos = { ...s.mesos, failoverTimeoutSecs: toNumber(k, v) }) },
};
const PATTERN_KEYS = ["scheduler.<flag>", "scheduler-env.<VAR>", "master.<i>.scheduler.<flag>", "image.<etcd|nginx|mesosMaster|mesosAgent|masterNode|podmasterPod|k8smPod>"];

/** Every `--set` key with a short description, for help and error messages. */
export function setKeysHelp(): string[] {
  return [
    ...Object.entries(SET_KEYS).map(([k, d]) => `${k}=<${d.help}>`),
    ...PATTERN_KEYS.map((k) => `${k}=<value>`),
    ...BUG_NAMES.map((b) => `bug.${b}=<true|false: planted ${bugDefinition(b).component} bug>`),
  ];
}

/** `--set bug.<name>=true|false`: switches a planted bug on or off. */
function setBug(s: MutableSpec, key: string, name: string, raw: string): void {
  if (!isBugName(name)) throw new InputError(`--set ${key}: unknown bug ${JSON.stringify(name)}`, `valid bugs: ${BUG_NAMES.join(", ")}`);
  const on = raw.trim().toLowerCase();
  if (on !== "true" && on !== "false") throw new InputError(`--set ${key}: expected true or false, got ${JSON.stringify(raw)}`);
  const others = s.bugs.filter((b) => b !== name);
  s.bugs = on === "true" ? [...others, name] : others;
}

/**
 * Applies flat `key=value` overrides (the CLI's `--set`) to `spec` and validates the result.
 * An unknown key is an `InputError` that lists the valid keys.
 */
export function applySetOverrides(spec: TopologySpec, sets: readonly string[]): TopologySpec {
  const s = structuredClone(spec) as MutableSpec;
  for (const item of sets) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new InputError(`--set ${JSON.stringify(item)}: expected key=value`, `valid keys: ${setKeysHelp().join(", ")}`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1);
    const fixed = SET_KEYS[key];
    let m: RegExpMatchArray | null;
    if (fixed) fixed.apply(s, value, key);
    else if ((m = key.match(/^scheduler\.(.+)$/))) s.scheduler = { ...s.scheduler, flags: { ...s.scheduler.flags, [m[1]!]: value } };
    else if ((m = key.match(/^scheduler-env\.(.+)$/))) s.scheduler = { ...s.scheduler, env: { ...s.scheduler.env, [m[1]!]: value } };
    else if ((m = key.match(/^master\.(\d+)\.scheduler\.(.+)$/))) {
      const [, index, flag] = m as unknown as [string, string, string];
      const prev = s.masterOverrides[Number(index)];
      s.masterOverrides = { ...s.masterOverrides, [index]: { schedulerFlags: { ...prev?.schedulerFlags, [flag]: value } } };
    } else if ((m = key.match(/^bug\.(.*)$/))) {
      setBug(s, key, m[1]!, value);
    } else if ((m = key.match(/^image\.(.+)$/))) {
      if (!(`images.${m[1]}` in RULES)) throw new InputError(`--set ${key}: unknown image`, `valid: ${PATTERN_KEYS[3]}`);
      s.images = { ...s.images, [m[1]!]: value };
    } else {
      throw new InputError(`--set: unknown key ${JSON.stringify(key)}`, `valid keys: ${setKeysHelp().join(", ")}`);
    }
  }
  try {
    return validateTopologySpec(s, s as TopologySpec);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${err.message} (after --set ${sets.join(" ")})`, err.hint);
    throw err;
  }
}
