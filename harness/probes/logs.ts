/**
 * Follows the master nodes' container logs (what `docker logs -f` shows: the kubelet and every pod
 * it runs) and records a `log-match` for each line matching a pattern — by default the seed's trap,
 * `Declining incompatible offer`, which the k8sm scheduler logs at V(3) (the seed runs --v=10).
 *
 * A count of zero matches means something only if the scheduler's output is in these logs at all:
 * the emulated kubelet runs pods as its own children (their output is the node's), a real kubelet
 * runs them as sibling containers (it is not). So the probe also records one `scheduler-output`
 * match per container and trial (reset by `resync`) when it sees a line of the scheduler's own
 * glog output; without one, the measures report the log count as missing, not 0.
 */
import { PassThrough } from "node:stream";
import { createInterface } from "node:readline";
import type Docker from "dockerode";
import { sleep } from "../async/sleep.js";
import { dockerCall, dockerError } from "../docker/client.js";
import { SCHEDULER_OUTPUT_PATTERN } from "../measures/measures.js";
import type { Probe, ProbeTargets, Sink } from "./probe.js";

export const LOG_PATTERNS: Readonly<Record<string, RegExp>> = {
  "incompatible-offer": /Declining incompatible offer/,
};

/**
 * A glog line (`I1130 19:22:59.823000      66 service.go:123] ...`) from a source file of `km
 * scheduler` (contrib/mesos/pkg/scheduler and the mesos-go driver it embeds, §3), not of the
 * kubelet, apiserver, controller-manager or podmaster that share a master node's log.
 */
export const SCHEDULER_LINE = /^[IWEF]\d{4} [\d:.]+\s+\d+ (service|scheduler|plugin|offers|pod_task|etcd_master|election|ha|publish|compat_unix|standalone)\.go:\d+\] /;

export function logsProbe(docker: Docker, targets: ProbeTargets, patterns: Readonly<Record<string, RegExp>> = LOG_PATTERNS): Probe {
  /** Containers whose scheduler output was recorded since the last resync (the current trial). */
  const sawScheduler = new Set<string>();
  return {
    name: "logs",
    resync: () => sawScheduler.clear(),
    async run(sink: Sink, signal: AbortSignal) {
      const startSec = Date.now() / 1000;
      await Promise.all(targets.masters.map(async (m) => {
        // Follow the container's log; when the stream ends (the container died, or was restarted by
        // the runner's converge step), attach again from the last line seen, so no life is missed and
        // no line is counted twice (Docker timestamps every line; `since` takes fractional seconds).
        let lastStamp = "";
        let since = startSec.toFixed(3);
        while (!signal.aborted) {
          try {
            // A deadline on establishing the stream only: an engine that never answers must not hold the probe.
            const stream = (await dockerCall(
              docker,
              "stream",
              "follow logs of",
              m.container,
              (abortSignal) => docker.getContainer(m.container).logs({ follow: true, stdout: true, stderr: true, timestamps: true, since: since as unknown as number, abortSignal }),
              { signal },
            )) as NodeJS.ReadableStream;
            for await (const line of followLines(docker, stream, signal)) {
              const sp = line.indexOf(" ");
              const stamp = line.slice(0, sp);
              if (stamp <= lastStamp) continue; // already seen before the re-attach
              lastStamp = stamp;
              const text = line.slice(sp + 1);
              if (!sawScheduler.has(m.container) && SCHEDULER_LINE.test(text)) {
                sawScheduler.add(m.container);
                sink({ kind: "log-match", container: m.container, pattern: SCHEDULER_OUTPUT_PATTERN, line: text.slice(0, 500) });
              }
              for (const [pattern, re] of Object.entries(patterns)) {
                if (re.test(text)) sink({ kind: "log-match", container: m.container, pattern, line: text.slice(0, 500) });
              }
            }
            const t = Date.parse(lastStamp);
            if (Number.isFinite(t)) since = (t / 1000).toFixed(3);
          } catch { /* the container is gone or not started again yet */ }
          await sleep(500, signal).catch(() => {});
        }
      }));
    },
  };
}

/** The lines of a multiplexed Docker log stream, until it ends or `signal` aborts. */
async function* followLines(docker: Docker, stream: NodeJS.ReadableStream, signal: AbortSignal): AsyncGenerator<string> {
  const lines = new PassThrough();
  docker.modem.demuxStream(stream, lines, lines);
  stream.on("end", () => lines.end());
  stream.on("error", () => lines.end());
  const rl = createInterface({ input: lines, crlfDelay: Infinity });
  // A destroyed HTTP stream does not always emit 'end': close the reader explicitly on abort.
  const onAbort = () => { rl.close(); (stream as unknown as { destroy?: () => void }).destroy?.(); lines.end(); };
  if (signal.aborted) onAbort();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    yield* rl;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Docker events of this run's containers (die, kill, pause, unpause, start, restart...). */
export function dockerEventsProbe(docker: Docker, labelFilter: string): Probe {
  return {
    name: "docker-events",
    resync: () => {},
    async run(sink: Sink, signal: AbortSignal) {
      let stream: NodeJS.ReadableStream;
      try {
        stream = (await dockerCall(
          docker,
          "stream",
          "follow",
          "events",
          (abortSignal) => docker.getEvents({ filters: { type: ["container"], label: [labelFilter] }, abortSignal }),
          { signal },
        )) as NodeJS.ReadableStream;
      } catch (err) {
        // Ended by the run: done. Otherwise the engine failed (a DockerUnavailableError, with its address).
        if (signal.aborted) return;
        throw err;
      }
      const rl = createInterface({ input: stream as NodeJS.ReadableStream, crlfDelay: Infinity });
      // A destroyed HTTP stream does not always emit 'end': close the reader explicitly on abort.
      const onAbort = () => { rl.close(); (stream as unknown as { destroy?: () => void }).destroy?.(); };
      if (signal.aborted) onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        for await (const line of rl) {
          try {
            const ev = JSON.parse(line) as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
            const container = ev.Actor?.Attributes?.name;
            if (container && ev.Action && !ev.Action.startsWith("exec_")) sink({ kind: "docker-event", container, action: ev.Action });
          } catch { /* partial line */ }
        }
      } catch (err) {
        if (signal.aborted) return;
        // A cut connection (ECONNRESET, "aborted") is the engine gone: say so, with its address.
        throw dockerError("follow", "the events of this run", err);
      }
    },
  };
}
