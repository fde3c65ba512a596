/**
 * The apiserver through nginx, as kubectl would see it: lists all pods every interval. Each
 * request is an `api-request` entry (the failover error rate comes from these), and each pod's
 * (phase, node, uid) change is a `pod` entry; a pod missing from a successful list is `deleted`.
 * Mirror pods (annotation kubernetes.io/config.mirror) are the master nodes' own static pods and
 * are left out: they are not workload.
 */
import { ChangeFilter, everyInterval, httpGet, type Probe, type ProbeTargets, type Sink } from "./probe.js";

interface ApiPod {
  metadata: { name: string; namespace: string; uid: string; annotations?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

export function podsProbe(targets: ProbeTargets, opts: { timeoutMs?: number } = {}): Probe {
  const filter = new ChangeFilter();
  let known = new Map<string, { namespace: string; name: string; uid: string }>();
  return {
    name: "pods",
    resync: () => { filter.clear(); known = new Map(); },
    async run(sink: Sink, signal: AbortSignal) {
      const op = "GET /api/v1/pods";
      await everyInterval(targets.intervalMs, signal, async () => {
        let res;
        try {
          res = await httpGet(`${targets.apiUrl}/api/v1/pods`, opts.timeoutMs ?? 2_000, signal);
        } catch (err) {
          if (signal.aborted) return;
          sink({ kind: "api-request", ok: false, latencyMs: 0, error: (err as Error).message, op });
          return;
        }
        const ok = res.status === 200;
        sink({ kind: "api-request", ok, status: res.status, latencyMs: Math.round(res.latencyMs), op, ...(ok ? {} : { error: res.body.slice(0, 200) }) });
        if (!ok) return;
        const items = ((JSON.parse(res.body) as { items?: ApiPod[] }).items ?? []).filter((p) => !p.metadata.annotations?.["kubernetes.io/config.mirror"]);
        const seen = new Map<string, { namespace: string; name: string; uid: string }>();
        for (const p of items) {
          const id = `${p.metadata.namespace}/${p.metadata.name}`;
          const entry = { kind: "pod" as const, namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid, phase: p.status?.phase ?? "Unknown", nodeName: p.spec?.nodeName || undefined };
          seen.set(id, entry);
          if (filter.changed(id, entry)) sink(entry);
        }
        for (const [id, p] of known) {
          if (!seen.has(id)) {
            filter.changed(id, null);
            sink({ kind: "pod", ...p, phase: "Unknown", deleted: true });
          }
        }
        known = seen;
      });
    },
  };
}
