/**
 * The harness's own workload, created through nginx like any user of the cluster would
 * (`kubectl create -f pod.yaml`): small pods whose single container sleeps. They are what "pod
 * recovery" and "pods lost" are measured on. Every write is recorded as a `workload` entry so the
 * measures can tell the harness's deletions from losses.
 */
import { request } from "undici";
import { probeAgent, type Sink } from "../probes/probe.js";

export const WORKLOAD_NAMESPACE = "default";
export const WORKLOAD_LABEL = "k8sm-chaos/workload";

export function workloadPod(name: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: WORKLOAD_NAMESPACE, labels: { [WORKLOAD_LABEL]: "true" } },
    spec: {
      containers: [{ name: "sleep", image: "busybox", command: ["sleep", "86400"], resources: { limits: { cpu: "100m", memory: "32Mi" } } }],
      restartPolicy: "Always",
    },
  };
}

async function call(url: string, method: "POST" | "DELETE", body?: unknown, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  const res = await request(url, {
    method,
    dispatcher: probeAgent,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(5_000)]) : AbortSignal.timeout(5_000),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/**
 * Creates a workload pod; retries while nginx/apiserver answer errors (they may be failing over),
 * until `deadlineMs`. Returns whether it was created. 409 AlreadyExists counts as created.
 */
export async function createWorkloadPod(apiUrl: string, name: string, sink: Sink, opts: { deadlineMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
  const end = Date.now() + (opts.deadlineMs ?? 30_000);
  sink({ kind: "workload", action: "create-pod", namespace: WORKLOAD_NAMESPACE, name });
  while (!opts.signal?.aborted && Date.now() < end) {
    try {
      const res = await call(`${apiUrl}/api/v1/namespaces/${WORKLOAD_NAMESPACE}/pods`, "POST", workloadPod(name), opts.signal);
      if (res.status === 201 || res.status === 200 || res.status === 409) return true;
    } catch { /* retry */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

export async function deleteWorkloadPod(apiUrl: string, name: string, sink: Sink, signal?: AbortSignal): Promise<void> {
  sink({ kind: "workload", action: "delete-pod", namespace: WORKLOAD_NAMESPACE, name });
  try {
    await call(`${apiUrl}/api/v1/namespaces/${WORKLOAD_NAMESPACE}/pods/${name}?gracePeriodSeconds=0`, "DELETE", undefined, signal);
  } catch { /* best effort: the run's teardown removes the cluster anyway */ }
}
