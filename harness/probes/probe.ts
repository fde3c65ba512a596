/**
 * Probes are outside observers: they watch the system only through interfaces a real k8sm cluster
 * exposes (etcd keys, Mesos HTTP, scheduler HTTP, the apiserver through nginx, container logs,
 * Docker events). They never throw for a failure of the system under test; they record it.
 *
 * A probe runs for the whole scenario (across trials, with `--repeat`); the runner points its sink
 * at the current trial's history and calls `resync()` at each trial start so that every trial's
 * history begins with the full current state.
 */
import { Agent, request } from "undici";
import { sleep } from "../async/sleep.js";
import type { EntryPayload } from "../history/types.js";

export type Sink = (payload: EntryPayload) => void;

export interface Probe {
  readonly name: string;
  /** Runs until `signal` aborts; resolves then. */
  run(sink: Sink, signal: AbortSignal): Promise<void>;
  /** Forget what was last seen, so the next observation is recorded even if unchanged. */
  resync(): void;
}

/** What the probes look at, in the addresses the harness machine can reach. */
export interface ProbeTargets {
  etcdUrls: readonly string[];
  /** nginx's apiserver port, e.g. http://172.28.0.5:80 */
  apiUrl: string;
  /** Mesos master, e.g. http://172.28.0.2:5050 */
  mesosUrl: string;
  /** The k8sm master nodes: name, IP and container name (for logs). */
  masters: readonly { name: string; ip: string; container: string }[];
  frameworkName: string;
  /** Poll interval of polled interfaces, ms (at most 100: the model's probe term allows no more). */
  intervalMs: number;
}

/** Node name for an IP, when it is a master's. */
export function nodeOfIp(targets: ProbeTargets, ip: string | undefined): string | undefined {
  return ip === undefined ? undefined : targets.masters.find((m) => m.ip === ip)?.name;
}

/** One shared keep-alive agent for all probe HTTP; short connect timeout so a dead node fails fast. */
export const probeAgent = new Agent({ connect: { timeout: 1_000 }, keepAliveTimeout: 4_000, pipelining: 0 });

export interface HttpResult {
  status: number;
  body: string;
  latencyMs: number;
}

/** GET with a hard timeout; rejects on network errors and timeouts. */
export async function httpGet(url: string, timeoutMs: number, signal?: AbortSignal): Promise<HttpResult> {
  const started = performance.now();
  const res = await request(url, {
    method: "GET",
    dispatcher: probeAgent,
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const body = await res.body.text();
  return { status: res.statusCode, body, latencyMs: performance.now() - started };
}

/** Runs `tick` every `intervalMs` (drift-free: the next tick is scheduled from the previous start). */
export async function everyInterval(intervalMs: number, signal: AbortSignal, tick: () => Promise<void>): Promise<void> {
  while (!signal.aborted) {
    const started = performance.now();
    try {
      await tick();
    } catch {
      if (signal.aborted) return;
    }
    // harness/async's sleep removes its abort listener when the timer fires (one per tick otherwise).
    await sleep(Math.max(0, intervalMs - (performance.now() - started)), signal).catch(() => {});
  }
}

/** Records a payload only when its comparable form changed since the last record (per `slot`). */
export class ChangeFilter {
  readonly #last = new Map<string, string>();
  changed(slot: string, value: unknown): boolean {
    const s = JSON.stringify(value);
    if (this.#last.get(slot) === s) return false;
    this.#last.set(slot, s);
    return true;
  }
  clear(): void {
    this.#last.clear();
  }
}
