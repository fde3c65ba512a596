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

export function podsProbe(targets: ProbeTargets, opts: { timeoutMs?: number; maxInFlight?: number } = {}): Probe {
  const filter = new ChangeFilter();
  let known = new Map<string, { namespace: string; name: string; uid: string }>();
  return {
    name: "pods",
    resync: () => { filter.clear(); known = new Map(); },
    async run(sink: Sink, signal: AbortSignal) {
      const op = "GET /api/v1/pods";
      // A request routed by nginx to a dead or frozen apiserver can hang for seconds: requests are
      // fired every interval without waiting for earlier ones (bounded), so one slow answer neither
      // hides the others nor stretches the probe's resolution. Only answers newer than the last
      // applied one update the pod states.
      const inFlight = new Set<Promise<void>>();
      let sent = 0;
      let applied = 0;
      const one = async (seq: number) => {
        let res;
        try {
          res = await httpGet(`${targets.apiUrl}/api/v1/pods`, opts.timeoutMs ?? 2_000, signal);
        } catch (err) {
          if (!signal.aborted) sink({ kind: "api-request", ok: false, latencyMs: 0, error: (err as Error).message, op });
          return;
        }
        const ok = res.status === 200;
        sink({ kind: "api-request", ok, status: res.status, latencyMs: Math.round(res.latencyMs), op, ...(ok ? {} : { error: res.body.slice(0, 200) }) });
        if (!ok || seq < applied) return;
        applied = seq;
        apply((JSON.parse(res.body) as { items?: ApiPod[] }).items ?? [], sink);
      };
      await everyInterval(targets.intervalMs, signal, async () => {
        if (inFlight.size >= (opts.maxInFlight ?? 30)) return;
        const p = one(++sent).finally(() => inFlight.delete(p));
        inFlight.add(p);
      });
      await Promise.all(inFlight);
    },
  };

  function apply(all: ApiPod[], sink: Sink): void {
    const items = all.filter((p) => !p.metadata.annotations?.["kubernetes.io/config.mirror"]);
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
        sink({ kind: "pod", namespace: p.namespace, name: p.name, uid: p.uid, phase: "Unknown", deleted: true });
      }
    }
    known = new Map([...seen].map(([id, e]) => [id, { namespace: e.namespace, name: e.name, uid: e.uid }]));
  }
}
