/**
 * Per master node: is a scheduler process answering `GET <ip>:10251/healthz` (k8sm answers `ok` on
 * leaders and standbys alike, §3.10 — so this is a process lane, not a leadership signal), and its
 * `/metrics` counter `mesos_offers_declined{reason="compat"}` summed over hostnames. Also, at the
 * end, the apiserver probe: the same question of `:8080/healthz`.
 */
import { ChangeFilter, everyInterval, httpGet, type Probe, type ProbeTargets, type Sink } from "./probe.js";

export const SCHEDULER_PORT = 10251;
export const APISERVER_PORT = 8080;

/** Sum of `mesos_offers_declined{...reason="compat"...}` samples in Prometheus text. */
export function compatDeclines(metricsText: string): number {
  let sum = 0;
  for (const line of metricsText.split("\n")) {
    const m = line.match(/^mesos_offers_declined\{([^}]*)\}\s+([0-9.eE+-]+)/);
    if (m && /reason="compat"/.test(m[1]!)) sum += Number(m[2]);
  }
  return sum;
}

/** `GET <base>/healthz` answered 200 `ok` within `timeoutMs` (k8s components' health answer); any failure is "no". */
function healthzOk(base: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  return httpGet(`${base}/healthz`, timeoutMs, signal).then((r) => r.status === 200 && r.body.trim() === "ok", () => false);
}

export function schedulerProbe(targets: ProbeTargets, opts: { metricsEveryMs?: number; timeoutMs?: number; port?: number } = {}): Probe {
  const filter = new ChangeFilter();
  const timeoutMs = opts.timeoutMs ?? 500;
  return {
    name: "scheduler",
    resync: () => filter.clear(),
    async run(sink: Sink, signal: AbortSignal) {
      const metricsEvery = Math.max(1, Math.round((opts.metricsEveryMs ?? 1_000) / targets.intervalMs));
      await Promise.all(targets.masters.map(async (m) => {
        let tick = 0;
        const base = `http://${m.ip}:${opts.port ?? SCHEDULER_PORT}`;
        await everyInterval(targets.intervalMs, signal, async () => {
          const up = await healthzOk(base, timeoutMs, signal);
          if (signal.aborted) return;
          if (filter.changed(`h:${m.name}`, up)) sink({ kind: "scheduler-health", node: m.name, up });
          if (up && tick++ % metricsEvery === 0) {
            const res = await httpGet(`${base}/metrics`, timeoutMs, signal);
            if (res.status !== 200) return;
            const declinedCompat = compatDeclines(res.body);
            if (filter.changed(`m:${m.name}`, declinedCompat)) sink({ kind: "scheduler-metrics", node: m.name, declinedCompat });
          }
        });
      }));
    },
  };
}

/**
 * Per master node: is the apiserver answering `GET <ip>:8080/healthz` directly (`ok`, as
 * kube-apiserver answers it), as an operator checks a node behind the load balancer. Recorded on
 * change; the runner waits on it for a restarted or healed master (harness/runner/trial.ts `notSteady`).
 */
export function apiserverProbe(targets: ProbeTargets, opts: { timeoutMs?: number; port?: number } = {}): Probe {
  const filter = new ChangeFilter();
  const timeoutMs = opts.timeoutMs ?? 500;
  return {
    name: "apiserver",
    resync: () => filter.clear(),
    async run(sink: Sink, signal: AbortSignal) {
      await Promise.all(targets.masters.map((m) =>
        everyInterval(targets.intervalMs, signal, async () => {
          const up = await healthzOk(`http://${m.ip}:${opts.port ?? APISERVER_PORT}`, timeoutMs, signal);
          if (signal.aborted) return;
          if (filter.changed(m.name, up)) sink({ kind: "apiserver-health", node: m.name, up });
        }),
      ));
    },
  };
}
