/**
 * A look at a running topology through its public interfaces only (etcd keys, /healthz, Mesos
 * state.json): who leads each key, the frameworks, per-master health. Used by the launcher's
 * health wait and by `npm run topology -- status`.
 */
import { request } from "undici";
import { WATCHED_KEYS } from "../history/types.js";
import { PORTS } from "./render.js";

/** Enough of a topology to look at it (from a `StartedTopology`, or from the labels of a kept one). */
export interface TopologyView {
  /** etcd v2 client URLs (`http://<ip>:4001`). */
  readonly etcd: readonly string[];
  /** `http://<ip>:5050`, when the topology has a Mesos master. */
  readonly mesosMaster?: string;
  /** nginx in front of the apiservers, `http://<ip>:80`. */
  readonly apiserver: string;
  readonly masters: readonly { readonly role: string; readonly ip: string }[];
}

export interface MasterHealth {
  readonly role: string;
  readonly ip: string;
  readonly apiserver: boolean;
  readonly scheduler: boolean;
  readonly controllerManager: boolean;
}

export interface FrameworkView {
  readonly id: string;
  readonly name: string;
  readonly active: boolean;
  readonly pid: string;
  readonly reregisteredTime?: number;
}

export interface TopologyStatus {
  /**
   * The holders of the podmaster keys of the seed (a master's IP) and of km's HA election key for
   * framework `Kubernetes` (`<hash>_<uuid>`, §3.3): `WATCHED_KEYS.scheduler`, `.controller`,
   * `.haLeader()`; undefined when absent.
   */
  readonly leaders: Readonly<Record<"scheduler" | "controller" | "haScheduler", string | undefined>>;
  /** Frameworks in state.json, or the error that kept us from reading it; undefined without Mesos. */
  readonly frameworks: readonly FrameworkView[] | { readonly error: string } | undefined;
  readonly nginx: boolean;
  readonly masters: readonly MasterHealth[];
}

const TIMEOUT_MS = 3_000;

async function get(url: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  const s = signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS);
  const res = await request(url, { signal: s, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  return { status: res.statusCode, text: await res.body.text() };
}

/** True when `url` answers 200 `ok` (a /healthz). Never throws. */
export async function healthy(url: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const { status, text } = await get(url, signal);
    return status === 200 && text.trim() === "ok";
  } catch {
    signal?.throwIfAborted();
    return false;
  }
}

/** True when any etcd member answers its /health with health true. */
export async function etcdHealthy(url: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const { status, text } = await get(`${url}/health`, signal);
    return status === 200 && /"health"\s*:\s*"?true/.test(text);
  } catch {
    signal?.throwIfAborted();
    return false;
  }
}

/**
 * The value of an etcd v2 key, asking the members in turn; undefined when the key does not exist.
 * Throws when no member answers.
 */
export async function etcdKey(etcd: readonly string[], key: string, signal?: AbortSignal): Promise<string | undefined> {
  let last: unknown;
  for (const url of etcd) {
    try {
      const { status, text } = await get(`${url}/v2/keys${key}`, signal);
      if (status === 404) return undefined;
      if (status !== 200) throw new Error(`GET ${url}/v2/keys${key}: HTTP ${status} ${text.slice(0, 200)}`);
      return (JSON.parse(text) as { node?: { value?: string } }).node?.value;
    } catch (err) {
      signal?.throwIfAborted();
      last = err;
    }
  }
  throw new Error(`no etcd member answered for ${key}: ${(last as Error)?.message ?? last}`);
}

/** Frameworks of Mesos 0.24's `/master/state.json`. */
export async function mesosFrameworks(mesosMaster: string, signal?: AbortSignal): Promise<FrameworkView[]> {
  const { status, text } = await get(`${mesosMaster}/master/state.json`, signal);
  if (status !== 200) throw new Error(`GET ${mesosMaster}/master/state.json: HTTP ${status}`);
  const state = JSON.parse(text) as { frameworks?: { id: string; name: string; active: boolean; pid: string; reregistered_time?: number }[] };
  return (state.frameworks ?? []).map((f) => ({
    id: f.id,
    name: f.name,
    active: f.active,
    pid: f.pid,
    ...(f.reregistered_time === undefined ? {} : { reregisteredTime: f.reregistered_time }),
  }));
}

export async function topologyStatus(view: TopologyView, signal?: AbortSignal): Promise<TopologyStatus> {
  const key = (k: string): Promise<string | undefined> => etcdKey(view.etcd, k, signal).catch(() => undefined);
  const [scheduler, controller, haScheduler, frameworks, nginx, masters] = await Promise.all([
    key(WATCHED_KEYS.scheduler),
    key(WATCHED_KEYS.controller),
    key(WATCHED_KEYS.haLeader()),
    view.mesosMaster === undefined
      ? undefined
      : mesosFrameworks(view.mesosMaster, signal).catch((err: unknown) => ({ error: (err as Error).message })),
    healthy(`${view.apiserver}/healthz`, signal),
    Promise.all(
      view.masters.map(async (m) => {
        const [apiserver, sched, cm] = await Promise.all([PORTS.apiserver, PORTS.scheduler, PORTS.controllerManager].map((port) => healthy(`http://${m.ip}:${port}/healthz`, signal)));
        return { role: m.role, ip: m.ip, apiserver: apiserver!, scheduler: sched!, controllerManager: cm! };
      }),
    ),
  ]);
  return { leaders: { scheduler, controller, haScheduler }, frameworks, nginx, masters };
}

/** `scheduler(1)@10.213.7.21:41234` → `10.213.7.21`. */
export function pidIp(pid: string): string | undefined {
  return pid.match(/@([\d.]+):\d+$/)?.[1];
}
