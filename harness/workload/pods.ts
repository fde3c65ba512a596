/**
 * The harness's own workload, created through nginx like any user of the cluster would
 * (`kubectl create -f pod.yaml`): small pods whose single container sleeps (./manifest.ts). They
 * are what "pod recovery" and "pods lost" are measured on. Every write is recorded as a `workload`
 * entry so the measures can tell the harness's deletions from losses.
 */
import pRetry, { AbortError } from "p-retry";
import { request } from "undici";
import { timeoutSignal } from "../async/timeout-signal.js";
import { probeAgent, type Sink } from "../probes/probe.js";
import { podsUrl, sleepPod, WORKLOAD_LABEL, WORKLOAD_NAMESPACE, type PodManifest } from "./manifest.js";

export { WORKLOAD_LABEL, WORKLOAD_NAMESPACE } from "./manifest.js";

/** The workload pod `name`. */
export function workloadPod(name: string): PodManifest {
  return sleepPod(name, WORKLOAD_LABEL);
}

/** Time one request may take, in ms: a dead upstream must not eat the whole budget. */
const REQUEST_TIMEOUT_MS = 5_000;

async function call(url: string, method: "POST" | "DELETE", body: unknown, signal: AbortSignal | undefined): Promise<{ status: number; text: string }> {
  const res = await request(url, {
    method,
    dispatcher: probeAgent,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: timeoutSignal(REQUEST_TIMEOUT_MS, signal),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/**
 * What a failover looks like from a client: nginx without a live upstream (502, 504), an apiserver
 * without etcd (500), a refused or reset connection, a request timed out. Another try may succeed.
 */
function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

export interface CreateWorkloadPodOptions {
  /** Give up after this long, in ms. @default 30_000 */
  readonly deadlineMs?: number;
  /** Aborting it stops the retries and the request in flight (the result is then `false`). */
  readonly signal?: AbortSignal;
}

/**
 * Creates a workload pod, trying again while nginx/apiserver answer 5xx or do not answer (they may
 * be failing over), every 250 ms until `deadlineMs`. Resolves whether it was created (409
 * AlreadyExists counts as created); never rejects. Any other 4xx is not retried: it will not change.
 */
export async function createWorkloadPod(apiUrl: string, name: string, sink: Sink, opts: CreateWorkloadPodOptions = {}): Promise<boolean> {
  sink({ kind: "workload", action: "create-pod", namespace: WORKLOAD_NAMESPACE, name });
  // One signal bounds the retries and the request in flight.
  const until = timeoutSignal(opts.deadlineMs ?? 30_000, opts.signal);
  try {
    await pRetry(
      async () => {
        // Each attempt is an apiserver request through nginx like the pods probe's (an `api-request`
        // entry): the first request nginx routes to a dead apiserver may be this one.
        const op = `POST /api/v1/namespaces/${WORKLOAD_NAMESPACE}/pods`;
        const started = performance.now();
        const latencyMs = () => Math.round(performance.now() - started);
        const res = await call(podsUrl(apiUrl), "POST", workloadPod(name), until).catch((err: unknown) => {
          if (!until.aborted) sink({ kind: "api-request", ok: false, latencyMs: latencyMs(), error: (err as Error).message, op });
          throw err;
        });
        const created = res.status === 201 || res.status === 200 || res.status === 409;
        sink({ kind: "api-request", ok: created, status: res.status, latencyMs: latencyMs(), op, ...(created ? {} : { error: res.text.slice(0, 200) }) });
        if (created) return;
        const err = new Error(`POST pod ${name}: HTTP ${res.status}: ${res.text.slice(0, 200)}`);
        throw isTransientStatus(res.status) ? err : new AbortError(err);
      },
      { retries: Infinity, minTimeout: 250, factor: 1, signal: until },
    );
    return true;
  } catch {
    return false;
  }
}

export async function deleteWorkloadPod(apiUrl: string, name: string, sink: Sink, signal?: AbortSignal): Promise<void> {
  sink({ kind: "workload", action: "delete-pod", namespace: WORKLOAD_NAMESPACE, name });
  try {
    await call(`${podsUrl(apiUrl)}/${name}?gracePeriodSeconds=0`, "DELETE", undefined, signal);
  } catch { /* best effort: the run's teardown removes the cluster anyway */ }
}
